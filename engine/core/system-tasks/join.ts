/**
 * JOIN (JoinTaskMapper + Join): waits for the `joinOn` refs (with the loop suffix inside a
 * DO_WHILE). Output is keyed by joined ref (tasks with empty output are left out). A failed
 * non-optional branch fails the JOIN at once unless it is permissive, in which case the JOIN
 * waits for every branch and then fails; a cancelled branch makes it CANCELED. Optional
 * branches that completed with errors make it COMPLETED_WITH_ERRORS.
 */
import type { TaskModel, WorkflowModel } from '../model';
import type { SystemTask } from './system-task';
import { isSuccessfulTask, isTerminalTask } from '../status';
import { finishTask, newSystemTask, withIteration } from './common';

/** Latest attempt per reference name (Conductor's WorkflowModel.getTaskByRefName). */
export function latestByRef(wf: WorkflowModel): Map<string, TaskModel> {
  const m = new Map<string, TaskModel>();
  for (const t of wf.tasks) m.set(t.referenceTaskName, t);
  return m;
}

export const joinTask: SystemTask = {
  schedule(node, ctx, opts) {
    return [newSystemTask(node, ctx, { ...opts, status: 'IN_PROGRESS', taskType: 'JOIN', taskDefName: 'JOIN', input: { joinOn: [...(node.joinOn ?? [])] } })];
  },
  execute(task, ctx) {
    const base = Array.isArray(task.inputData.joinOn) ? (task.inputData.joinOn as unknown[]).map(String) : [];
    const joinOn = task.iteration > 0 ? base.map((r) => withIteration(r, task.iteration)) : base;
    const byRef = latestByRef(ctx.wf);
    const joined = joinOn.map((r) => byRef.get(r));
    const allTerminal = joined.every((t) => t !== undefined && isTerminalTask(t.status));
    const optionalFailures: string[] = [];
    const output: Record<string, unknown> = { ...task.outputData };
    for (let i = 0; i < joinOn.length; i++) {
      const t = joined[i];
      if (!t) continue;
      if (t.outputData && Object.keys(t.outputData).length > 0) output[joinOn[i]] = t.outputData;
      const node = t.workflowTask;
      if (!isSuccessfulTask(t.status) && !node.optional && (!node.permissive || allTerminal)) {
        task.outputData = output;
        const present = joined.filter((x): x is TaskModel => x !== undefined);
        const reason = present.filter((x) => !isSuccessfulTask(x.status)).map((x) => x.reasonForIncompletion).filter((r) => r !== undefined && r !== null).join(' ');
        const realFailure = present.some((x) => isTerminalTask(x.status) && !isSuccessfulTask(x.status) && !x.workflowTask.optional && x.status !== 'CANCELED');
        return finishTask(task, ctx, realFailure ? 'FAILED' : 'CANCELED', reason);
      }
      if (node.optional && t.status === 'COMPLETED_WITH_ERRORS') optionalFailures.push(`${t.taskDefName}/${t.taskId}`);
    }
    task.outputData = output;
    // Still waiting: the output gathered so far is saved with the workflow; nothing to re-decide.
    if (!allTerminal) return false;
    if (optionalFailures.length > 0) return finishTask(task, ctx, 'COMPLETED_WITH_ERRORS', `${optionalFailures.join(' ')} completed with errors`);
    return finishTask(task, ctx, 'COMPLETED');
  },
};

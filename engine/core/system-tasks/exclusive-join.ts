/**
 * EXCLUSIVE_JOIN (ExclusiveJoinTaskMapper + ExclusiveJoin): follows a SWITCH/DECISION; takes
 * the first `joinOn` ref that ran (not SKIPPED), or if none has finished, the first
 * `defaultExclusiveJoinTask` ref that ran. Completes with that task's output, or FAILS with its
 * reason when it was unsuccessful.
 */
import type { SystemTask } from './system-task';
import { isSuccessfulTask, isTerminalTask } from '../status';
import { finishTask, newSystemTask, withIteration } from './common';
import { latestByRef } from './join';

const refs = (v: unknown, iteration: number): string[] =>
  (Array.isArray(v) ? v.map(String) : []).map((r) => (iteration > 0 ? withIteration(r, iteration) : r));

export const exclusiveJoinTask: SystemTask = {
  schedule(node, ctx, opts) {
    const input: Record<string, unknown> = { joinOn: [...(node.joinOn ?? [])] };
    if (Array.isArray(node.defaultExclusiveJoinTask)) input.defaultExclusiveJoinTask = [...node.defaultExclusiveJoinTask];
    return [newSystemTask(node, ctx, { ...opts, status: 'IN_PROGRESS', taskType: 'EXCLUSIVE_JOIN', taskDefName: 'EXCLUSIVE_JOIN', input })];
  },
  execute(task, ctx) {
    const byRef = latestByRef(ctx.wf);
    const joinOn = refs(task.inputData.joinOn, task.iteration);
    let chosen = undefined as ReturnType<typeof byRef.get>;
    let found = false;
    let failed = false;
    let reason = '';
    for (const ref of joinOn) {
      const t = byRef.get(ref);
      if (!t || t.status === 'SKIPPED') continue;
      chosen = t;
      found = isTerminalTask(t.status);
      const all = joinOn.every((r) => {
        const x = byRef.get(r);
        return x !== undefined && isTerminalTask(x.status);
      });
      failed = !isSuccessfulTask(t.status) && (!t.workflowTask.permissive || all);
      if (failed) {
        reason = joinOn
          .map((r) => byRef.get(r))
          .filter((x) => x !== undefined && !isSuccessfulTask(x.status))
          .map((x) => x!.reasonForIncompletion ?? 'null')
          .join(' ');
      }
      break;
    }
    if (!found) {
      for (const ref of refs(task.inputData.defaultExclusiveJoinTask, task.iteration)) {
        const t = byRef.get(ref);
        if (!t || t.status === 'SKIPPED') continue;
        chosen = t;
        found = isTerminalTask(t.status);
        failed = !isSuccessfulTask(t.status);
        if (failed) reason += `${t.reasonForIncompletion ?? 'null'} `;
        break;
      }
    }
    if (!found && !failed) return false;
    if (failed) return finishTask(task, ctx, 'FAILED', reason);
    task.outputData = { ...(chosen?.outputData ?? {}) };
    return finishTask(task, ctx, 'COMPLETED');
  },
};

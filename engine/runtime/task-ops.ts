/**
 * Task-side operations: a worker's TaskResult, updates by reference name, task logs.
 */
import type { JsonMap, TaskModel } from '../core/model';
import { applyTaskResult, type TaskResult, type UpdateEffect } from '../core/task-update';
import { isTerminalTask, type TaskResultStatus } from '../core/status';
import { NotFoundError } from '../core/errors';
import { baseRef } from '../core/next-task';
import type { Engine } from './engine';

export interface UpdateResult {
  effect: UpdateEffect;
  task?: TaskModel;
}

/** POST /api/tasks: apply a TaskResult, then decide. Stale updates change nothing. */
export function updateTask(engine: Engine, r: TaskResult): UpdateResult {
  // one load: the result names its workflow; mutate answers 404 for an unknown workflow id
  let effect: UpdateEffect = 'ignored';
  let updated: TaskModel | undefined;
  engine.mutate(
    r.workflowInstanceId,
    (wf, out, deps) => {
      const task = wf.tasks.find((t) => t.taskId === r.taskId);
      if (!task) throw new NotFoundError(`No such task found by id: ${r.taskId}`);
      effect = applyTaskResult(wf, task, r, deps.now, out);
      updated = task;
      if (effect !== 'ignored' && r.logs?.length) engine.appendLogs(task.taskId, r.logs);
    },
    { decide: true },
  );
  return { effect, task: updated };
}

/** POST /api/tasks/{workflowId}/{ref}/{status}: the first non-terminal task with that ref. */
export function updateTaskByRef(engine: Engine, workflowId: string, ref: string, status: TaskResultStatus, output: JsonMap, workerId?: string): string | null {
  const wf = engine.getWorkflow(workflowId);
  const task = wf.tasks.find((t) => !isTerminalTask(t.status) && (t.referenceTaskName === ref || baseRef(t.referenceTaskName) === ref));
  if (!task) return null;
  updateTask(engine, {
    workflowInstanceId: workflowId,
    taskId: task.taskId,
    status,
    outputData: { ...task.outputData, ...output },
    workerId,
  });
  return task.taskId;
}

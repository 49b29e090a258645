/**
 * Which queue a SCHEDULED task waits in: worker tasks in `[domain:]taskType…` (polled by
 * workers), asynchronous system tasks (HTTP, SUB_WORKFLOW, START_WORKFLOW) in a queue named by
 * their type (claimed by the engine's own executors). Sync system tasks are never queued.
 */
import type { TaskModel, WorkflowModel } from './model';
import type { QueuePush } from './outcome';
import { isWorkerTaskType, taskTypeOf } from './defaults';
import { queueNameOf } from './task-factory';
import { SYSTEM_TASKS } from './system-tasks';

export function queuePushFor(t: TaskModel, wf: WorkflowModel, dueAt: number): QueuePush | null {
  if (t.status !== 'SCHEDULED') return null;
  if (isWorkerTaskType(taskTypeOf(t.workflowTask))) return { taskId: t.taskId, queueName: queueNameOf(t), dueAt, priority: wf.priority };
  if (SYSTEM_TASKS[t.taskType]?.async) return { taskId: t.taskId, queueName: t.taskType, dueAt, priority: wf.priority };
  return null;
}

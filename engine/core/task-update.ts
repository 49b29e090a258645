/**
 * What a poll and a worker's TaskResult do to a task (ExecutionService.poll and
 * WorkflowExecutorOps.updateTask), before the decider runs.
 */
import type { JsonMap, TaskModel, WorkflowModel } from './model';
import type { Outcome } from './outcome';
import { isTerminalTask, isTerminalWorkflow, type TaskResultStatus } from './status';
import { isWorkerTaskType, taskTypeOf } from './defaults';
import { queueNameOf } from './task-factory';

export interface TaskResult {
  workflowInstanceId: string;
  taskId: string;
  status?: TaskResultStatus;
  reasonForIncompletion?: string;
  callbackAfterSeconds?: number;
  workerId?: string;
  outputData?: JsonMap;
  logs?: Array<{ log?: unknown; createdTime?: unknown }>;
  subWorkflowId?: string;
  extendLease?: boolean;
}

export const MAX_REASON = 500;
export const truncateReason = (r: unknown): string | undefined => (typeof r === 'string' ? r.slice(0, MAX_REASON) : undefined);

/** Hand a SCHEDULED task to a worker. */
export function markPolled(task: TaskModel, workerId: string | undefined, now: number): void {
  task.status = 'IN_PROGRESS';
  if (!task.startTime) task.startTime = now;
  task.callbackAfterSeconds = 0;
  task.workerId = workerId;
  task.pollCount += 1;
  task.updateTime = now;
}

export type UpdateEffect = 'ignored' | 'lease' | 'requeued' | 'updated';

/**
 * Apply a TaskResult to `task` of `wf`. Updates for terminal tasks or workflows are ignored
 * (their queue entry dropped), as Conductor does.
 */
export function applyTaskResult(wf: WorkflowModel, task: TaskModel, r: TaskResult, now: number, out: Outcome): UpdateEffect {
  if (isTerminalTask(task.status) || isTerminalWorkflow(wf.status)) {
    out.removes.push(task.taskId);
    return 'ignored';
  }
  if (r.extendLease) {
    task.updateTime = now;
    return 'lease';
  }
  const status = r.status ?? 'IN_PROGRESS';
  task.reasonForIncompletion = truncateReason(r.reasonForIncompletion) ?? task.reasonForIncompletion;
  if (r.workerId !== undefined) task.workerId = r.workerId;
  task.callbackAfterSeconds = Math.max(0, Math.floor(Number(r.callbackAfterSeconds ?? 0) || 0));
  task.outputData = r.outputData ?? {};
  if (r.subWorkflowId) task.subWorkflowId = r.subWorkflowId;
  task.updateTime = now;
  if (status === 'IN_PROGRESS') {
    if (isWorkerTaskType(taskTypeOf(task.workflowTask))) {
      task.status = 'SCHEDULED';
      out.pushes.push({ taskId: task.taskId, queueName: queueNameOf(task), dueAt: now + task.callbackAfterSeconds * 1000, priority: wf.priority });
      return 'requeued';
    }
    return 'updated';
  }
  task.status = status;
  task.endTime = now;
  out.removes.push(task.taskId);
  out.events.push({
    type: 'task:ended',
    data: { workflowId: wf.workflowId, taskId: task.taskId, taskType: task.taskType, status, durationMs: task.startTime ? now - task.startTime : 0, reason: task.reasonForIncompletion },
  });
  return 'updated';
}

/** Helpers shared by the system task files: creating an instance, finishing it. */
import type { JsonMap, TaskModel, WorkflowTask } from '../model';
import type { TaskStatus } from '../status';
import type { SystemTaskContext, ScheduleOptions } from './system-task';
import { resolveParameters } from '../parameters';
import { taskDefOf } from '../task-factory';
import { taskTypeOf } from '../defaults';
import { isTerminalTask } from '../status';

export interface NewSystemTaskOptions extends ScheduleOptions {
  status?: TaskStatus;
  /** Instance taskType; defaults to the node's type. */
  taskType?: string;
  /** Instance taskDefName; defaults to the node's name. */
  taskDefName?: string;
  /** Input; defaults to the node's inputParameters resolved against the workflow. */
  input?: JsonMap;
}

/** A fresh instance of a system task node (Conductor's TaskModel as the system mappers build it). */
export function newSystemTask(node: WorkflowTask, ctx: SystemTaskContext, o: NewSystemTaskOptions): TaskModel {
  const { wf, deps } = ctx;
  const def = taskDefOf(node);
  const taskId = deps.newId();
  const input = o.input ?? resolveParameters(node.inputParameters, wf, { taskId, env: deps.env, inputTemplate: def.inputTemplate });
  return {
    taskId,
    taskType: o.taskType ?? taskTypeOf(node),
    taskDefName: o.taskDefName ?? node.name,
    referenceTaskName: o.refName,
    workflowInstanceId: wf.workflowId,
    workflowType: wf.workflowName,
    correlationId: wf.correlationId,
    status: o.status ?? 'SCHEDULED',
    inputData: input,
    outputData: {},
    seq: 0,
    retryCount: 0,
    pollCount: 0,
    scheduledTime: deps.now,
    startTime: o.status === 'IN_PROGRESS' || (o.status && isTerminalTask(o.status)) ? deps.now : 0,
    endTime: o.status && isTerminalTask(o.status) ? deps.now : 0,
    updateTime: deps.now,
    firstScheduledTime: deps.now,
    startDelayInSeconds: 0,
    callbackAfterSeconds: 0,
    responseTimeoutSeconds: def.responseTimeoutSeconds ?? 0,
    retried: false,
    executed: false,
    workflowPriority: wf.priority,
    iteration: o.iteration,
    rateLimitPerFrequency: 0,
    rateLimitFrequencyInSeconds: 0,
    workflowTask: node,
  };
}

/** End a task inside the decide with a status (and a reason when unsuccessful). */
export function finishTask(task: TaskModel, ctx: Pick<SystemTaskContext, 'wf' | 'deps' | 'out'>, status: TaskStatus, reason?: string): true {
  const now = ctx.deps.now;
  task.status = status;
  if (reason !== undefined) task.reasonForIncompletion = reason;
  if (!task.startTime) task.startTime = now;
  task.endTime = now;
  task.updateTime = now;
  ctx.out.removes.push(task.taskId);
  ctx.out.events.push({
    type: 'task:ended',
    data: { workflowId: ctx.wf.workflowId, taskId: task.taskId, taskType: task.taskType, status, durationMs: now - task.startTime, reason: task.reasonForIncompletion },
  });
  return true;
}

/** The reference with the DO_WHILE iteration suffix Conductor appends inside loops. */
export const withIteration = (ref: string, iteration: number): string => (iteration > 0 ? `${ref}__${iteration}` : ref);

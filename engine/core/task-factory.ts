/**
 * Creating task instances (Conductor's task mappers for worker tasks) and retry attempts.
 */
import type { JsonMap, TaskDef, TaskModel, WorkflowModel, WorkflowTask } from './model';
import { adHocTaskDef, isWorkerTaskType, taskTypeOf } from './defaults';
import { resolveParameters } from './parameters';

export interface FactoryDeps {
  now: number;
  newId: () => string;
  env: Record<string, string | undefined>;
  /** True when a worker polled this queue within the last 10 s (domain choice). */
  isQueueActive?: (queueName: string) => boolean;
}

/** The task definition a node runs with: embedded at workflow start, else ad hoc. */
export function taskDefOf(node: WorkflowTask): TaskDef {
  return node.taskDefinition ?? adHocTaskDef(node.name, taskTypeOf(node));
}

/** Queue name: `[domain:]taskType[@executionNameSpace][-isolationGroupId]`. */
export function queueNameOf(t: Pick<TaskModel, 'taskType' | 'domain' | 'executionNameSpace' | 'isolationGroupId'>): string {
  let q = t.domain ? `${t.domain}:${t.taskType}` : t.taskType;
  if (t.executionNameSpace) q += `@${t.executionNameSpace}`;
  if (t.isolationGroupId) q += `-${t.isolationGroupId}`;
  return q;
}

/** taskToDomain: a task-type key overrides `*`; a comma list picks the first active domain, else the last. */
export function domainFor(taskType: string, taskToDomain: Record<string, string>, deps: FactoryDeps): string | undefined {
  const spec = taskToDomain?.[taskType] ?? taskToDomain?.['*'];
  if (!spec) return undefined;
  const domains = spec.split(',').map((d) => d.trim()).filter(Boolean);
  if (domains.length === 0) return undefined;
  let chosen = domains[domains.length - 1];
  if (domains.length > 1 && deps.isQueueActive) {
    const active = domains.find((d) => d === 'NO_DOMAIN' || deps.isQueueActive!(`${d}:${taskType}`));
    if (active) chosen = active;
  }
  return chosen === 'NO_DOMAIN' ? undefined : chosen;
}

/** A fresh SCHEDULED instance of a worker task node (SIMPLE or a user-defined type). */
export function newWorkerTask(
  wf: WorkflowModel,
  node: WorkflowTask,
  deps: FactoryDeps,
  opts: { refName?: string; iteration?: number } = {},
): TaskModel {
  const def = taskDefOf(node);
  const type = taskTypeOf(node);
  const taskType = type === 'SIMPLE' ? node.name : type;
  const taskId = deps.newId();
  const startDelay = Math.max(0, Number(node.startDelay ?? 0) || 0);
  const task: TaskModel = {
    taskId,
    taskType,
    taskDefName: node.name,
    referenceTaskName: opts.refName ?? node.taskReferenceName,
    workflowInstanceId: wf.workflowId,
    workflowType: wf.workflowName,
    correlationId: wf.correlationId,
    status: 'SCHEDULED',
    inputData: {},
    outputData: {},
    seq: 0,
    retryCount: 0,
    pollCount: 0,
    scheduledTime: deps.now,
    startTime: 0,
    endTime: 0,
    updateTime: deps.now,
    firstScheduledTime: deps.now,
    startDelayInSeconds: startDelay,
    callbackAfterSeconds: startDelay,
    responseTimeoutSeconds: def.responseTimeoutSeconds ?? 3600,
    retried: false,
    executed: false,
    workflowPriority: wf.priority,
    iteration: opts.iteration ?? 0,
    rateLimitPerFrequency: def.rateLimitPerFrequency ?? 0,
    rateLimitFrequencyInSeconds: def.rateLimitFrequencyInSeconds ?? 1,
    isolationGroupId: def.isolationGroupId,
    executionNameSpace: def.executionNameSpace,
    workflowTask: node,
  };
  if (isWorkerTaskType(type)) task.domain = domainFor(taskType, wf.taskToDomain, deps);
  task.inputData = resolveParameters(node.inputParameters, wf, { taskId, env: deps.env, inputTemplate: def.inputTemplate });
  return task;
}

/** The next attempt of a failed task: new id, retryCount+1, input re-resolved, delayed by `delaySeconds`. */
export function retryAttempt(wf: WorkflowModel, failed: TaskModel, delaySeconds: number, deps: FactoryDeps): TaskModel {
  const def = taskDefOf(failed.workflowTask);
  const taskId = deps.newId();
  const input: JsonMap = { ...failed.inputData };
  Object.assign(input, resolveParameters(failed.workflowTask.inputParameters, wf, { taskId, env: deps.env, inputTemplate: def.inputTemplate }));
  return {
    ...failed,
    taskId,
    retriedTaskId: failed.taskId,
    retryCount: failed.retryCount + 1,
    retried: false,
    executed: false,
    status: 'SCHEDULED',
    pollCount: 0,
    seq: 0,
    inputData: input,
    outputData: {},
    scheduledTime: deps.now,
    startTime: 0,
    endTime: 0,
    updateTime: deps.now,
    workerId: undefined,
    subWorkflowId: undefined,
    startDelayInSeconds: delaySeconds,
    callbackAfterSeconds: delaySeconds,
    version: undefined,
  };
}

/**
 * Conductor's SignalResponse family (WorkflowRun / TaskRun), the answer of the synchronous
 * execute (W3) and signal (T8) endpoints, shaped by the request's returnStrategy.
 */
import type { Response } from 'express';
import type { JsonMap, TaskModel, WorkflowModel } from '../core/model';
import { taskToJson } from '../core/serialize';
import { BadRequestError } from '../core/errors';
import type { SettledState } from '../runtime/signal';

export const RETURN_STRATEGIES = ['TARGET_WORKFLOW', 'BLOCKING_WORKFLOW', 'BLOCKING_TASK', 'BLOCKING_TASK_INPUT'] as const;
export type ReturnStrategy = (typeof RETURN_STRATEGIES)[number];

/** The `returnStrategy` query parameter; absent → TARGET_WORKFLOW, unknown → 400. */
export function parseReturnStrategy(v: string | undefined): ReturnStrategy {
  if (v === undefined || v === '') return 'TARGET_WORKFLOW';
  if (!(RETURN_STRATEGIES as readonly string[]).includes(v)) {
    throw new BadRequestError(`Invalid returnStrategy: ${v}; expected one of ${RETURN_STRATEGIES.join(', ')}`);
  }
  return v as ReturnStrategy;
}

/**
 * Build the response; undefined means an empty body (a task strategy with no blocking task,
 * e.g. the workflow ended or the wait timed out).
 */
export function signalResponse(s: SettledState, strategy: ReturnStrategy, requestId: string): JsonMap | undefined {
  const first = s.blocking.tasks[0];
  switch (strategy) {
    case 'TARGET_WORKFLOW':
      return workflowRun(s, s.target, strategy, requestId);
    case 'BLOCKING_WORKFLOW':
      return workflowRun(s, first ? (s.blocking.workflow ?? s.target) : s.target, strategy, requestId);
    case 'BLOCKING_TASK':
    case 'BLOCKING_TASK_INPUT':
      return first ? taskRun(s, first, strategy, requestId) : undefined;
  }
}

function common(s: SettledState, strategy: ReturnStrategy, requestId: string): JsonMap {
  return { responseType: strategy, targetWorkflowId: s.target.workflowId, targetWorkflowStatus: s.target.status, requestId };
}

function workflowRun(s: SettledState, wf: WorkflowModel, strategy: ReturnStrategy, requestId: string): JsonMap {
  return compact({
    ...common(s, strategy, requestId),
    workflowId: wf.workflowId,
    correlationId: wf.correlationId,
    input: wf.input,
    output: wf.output,
    signalTimeout: s.timedOut,
    priority: wf.priority,
    variables: wf.variables,
    tasks: [...wf.tasks].sort((a, b) => a.seq - b.seq).map(taskToJson),
    createdBy: wf.createdBy,
    createTime: wf.createTime,
    status: wf.status,
    updateTime: wf.updateTime ?? 0,
  });
}

function taskRun(s: SettledState, t: TaskModel, strategy: ReturnStrategy, requestId: string): JsonMap {
  return compact({
    ...common(s, strategy, requestId),
    workflowId: t.workflowInstanceId,
    correlationId: t.correlationId,
    input: t.inputData,
    output: t.outputData,
    signalTimeout: s.timedOut,
    taskType: t.taskType,
    taskId: t.taskId,
    referenceTaskName: t.referenceTaskName,
    retryCount: t.retryCount,
    taskDefName: t.taskDefName,
    retriedTaskId: t.retriedTaskId,
    workflowType: t.workflowType,
    reasonForIncompletion: t.reasonForIncompletion,
    priority: t.workflowPriority,
    status: t.status,
    createdBy: t.workerId,
    createTime: t.startTime,
    updateTime: t.updateTime,
  });
}

/** 200 with the JSON body, or 200 with an empty body when there is none. */
export function sendSignalResponse(res: Response, body: JsonMap | undefined): void {
  if (body === undefined) res.status(200).end();
  else res.json(body);
}

/** Conductor omits nulls. */
function compact(o: JsonMap): JsonMap {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

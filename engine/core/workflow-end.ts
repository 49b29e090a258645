/**
 * Ending a workflow (Conductor §3.12–3.13): status, output, failed task names, cancelling what
 * is still running, and the failure workflow request.
 */
import type { JsonMap, TaskModel, WorkflowModel } from './model';
import type { Outcome } from './outcome';
import { isTerminalTask, type WorkflowStatus } from './status';
import { resolveParameters } from './parameters';
import { workflowToJson } from './serialize';
import type { SystemDeps } from './system-tasks/system-task';
import { SYSTEM_TASKS } from './system-tasks';

export type EndDeps = Pick<SystemDeps, 'now' | 'env'> & Partial<SystemDeps>;

export interface EndOptions {
  /** The task whose failure ended the workflow (its output becomes the workflow output). */
  failedTaskId?: string;
  /** True for endings the engine produced (task failure, timeout, TERMINATE): they start the failure workflow. */
  startFailureWorkflow?: boolean;
}

/** Cancel every non-terminal task and drop its queue entry. */
export function cancelNonTerminalTasks(wf: WorkflowModel, deps: EndDeps, out: Outcome): void {
  for (const t of wf.tasks) {
    if (isTerminalTask(t.status)) continue;
    t.status = 'CANCELED';
    t.updateTime = deps.now;
    out.removes.push(t.taskId);
    SYSTEM_TASKS[t.taskType]?.cancel?.(t, { wf, deps: deps as SystemDeps, out });
    out.events.push({ type: 'task:ended', data: { workflowId: wf.workflowId, taskId: t.taskId, taskType: t.taskType, status: t.status, durationMs: 0 } });
  }
}

/** Workflow output at the end: TERMINATE output, else outputParameters, else the deciding task's output. */
export function computeOutput(wf: WorkflowModel, deps: EndDeps, decidingTask?: TaskModel): JsonMap {
  if (wf.tasks.length === 0) return wf.output ?? {};
  const term = wf.tasks.find((t) => t.taskType === 'TERMINATE' && t.status === 'COMPLETED');
  if (term) return term.outputData ?? {};
  const params = wf.workflowDefinition.outputParameters;
  if (params && Object.keys(params).length > 0) return resolveParameters(params, wf, { env: deps.env });
  const t = decidingTask ?? wf.tasks[wf.tasks.length - 1];
  return t?.outputData ?? {};
}

export function endWorkflow(wf: WorkflowModel, status: WorkflowStatus, reason: string | undefined, deps: EndDeps, out: Outcome, opts: EndOptions = {}): void {
  wf.status = status;
  wf.endTime = deps.now;
  wf.updateTime = deps.now;
  if (reason !== undefined) wf.reasonForIncompletion = reason;
  if (opts.failedTaskId) wf.failedTaskId = opts.failedTaskId;
  const terminated = wf.tasks.some((t) => t.taskType === 'TERMINATE' && t.status === 'COMPLETED');
  if (status !== 'COMPLETED' || terminated) cancelNonTerminalTasks(wf, deps, out);
  const deciding = opts.failedTaskId ? wf.tasks.find((t) => t.taskId === opts.failedTaskId) : undefined;
  wf.output = computeOutput(wf, deps, deciding);
  const failed = wf.tasks.filter((t) => t.status === 'FAILED' || t.status === 'FAILED_WITH_TERMINAL_ERROR');
  wf.failedReferenceTaskNames = unique(failed.map((t) => t.referenceTaskName));
  wf.failedTaskNames = unique(failed.map((t) => t.taskDefName));
  out.events.push({
    type: 'workflow:ended',
    data: { workflowId: wf.workflowId, name: wf.workflowName, status, durationMs: deps.now - wf.createTime, reason: wf.reasonForIncompletion },
  });
  if (opts.startFailureWorkflow && status !== 'COMPLETED') requestFailureWorkflow(wf, out);
}

function requestFailureWorkflow(wf: WorkflowModel, out: Outcome): void {
  let name = wf.workflowDefinition.failureWorkflow;
  if (typeof name !== 'string' || name.trim() === '') return;
  const m = /^\$workflow\.input\.(.+)$/.exec(name);
  if (m) {
    const v = wf.input?.[m[1]];
    if (typeof v !== 'string' || v === '') return;
    name = v;
  }
  const version = wf.workflowDefinition.failureWorkflowVersion;
  out.failureWorkflow = {
    name,
    version: typeof version === 'number' ? version : undefined,
    input: {
      ...wf.input,
      workflowId: wf.workflowId,
      reason: wf.reasonForIncompletion ?? null,
      failureStatus: wf.status,
      ...(wf.failedTaskId ? { failureTaskId: wf.failedTaskId } : {}),
      failedWorkflow: workflowToJson(wf, true),
    },
    correlationId: wf.correlationId,
    taskToDomain: wf.taskToDomain ?? {},
  };
}

const unique = (xs: string[]): string[] => [...new Set(xs)];

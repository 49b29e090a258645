/**
 * Workflow operations as pure state transitions (Conductor §3.2, §3.15): start, pause, resume,
 * terminate, restart, retry, rerun, skip, reset callbacks. Each mutates the execution and fills
 * an Outcome; the runtime then runs the decider and persists everything in one transaction.
 */
import type { JsonMap, TaskDef, TaskModel, WorkflowDef, WorkflowModel, WorkflowTask } from './model';
import { newOutcome, type Outcome } from './outcome';
import { isSuccessfulTask, isTerminalTask, isTerminalWorkflow } from './status';
import { ConflictError, IllegalStateError, NotFoundError, BadRequestError } from './errors';
import { adHocTaskDef, isWorkerTaskType, taskTypeOf, withTaskDefDefaults, withWorkflowDefDefaults } from './defaults';
import { queueNameOf, retryAttempt, type FactoryDeps } from './task-factory';
import { findNode } from './next-task';
import { endWorkflow } from './workflow-end';
import { queuePushFor } from './queueing';

export interface StartInput {
  input: JsonMap;
  correlationId?: string;
  priority?: number;
  taskToDomain?: Record<string, string>;
  idempotencyKey?: string;
  createdBy?: string;
  parentWorkflowId?: string;
  parentWorkflowTaskId?: string;
}

/**
 * Embed every node's task definition (registered, else ad hoc) into a copy of the definition,
 * so the execution keeps the definitions it started with.
 */
export function embedTaskDefs(def: WorkflowDef, lookup: (name: string) => TaskDef | undefined): WorkflowDef {
  const full = withWorkflowDefDefaults(structuredClone(def));
  const fill = (list: WorkflowTask[] | undefined) => {
    for (const t of list ?? []) {
      if (!t.taskDefinition) {
        const registered = lookup(t.name);
        t.taskDefinition = registered ? withTaskDefDefaults(registered) : adHocTaskDef(t.name, taskTypeOf(t));
      }
      for (const c of Object.values(t.decisionCases ?? {})) fill(c);
      fill(t.defaultCase);
      for (const b of t.forkTasks ?? []) fill(b);
      fill(t.loopOver);
    }
  };
  fill(full.tasks);
  return full;
}

/** A new RUNNING execution (before its first decide). */
export function newWorkflow(def: WorkflowDef, req: StartInput, id: string, now: number): WorkflowModel {
  const input: JsonMap = { ...(req.input ?? {}) };
  for (const [k, v] of Object.entries(def.inputTemplate ?? {})) if (!(k in input)) input[k] = structuredClone(v);
  return {
    workflowId: id,
    workflowName: def.name,
    workflowVersion: def.version ?? 1,
    status: 'RUNNING',
    input,
    output: {},
    variables: structuredClone(def.variables ?? {}),
    correlationId: req.correlationId,
    priority: req.priority ?? 0,
    taskToDomain: req.taskToDomain ?? {},
    createTime: now,
    updateTime: now,
    endTime: 0,
    lastRetriedTime: 0,
    failedReferenceTaskNames: [],
    failedTaskNames: [],
    parentWorkflowId: req.parentWorkflowId,
    parentWorkflowTaskId: req.parentWorkflowTaskId,
    idempotencyKey: req.idempotencyKey,
    createdBy: req.createdBy,
    workflowDefinition: def,
    tasks: [],
  };
}

const label = (wf: WorkflowModel) => `${wf.workflowName}.${wf.workflowVersion}/${wf.workflowId}`;

export function pause(wf: WorkflowModel, now: number): void {
  if (isTerminalWorkflow(wf.status)) throw new ConflictError(`Workflow ${label(wf)} has ended, status cannot be updated.`);
  if (wf.status === 'PAUSED') return;
  wf.status = 'PAUSED';
  wf.updateTime = now;
}

export function resume(wf: WorkflowModel, now: number): void {
  if (wf.status !== 'PAUSED') {
    throw new IllegalStateError(`The workflow ${wf.workflowId} is not PAUSED so cannot resume. Current status is ${wf.status}`);
  }
  wf.status = 'RUNNING';
  wf.lastRetriedTime = now;
  wf.updateTime = now;
}

/** Terminate through the API: no failure workflow. Returns false when there was nothing to do. */
export function terminate(wf: WorkflowModel, reason: string | undefined, deps: FactoryDeps, out: Outcome): boolean {
  if (wf.status === 'COMPLETED') throw new ConflictError('Cannot terminate a COMPLETED workflow.');
  if (wf.status === 'TERMINATED') return false;
  endWorkflow(wf, 'TERMINATED', reason, deps, out);
  return true;
}

function resetForRerun(wf: WorkflowModel, now: number): void {
  wf.status = 'RUNNING';
  wf.endTime = 0;
  wf.updateTime = now;
  wf.output = {};
  wf.reasonForIncompletion = undefined;
  wf.failedTaskId = undefined;
  wf.failedReferenceTaskNames = [];
  wf.failedTaskNames = [];
}

export function restart(wf: WorkflowModel, latestDef: WorkflowDef | undefined, now: number): void {
  if (!isTerminalWorkflow(wf.status)) throw new ConflictError(`Workflow ${wf.workflowId} is not in a terminal state. Current status is ${wf.status}; cannot restart.`);
  if (wf.status === 'COMPLETED' && wf.workflowDefinition.restartable === false) {
    throw new NotFoundError(`Workflow: ${wf.workflowId} is non-restartable`);
  }
  if (latestDef) {
    wf.workflowDefinition = latestDef;
    wf.workflowVersion = latestDef.version ?? 1;
  }
  wf.tasks = [];
  wf.createTime = now;
  wf.lastRetriedTime = 0;
  wf.variables = structuredClone(wf.workflowDefinition.variables ?? {});
  resetForRerun(wf, now);
}

const RETRIED_IN_PLACE = new Set(['DO_WHILE', 'FORK', 'JOIN', 'EXCLUSIVE_JOIN']);

/** Retry from the last failed tasks: each gets a new attempt (loops, forks and joins resume in place). */
export function retry(wf: WorkflowModel, deps: FactoryDeps, out: Outcome): TaskModel[] {
  if (!isTerminalWorkflow(wf.status)) throw new NotFoundError(`Workflow is still running.  status=${wf.status}`);
  if (wf.tasks.length === 0) throw new ConflictError('Workflow has not started yet');
  const latest = new Map<string, TaskModel>();
  for (const t of [...wf.tasks].sort((a, b) => a.seq - b.seq)) if (!t.retried) latest.set(t.referenceTaskName, t);
  const retriable = [...latest.values()].filter((t) => ['FAILED', 'FAILED_WITH_TERMINAL_ERROR', 'TIMED_OUT', 'CANCELED'].includes(t.status));
  if (retriable.length === 0 && wf.status !== 'TIMED_OUT') {
    throw new ConflictError('There are no retryable tasks! Use restart if you want to attempt entire workflow execution again.');
  }
  const attempts: TaskModel[] = [];
  for (const t of retriable) {
    if (RETRIED_IN_PLACE.has(t.taskType)) {
      // Loops, forks and joins resume in place: same task id, re-evaluated by the decider.
      t.status = 'IN_PROGRESS';
      t.retryCount += 1;
      t.executed = false;
      t.endTime = 0;
      t.reasonForIncompletion = undefined;
      t.updateTime = deps.now;
      continue;
    }
    t.retried = true;
    t.updateTime = deps.now;
    const attempt = retryAttempt(wf, t, 0, deps);
    // the retry API starts the attempt clean, unlike an automatic retry, which keeps the reason (as Conductor)
    attempt.reasonForIncompletion = undefined;
    attempts.push(attempt);
  }
  const failedRefs = wf.failedReferenceTaskNames;
  const failedNames = wf.failedTaskNames;
  resetForRerun(wf, deps.now);
  wf.failedReferenceTaskNames = failedRefs;
  wf.failedTaskNames = failedNames;
  wf.lastRetriedTime = deps.now;
  appendScheduled(wf, attempts, deps, out);
  return attempts;
}

/**
 * A child of this workflow was retried, restarted or rerun (WorkflowExecutorOps
 * .updateAndPushParents): its SUB_WORKFLOW task goes back to IN_PROGRESS, the workflow back to
 * RUNNING, and JOINs that ended unsuccessfully wait again. False when the task is optional or a
 * superseded attempt (then the parent is left as it is).
 */
export function reviveForChild(wf: WorkflowModel, parentTaskId: string, now: number): boolean {
  const task = wf.tasks.find((t) => t.taskId === parentTaskId);
  if (!task || task.workflowTask.optional || task.retried) return false;
  task.status = 'IN_PROGRESS';
  task.reasonForIncompletion = undefined;
  task.executed = false;
  task.endTime = 0;
  task.updateTime = now;
  for (const t of wf.tasks) {
    if ((t.taskType === 'JOIN' || t.taskType === 'EXCLUSIVE_JOIN') && isTerminalTask(t.status) && !isSuccessfulTask(t.status)) {
      t.status = 'IN_PROGRESS';
      t.executed = false;
      t.endTime = 0;
      t.reasonForIncompletion = undefined;
      t.updateTime = now;
    }
  }
  if (isTerminalWorkflow(wf.status)) {
    resetForRerun(wf, now);
    wf.lastRetriedTime = now;
  }
  return true;
}

export interface RerunRequest {
  reRunFromTaskId?: string;
  workflowInput?: JsonMap;
  taskInput?: JsonMap;
  correlationId?: string;
}

export function rerun(wf: WorkflowModel, req: RerunRequest, deps: FactoryDeps, out: Outcome): void {
  if (!isTerminalWorkflow(wf.status)) throw new ConflictError(`Workflow ${wf.workflowId} is not in a terminal state, cannot rerun`);
  if (req.workflowInput) wf.input = req.workflowInput;
  if (req.correlationId) wf.correlationId = req.correlationId;
  if (!req.reRunFromTaskId) {
    wf.tasks = [];
    resetForRerun(wf, deps.now);
    return;
  }
  const from = wf.tasks.find((t) => t.taskId === req.reRunFromTaskId);
  if (!from) throw new BadRequestError(`Task ${req.reRunFromTaskId} not found`);
  wf.tasks = wf.tasks.filter((t) => t.seq <= from.seq);
  from.status = 'SCHEDULED';
  from.outputData = {};
  if (req.taskInput) from.inputData = req.taskInput;
  from.retried = false;
  from.executed = false;
  from.reasonForIncompletion = undefined;
  from.pollCount = 0;
  from.startTime = 0;
  from.endTime = 0;
  from.workerId = undefined;
  from.callbackAfterSeconds = 0;
  from.scheduledTime = deps.now;
  from.updateTime = deps.now;
  resetForRerun(wf, deps.now);
  from.subWorkflowId = undefined;
  const push = queuePushFor(from, wf, deps.now);
  if (push) out.pushes.push(push);
}

export interface SkipRequest {
  taskInput?: JsonMap;
  taskOutput?: JsonMap;
}

export function skipTask(wf: WorkflowModel, ref: string, req: SkipRequest, deps: FactoryDeps): void {
  if (wf.status !== 'RUNNING') {
    throw new IllegalStateError(`The workflow ${wf.workflowId} is not running so the task referenced by ${ref} cannot be skipped`);
  }
  const node = findNode(wf.workflowDefinition.tasks, ref);
  if (!node || node.taskReferenceName !== ref) {
    throw new IllegalStateError(`The task referenced by ${ref} does not exist in the WorkflowDefinition ${wf.workflowName}`);
  }
  if (wf.tasks.some((t) => t.referenceTaskName === ref)) {
    throw new IllegalStateError(`The task referenced by ${ref} has already been processed, cannot be skipped`);
  }
  wf.tasks.push({
    taskId: deps.newId(),
    taskType: node.name,
    taskDefName: node.name,
    referenceTaskName: ref,
    workflowInstanceId: wf.workflowId,
    workflowType: wf.workflowName,
    correlationId: wf.correlationId,
    status: 'SKIPPED',
    inputData: req.taskInput ?? {},
    outputData: req.taskOutput ?? {},
    seq: 0,
    retryCount: 0,
    pollCount: 0,
    scheduledTime: deps.now,
    startTime: 0,
    endTime: 0,
    updateTime: deps.now,
    firstScheduledTime: deps.now,
    startDelayInSeconds: 0,
    callbackAfterSeconds: 0,
    responseTimeoutSeconds: 0,
    retried: false,
    executed: false,
    workflowPriority: wf.priority,
    iteration: 0,
    rateLimitPerFrequency: 0,
    rateLimitFrequencyInSeconds: 1,
    workflowTask: node,
  });
  wf.updateTime = deps.now;
}

/** Make SCHEDULED worker tasks waiting on a callback delay pollable now. */
export function resetCallbacks(wf: WorkflowModel, now: number, out: Outcome): void {
  if (isTerminalWorkflow(wf.status)) throw new ConflictError(`Workflow ${wf.workflowId} is in terminal state ${wf.status}; cannot reset callbacks`);
  for (const t of wf.tasks) {
    if (t.status !== 'SCHEDULED' || t.callbackAfterSeconds <= 0 || !isWorkerTaskType(taskTypeOf(t.workflowTask))) continue;
    t.callbackAfterSeconds = 0;
    t.updateTime = now;
    out.pushes.push({ taskId: t.taskId, queueName: queueNameOf(t), dueAt: now, priority: wf.priority });
  }
}

/** Append new attempts with fresh seq numbers and queue them. */
function appendScheduled(wf: WorkflowModel, tasks: TaskModel[], deps: FactoryDeps, out: Outcome): void {
  let seq = wf.tasks.reduce((m, t) => Math.max(m, t.seq), 0);
  for (const t of tasks) {
    t.seq = ++seq;
    wf.tasks.push(t);
    const push = queuePushFor(t, wf, deps.now + t.callbackAfterSeconds * 1000);
    if (push) out.pushes.push(push);
  }
}

export { newOutcome };

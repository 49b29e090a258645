/**
 * The decider (Conductor's DeciderService + the decide loop of WorkflowExecutorOps), pure:
 * given a workflow execution and the time, it advances the execution in place and returns the
 * Outcome the runtime applies in the same transaction. No I/O, no clock, no randomness except
 * through `deps`.
 */
import type { TaskModel, WorkflowModel, WorkflowTask } from './model';
import { newOutcome, TerminateWorkflow, type Outcome } from './outcome';
import { isSuccessfulTask, isTerminalTask, isTerminalWorkflow, isSuccessfulWorkflow, type WorkflowStatus } from './status';
import { isWorkerTaskType, taskTypeOf } from './defaults';
import { newWorkerTask, retryAttempt, taskDefOf } from './task-factory';
import { allowedRetries, canRetry, retryDelaySeconds, retryJitterMs } from './retry';
import { applyTaskTimeouts, checkWorkflowTimeout, nextCheckAt } from './timeouts';
import { nextTaskNode } from './next-task';
import { queuePushFor } from './queueing';
import { cancelNonTerminalTasks, endWorkflow } from './workflow-end';
import { SYSTEM_TASKS, type SystemDeps, type SystemTaskContext } from './system-tasks';

export type DecideDeps = SystemDeps;

/** Bound on decide passes per call; long synchronous chains continue on the next decide. */
const MAX_PASSES = 10_000;

export function decide(wf: WorkflowModel, deps: DecideDeps, out: Outcome = newOutcome()): Outcome {
  if (isTerminalWorkflow(wf.status)) {
    if (!isSuccessfulWorkflow(wf.status)) cancelNonTerminalTasks(wf, deps, out);
    out.nextCheckAt = null;
    return out;
  }
  try {
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      if (!decideOnce(wf, deps, out) || isTerminalWorkflow(wf.status)) break;
    }
  } catch (e) {
    if (!(e instanceof TerminateWorkflow)) throw e;
    endWorkflow(wf, e.status, e.reason, deps, out, { failedTaskId: e.taskId, startFailureWorkflow: true });
  }
  out.nextCheckAt = nextCheckAt(wf);
  return out;
}

/** One evaluation; true when anything changed (then the caller evaluates again). */
function decideOnce(wf: WorkflowModel, deps: DecideDeps, out: Outcome): boolean {
  const now = deps.now;
  checkWorkflowTimeout(wf, now);
  if (wf.status === 'PAUSED') return false;

  let changed = false;
  const candidates = new Map<string, TaskModel>();
  /** Instances system tasks add while executing (a DO_WHILE's next iteration). */
  const added: TaskModel[] = [];
  const ctx: SystemTaskContext = {
    wf,
    deps,
    out,
    createTasks: (node, iteration) => createTasks(wf, node, ctx, iteration),
    scheduleTasks: (tasks) => {
      added.push(...tasks);
    },
  };

  const unprocessed = wf.tasks.filter((t) => t.status !== 'SKIPPED' && !t.executed);
  if (unprocessed.length === 0 && !wf.tasks.some((t) => t.status !== 'SKIPPED')) {
    const first = skipSkipped(wf, wf.workflowDefinition.tasks[0] ?? null);
    if (!first) {
      endWorkflow(wf, 'COMPLETED', 'No tasks found to be executed', deps, out);
      return false;
    }
    for (const t of createTasks(wf, first, ctx, 0)) candidates.set(t.referenceTaskName, t);
  }

  const executedRefs = new Set(wf.tasks.filter((t) => t.executed).map((t) => t.referenceTaskName));
  const pending = wf.tasks.filter((t) => !t.retried && t.status !== 'SKIPPED' && !t.executed);
  for (const task of pending) {
    if (!isTerminalTask(task.status) && applyTaskTimeouts(wf, task, now, out)) changed = true;
    if (isTerminalTask(task.status) && !isSuccessfulTask(task.status)) {
      const attempt = retryOrAbsorb(wf, task, deps);
      if (attempt) {
        candidates.set(attempt.referenceTaskName, attempt);
        executedRefs.delete(attempt.referenceTaskName);
        task.retried = true;
        task.updateTime = now;
        changed = true;
      }
    }
    if (!task.executed && !task.retried && isTerminalTask(task.status)) {
      task.executed = true;
      changed = true;
      for (const next of nextTasks(wf, task, ctx)) {
        if (!candidates.has(next.referenceTaskName)) candidates.set(next.referenceTaskName, next);
      }
    }
  }

  const existing = new Set(wf.tasks.map((t) => `${t.referenceTaskName}#${t.retryCount}`));
  const toSchedule = [...candidates.values()].filter(
    (t) => !executedRefs.has(t.referenceTaskName) && !existing.has(`${t.referenceTaskName}#${t.retryCount}`),
  );

  const terminated = wf.tasks.find((t) => t.taskType === 'TERMINATE' && t.status === 'COMPLETED');
  if (terminated || (toSchedule.length === 0 && isComplete(wf))) {
    finish(wf, deps, out);
    return false;
  }
  if (toSchedule.length > 0) {
    schedule(wf, toSchedule, ctx);
    changed = true;
  }
  // As in WorkflowExecutor.decide: sync system tasks run after this round's tasks are scheduled,
  // so a DO_WHILE or JOIN sees the retry attempts and successors created above.
  for (const task of wf.tasks) {
    if (task.retried || task.executed || isTerminalTask(task.status)) continue;
    const sys = SYSTEM_TASKS[task.taskType];
    if (sys?.execute && sys.execute(task, ctx)) changed = true;
  }
  if (added.length > 0) {
    const have = new Set(wf.tasks.map((t) => `${t.referenceTaskName}#${t.retryCount}`));
    schedule(wf, added.filter((t) => !have.has(`${t.referenceTaskName}#${t.retryCount}`)), ctx);
    changed = true;
  }
  return changed;
}

/** Retry a failed attempt, absorb it (optional / permissive), or end the workflow. */
function retryOrAbsorb(wf: WorkflowModel, task: TaskModel, deps: DecideDeps): TaskModel | null {
  const def = taskDefOf(task.workflowTask);
  if (canRetry(task, def, deps.now)) {
    const delay = retryDelaySeconds(def, task.retryCount);
    const attempt = retryAttempt(wf, task, delay, deps);
    (attempt as TaskModel & { jitterMs?: number }).jitterMs = retryJitterMs(def, deps.random);
    return attempt;
  }
  const node = task.workflowTask;
  if (node.optional || node.permissive) {
    if (node.optional) task.status = 'COMPLETED_WITH_ERRORS';
    return null;
  }
  const status: WorkflowStatus = task.status === 'CANCELED' ? 'TERMINATED' : task.status === 'TIMED_OUT' ? 'TIMED_OUT' : 'FAILED';
  throw new TerminateWorkflow(
    `Task ${task.taskId} failed with status: ${status} and reason: '${task.reasonForIncompletion ?? ''}'`,
    status,
    task.taskId,
  );
}

/**
 * The instance(s) that follow a finished task (DeciderService.getNextTask), skipping nodes the
 * skip API marked SKIPPED. A SWITCH that scheduled a branch has none (its branch continues);
 * the DO_WHILE returned for a loop body's last task already exists and decides by itself;
 * inside a loop the successors carry the iteration and are dropped if already there.
 */
function nextTasks(wf: WorkflowModel, task: TaskModel, ctx: SystemTaskContext): TaskModel[] {
  if ((task.taskType === 'SWITCH' || task.taskType === 'DECISION') && task.inputData.hasChildren !== undefined) return [];
  const node = skipSkipped(wf, nextTaskNode(wf.workflowDefinition.tasks, task.referenceTaskName));
  if (!node) return [];
  if (taskTypeOf(node) === 'DO_WHILE' && wf.tasks.some((t) => t.referenceTaskName === node.taskReferenceName)) return [];
  // A DO_WHILE's own iteration counts its loop; what follows the loop is outside it.
  const iteration = task.taskType === 'DO_WHILE' ? 0 : task.iteration;
  const next = createTasks(wf, node, ctx, iteration);
  if (iteration <= 0) return next;
  const present = new Set(wf.tasks.filter((t) => t.status === 'IN_PROGRESS' || isTerminalTask(t.status)).map((t) => t.referenceTaskName));
  return next.filter((t) => !present.has(t.referenceTaskName));
}

function skipSkipped(wf: WorkflowModel, node: WorkflowTask | null): WorkflowTask | null {
  let n = node;
  const skipped = new Set(wf.tasks.filter((t) => t.status === 'SKIPPED').map((t) => t.referenceTaskName));
  while (n && skipped.has(n.taskReferenceName)) n = nextTaskNode(wf.workflowDefinition.tasks, n.taskReferenceName);
  return n;
}

/** Task instances for a definition node (worker tasks here; system types via their file). */
export function createTasks(wf: WorkflowModel, node: WorkflowTask, ctx: SystemTaskContext, iteration: number): TaskModel[] {
  const refName = iteration > 0 ? `${node.taskReferenceName}__${iteration}` : node.taskReferenceName;
  const type = taskTypeOf(node);
  if (isWorkerTaskType(type)) return [newWorkerTask(wf, node, ctx.deps, { refName, iteration })];
  const sys = SYSTEM_TASKS[type];
  if (!sys) throw new TerminateWorkflow(`Task type ${type} (task ${node.taskReferenceName}) is not supported by this Baton engine yet`, 'FAILED');
  return sys.schedule(node, ctx, { refName, iteration });
}

/** Assign seq numbers, persist as new rows (by appending), queue worker and async system tasks. */
function schedule(wf: WorkflowModel, tasks: TaskModel[], ctx: SystemTaskContext): void {
  let seq = wf.tasks.reduce((m, t) => Math.max(m, t.seq), 0);
  for (const t of tasks) {
    t.seq = ++seq;
    wf.tasks.push(t);
    ctx.out.events.push({ type: 'task:scheduled', data: { workflowId: wf.workflowId, taskId: t.taskId, taskType: t.taskType, ref: t.referenceTaskName } });
    const jitter = (t as TaskModel & { jitterMs?: number }).jitterMs ?? 0;
    delete (t as TaskModel & { jitterMs?: number }).jitterMs;
    const push = queuePushFor(t, wf, ctx.deps.now + t.callbackAfterSeconds * 1000 + jitter);
    if (push) ctx.out.pushes.push(push);
  }
}

/**
 * Complete when every task is terminal, every top-level node has an instance, and no finished
 * task has a successor that was never scheduled.
 */
function isComplete(wf: WorkflowModel): boolean {
  if (wf.tasks.length === 0) return false;
  const refs = new Set<string>();
  for (const t of wf.tasks) {
    if (!isTerminalTask(t.status)) return false;
    refs.add(t.referenceTaskName);
  }
  for (const node of wf.workflowDefinition.tasks) if (!refs.has(node.taskReferenceName)) return false;
  for (const t of wf.tasks) {
    if (!t.executed || t.retried) continue;
    const next = skipSkipped(wf, nextTaskNode(wf.workflowDefinition.tasks, t.referenceTaskName));
    if (!next) continue;
    const it = t.iteration;
    const ref = it > 0 && next.taskReferenceName !== t.referenceTaskName ? `${next.taskReferenceName}__${it}` : next.taskReferenceName;
    if (!refs.has(ref) && !refs.has(next.taskReferenceName)) return false;
  }
  return true;
}

/** End a complete workflow: COMPLETED, unless a permissive task's latest attempt failed. */
function finish(wf: WorkflowModel, deps: DecideDeps, out: Outcome): void {
  const latest = new Map<string, TaskModel>();
  for (const t of wf.tasks) if (!t.retried) latest.set(t.referenceTaskName, t);
  const failures = [...latest.values()].filter((t) => t.workflowTask.permissive && !t.workflowTask.optional && isTerminalTask(t.status) && !isSuccessfulTask(t.status));
  if (failures.length > 0) {
    const reason = failures.map((t) => `Task ${t.taskId} failed with status: ${t.status} and reason: '${t.reasonForIncompletion ?? ''}'`).join('. ');
    endWorkflow(wf, 'FAILED', reason, deps, out, { failedTaskId: failures[0].taskId, startFailureWorkflow: true });
    return;
  }
  const term = wf.tasks.find((t) => t.taskType === 'TERMINATE' && t.status === 'COMPLETED');
  if (!term) {
    endWorkflow(wf, 'COMPLETED', undefined, deps, out);
    return;
  }
  // WorkflowExecutor.endExecution with a TERMINATE task: its status and reason end the workflow.
  const status = String(term.inputData.terminationStatus ?? 'COMPLETED') as WorkflowStatus;
  const given = term.inputData.terminationReason;
  const reason = typeof given === 'string' && given.trim() !== '' ? given : `Workflow is ${status} by TERMINATE task: ${term.taskId}`;
  if (status === 'COMPLETED') endWorkflow(wf, 'COMPLETED', reason, deps, out);
  else endWorkflow(wf, status, reason, deps, out, { failedTaskId: term.taskId, startFailureWorkflow: true });
}

export { allowedRetries };

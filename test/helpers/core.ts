/**
 * Pure-core test harness: a workflow execution driven by decide() with a time value the test
 * controls. No Engine, no store, no timers.
 */
import type { TaskDef, TaskModel, WorkflowDef, WorkflowModel, WorkflowTask, JsonMap } from '../../engine/core/model';
import { decide, type DecideDeps } from '../../engine/core/decider';
import { embedTaskDefs, newWorkflow } from '../../engine/core/operations';
import { applyTaskResult, markPolled, type TaskResult, type UpdateEffect } from '../../engine/core/task-update';
import { newOutcome, type Outcome } from '../../engine/core/outcome';
import { sequentialIds } from '../../engine/ports/ids';

export const T0 = 1_700_000_000_000;

/** A SIMPLE worker node. */
export function simple(ref: string, over: Partial<WorkflowTask> = {}): WorkflowTask {
  return { name: ref, taskReferenceName: ref, type: 'SIMPLE', ...over };
}

export interface CoreHarness {
  wf: WorkflowModel;
  now: number;
  ids: { newId(): string };
  deps(): DecideDeps;
  decide(): Outcome;
  advance(ms: number): void;
  /** Latest (non-retried) attempt of a ref. */
  latest(ref: string): TaskModel;
  attempts(ref: string): TaskModel[];
  poll(ref: string, workerId?: string): TaskModel;
  update(ref: string, r: Partial<TaskResult>): { effect: UpdateEffect; out: Outcome };
  /** Apply a result to the latest attempt, then decide; returns the decide outcome. */
  report(ref: string, r: Partial<TaskResult>): Outcome;
  complete(ref: string, outputData?: JsonMap): Outcome;
  fail(ref: string, reason: string, status?: TaskResult['status']): Outcome;
}

export function startWorkflow(
  def: WorkflowDef,
  taskDefs: TaskDef[] = [],
  input: JsonMap = {},
  opts: { now?: number; jitter?: () => number; deps?: Partial<DecideDeps> } = {},
): CoreHarness {
  const byName = new Map(taskDefs.map((d) => [d.name, d]));
  const full = embedTaskDefs(def, (n) => byName.get(n));
  const ids = sequentialIds('t');
  const h: CoreHarness = {
    now: opts.now ?? T0,
    ids,
    wf: undefined as unknown as WorkflowModel,
    deps: () => ({ now: h.now, newId: ids.newId, random: opts.jitter ?? (() => 0.5), env: {}, ...(opts.deps ?? {}) }),
    decide: () => decide(h.wf, h.deps()),
    advance: (ms) => {
      h.now += ms;
    },
    attempts: (ref) => h.wf.tasks.filter((t) => t.referenceTaskName === ref),
    latest: (ref) => {
      const list = h.attempts(ref).filter((t) => !t.retried);
      const t = list[list.length - 1];
      if (!t) throw new Error(`no task ${ref} in ${h.wf.tasks.map((x) => x.referenceTaskName).join(',')}`);
      return t;
    },
    poll: (ref, workerId = 'w1') => {
      const t = h.latest(ref);
      markPolled(t, workerId, h.now);
      return t;
    },
    update: (ref, r) => {
      const t = h.latest(ref);
      const out = newOutcome();
      const effect = applyTaskResult(h.wf, t, { workflowInstanceId: h.wf.workflowId, taskId: t.taskId, ...r }, h.now, out);
      return { effect, out };
    },
    report: (ref, r) => {
      const { out } = h.update(ref, r);
      return decide(h.wf, h.deps(), out);
    },
    complete: (ref, outputData = {}) => {
      if (h.latest(ref).status === 'SCHEDULED') h.poll(ref);
      return h.report(ref, { status: 'COMPLETED', outputData });
    },
    fail: (ref, reason, status = 'FAILED') => {
      if (h.latest(ref).status === 'SCHEDULED') h.poll(ref);
      return h.report(ref, { status, reasonForIncompletion: reason });
    },
  };
  h.wf = newWorkflow(full, { input }, 'wf-1', h.now);
  return h;
}

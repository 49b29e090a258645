/**
 * The engine runtime: applies the pure core's decisions. Every operation is one synchronous
 * SQLite transaction (load → core → persist → commit); after the commit it publishes events,
 * wakes long-poll waiters and re-arms the sweeper. Node runs one operation at a time, so no two
 * decisions on a workflow can interleave.
 */
import type { TaskDef, TaskExecLog, TaskModel, WorkflowDef, WorkflowModel } from '../core/model';
import type { Store } from '../ports/store';
import type { Clock } from '../ports/clock';
import type { Ids } from '../ports/ids';
import type { Timers, TimerHandle } from './timers';
import { decide, type DecideDeps } from '../core/decider';
import { newOutcome, type Outcome, type StartRequestEffect } from '../core/outcome';
import { embedTaskDefs, newWorkflow, type StartInput } from '../core/operations';
import { isTerminalTask, isTerminalWorkflow } from '../core/status';
import { ConflictError, NotFoundError } from '../core/errors';
import { markPolled } from '../core/task-update';
import { taskDeadline } from '../core/timeouts';
import { EventBus } from './event-bus';
import { LongPoll } from './long-poll';
import type { JqEngine, ScriptEngine } from '../ports/sandbox';
import type { ChildState } from '../core/system-tasks';
import { isWorkerTaskType } from '../core/defaults';
import { terminate } from '../core/operations';

export interface EngineOptions {
  store: Store;
  clock: Clock;
  ids: Ids;
  timers: Timers;
  /** Environment visible to `${NAME}` expressions (Conductor exposes the server's env). */
  env?: Record<string, string | undefined>;
  random?: () => number;
  bus?: EventBus;
  /** Script and jq sandboxes for INLINE, SWITCH javascript, DO_WHILE, JSON_JQ_TRANSFORM. */
  sandbox?: { scripts: ScriptEngine; jq: JqEngine };
  /** Largest serialized workflow.variables (SET_VARIABLE), bytes. @default 256 KiB */
  maxVariablesBytes?: number;
}

export interface StartWorkflowRequest extends StartInput {
  name: string;
  version?: number;
  workflowDef?: WorkflowDef;
  idempotencyStrategy?: 'FAIL' | 'RETURN_EXISTING' | 'FAIL_ON_RUNNING';
}

interface AfterCommit {
  wake: Set<string>;
  changed: Set<string>;
  outcomes: Outcome[];
  /** Parents of sub-workflows that ended: they are decided after the commit. */
  parents: Set<string>;
}

const emptyAfterCommit = (): AfterCommit => ({ wake: new Set(), changed: new Set(), outcomes: [], parents: new Set() });

const SWEEP_BATCH = 200;
/** A deadline the decider reports as already past is re-checked after this long, never in a hot loop. */
const MIN_RECHECK_MS = 1000;

export class Engine {
  readonly store: Store;
  readonly clock: Clock;
  readonly bus: EventBus;
  readonly longPoll: LongPoll<TaskModel>;
  private readonly ids: Ids;
  private readonly timers: Timers;
  private readonly env: Record<string, string | undefined>;
  private readonly random: () => number;
  private pending: AfterCommit = emptyAfterCommit();
  private txDepth = 0;
  private sandbox?: { scripts: ScriptEngine; jq: JqEngine };
  private readonly maxVariablesBytes: number;
  private readonly queueListeners = new Set<(queueName: string) => void>();
  private readonly eventMessageListeners = new Set<(m: { queue: string; payload: Record<string, unknown> }) => void>();
  private sweepTimer?: { at: number; handle: TimerHandle };
  private readonly lastPoll = new Map<string, number>();
  private readonly changeListeners = new Map<string, Set<() => void>>();
  private stopped = false;

  constructor(opts: EngineOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.ids = opts.ids;
    this.timers = opts.timers;
    this.env = opts.env ?? {};
    this.random = opts.random ?? Math.random;
    this.bus = opts.bus ?? new EventBus();
    this.sandbox = opts.sandbox;
    this.maxVariablesBytes = opts.maxVariablesBytes ?? 256 * 1024;
    this.longPoll = new LongPoll<TaskModel>(this.clock, this.timers, (q) => this.store.nextQueueDue(q, this.clock.now()));
  }

  /** Resume after a restart: re-decide every RUNNING workflow and arm the sweeper. */
  recover(): number {
    const ids = this.store.runningWorkflowIds();
    for (const id of ids) {
      try {
        this.mutate(id, () => undefined);
      } catch {
        // one broken execution must not stop the others from resuming
      }
    }
    this.armSweeper();
    return ids.length;
  }

  stop(): void {
    this.stopped = true;
    this.sweepTimer?.handle.cancel();
    this.sweepTimer = undefined;
    this.longPoll.drain();
  }

  /** Wire the sandboxes in once they have loaded (they load asynchronously). */
  setSandbox(sandbox: { scripts: ScriptEngine; jq: JqEngine }): void {
    this.sandbox = sandbox;
  }

  /** Called with every queue name that received work, after the commit (system-task runner). */
  onQueueWake(fn: (queueName: string) => void): () => void {
    this.queueListeners.add(fn);
    return () => this.queueListeners.delete(fn);
  }

  /** Called with every message an EVENT task published, after the commit (event processor). */
  onEventMessage(fn: (m: { queue: string; payload: Record<string, unknown> }) => void): () => void {
    this.eventMessageListeners.add(fn);
    return () => this.eventMessageListeners.delete(fn);
  }

  newId(): string {
    return this.ids.newId();
  }

  deps(): DecideDeps {
    return {
      now: this.clock.now(),
      newId: () => this.ids.newId(),
      random: this.random,
      env: this.env,
      isQueueActive: (q) => (this.lastPoll.get(q) ?? 0) >= this.clock.now() - 10_000,
      scripts: this.sandbox?.scripts,
      jq: this.sandbox?.jq,
      workflowState: (id) => this.workflowState(id),
      taskDef: (name) => this.store.getTaskDef(name),
      latestWorkflowVersion: (name) => this.store.getWorkflowDef(name)?.version,
      maxVariablesBytes: this.maxVariablesBytes,
    };
  }

  /** A workflow's status and output without loading its tasks. */
  workflowState(id: string): ChildState | undefined {
    const h = this.store.workflowHeader(id);
    if (!h) return undefined;
    return {
      workflowId: h.workflowId,
      workflowName: h.workflowName,
      workflowVersion: h.workflowVersion,
      status: h.status,
      output: h.output ?? {},
      reasonForIncompletion: h.reasonForIncompletion,
    };
  }

  // ---- transactions -------------------------------------------------------------------------

  /** Run `fn` in one transaction; effects are released only after it commits. */
  tx<T>(fn: () => T): T {
    // Nested calls join the outer transaction; effects wait for the outermost commit.
    if (this.txDepth > 0) return fn();
    let result: T;
    this.txDepth++;
    try {
      result = this.store.transaction(fn);
    } catch (e) {
      this.pending = emptyAfterCommit();
      throw e;
    } finally {
      this.txDepth--;
    }
    this.flush();
    return result;
  }

  /** Load a workflow, let `fn` change it, decide, persist: all in one transaction. */
  mutate<T>(workflowId: string, fn: (wf: WorkflowModel, out: Outcome, deps: DecideDeps) => T, opts: { decide?: boolean } = {}): T {
    return this.tx(() => {
      const wf = this.store.loadWorkflow(workflowId);
      if (!wf) throw new NotFoundError(`No such workflow found by id: ${workflowId}`);
      const out = newOutcome();
      const deps = this.deps();
      const r = fn(wf, out, deps);
      if (opts.decide !== false) decide(wf, deps, out);
      else out.nextCheckAt = null;
      this.apply(wf, out, deps, opts.decide !== false);
      return r;
    });
  }

  /** Persist a decided workflow and record its effects for after the commit. */
  private apply(wf: WorkflowModel, out: Outcome, deps: DecideDeps, decided: boolean): void {
    if (out.failureWorkflow) this.startFailureWorkflow(wf, out.failureWorkflow);
    for (const c of out.childTerminations) this.terminateChild(c.workflowId, c.reason);
    if (isTerminalWorkflow(wf.status) && wf.parentWorkflowId) this.pending.parents.add(wf.parentWorkflowId);
    this.store.saveWorkflow(wf);
    if (out.removes.length) this.store.removeQueue(out.removes);
    const byId = new Map(wf.tasks.map((t) => [t.taskId, t]));
    const pushes = out.pushes.filter((p) => byId.get(p.taskId)?.status === 'SCHEDULED');
    if (pushes.length) this.store.pushQueue(pushes);
    for (const p of pushes) this.pending.wake.add(p.queueName);
    if (isTerminalWorkflow(wf.status)) this.store.setSweep(wf.workflowId, null);
    else if (decided) {
      let at = out.nextCheckAt;
      if (at !== null && at <= deps.now) at = deps.now + MIN_RECHECK_MS;
      this.store.setSweep(wf.workflowId, at);
    }
    this.pending.changed.add(wf.workflowId);
    this.pending.outcomes.push(out);
  }

  private flush(): void {
    const p = this.pending;
    this.pending = emptyAfterCommit();
    for (const out of p.outcomes) for (const e of out.events) this.bus.publish(e);
    for (const out of p.outcomes) {
      for (const m of out.eventMessages) {
        for (const l of this.eventMessageListeners) {
          try {
            l(m);
          } catch {
            // a listener's failure must not undo or block the committed operation
          }
        }
      }
    }
    for (const q of p.wake) {
      this.longPoll.wake(q);
      for (const l of this.queueListeners) l(q);
    }
    for (const id of p.changed) for (const l of this.changeListeners.get(id) ?? []) l();
    // A child ended: its parent's SUB_WORKFLOW task reads the child's state in the parent's decide.
    for (const parentId of p.parents) {
      try {
        this.mutate(parentId, () => undefined);
      } catch {
        // the parent is gone or broken; the child's ending stands on its own
      }
    }
    this.armSweeper();
  }

  /** Terminate a sub-workflow whose parent task was cancelled, inside the current transaction. */
  private terminateChild(childId: string, reason: string): void {
    const child = this.store.loadWorkflow(childId);
    if (!child || isTerminalWorkflow(child.status)) return;
    const out = newOutcome();
    const deps = this.deps();
    terminate(child, reason, deps, out);
    this.apply(child, out, deps, false);
  }

  private startFailureWorkflow(failed: WorkflowModel, req: StartRequestEffect): void {
    try {
      const id = this.startInTx({ name: req.name, version: req.version, input: req.input, correlationId: req.correlationId, taskToDomain: req.taskToDomain });
      failed.output = { ...failed.output, 'conductor.failure_workflow': id };
    } catch (e) {
      failed.output = { ...failed.output, 'conductor.failure_workflow': `Error workflow ${req.name} failed to start.  reason: ${(e as Error).message}` };
    }
  }

  // ---- starting ------------------------------------------------------------------------------

  startWorkflow(req: StartWorkflowRequest): string {
    return this.tx(() => this.startInTx(req));
  }

  /** Start a workflow inside the caller's transaction (SUB_WORKFLOW, START_WORKFLOW executors). */
  startInTx(req: StartWorkflowRequest): string {
    const def = req.workflowDef ?? this.store.getWorkflowDef(req.name, req.version);
    if (!def) throw new NotFoundError(`No such workflow defined. name=${req.name}, version=${req.version ?? null}`);
    if (req.idempotencyKey) {
      const prior = this.store.workflowIdByIdempotencyKey(req.idempotencyKey);
      const strategy = req.idempotencyStrategy ?? 'RETURN_EXISTING';
      if (prior) {
        const running = prior.status === 'RUNNING' || prior.status === 'PAUSED';
        if (strategy === 'RETURN_EXISTING') return prior.workflowId;
        if (strategy === 'FAIL' || running) {
          throw new ConflictError(`Workflow with idempotencyKey ${req.idempotencyKey} already exists: ${prior.workflowId}`);
        }
      }
    }
    const full = embedTaskDefs(def, (n) => this.store.getTaskDef(n));
    const deps = this.deps();
    const wf = newWorkflow(full, req, this.ids.newId(), deps.now);
    const out = newOutcome();
    out.events.push({ type: 'workflow:started', data: { workflowId: wf.workflowId, name: wf.workflowName, version: wf.workflowVersion } });
    decide(wf, deps, out);
    this.apply(wf, out, deps, true);
    return wf.workflowId;
  }

  // ---- reading -------------------------------------------------------------------------------

  getWorkflow(id: string): WorkflowModel {
    const wf = this.store.loadWorkflow(id);
    if (!wf) throw new NotFoundError(`No such workflow found by id: ${id}`);
    return wf;
  }

  /** Call `fn` after every commit that changed this workflow; returns an unsubscribe. */
  onWorkflowChange(id: string, fn: () => void): () => void {
    const set = this.changeListeners.get(id) ?? new Set();
    set.add(fn);
    this.changeListeners.set(id, set);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.changeListeners.delete(id);
    };
  }

  /**
   * Resolve when `done(wf)` holds after a commit, or with the latest state after `timeoutMs`
   * (then `timedOut` is true).
   */
  waitFor(id: string, done: (wf: WorkflowModel) => boolean, timeoutMs: number): Promise<{ wf: WorkflowModel; timedOut: boolean }> {
    return new Promise((resolve, reject) => {
      let finished = false;
      let timer: TimerHandle | undefined;
      let off: () => void = () => undefined;
      const finish = (timedOut: boolean) => {
        if (finished) return;
        try {
          const wf = this.getWorkflow(id);
          if (!timedOut && !done(wf)) return;
          finished = true;
          off();
          timer?.cancel();
          resolve({ wf, timedOut });
        } catch (e) {
          finished = true;
          off();
          timer?.cancel();
          reject(e);
        }
      };
      off = this.onWorkflowChange(id, () => finish(false));
      timer = this.timers.after(timeoutMs, () => finish(true));
      finish(false);
    });
  }

  // ---- worker protocol -----------------------------------------------------------------------

  /** Pop up to `count` due tasks of a queue and hand them to `workerId`, synchronously. */
  pollNow(taskType: string, workerId: string | undefined, domain: string | undefined, count: number): TaskModel[] {
    const queueName = domain ? `${domain}:${taskType}` : taskType;
    // System task queues belong to the engine's own executors, never to outside workers.
    if (!isWorkerTaskType(taskType)) return [];
    return this.tx(() => {
      const now = this.clock.now();
      this.lastPoll.set(queueName, now);
      this.store.recordPoll({ queueName: taskType, domain, workerId, lastPollTime: now });
      const handed: TaskModel[] = [];
      const limitedDefs = new Set<string>();
      for (const id of this.store.peekQueue(queueName, now, count + 64)) {
        if (handed.length >= count) break;
        const task = this.store.getTask(id);
        if (!task || isTerminalTask(task.status) || task.status !== 'SCHEDULED') {
          this.store.removeQueue([id]);
          continue;
        }
        if (limitedDefs.has(task.taskDefName) || this.limited(task, now)) {
          limitedDefs.add(task.taskDefName);
          continue;
        }
        this.handOut(task, workerId, now);
        handed.push(task);
      }
      return handed;
    });
  }

  /** Long poll: wait up to `timeoutMs` for work when none is due now. */
  async poll(taskType: string, workerId: string | undefined, domain: string | undefined, count: number, timeoutMs: number): Promise<TaskModel[]> {
    const got = this.pollNow(taskType, workerId, domain, count);
    if (got.length > 0 || timeoutMs <= 0 || this.stopped) return got;
    const queueName = domain ? `${domain}:${taskType}` : taskType;
    return this.longPoll.wait(queueName, timeoutMs, () => this.pollNow(taskType, workerId, domain, count));
  }

  /** concurrentExecLimit and rateLimitPerFrequency of the task's definition. */
  private limited(task: TaskModel, now: number): boolean {
    const def: TaskDef | undefined = task.workflowTask.taskDefinition;
    const conc = Number(def?.concurrentExecLimit ?? 0);
    if (conc > 0 && this.store.countInProgress(task.taskDefName) >= conc) return true;
    const rate = Number(def?.rateLimitPerFrequency ?? 0);
    if (rate > 0) {
      const windowMs = Math.max(1, Number(def?.rateLimitFrequencyInSeconds ?? 1)) * 1000;
      if (this.store.countStartedSince(task.taskDefName, now - windowMs) >= rate) return true;
    }
    return false;
  }

  private handOut(task: TaskModel, workerId: string | undefined, now: number): void {
    markPolled(task, workerId, now);
    this.store.saveTask(task);
    this.store.removeQueue([task.taskId]);
    const deadline = taskDeadline(task);
    if (deadline !== null) {
      const cur = this.store.getSweep(task.workflowInstanceId);
      if (cur === undefined || deadline < cur) this.store.setSweep(task.workflowInstanceId, deadline);
    }
    this.bus.publish({
      type: 'task:polled',
      data: { workflowId: task.workflowInstanceId, taskId: task.taskId, taskType: task.taskType, workerId, queueWaitMs: now - task.scheduledTime },
    });
  }

  appendLogs(taskId: string, logs: Array<{ log?: unknown; createdTime?: unknown }>): void {
    const now = this.clock.now();
    const rows: TaskExecLog[] = logs
      .filter((l) => l && l.log !== undefined && l.log !== null)
      .map((l) => ({ taskId, log: String(l.log), createdTime: typeof l.createdTime === 'number' ? l.createdTime : now }));
    if (rows.length) this.store.appendLogs(rows);
  }

  // ---- sweeper -------------------------------------------------------------------------------

  /** Arm one timer for the earliest sweep due; it re-decides workflows whose deadlines passed. */
  private armSweeper(): void {
    if (this.stopped) return;
    const due = this.store.nextSweepDue();
    if (due === undefined) {
      this.sweepTimer?.handle.cancel();
      this.sweepTimer = undefined;
      return;
    }
    if (this.sweepTimer && this.sweepTimer.at <= due) return;
    this.sweepTimer?.handle.cancel();
    const handle = this.timers.after(due - this.clock.now(), () => {
      this.sweepTimer = undefined;
      this.sweep();
    });
    this.sweepTimer = { at: due, handle };
  }

  /** Re-decide every workflow whose sweep is due. Returns how many were decided. */
  sweep(): number {
    let n = 0;
    for (;;) {
      const ids = this.store.dueSweeps(this.clock.now(), SWEEP_BATCH);
      if (ids.length === 0) break;
      for (const id of ids) {
        try {
          this.mutate(id, () => undefined);
        } catch (e) {
          if (e instanceof NotFoundError) this.store.setSweep(id, null);
          else this.store.setSweep(id, this.clock.now() + MIN_RECHECK_MS);
        }
        n++;
      }
      if (ids.length < SWEEP_BATCH) break;
    }
    this.armSweeper();
    return n;
  }
}

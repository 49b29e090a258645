/**
 * Runs the asynchronous system tasks (Conductor's SystemTaskWorkerCoordinator): HTTP,
 * SUB_WORKFLOW, START_WORKFLOW, EVENT wait in queues named by their type; this runner claims
 * them and hands each to the executor for its type, which does the I/O and then applies the
 * result in one transaction through `Engine.mutate`.
 *
 * Delivery is at-least-once, like Conductor's unacked queue messages: a claimed task's queue
 * entry is not removed but pushed out by a lease; if the process dies mid-call, the entry comes
 * due again after the lease and the task is executed again.
 */
import type { TaskModel, WorkflowModel } from '../core/model';
import type { Outcome } from '../core/outcome';
import type { DecideDeps } from '../core/decider';
import type { Engine } from './engine';
import type { Timers, TimerHandle } from './timers';
import { isTerminalTask } from '../core/status';

export interface AsyncExecutor {
  /** Most tasks of this type in flight at once. */
  readonly concurrency?: number;
  /** How long a claimed task may run before it is delivered again (ms). */
  readonly leaseMs?: number;
  /**
   * Execute one claimed task. Apply the outcome with `engine.mutate(task.workflowInstanceId, …)`;
   * a throw fails the task with the error's message.
   */
  run(task: TaskModel, engine: Engine): Promise<void> | void;
}

/**
 * How an executor applies its result: in one transaction, load the task's workflow and call
 * `fn` with the live task unless it already ended; the claimed queue entry is always dropped
 * (even when the task stays IN_PROGRESS) and a task that `fn` ended is reported as ended.
 */
export function applyToTask(
  engine: Engine,
  task: TaskModel,
  fn: (t: TaskModel, ctx: { wf: WorkflowModel; out: Outcome; deps: DecideDeps }) => void,
): void {
  try {
    engine.mutate(task.workflowInstanceId, (wf, out, deps) => {
      out.removes.push(task.taskId);
      const t = wf.tasks.find((x) => x.taskId === task.taskId);
      if (!t || isTerminalTask(t.status)) return;
      fn(t, { wf, out, deps });
      const reported = out.events.some((e) => e.type === 'task:ended' && (e.data as { taskId?: string }).taskId === t.taskId);
      if (isTerminalTask(t.status) && !reported) {
        out.events.push({
          type: 'task:ended',
          data: { workflowId: wf.workflowId, taskId: t.taskId, taskType: t.taskType, status: t.status, durationMs: t.startTime ? deps.now - t.startTime : 0, reason: t.reasonForIncompletion },
        });
      }
    });
  } catch {
    // the workflow is gone: nothing to apply
  }
}

/** End a task with a status (and a reason, truncated like a worker's). */
export function endTask(t: TaskModel, status: 'COMPLETED' | 'FAILED', now: number, reason?: string): void {
  t.status = status;
  if (reason !== undefined) t.reasonForIncompletion = reason.slice(0, 500);
  if (!t.startTime) t.startTime = now;
  t.endTime = now;
  t.updateTime = now;
}

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const DEFAULT_CONCURRENCY = 32;
const DEFAULT_LEASE_MS = 60_000;

export class SystemTaskRunner {
  private readonly inFlight = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; handle: TimerHandle }>();
  private readonly scheduled = new Set<string>();
  private stopped = false;
  private off: () => void = () => undefined;

  constructor(
    private readonly engine: Engine,
    private readonly executors: Record<string, AsyncExecutor>,
    private readonly timerSource: Timers,
  ) {}

  start(): void {
    this.releaseLeases();
    this.off = this.engine.onQueueWake((q) => {
      if (this.executors[q]) this.kick(q);
    });
    for (const type of Object.keys(this.executors)) this.kick(type);
  }

  /**
   * At start-up nothing is in flight, so a claimed task whose lease is still running was cut
   * off by a crash: make it due now instead of waiting out the lease. (Tasks never claimed,
   * e.g. waiting out a retry delay, keep their due time.)
   */
  private releaseLeases(): void {
    const engine = this.engine;
    engine.tx(() => {
      const now = engine.clock.now();
      for (const type of Object.keys(this.executors)) {
        for (const id of engine.store.queuedTaskIds(type, 100_000)) {
          const t = engine.store.getTask(id);
          if (t && !isTerminalTask(t.status) && t.startTime > 0 && t.taskType === type) {
            engine.store.pushQueue([{ taskId: id, queueName: type, dueAt: now, priority: t.workflowPriority }]);
          }
        }
      }
    });
  }

  stop(): void {
    this.stopped = true;
    this.off();
    for (const t of this.timers.values()) t.handle.cancel();
    this.timers.clear();
  }

  /** Look at a queue soon (coalesced: one pass per tick however many wakes arrive). */
  kick(type: string): void {
    if (this.stopped || this.scheduled.has(type)) return;
    this.scheduled.add(type);
    queueMicrotask(() => {
      this.scheduled.delete(type);
      this.drain(type);
    });
  }

  /** Claim and start as many due tasks of `type` as the concurrency allows. */
  drain(type: string): void {
    if (this.stopped) return;
    const exec = this.executors[type];
    if (!exec) return;
    const free = (exec.concurrency ?? DEFAULT_CONCURRENCY) - (this.inFlight.get(type) ?? 0);
    if (free <= 0) return;
    let claimed: TaskModel[];
    try {
      claimed = this.claim(type, free, exec.leaseMs ?? DEFAULT_LEASE_MS);
    } catch {
      this.armTimer(type, this.engine.clock.now() + 1000);
      return;
    }
    for (const task of claimed) this.runOne(type, exec, task);
    if (claimed.length === free) this.kick(type);
    else this.armNext(type);
  }

  private runOne(type: string, exec: AsyncExecutor, task: TaskModel): void {
    this.inFlight.set(type, (this.inFlight.get(type) ?? 0) + 1);
    const done = () => {
      this.inFlight.set(type, (this.inFlight.get(type) ?? 1) - 1);
      this.kick(type);
    };
    Promise.resolve()
      .then(() => exec.run(task, this.engine))
      .catch((e: unknown) => this.fail(task, e))
      .finally(done);
  }

  /** An executor threw: the task FAILS with the message (retried per its definition). */
  private fail(task: TaskModel, e: unknown): void {
    if (!this.stopped) applyToTask(this.engine, task, (t, { deps }) => endTask(t, 'FAILED', deps.now, errorMessage(e)));
  }

  /** Due tasks of the queue, marked started, their queue entries pushed out by the lease. */
  private claim(type: string, count: number, leaseMs: number): TaskModel[] {
    const engine = this.engine;
    return engine.tx(() => {
      const now = engine.clock.now();
      const out: TaskModel[] = [];
      for (const id of engine.store.peekQueue(type, now, count)) {
        const task = engine.store.getTask(id);
        if (!task || isTerminalTask(task.status)) {
          engine.store.removeQueue([id]);
          continue;
        }
        if (!task.startTime) task.startTime = now;
        task.pollCount += 1;
        task.updateTime = now;
        engine.store.saveTask(task);
        engine.store.pushQueue([{ taskId: id, queueName: type, dueAt: now + leaseMs, priority: task.workflowPriority }]);
        out.push(task);
      }
      return out;
    });
  }

  /** Wake up when the earliest delayed entry of the queue comes due (retry delays, leases). */
  private armNext(type: string): void {
    const due = this.engine.store.nextQueueDue(type, this.engine.clock.now());
    if (due !== undefined) this.armTimer(type, due);
  }

  private armTimer(type: string, at: number): void {
    if (this.stopped) return;
    const cur = this.timers.get(type);
    if (cur && cur.at <= at) return;
    cur?.handle.cancel();
    const handle = this.timerSource.after(Math.max(0, at - this.engine.clock.now()), () => {
      this.timers.delete(type);
      this.drain(type);
    });
    this.timers.set(type, { at, handle });
  }
}

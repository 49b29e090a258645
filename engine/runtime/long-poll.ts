/**
 * Long-poll waiters: a batch poll with `timeout` that found nothing waits here until work
 * arrives in its queue (woken right after the commit that queued it) or the timeout passes.
 *
 * States of a waiter: waiting → resolved (tasks or empty at its deadline). A waiter is resolved
 * exactly once; `tryTake` is the engine's synchronous pop for that waiter.
 */
import type { Timers, TimerHandle } from './timers';
import type { Clock } from '../ports/clock';

interface Waiter<T> {
  queueName: string;
  deadline: number;
  tryTake: () => T[];
  resolve: (v: T[]) => void;
  timer?: TimerHandle;
  done: boolean;
}

export class LongPoll<T> {
  private readonly byQueue = new Map<string, Array<Waiter<T>>>();

  constructor(
    private readonly clock: Clock,
    private readonly timers: Timers,
    /** Earliest due time of a delayed entry in the queue, if any. */
    private readonly nextDue: (queueName: string) => number | undefined,
  ) {}

  wait(queueName: string, timeoutMs: number, tryTake: () => T[]): Promise<T[]> {
    return new Promise((resolve) => {
      const w: Waiter<T> = { queueName, deadline: this.clock.now() + timeoutMs, tryTake, resolve, done: false };
      const list = this.byQueue.get(queueName) ?? [];
      list.push(w);
      this.byQueue.set(queueName, list);
      this.arm(w);
    });
  }

  /** Work may have arrived in `queueName`: serve waiters in arrival order. */
  wake(queueName: string): void {
    const list = this.byQueue.get(queueName);
    if (!list) return;
    for (const w of [...list]) {
      if (w.done) continue;
      const got = w.tryTake();
      if (got.length > 0) this.finish(w, got);
      else this.arm(w);
    }
  }

  /** Resolve every waiter now (shutdown). */
  drain(): void {
    for (const list of this.byQueue.values()) for (const w of [...list]) this.finish(w, []);
  }

  get waiting(): number {
    let n = 0;
    for (const l of this.byQueue.values()) n += l.length;
    return n;
  }

  private arm(w: Waiter<T>): void {
    w.timer?.cancel();
    const now = this.clock.now();
    const due = this.nextDue(w.queueName);
    const at = due !== undefined && due < w.deadline ? due : w.deadline;
    w.timer = this.timers.after(at - now, () => this.fire(w));
  }

  private fire(w: Waiter<T>): void {
    if (w.done) return;
    const got = w.tryTake();
    if (got.length > 0 || this.clock.now() >= w.deadline) this.finish(w, got);
    else this.arm(w);
  }

  private finish(w: Waiter<T>, got: T[]): void {
    if (w.done) return;
    w.done = true;
    w.timer?.cancel();
    const list = (this.byQueue.get(w.queueName) ?? []).filter((x) => x !== w);
    if (list.length) this.byQueue.set(w.queueName, list);
    else this.byQueue.delete(w.queueName);
    w.resolve(got);
  }
}

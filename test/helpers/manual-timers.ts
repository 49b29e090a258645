/** Timers driven by a FakeClock: `advance(ms)` moves time and runs what fell due, in order. */
import type { Timers, TimerHandle } from '../../engine/runtime/timers';
import { FakeClock } from '../../engine/ports/clock';

interface Entry {
  at: number;
  fn: () => void;
  live: boolean;
  n: number;
}

export class ManualTimers implements Timers {
  private entries: Entry[] = [];
  private n = 0;
  constructor(readonly clock: FakeClock) {}

  after(ms: number, fn: () => void): TimerHandle {
    const e: Entry = { at: this.clock.now() + Math.max(0, ms), fn, live: true, n: this.n++ };
    this.entries.push(e);
    return { cancel: () => (e.live = false) };
  }

  /** Advance the clock by `ms`, firing due timers at their own times. */
  advance(ms: number): void {
    const end = this.clock.now() + ms;
    for (;;) {
      const due = this.entries.filter((e) => e.live && e.at <= end).sort((a, b) => a.at - b.at || a.n - b.n)[0];
      if (!due) break;
      due.live = false;
      if (due.at > this.clock.now()) this.clock.set(due.at);
      due.fn();
    }
    this.clock.set(end);
    this.entries = this.entries.filter((e) => e.live);
  }

  get pending(): number {
    return this.entries.filter((e) => e.live).length;
  }
}

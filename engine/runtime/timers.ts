/**
 * The one place in the engine that touches real timers. Everything else asks for a Timers
 * object, so tests can substitute manual timers.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Timers {
  /** Run `fn` once, `ms` from now (clamped at 0). Timers never keep the process alive. */
  after(ms: number, fn: () => void): TimerHandle;
}

const MAX_DELAY = 2_147_000_000;

export const realTimers: Timers = {
  after(ms, fn) {
    const h = setTimeout(fn, Math.min(MAX_DELAY, Math.max(0, ms)));
    h.unref();
    return { cancel: () => clearTimeout(h) };
  },
};

/**
 * Time for the OTA client and the device simulator, injected so tests drive timeouts and
 * confirm deadlines by hand instead of sleeping. The shapes match engine/ports/clock.ts and
 * engine/runtime/timers.ts structurally, but workers must not import the engine (DESIGN.md), so
 * they are declared again here.
 */
export interface Clock {
  now(): number;
}

export interface TimerHandle {
  cancel(): void;
}

export interface Timers {
  /** Run `fn` once, `ms` from now. */
  after(ms: number, fn: () => void): TimerHandle;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Real timers; unref'd so a forgotten timeout never keeps a worker process alive. */
export const realTimers: Timers = {
  after(ms, fn) {
    const h = setTimeout(fn, Math.max(0, Math.min(ms, 2_147_000_000)));
    h.unref();
    return { cancel: () => clearTimeout(h) };
  },
};

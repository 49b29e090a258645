/** A wait with a timeout and an AbortSignal, the building block of every espota stage. */
import { OtaError, OtaErrorCode } from './errors';
import type { Timers } from './timers';

/**
 * Waits with a timeout and the caller's AbortSignal. `setup` registers listeners and returns
 * their cleanup; whichever of done/fail/timeout/abort comes first wins and cleans up.
 */
export class Waiter {
  constructor(
    private readonly timers: Timers,
    private readonly signal?: AbortSignal,
  ) {}

  throwIfAborted(): void {
    if (this.signal?.aborted) throw abortError(this.signal);
  }

  until<T>(
    setup: (done: (v: T) => void, fail: (e: Error) => void) => (() => void) | void,
    ms: number,
    onTimeout: () => T | OtaError,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      let cleanup: (() => void) | void;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        timer.cancel();
        this.signal?.removeEventListener('abort', onAbort);
        if (cleanup) cleanup();
        fn();
      };
      const onAbort = (): void => finish(() => reject(abortError(this.signal!)));
      const timer = this.timers.after(ms, () =>
        finish(() => {
          const v = onTimeout();
          if (v instanceof OtaError) reject(v);
          else resolve(v);
        }),
      );
      if (this.signal?.aborted) return onAbort();
      this.signal?.addEventListener('abort', onAbort, { once: true });
      cleanup = setup(
        (v) => finish(() => resolve(v)),
        (e) => finish(() => reject(e)),
      );
      // setup may have settled synchronously before `cleanup` was assigned.
      if (settled && cleanup) cleanup();
    });
  }
}

function abortError(signal: AbortSignal): OtaError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
  return new OtaError(OtaErrorCode.ABORTED, `aborted: ${reason}`);
}

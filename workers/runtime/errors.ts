/**
 * How a worker says why it failed. A stable SCREAMING_SNAKE code (tests and workflows branch on
 * it, never on the prose) and whether retrying can help: retryable → Conductor FAILED (the task
 * definition's retry policy applies), not retryable → FAILED_WITH_TERMINAL_ERROR.
 */
export class WorkerError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, opts: { retryable?: boolean; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'WorkerError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.details = opts.details;
  }
}

/** Terminal: the input cannot work however often it is retried. */
export const terminal = (code: string, message: string, details?: Record<string, unknown>) => new WorkerError(code, message, { retryable: false, details });

/** Retryable: a transient fault (network, busy device, timeout). */
export const retryable = (code: string, message: string, details?: Record<string, unknown>) => new WorkerError(code, message, { retryable: true, details });

export const invalidInput = (field: string, message: string) => terminal('INVALID_INPUT', `${field}: ${message}`, { field });

/** The error any thrown value becomes: unknown errors are retryable (a bug or a glitch, not the input). */
export function asWorkerError(e: unknown): WorkerError {
  if (e instanceof WorkerError) return e;
  const code = (e as { code?: unknown })?.code;
  const retry = (e as { retryable?: unknown })?.retryable;
  // errors from the protocol libraries carry a code and a retryable flag of their own
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) && typeof retry === 'boolean') {
    return new WorkerError(code, (e as Error).message, { retryable: retry, details: (e as { details?: Record<string, unknown> }).details, cause: e });
  }
  const message = e instanceof Error ? e.message : String(e);
  return new WorkerError('UNEXPECTED_ERROR', message, { retryable: true, cause: e });
}

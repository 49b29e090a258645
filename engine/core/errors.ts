/**
 * Baton's one error vocabulary. Each maps to the HTTP status Conductor OSS answers for the
 * equivalent Java exception (ApplicationExceptionMapper): see docs/errors.md.
 */
export interface FieldViolation {
  path: string;
  message: string;
  invalidValue?: unknown;
}

export class BatonError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly retryable = false,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Conductor NotFoundException → 404. */
export class NotFoundError extends BatonError {
  constructor(message: string) {
    super(message, 404, 'NOT_FOUND');
  }
}

/** Conductor ConflictException → 409. */
export class ConflictError extends BatonError {
  constructor(message: string) {
    super(message, 409, 'CONFLICT');
  }
}

/** Conductor IllegalArgumentException → 400 (no validationErrors). */
export class BadRequestError extends BatonError {
  constructor(message: string) {
    super(message, 400, 'BAD_REQUEST');
  }
}

/** Bean-validation failure → 400 with validationErrors. */
export class ValidationError extends BatonError {
  constructor(readonly violations: FieldViolation[]) {
    super('Validation failed, check below errors for detail.', 400, 'VALIDATION');
  }
}

/** Conductor IllegalStateException → 500 (e.g. resume of a workflow that is not paused). */
export class IllegalStateError extends BatonError {
  constructor(message: string) {
    super(message, 500, 'ILLEGAL_STATE');
  }
}

/** Body too large → 413. */
export class PayloadTooLargeError extends BatonError {
  constructor(message: string) {
    super(message, 413, 'PAYLOAD_TOO_LARGE');
  }
}

/** Conductor TransientException → 500, retryable. */
export class TransientError extends BatonError {
  constructor(message: string) {
    super(message, 500, 'TRANSIENT', true);
  }
}

/** Every code a client can see; docs/errors.md must list each one (a test checks it). */
export const ERROR_CODES = ['NOT_FOUND', 'CONFLICT', 'BAD_REQUEST', 'VALIDATION', 'ILLEGAL_STATE', 'PAYLOAD_TOO_LARGE', 'TRANSIENT', 'INTERNAL', 'METHOD_NOT_ALLOWED', 'UNAUTHORIZED'] as const;

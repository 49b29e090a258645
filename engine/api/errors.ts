/**
 * The single error mapper: every failure becomes Conductor's ErrorResponse
 * `{status, message, instance, retryable, validationErrors?}` with the matching HTTP status.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { hostname } from 'node:os';
import { BatonError, ValidationError } from '../core/errors';

const INSTANCE = hostname();

export interface ErrorLogger {
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

export function errorBody(status: number, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { status, message, instance: INSTANCE, retryable: false, ...extra };
}

export function errorHandler(log?: ErrorLogger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let status = 500;
    let body: Record<string, unknown>;
    if (err instanceof ValidationError) {
      status = 400;
      body = { status, message: err.message, retryable: false, validationErrors: err.violations };
    } else if (err instanceof BatonError) {
      status = err.status;
      body = { status, message: err.message, instance: INSTANCE, retryable: err.retryable };
    } else if (err?.type === 'entity.parse.failed') {
      status = 400;
      body = errorBody(status, `Malformed JSON in request body: ${err.message}`);
    } else if (err?.type === 'entity.too.large') {
      status = 413;
      body = errorBody(status, `Request body is larger than the limit of ${err.limit} bytes`);
    } else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
      status = err.status;
      body = errorBody(status, String(err.message ?? 'Bad request'));
    } else {
      body = errorBody(500, String(err?.message ?? err));
    }
    const meta = { method: req.method, path: req.path, status };
    if (status >= 500) log?.error(String(body.message), { ...meta, stack: err?.stack });
    else log?.warn(String(body.message), meta);
    if (res.headersSent) return;
    res.status(status).json(body);
  };
}

/** Unknown /api routes answer 404 JSON (never the UI page). */
export const apiNotFound: RequestHandler = (req, res) => {
  res.status(404).json(errorBody(404, `No static resource ${req.originalUrl.replace(/^\//, '').split('?')[0]}.`));
};

/**
 * The single error mapper: every failure becomes Conductor's ErrorResponse
 * `{status, message, instance, retryable, validationErrors?}` with the matching HTTP status.
 */
import type { ErrorRequestHandler, RequestHandler, Router } from 'express';
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

/**
 * Call after a router's routes are registered: a known path asked with a method it does not
 * serve answers 405 with an Allow header (Spring's HttpRequestMethodNotSupportedException).
 */
export function withMethodNotAllowed(r: Router): Router {
  const byShape = new Map<string, { path: string; methods: Set<string> }>();
  for (const layer of r.stack) {
    const route = layer.route as { path: string; methods: Record<string, boolean> } | undefined;
    if (!route || typeof route.path !== 'string') continue;
    const shape = route.path.replace(/:\w+/g, ':p');
    const entry = byShape.get(shape) ?? { path: route.path, methods: new Set<string>() };
    for (const m of Object.keys(route.methods)) if (m !== '_all') entry.methods.add(m.toUpperCase());
    byShape.set(shape, entry);
  }
  for (const { path, methods } of byShape.values()) {
    if (methods.has('GET')) methods.add('HEAD');
    const allow = [...methods].sort().join(', ');
    r.all(path, (req, res, next) => {
      if (req.method === 'OPTIONS') return next();
      res.set('Allow', allow);
      throw new BatonError(`Request method '${req.method}' is not supported`, 405, 'METHOD_NOT_ALLOWED');
    });
  }
  return r;
}

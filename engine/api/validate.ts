/**
 * Request validation helpers. Violations collect into a ValidationError (400 with
 * validationErrors); simple argument problems are BadRequestError (400).
 */
import { BadRequestError, ValidationError, type FieldViolation } from '../core/errors';
import type { JsonMap } from '../core/model';

export const isObject = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

export function requireObject(v: unknown, what: string): JsonMap {
  if (!isObject(v)) throw new BadRequestError(`${what} must be a JSON object`);
  return v;
}

export function throwIfAny(violations: FieldViolation[]): void {
  if (violations.length > 0) throw new ValidationError(violations);
}

/** An optional integer query parameter. */
export function intParam(v: unknown, name: string, dflt?: number): number | undefined {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new BadRequestError(`Parameter '${name}' must be an integer, got '${String(v)}'`);
  return n;
}

export function boolParam(v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === '') return dflt;
  const s = String(v).toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw new BadRequestError(`Boolean parameter must be 'true' or 'false', got '${String(v)}'`);
}

export function strParam(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.length ? String(v[0]) : undefined;
  return String(v);
}

export function listParam(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

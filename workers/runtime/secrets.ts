/**
 * Secrets are referenced by name (an environment variable), never passed as workflow input, and
 * every value read is redacted from the task log and the task output.
 */
import { terminal } from './errors';

export class Secrets {
  private readonly seen = new Set<string>();

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  /** The secret's value; a missing or empty one is a terminal SECRET_MISSING naming the variable. */
  get(name: string): string {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw terminal('INVALID_INPUT', `secret name "${name}" is not an environment variable name`);
    const value = this.env[name];
    if (value === undefined || value === '') throw terminal('SECRET_MISSING', `secret ${name} is not set in the worker's environment`, { secret: name });
    this.remember(value);
    return value;
  }

  /** The value, or undefined when the variable is unset (for optional passwords). */
  optional(name: string | undefined): string | undefined {
    if (!name) return undefined;
    const value = this.env[name];
    if (value === undefined || value === '') return undefined;
    return this.get(name);
  }

  /** Mark a value as secret without reading it from env (e.g. a derived token). */
  remember(value: string): void {
    // very short values would redact ordinary text; they are not worth hiding either
    if (value.length >= 4) this.seen.add(value);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.seen) out = out.split(s).join('***');
    return out;
  }

  /** A deep copy of a JSON value with every secret replaced. */
  redactJson<T>(value: T): T {
    if (this.seen.size === 0) return value;
    return JSON.parse(this.redact(JSON.stringify(value))) as T;
  }
}

/**
 * User code the engine evaluates: JavaScript (INLINE, SWITCH/DECISION javascript, DO_WHILE
 * loopCondition, event handler conditions) and jq (JSON_JQ_TRANSFORM). Both are synchronous so
 * the pure core can call them inside a decide; implementations must bound time and memory and
 * give the code no access to the host.
 */

export type ScriptResult = { ok: true; value: unknown } | { ok: false; error: string };

export interface ScriptEngine {
  /**
   * Evaluate `source` as a script (the value of its last expression statement is the result,
   * like Nashorn/GraalJS `eval`). Each key of `bindings` is a global (Conductor binds `$`).
   * Values cross the boundary as JSON: objects → plain objects, arrays → arrays,
   * undefined/functions → null.
   */
  evaluate(source: string, bindings: Record<string, unknown>): ScriptResult;
  /** Parse without running; the syntax error message, or null when it parses. */
  syntaxError(source: string): string | null;
}

export type JqResult = { ok: true; results: unknown[] } | { ok: false; error: string };

export interface JqEngine {
  /** Run a jq filter over `input`; every output of the filter, in order. */
  run(filter: string, input: unknown): JqResult;
  /** The compile error message, or null when the filter compiles. */
  compileError(filter: string): string | null;
}

/** Limits per evaluation. */
export interface SandboxLimits {
  /** Wall-clock budget per evaluation (Conductor: CONDUCTOR_SCRIPT_MAX_EXECUTION_SECONDS, 4 s). */
  timeoutMs: number;
  /** Heap cap per evaluation. */
  memoryBytes: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { timeoutMs: 4000, memoryBytes: 32 * 1024 * 1024 };

/** Used when no engine is wired in (pure unit tests): every evaluation fails with this reason. */
export const unavailableScripts: ScriptEngine = {
  evaluate: () => ({ ok: false, error: 'No script engine is configured' }),
  syntaxError: () => null,
};

export const unavailableJq: JqEngine = {
  run: () => ({ ok: false, error: 'No jq engine is configured' }),
  compileError: () => null,
};

/** Wires the real sandbox: QuickJS (WASM) for JavaScript, jq-web (WASM, in a worker thread) for jq. */
import { DEFAULT_SANDBOX_LIMITS, type JqEngine, type SandboxLimits, type ScriptEngine } from '../../ports/sandbox';
import { createJqEngine } from './jq';
import { createQuickJsEngine } from './quickjs';

export { createJqEngine } from './jq';
export { createQuickJsEngine } from './quickjs';

export interface Sandbox {
  scripts: ScriptEngine;
  jq: JqEngine;
}

const scriptEngines = new Map<string, Promise<ScriptEngine>>();
const jqEngines = new Map<string, Promise<JqEngine>>();

function cached<T>(make: () => Promise<T>, store: (p: Promise<T> | undefined) => void): Promise<T> {
  const p = make().catch((e: unknown) => {
    store(undefined); // a failed load is retried by the next call
    throw e;
  });
  store(p);
  return p;
}

/** Loads (once per distinct limits) the script and jq engines; later calls reuse them. */
export async function loadSandbox(limits: Partial<SandboxLimits> = {}): Promise<Sandbox> {
  const full: SandboxLimits = {
    timeoutMs: limits.timeoutMs ?? DEFAULT_SANDBOX_LIMITS.timeoutMs,
    memoryBytes: limits.memoryBytes ?? DEFAULT_SANDBOX_LIMITS.memoryBytes,
  };
  const key = `${full.timeoutMs}:${full.memoryBytes}`;
  const scripts =
    scriptEngines.get(key) ??
    cached(() => createQuickJsEngine(full), (p) => (p ? scriptEngines.set(key, p) : scriptEngines.delete(key)));
  const jq =
    jqEngines.get(key) ?? cached(() => createJqEngine(full), (p) => (p ? jqEngines.set(key, p) : jqEngines.delete(key)));
  return { scripts: await scripts, jq: await jq };
}

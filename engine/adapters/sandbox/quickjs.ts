/**
 * ScriptEngine on QuickJS compiled to WebAssembly (quickjs-emscripten). Every evaluation gets a
 * fresh runtime + context with a memory cap, a stack cap and a wall-clock interrupt; values cross
 * the boundary only as JSON text. QuickJS has no host bindings (no require, process, fetch,
 * timers, filesystem) and none are added here.
 *
 * Deep recursion inside the WASM (e.g. the parser on "((((...") can exhaust V8's own stack before
 * QuickJS's stack check fires; that leaves the WASM instance in an undefined state, so the module
 * is abandoned and replaced by a standby instance loaded in the background.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  isFail,
  newQuickJSWASMModuleFromVariant,
  newVariant,
  RELEASE_SYNC,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSSyncVariant,
  type QuickJSWASMModule,
} from 'quickjs-emscripten';
import type { ScriptEngine, ScriptResult, SandboxLimits } from '../../ports/sandbox';

/** QuickJS stack cap. Small on purpose: WASM frames also consume the host (V8) stack. */
const MAX_STACK_BYTES = 48 * 1024;
const FILENAME = 'script.js';

/**
 * The release-sync variant, but loading its CommonJS Emscripten glue with require(): the stock
 * variant uses a dynamic import(), which Jest's module sandbox refuses. The .wasm file is read once.
 */
let variant: QuickJSSyncVariant | undefined;
function quickJsVariant(): QuickJSSyncVariant {
  if (variant) return variant;
  const from = { paths: [dirname(require.resolve('quickjs-emscripten'))] };
  const gluePath = require.resolve('@jitl/quickjs-wasmfile-release-sync/emscripten-module', from);
  const wasmPath = require.resolve('@jitl/quickjs-wasmfile-release-sync/wasm', from);
  const wasm = readFileSync(wasmPath);
  const wasmBinary = wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer;
  const base: QuickJSSyncVariant = {
    ...RELEASE_SYNC,
    importModuleLoader: () => Promise.resolve(require(gluePath) as Awaited<ReturnType<QuickJSSyncVariant['importModuleLoader']>>),
  };
  variant = newVariant(base, {
    wasmBinary,
  });
  return variant;
}

function newQuickJSWASMModule(): Promise<QuickJSWASMModule> {
  return newQuickJSWASMModuleFromVariant(quickJsVariant());
}

/** The live WASM instance plus a standby one, so a poisoned instance can be swapped synchronously. */
class ModulePool {
  private spare: QuickJSWASMModule | undefined;
  private loading: Promise<void> | undefined;
  private constructor(public current: QuickJSWASMModule | undefined) {}

  static async create(): Promise<ModulePool> {
    const pool = new ModulePool(await newQuickJSWASMModule());
    pool.refill();
    await pool.loading;
    return pool;
  }

  /** Drop the current instance for the standby one (and load the next); false when none is ready yet. */
  replace(): boolean {
    this.current = this.spare;
    this.spare = undefined;
    this.refill();
    return this.current !== undefined;
  }

  private refill(): void {
    if (this.spare || this.loading) return;
    this.loading = newQuickJSWASMModule().then(
      (m) => {
        if (this.current) this.spare = m;
        else this.current = m;
        this.loading = undefined;
        this.refill();
      },
      () => { this.loading = undefined; },
    );
  }
}

function describe(vm: QuickJSContext, handle: QuickJSHandle, limits: SandboxLimits, timedOut: boolean): string {
  if (timedOut) return `Script execution timed out after ${limits.timeoutMs} ms`;
  let err: unknown;
  try {
    err = vm.dump(handle);
  } catch {
    err = undefined;
  }
  if (err && typeof err === 'object') {
    const { name, message } = err as { name?: unknown; message?: unknown };
    if (typeof message === 'string') {
      if (message === 'out of memory') return `Script exceeded the memory limit of ${limits.memoryBytes} bytes`;
      if (message === 'stack overflow') return 'Script exceeded the maximum call stack size';
      if (message === 'interrupted') return `Script execution timed out after ${limits.timeoutMs} ms`;
      return typeof name === 'string' && name !== 'Error' && name !== '' ? `${name}: ${message}` : message;
    }
    try {
      return JSON.stringify(err);
    } catch {
      return String(err);
    }
  }
  if (err === null) return `Script exceeded the memory limit of ${limits.memoryBytes} bytes`;
  return String(err);
}

function isHostStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

export async function createQuickJsEngine(limits: SandboxLimits): Promise<ScriptEngine> {
  const pool = await ModulePool.create();

  /** Runs `body` in a fresh runtime/context and disposes both; survives a poisoned module. */
  function withContext<T>(
    body: (vm: QuickJSContext, expired: () => boolean) => T,
    onCrash: (message: string) => T,
  ): T {
    const module = pool.current;
    if (!module) return onCrash('Script engine is restarting after a failure; try again');
    try {
      const rt = module.newRuntime();
      rt.setMemoryLimit(limits.memoryBytes);
      rt.setMaxStackSize(MAX_STACK_BYTES);
      const deadline = Date.now() + limits.timeoutMs;
      let timedOut = false;
      rt.setInterruptHandler(() => (timedOut ||= Date.now() > deadline));
      const vm = rt.newContext();
      const result = body(vm, () => timedOut);
      vm.dispose();
      rt.dispose();
      return result;
    } catch (e) {
      // A throw from the WASM itself (not a script error): abandon this instance without touching
      // it again (its stack and heap are in an unknown state) and switch to the standby one.
      const replaced = pool.replace();
      const why = isHostStackOverflow(e)
        ? 'Script exceeded the maximum call stack size'
        : `Script engine failure: ${e instanceof Error ? e.message : String(e)}`;
      return onCrash(replaced ? why : `${why} (script engine restarting)`);
    }
  }

  function evaluate(source: string, bindings: Record<string, unknown>): ScriptResult {
    const json: [string, string][] = [];
    try {
      for (const [key, value] of Object.entries(bindings)) json.push([key, JSON.stringify(value ?? null)]);
    } catch (e) {
      return { ok: false, error: `Script bindings are not JSON-serializable: ${e instanceof Error ? e.message : String(e)}` };
    }
    return withContext<ScriptResult>((vm, expired) => {
      const JSONh = vm.getProp(vm.global, 'JSON');
      const parse = vm.getProp(JSONh, 'parse');
      const stringify = vm.getProp(JSONh, 'stringify');
      try {
        for (const [key, text] of json) {
          const str = vm.newString(text);
          const parsed = vm.callFunction(parse, JSONh, str);
          str.dispose();
          if (isFail(parsed)) {
            const error = describe(vm, parsed.error, limits, expired());
            parsed.error.dispose();
            return { ok: false, error };
          }
          vm.setProp(vm.global, key, parsed.value);
          parsed.value.dispose();
        }
        const result = vm.evalCode(source, FILENAME, { type: 'global' });
        if (isFail(result)) {
          const error = describe(vm, result.error, limits, expired());
          result.error.dispose();
          return { ok: false, error };
        }
        const out = vm.callFunction(stringify, JSONh, result.value);
        result.value.dispose();
        if (isFail(out)) {
          const error = describe(vm, out.error, limits, expired());
          out.error.dispose();
          return { ok: false, error };
        }
        const text = vm.typeof(out.value) === 'string' ? vm.getString(out.value) : undefined;
        out.value.dispose();
        return { ok: true, value: text === undefined ? null : (JSON.parse(text) as unknown) };
      } finally {
        stringify.dispose();
        parse.dispose();
        JSONh.dispose();
      }
    }, (error) => ({ ok: false, error }));
  }

  function syntaxError(source: string): string | null {
    return withContext<string | null>((vm, expired) => {
      const result = vm.evalCode(source, FILENAME, { type: 'global', compileOnly: true });
      if (isFail(result)) {
        const error = describe(vm, result.error, limits, expired());
        result.error.dispose();
        return error;
      }
      result.value.dispose();
      return null;
    }, (error) => error);
  }

  return { evaluate, syntaxError };
}

/**
 * JqEngine on jq-web: the real jq (C) compiled to WebAssembly with Emscripten. Each run is one
 * `jq -c FILTER` over the serialized input, with its stdout/stderr captured in memory.
 *
 * jq-web quirks handled here: it leaves `process.exitCode` set to jq's exit status after a failed
 * run (which would make the host exit non-zero), and it `console.warn`s anything jq writes to
 * stderr on success (e.g. `debug`); both are undone/silenced around every call.
 * Limitation: a run is synchronous WASM, so a non-terminating filter (`repeat(1)`) is not bounded.
 */
import type { JqEngine, JqResult } from '../../ports/sandbox';

interface JqWeb {
  raw(input: string, filter: string, flags?: string[]): string | undefined;
}
type JqError = Error & { exitCode?: number; stderr?: string };

let loaded: Promise<JqWeb> | undefined;
function loadJqWeb(): Promise<JqWeb> {
  loaded ??= (require('jq-web') as Promise<JqWeb>).catch((e: unknown) => {
    loaded = undefined;
    throw e;
  });
  return loaded;
}

/** jq's stderr without its `jq: error (at <input>): ` prefixes and compile-error tally. */
export function cleanJqMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .filter((l) => !/^jq: \d+ compile errors?$/.test(l.trim()))
    .map((l) => l.replace(/^jq: error(?: \(at [^)]*\))?: /, '').replace(/\s+$/, ''));
  return lines.join('\n').trim();
}

function runRaw(jq: JqWeb, input: string, filter: string): { ok: true; stdout: string } | { ok: false; error: string } {
  const exitCode = process.exitCode;
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    return { ok: true, stdout: jq.raw(input, filter, ['-c']) ?? '' };
  } catch (e) {
    const err = e as JqError;
    if (typeof err?.stderr === 'string' && err.stderr.trim() !== '') return { ok: false, error: cleanJqMessage(err.stderr) };
    if (typeof err?.exitCode === 'number') return { ok: false, error: `jq exited with status ${err.exitCode}` };
    return { ok: false, error: `jq failed: ${err instanceof Error ? err.message : String(e)}` };
  } finally {
    console.warn = warn;
    process.exitCode = exitCode;
  }
}

export async function createJqEngine(): Promise<JqEngine> {
  const jq = await loadJqWeb();

  function run(filter: string, input: unknown): JqResult {
    let text: string;
    try {
      text = JSON.stringify(input ?? null);
    } catch (e) {
      return { ok: false, error: `jq input is not JSON-serializable: ${e instanceof Error ? e.message : String(e)}` };
    }
    const out = runRaw(jq, text, filter);
    if (!out.ok) return out;
    // With -c every output is exactly one line (newlines inside strings are escaped).
    try {
      const results = out.stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as unknown);
      return { ok: true, results };
    } catch (e) {
      return { ok: false, error: `jq produced unreadable output: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  function compileError(filter: string): string | null {
    // With an empty input jq compiles the filter and then runs it zero times.
    const out = runRaw(jq, '', filter);
    return out.ok ? null : out.error;
  }

  return { run, compileError };
}

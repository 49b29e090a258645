/**
 * JqEngine on jq-web: the real jq (C) compiled to WebAssembly with Emscripten. Each run is one
 * `jq -c FILTER` over the serialized input, with its stdout/stderr captured in memory.
 *
 * jq runs in a worker thread so a filter that never ends (`repeat(1)`, `def f: f; f`) can be
 * stopped, while the port stays synchronous: the host posts {filter, input} on a MessagePort and
 * blocks in `Atomics.wait` on a SharedArrayBuffer flag for at most `timeoutMs`; the worker runs jq,
 * posts the reply, sets the flag and notifies; the host reads the reply with `receiveMessageOnPort`.
 * On timeout the worker is terminated and the warm spare takes over (a new spare loads in the
 * background). The worker has V8 `resourceLimits`, a capped WASM heap and a capped output size.
 *
 * jq-web quirks handled in the worker: it leaves `process.exitCode` set after a failed run (restored)
 * and `console.warn`s jq's stderr on success, e.g. `debug` (the worker's console is silenced).
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { DEFAULT_SANDBOX_LIMITS, type JqEngine, type JqResult, type SandboxLimits } from '../../ports/sandbox';
import { JQ_WORKER_SOURCE } from './jq-worker-source';

/** Largest jq output (bytes of `-c` text) a run may produce. */
export const JQ_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/** Default cap of jq's WASM heap (SandboxLimits.memoryBytes is sized for QuickJS scripts and is
 * only used when larger): room for a ~1e7-element array, refuses `[range(1e8)]`. */
export const JQ_MAX_HEAP_BYTES = 512 * 1024 * 1024;
/** How long a call may block waiting for a (re)starting worker to finish loading jq. */
const LOAD_WAIT_MS = 10_000;

const FLAG = 0;
const READY = 1;
const OVERFLOWED = 2;
const READY_OK = 1;
const READY_FAILED = 2;

/** jq's stderr without its `jq: error (at <input>): ` prefixes and compile-error tally. */
export function cleanJqMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .filter((l) => !/^jq: \d+ compile errors?$/.test(l.trim()))
    .map((l) => l.replace(/^jq: error(?: \(at [^)]*\))?: /, '').replace(/\s+$/, ''));
  return lines.join('\n').trim();
}

type Reply =
  | { id: number; ok: true; stdout: string; recycle?: boolean }
  | { id: number; ok: false; error: string; kind?: 'output' | 'memory'; recycle?: boolean };
type RawResult = { ok: true; stdout: string } | { ok: false; error: string };

interface JqWorker {
  worker: Worker;
  port: MessagePort;
  ctrl: Int32Array;
  dead: boolean;
  loadError?: string;
  /** Settles when jq has loaded in the worker (rejects when it could not). */
  ready: Promise<void>;
}

const mib = (n: number) => `${n / (1024 * 1024)} MiB`;

export interface JqEngineOptions {
  /** Cap of jq's WASM heap in bytes (default: the larger of JQ_MAX_HEAP_BYTES and limits.memoryBytes). */
  maxHeapBytes?: number;
  /** Cap of jq's output in bytes (default JQ_MAX_OUTPUT_BYTES). */
  maxOutputBytes?: number;
}

export async function createJqEngine(limits: Partial<SandboxLimits> = {}, options: JqEngineOptions = {}): Promise<JqEngine> {
  const timeoutMs = limits.timeoutMs ?? DEFAULT_SANDBOX_LIMITS.timeoutMs;
  const heapCap = options.maxHeapBytes ?? Math.max(limits.memoryBytes ?? DEFAULT_SANDBOX_LIMITS.memoryBytes, JQ_MAX_HEAP_BYTES);
  const outputCap = options.maxOutputBytes ?? JQ_MAX_OUTPUT_BYTES;
  const outputError = `jq output exceeded the limit of ${outputCap % (1024 * 1024) === 0 ? mib(outputCap) : `${outputCap} bytes`}`;
  const jqPath = require.resolve('jq-web');

  function spawn(holdUntilReady = false): JqWorker {
    const ctrl = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(JQ_WORKER_SOURCE, {
      eval: true,
      workerData: { port: port2, ctrl, jqPath, outputCap, heapCap },
      transferList: [port2],
      // jq's data lives in WASM memory (capped in the worker); the JS heap holds jq-web's byte-by-byte
      // output buffer (≤ 16 MiB by default ≈ 128 MB as a JS array) and the in/out strings.
      resourceLimits: { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
      // Not forwarded to the host's stdio (the worker silences its console; these streams stay
      // unread, as reading them would keep the process alive).
      stdout: true,
      stderr: true,
    });
    const w: JqWorker = { worker, port: port1, ctrl, dead: false, ready: Promise.resolve() };
    w.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: { ready?: true; loadError?: string }) => {
        if (m.ready) resolve();
        else if (m.loadError !== undefined) {
          w.loadError = m.loadError;
          reject(new Error(`jq failed to load: ${m.loadError}`));
        }
      });
      const gone = (e?: unknown) => {
        w.dead = true;
        w.loadError ??= e instanceof Error ? e.message : 'worker exited';
        reject(new Error(`jq worker stopped: ${w.loadError}`));
      };
      worker.on('error', gone);
      worker.on('exit', () => gone());
    });
    w.ready.catch(() => undefined); // observed by createJqEngine / acquire
    // After the listeners (a 'message' listener re-refs the worker): never keep the process alive,
    // except while createJqEngine awaits the first load.
    const unref = () => {
      worker.unref();
      port1.unref();
    };
    if (holdUntilReady) w.ready.then(unref, unref);
    else unref();
    return w;
  }

  function retire(w: JqWorker): void {
    w.dead = true;
    w.port.close();
    void w.worker.terminate().catch(() => undefined);
  }

  let active = spawn(true);
  let spare: JqWorker | undefined;
  try {
    await active.ready;
  } catch (e) {
    retire(active);
    throw e;
  }
  spare = spawn();

  /** Replace the active worker with the spare (warm if it has loaded) and start a new spare. */
  function replaceActive(): void {
    retire(active);
    active = spare ?? spawn();
    spare = spawn();
  }

  /** A loaded worker, blocking up to LOAD_WAIT_MS for one that is still loading. */
  function acquire(): JqWorker | string {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (active.dead || Atomics.load(active.ctrl, READY) === READY_FAILED) {
        replaceActive();
        continue;
      }
      if (Atomics.load(active.ctrl, READY) === READY_OK) return active;
      Atomics.wait(active.ctrl, READY, 0, LOAD_WAIT_MS);
      const state = Atomics.load(active.ctrl, READY);
      if (state === READY_OK) return active;
      if (state === 0) return `jq engine is not available: it did not load within ${LOAD_WAIT_MS} ms`;
    }
    return `jq engine is not available: ${active.loadError ?? 'its worker failed to load'}`;
  }

  let nextId = 1;
  function call(op: 'run' | 'compile', filter: string, input: string): RawResult {
    const w = acquire();
    if (typeof w === 'string') return { ok: false, error: w };
    const id = nextId++;
    Atomics.store(w.ctrl, FLAG, 0);
    w.port.postMessage({ id, op, filter, input });
    if (Atomics.wait(w.ctrl, FLAG, 0, timeoutMs) === 'timed-out') {
      replaceActive();
      return { ok: false, error: `jq query timed out after ${timeoutMs} ms` };
    }
    if (Atomics.load(w.ctrl, FLAG) === OVERFLOWED) {
      replaceActive();
      return { ok: false, error: outputError };
    }
    let reply: Reply | undefined;
    for (let m = receiveMessageOnPort(w.port); m; m = receiveMessageOnPort(w.port)) {
      if ((m.message as Reply).id === id) reply = m.message as Reply;
    }
    if (!reply) {
      replaceActive();
      return { ok: false, error: 'jq worker returned no result' };
    }
    if (reply.recycle) replaceActive();
    if (reply.ok) return { ok: true, stdout: reply.stdout };
    if (reply.kind === 'output') return { ok: false, error: outputError };
    if (reply.kind === 'memory') return { ok: false, error: `jq query exceeded the memory limit of ${heapCap} bytes` };
    return { ok: false, error: reply.error };
  }

  function run(filter: string, input: unknown): JqResult {
    let text: string;
    try {
      text = JSON.stringify(input ?? null);
    } catch (e) {
      return { ok: false, error: `jq input is not JSON-serializable: ${e instanceof Error ? e.message : String(e)}` };
    }
    const out = call('run', filter, text);
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
    const out = call('compile', filter, '');
    return out.ok ? null : out.error;
  }

  return { run, compileError };
}

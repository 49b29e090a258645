/**
 * The body of the jq worker thread, as plain JavaScript run with `new Worker(code, { eval: true })`.
 * Kept as a string so it works unchanged under jest (swc) and from dist/ (tsc emits no .js assets);
 * jq-web is required by the absolute path the host resolved.
 *
 * Protocol (see jq.ts): `workerData` = { port, ctrl, jqPath, outputCap, heapCap }.
 *   ctrl[READY]: 0 loading, 1 ready, 2 load failed (the worker also posts {ready} / {loadError}
 *                on parentPort for the async first load).
 *   ctrl[FLAG]:  the host zeroes it and posts {id, op, filter, input} on `port`; the worker posts
 *                the reply on `port`, then sets 1 and notifies. It sets 2 (and notifies) as soon as
 *                jq's output passes `outputCap`: the host then terminates the worker.
 *   Reply: { id, ok: true, stdout } | { id, ok: false, error, kind?, recycle? } — kind 'output' /
 *   'memory' = a limit was hit (the host words the message); `recycle` asks the host to replace
 *   this worker (jq aborted, or its WASM heap grew large).
 */
export const JQ_WORKER_SOURCE = String.raw`
'use strict';
const { workerData, parentPort } = require('worker_threads');
const { port, ctrl, jqPath, outputCap, heapCap } = workerData;
const FLAG = 0, READY = 1, DONE = 1, OVERFLOW = 2;

// Anything jq-web or Emscripten prints (stderr of a successful run, abort messages) stays here.
for (const k of ['log', 'info', 'warn', 'error', 'debug', 'trace']) console[k] = () => undefined;

// Bound jq's WASM heap: refusing a grow makes jq's malloc fail ("cannot allocate memory").
let heapCapHit = false;
const grow = WebAssembly.Memory.prototype.grow;
let memory; // jq's instance memory (not exported by jq-web): remembered from its first grow
WebAssembly.Memory.prototype.grow = function (delta) {
  memory = this;
  if (this.buffer.byteLength + delta * 65536 > heapCap) {
    heapCapHit = true;
    throw new RangeError('jq heap limit');
  }
  return grow.call(this, delta);
};

// Bound jq's output: jq-web collects stdout byte by byte; patch that push to stop at the cap and
// tell the host at once (a write error would not stop jq, so the host terminates this worker).
let overflowed = false;
globalThis.__batonJq = {
  outputCap,
  overflow() {
    if (overflowed) return;
    overflowed = true;
    Atomics.store(ctrl, FLAG, OVERFLOW);
    Atomics.notify(ctrl, FLAG);
  },
};
function loadJq() {
  const fs = require('fs');
  const Module = require('module');
  const path = require('path');
  const src = fs.readFileSync(jqPath, 'utf8');
  const needle = 'if (c) outBuffer.push(c)';
  if (src.split(needle).length !== 2) return require(jqPath); // unknown build: stdout is checked afterwards
  const patched = src.replace(
    needle,
    'if (c) { if (outBuffer.length >= globalThis.__batonJq.outputCap) globalThis.__batonJq.overflow(); else outBuffer.push(c); }',
  );
  const m = new Module(jqPath, null);
  m.filename = jqPath;
  m.paths = Module._nodeModulePaths(path.dirname(jqPath));
  m._compile(patched, jqPath);
  return m.exports;
}

function cleanJqMessage(stderr) {
  const lines = stderr
    .split('\n')
    .filter((l) => !/^jq: \d+ compile errors?$/.test(l.trim()))
    .map((l) => l.replace(/^jq: error(?: \(at [^)]*\))?: /, '').replace(/\s+$/, ''));
  return lines.join('\n').trim();
}

function runRaw(jq, input, filter) {
  const exitCode = process.exitCode;
  heapCapHit = false;
  try {
    const stdout = jq.raw(input, filter, ['-c']) ?? '';
    if (overflowed || stdout.length > outputCap) return { ok: false, kind: 'output', error: '', recycle: true };
    return { ok: true, stdout };
  } catch (e) {
    if (overflowed) return { ok: false, kind: 'output', error: '', recycle: true };
    if (heapCapHit) return { ok: false, kind: 'memory', error: '', recycle: true };
    // An Emscripten abort (RuntimeError) leaves the runtime unusable: ask for a fresh worker.
    const recycle = e instanceof WebAssembly.RuntimeError || !(e && typeof e.exitCode === 'number');
    if (e && typeof e.stderr === 'string' && e.stderr.trim() !== '') return { ok: false, error: cleanJqMessage(e.stderr), recycle };
    if (e && typeof e.exitCode === 'number') return { ok: false, error: 'jq exited with status ' + e.exitCode, recycle };
    return { ok: false, error: 'jq failed: ' + (e instanceof Error ? e.message : String(e)), recycle };
  } finally {
    process.exitCode = exitCode;
  }
}

// A large run leaves the WASM memory grown (it never shrinks): past this, the host swaps workers.
const RECYCLE_HEAP_BYTES = 64 * 1024 * 1024;

Promise.resolve()
  .then(loadJq)
  .then((jq) => {
    // Warm jq-web's glue and the WASM tiers so the first real call is not a cold one.
    for (let i = 0; i < 20; i++) runRaw(jq, '{"a":[1,"x"]}', '.a[] | tostring');
    port.on('message', (msg) => {
      // With an empty input jq compiles the filter and then runs it zero times.
      const out = runRaw(jq, msg.op === 'compile' ? '' : msg.input, msg.filter);
      out.id = msg.id;
      if (memory && memory.buffer.byteLength > RECYCLE_HEAP_BYTES) out.recycle = true;
      port.postMessage(out);
      Atomics.store(ctrl, FLAG, DONE);
      Atomics.notify(ctrl, FLAG);
    });
    Atomics.store(ctrl, READY, 1);
    Atomics.notify(ctrl, READY);
    parentPort.postMessage({ ready: true });
  })
  .catch((e) => {
    Atomics.store(ctrl, READY, 2);
    Atomics.notify(ctrl, READY);
    parentPort.postMessage({ loadError: e instanceof Error ? e.message : String(e) });
  });

`;

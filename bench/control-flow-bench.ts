/**
 * `npm run bench:control-flow`: figures for control-flow tasks on the embedded engine, printed
 * as a table (never a CI gate). The built engine runs as a child process on 127.0.0.1 with a
 * fresh SQLite file; everything talks HTTP.
 *
 *   a  FORK_JOIN_DYNAMIC with 1,000 branches, each a SIMPLE task run by official SDK TaskManager
 *      workers: start → workflow COMPLETED, and the engine's peak RSS (VmHWM)
 *   b  DO_WHILE of 1,000 iterations whose body is one SIMPLE task (SDK workers): start → COMPLETED
 *   c  DO_WHILE of 1,000 iterations whose body is an INLINE script (no worker): start → COMPLETED
 *
 * Knobs (env): BENCH_BRANCHES (1000), BENCH_ITERATIONS (1000), BENCH_CONCURRENCY (SDK worker
 * concurrency, 32), BENCH_CPU_PROF=1 (profile the engine in section a and print hotspots).
 */
import { mkdtempSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { orkesConductorClient, TaskManager } from '@io-orkes/conductor-javascript';
import { agent, fanoutWorkflow, ok, quiet, waitEnd as waitEndAt } from './lib/common';
import { procMemoryMiB, spawnEngine, type EngineProcess } from './lib/engine-process';
import { summariseProfile } from './lib/cpuprofile';

const BRANCHES = Number(process.env.BENCH_BRANCHES ?? 1000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';

const root = mkdtempSync(join(tmpdir(), 'baton-cf-bench-'));
async function engine(profDir?: string): Promise<EngineProcess> {
  const dir = mkdtempSync(join(root, 'e-'));
  const defsDir = join(dir, 'defs');
  mkdirSync(defsDir);
  const nodeArgs = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  return spawnEngine({ dbPath: join(dir, 'baton.db'), defsDir, logLevel: 'info', nodeArgs });
}

function printProfile(dir: string): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (!files.length) return void console.log('(no .cpuprofile written)');
  const s = summariseProfile(join(dir, files[0]), 25);
  console.log('\nengine CPU profile (section a), self time by function:');
  for (const h of s.functions) console.log(`    ${h.pct.toFixed(1).padStart(5)}%  ${h.name}`);
}

/** Re-read the workflow until it ends. */
const waitEnd = (e: EngineProcess, id: string, timeoutMs: number) => waitEndAt(e.url, id, timeoutMs);

function workers(client: Awaited<ReturnType<typeof orkesConductorClient>>, taskDefName: string): TaskManager {
  const m = new TaskManager(client, [{ taskDefName, execute: async (t) => ({ status: 'COMPLETED', outputData: { i: t.inputData?.i ?? null } }) }], {
    logger: quiet,
    options: { pollInterval: 1, concurrency: CONCURRENCY, batchPollingTimeout: 1000, workerID: 'bench' },
  });
  m.startPolling();
  return m;
}

const rows: string[][] = [];
const row = (...cells: string[]) => {
  rows.push(cells);
  console.log(cells.join('  |  '));
};

async function dynamicFork(): Promise<void> {
  const profDir = join(root, 'prof');
  const e = await engine(CPU_PROF ? profDir : undefined);
  await ok(e.url, 'POST', '/api/metadata/taskdefs', [{ name: 'cf_branch', retryCount: 0, responseTimeoutSeconds: 600 }]);
  await ok(e.url, 'POST', '/api/metadata/workflow', fanoutWorkflow('cf_fanout', 'cf_branch'));
  const client = await orkesConductorClient({ serverUrl: e.url });
  const m = workers(client, 'cf_branch');
  const items = Array.from({ length: BRANCHES }, (_, i) => ({ i }));
  const t0 = performance.now();
  const id = await ok(e.url, 'POST', '/api/workflow', { name: 'cf_fanout', version: 1, input: { items } });
  const r = await waitEnd(e, id, 600_000);
  const ms = performance.now() - t0;
  const mem = procMemoryMiB(e.pid);
  await m.stopPolling();
  await e.stop();
  if (CPU_PROF) printProfile(profDir);
  row('a', `FORK_JOIN_DYNAMIC ${BRANCHES} branches, SDK workers (concurrency ${CONCURRENCY})`, `${r.status} in ${(ms / 1000).toFixed(2)} s (${Math.round((BRANCHES / ms) * 1000)} branches/s), ${r.tasks} tasks, engine peak RSS ${mem.hwm.toFixed(0)} MiB`);
}

async function loops(): Promise<void> {
  const e = await engine();
  await ok(e.url, 'POST', '/api/metadata/taskdefs', [{ name: 'cf_body', retryCount: 0, responseTimeoutSeconds: 600 }]);
  const loop = (name: string, body: unknown) => ({
    name,
    version: 1,
    tasks: [{ name: 'loop', taskReferenceName: 'loop', type: 'DO_WHILE', inputParameters: { n: '${workflow.input.n}' }, loopCondition: '$.loop.iteration < $.n', loopOver: [body] }],
  });
  await ok(e.url, 'POST', '/api/metadata/workflow', loop('cf_loop_worker', { name: 'cf_body', taskReferenceName: 'body', inputParameters: { i: '${loop.output.iteration}' } }));
  await ok(e.url, 'POST', '/api/metadata/workflow', loop('cf_loop_inline', { name: 'calc', taskReferenceName: 'calc', type: 'INLINE', inputParameters: { evaluatorType: 'javascript', i: '${loop.output.iteration}', expression: '$.i * 2' } }));

  const client = await orkesConductorClient({ serverUrl: e.url });
  const m = workers(client, 'cf_body');
  let t0 = performance.now();
  let id = await ok(e.url, 'POST', '/api/workflow', { name: 'cf_loop_worker', version: 1, input: { n: ITERATIONS } });
  let r = await waitEnd(e, id, 600_000);
  let ms = performance.now() - t0;
  row('b', `DO_WHILE ${ITERATIONS} iterations, SIMPLE body (SDK worker)`, `${r.status} in ${(ms / 1000).toFixed(2)} s (${(ms / ITERATIONS).toFixed(2)} ms/iteration), ${r.tasks} tasks`);
  await m.stopPolling();

  t0 = performance.now();
  id = await ok(e.url, 'POST', '/api/workflow', { name: 'cf_loop_inline', version: 1, input: { n: ITERATIONS } });
  r = await waitEnd(e, id, 600_000);
  ms = performance.now() - t0;
  row('c', `DO_WHILE ${ITERATIONS} iterations, INLINE body (no worker)`, `${r.status} in ${(ms / 1000).toFixed(2)} s (${(ms / ITERATIONS).toFixed(2)} ms/iteration), ${r.tasks} tasks, engine peak RSS ${procMemoryMiB(e.pid).hwm.toFixed(0)} MiB`);
  await e.stop();
}

async function main(): Promise<void> {
  console.log(`node ${process.version}; ${BRANCHES} branches, ${ITERATIONS} iterations`);
  try {
    await dynamicFork();
    await loops();
  } finally {
    rmSync(root, { recursive: true, force: true });
    agent.destroy();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

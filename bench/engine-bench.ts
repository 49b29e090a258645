/**
 * `npm run bench`: figures for the embedded engine, printed as a table (never a CI gate).
 *
 * Every section runs the built engine as a child process (`node dist/engine/main.js`, default
 * log level info, a fresh SQLite file in a temp dir) on 127.0.0.1, and talks to it over HTTP:
 *
 *   a  throughput: official SDK TaskManager workers, workflows of 10 SIMPLE tasks (10 task types)
 *   b  poll-to-start latency with idle long-polling SDK workers (server: startTime - scheduledTime;
 *      client: worker's Date.now() at execute - scheduledTime; same machine, same clock)
 *   c  workflow start latency: sequential POST /api/workflow round trips (node:http, keep-alive)
 *   d  spawn → first 200 on /health, empty database, median of 5 (and once on the 10k-workflow DB)
 *   e  engine RSS after 10,000 completed workflows (lean raw-HTTP workers: batch poll + update-v2)
 *   f  per-task overhead: one sequential client doing poll + update against the engine and against
 *      a bare express server with an in-memory queue (bench/floor-server.ts), same client code,
 *      same task JSON on the wire; the ratio engine / floor
 *
 * Knobs (env): BENCH_WORKFLOWS (300), BENCH_RSS_WORKFLOWS (10000), BENCH_RSS_TASKS (tasks per
 * workflow in e, 5), BENCH_CPU_PROF=1 (profile the engine in section a and print hotspots).
 */
import { mkdtempSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { orkesConductorClient } from '@io-orkes/conductor-javascript';
import { agent, benchTaskDef, call, chainWorkflow, getWf, median, ok, pct, sdkWorkers, startWf, until, type WireTask } from './lib/common';
import { freePort, procMemoryMiB, repoRoot, spawnEngine, type EngineProcess, type EngineSpawnOptions } from './lib/engine-process';
import { summariseProfile } from './lib/cpuprofile';

const WORKFLOWS = Number(process.env.BENCH_WORKFLOWS ?? 300);
const RSS_WORKFLOWS = Number(process.env.BENCH_RSS_WORKFLOWS ?? 10_000);
const RSS_TASKS = Number(process.env.BENCH_RSS_TASKS ?? 5);
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const TYPES = Array.from({ length: 10 }, (_, i) => `bench_t${i}`);

const root = mkdtempSync(join(tmpdir(), 'baton-bench-'));
const defsDir = join(root, 'defs');
mkdirSync(defsDir);
let nth = 0;
const running = new Set<EngineProcess>();

async function engine(extra: Partial<EngineSpawnOptions> = {}): Promise<EngineProcess> {
  const dir = join(root, `e${nth++}`);
  mkdirSync(dir);
  const e = await spawnEngine({ dbPath: join(dir, 'baton.db'), defsDir, ...extra });
  running.add(e);
  return e;
}
async function stop(e: EngineProcess): Promise<void> {
  await e.stop();
  running.delete(e);
}

async function register(url: string): Promise<void> {
  await ok(url, 'POST', '/api/metadata/taskdefs', [...TYPES, 'bench_rt', 'bench_rss'].map(benchTaskDef));
  await ok(url, 'POST', '/api/metadata/workflow', chainWorkflow('bench_ten', TYPES));
  await ok(url, 'POST', '/api/metadata/workflow', chainWorkflow('bench_rt', Array(10).fill('bench_rt')));
  await ok(url, 'POST', '/api/metadata/workflow', chainWorkflow('bench_rss', Array(RSS_TASKS).fill('bench_rss')));
}

// ---- the table ------------------------------------------------------------------------------

interface Row {
  id: string;
  figure: string;
  value: string;
  target: string;
  verdict: string;
}
const rows: Row[] = [];
const row = (id: string, figure: string, value: string, target = '', pass?: boolean) =>
  rows.push({ id, figure, value, target, verdict: pass === undefined ? '' : pass ? 'met' : 'MISSED' });
const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`;

// ---- sections ---------------------------------------------------------------------------------

async function startToHealthy(): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const e = await engine({ port: await freePort(), readyBy: 'health' });
    times.push(e.readyMs);
    await stop(e);
  }
  const m = median(times);
  row('d', 'start-to-healthy, empty DB (median of 5)', `${ms(m)}  [${times.map((t) => t.toFixed(0)).join(', ')}]`, '< 1000 ms', m < 1000);
}

async function startLatency(): Promise<void> {
  const e = await engine();
  await register(e.url);
  for (let i = 0; i < 100; i++) await startWf(e.url, 'bench_ten', i);
  const lat: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = performance.now();
    await startWf(e.url, 'bench_ten', i);
    lat.push(performance.now() - t);
  }
  row('c', 'workflow start, POST /api/workflow (1000 sequential)', `p50 ${ms(pct(lat, 50))}  p99 ${ms(pct(lat, 99))}`);
  await stop(e);
}

async function throughputAndLatency(): Promise<void> {
  const profDir = join(root, 'prof');
  const e = await engine(CPU_PROF ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] } : {});
  await register(e.url);
  const client = await orkesConductorClient({ serverUrl: e.url });
  let doneCount = 0;
  const doneWaiters = new Map<string, () => void>();
  const clientLat: number[] = [];
  let recordClient = false;
  const w = sdkWorkers(client, TYPES, {
    concurrency: 10,
    onExecute: (t) => {
      if (recordClient && t.scheduledTime) clientLat.push(Date.now() - t.scheduledTime);
    },
    doneType: TYPES[TYPES.length - 1],
    onDone: (id) => {
      doneCount++;
      doneWaiters.get(id)?.();
    },
  });

  // warm-up: 30 workflows
  for (let i = 0; i < 30; i++) await startWf(e.url, 'bench_ten', i);
  await until(() => doneCount >= 30, 'warm-up workflows');

  // (a) throughput: WORKFLOWS workflows started by 8 concurrent clients
  doneCount = 0;
  const ids: string[] = [];
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < WORKFLOWS) ids.push(await startWf(e.url, 'bench_ten', next++));
    }),
  );
  await until(() => doneCount >= WORKFLOWS, 'throughput workflows', 300_000, 5);
  const wall = (performance.now() - t0) / 1000;
  const wfs = await Promise.all(ids.map((id) => getWf(e.url, id)));
  if (wfs.some((x) => x.status !== 'COMPLETED')) throw new Error('a throughput workflow did not complete');
  const serverWall = (Math.max(...wfs.map((x) => x.endTime)) - Math.min(...wfs.map((x) => x.startTime))) / 1000;
  const tasks = WORKFLOWS * TYPES.length;
  row('a', `throughput, SDK workers (10 types x conc. 10), ${WORKFLOWS} wf x 10 tasks`, `${(tasks / wall).toFixed(0)} tasks/s, ${(WORKFLOWS / wall).toFixed(1)} wf/s (${wall.toFixed(2)} s; server clock ${serverWall.toFixed(2)} s)`);
  const loaded = wfs.flatMap((x) => x.tasks.map((t) => t.startTime - t.scheduledTime));
  row('a', '  queue wait under that load (server start - scheduled)', `p50 ${ms(pct(loaded, 50))}  p99 ${ms(pct(loaded, 99))}`);

  // (b) poll-to-start with idle long-pollers: 100 workflows one at a time
  const seqIds: string[] = [];
  recordClient = true;
  for (let i = 0; i < 100; i++) {
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const id = await startWf(e.url, 'bench_ten', i);
    doneWaiters.set(id, resolveDone);
    // it may have finished before startWf returned (then the event came before the waiter)
    const already = await getWf(e.url, id);
    if (already.status === 'COMPLETED') resolveDone();
    await done;
    doneWaiters.delete(id);
    seqIds.push(id);
  }
  recordClient = false;
  const seq = await Promise.all(seqIds.map((id) => getWf(e.url, id)));
  const server = seq.flatMap((x) => x.tasks.map((t) => t.startTime - t.scheduledTime));
  row('b', 'poll-to-start, idle long-pollers, server (start - scheduled)', `p50 ${ms(pct(server, 50))}  p99 ${ms(pct(server, 99))}  (n=${server.length})`, 'p50 < 5 ms', pct(server, 50) < 5);
  row('b', 'poll-to-start, client (execute() - scheduled)', `p50 ${ms(pct(clientLat, 50))}  p99 ${ms(pct(clientLat, 99))}  (n=${clientLat.length})`, 'p50 < 5 ms', pct(clientLat, 50) < 5);
  const perWf = seq.map((x) => x.endTime - x.startTime);
  row('b', '  one 10-task workflow end to end, unloaded', `p50 ${ms(pct(perWf, 50))}  p99 ${ms(pct(perWf, 99))}`);

  await w.stop();
  await stop(e);
  if (CPU_PROF) printProfile(profDir);
}

function printProfile(dir: string): void {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (!files.length) return void console.log('(no .cpuprofile written)');
  const s = summariseProfile(join(dir, files[0]), 20);
  console.log(`\nengine CPU profile (section a+b), ${join(dir, files[0])}: self time`);
  console.log('  by module:');
  for (const h of s.modules.slice(0, 12)) console.log(`    ${h.pct.toFixed(1).padStart(5)}%  ${h.name}`);
  console.log('  by function:');
  for (const h of s.functions) console.log(`    ${h.pct.toFixed(1).padStart(5)}%  ${h.name}`);
}

/** One client, sequentially: poll one task (timeout 0), complete it (legacy POST /api/tasks). */
async function pollUpdateLoop(url: string, type: string, n: number, clients = 1): Promise<{ perTaskMs: number; rt: number[] }> {
  const rt: number[] = [];
  let left = n;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (left-- > 0) {
        const t = performance.now();
        let task: WireTask | undefined;
        // with several clients the tail of a chain may not be queued yet: poll again
        for (let tries = 0; !task; tries++) {
          if (tries > 10_000) throw new Error(`queue ${type} ran dry`);
          const r = await call(url, 'GET', `/api/tasks/poll/batch/${type}?count=1&timeout=0&workerid=loop`);
          [task] = JSON.parse(r.text) as WireTask[];
        }
        await ok(url, 'POST', '/api/tasks', { workflowInstanceId: task.workflowInstanceId, taskId: task.taskId, status: 'COMPLETED', outputData: { ok: true }, workerId: 'loop' });
        rt.push(performance.now() - t);
      }
    }),
  );
  return { perTaskMs: (performance.now() - t0) / n, rt };
}

async function overheadVsFloor(): Promise<void> {
  // the engine: warm up on 50 workflows (500 tasks), measure 100 workflows (1000 tasks), then 8 clients
  const e = await engine();
  await register(e.url);
  for (let i = 0; i < 50; i++) await startWf(e.url, 'bench_rt', i);
  await pollUpdateLoop(e.url, 'bench_rt', 500);
  for (let i = 0; i < 100; i++) await startWf(e.url, 'bench_rt', i);
  const eng = await pollUpdateLoop(e.url, 'bench_rt', 1000);
  for (let i = 0; i < 200; i++) await startWf(e.url, 'bench_rt', i);
  const eng8 = await pollUpdateLoop(e.url, 'bench_rt', 2000, 8);
  // a real task body for the floor to send
  for (let i = 0; i < 1; i++) await startWf(e.url, 'bench_rt', i);
  const sample = JSON.parse((await call(e.url, 'GET', '/api/tasks/poll/batch/bench_rt?count=1&timeout=0')).text) as unknown[];
  const template = join(root, 'task-template.json');
  writeFileSync(template, JSON.stringify(sample[0]));
  await stop(e);

  const f = await spawnEngine({ dbPath: join(root, 'floor.db'), defsDir, script: join(repoRoot(), 'dist', 'bench', 'floor-server.js'), env: { FLOOR_TASK_TEMPLATE: template, FLOOR_CHAIN: '10' } });
  running.add(f);
  await ok(f.url, 'POST', '/load?workflows=50');
  await pollUpdateLoop(f.url, 'bench_rt', 500);
  await ok(f.url, 'POST', '/load?workflows=100');
  const floor = await pollUpdateLoop(f.url, 'bench_rt', 1000);
  await ok(f.url, 'POST', '/load?workflows=200');
  const floor8 = await pollUpdateLoop(f.url, 'bench_rt', 2000, 8);
  await stop(f);

  const ratio = eng.perTaskMs / floor.perTaskMs;
  row('f', 'poll + update per task, 1 client: engine', `${ms(eng.perTaskMs)}  (round trip p50 ${ms(pct(eng.rt, 50))}, p99 ${ms(pct(eng.rt, 99))})`);
  row('f', 'poll + update per task, 1 client: bare express floor', `${ms(floor.perTaskMs)}  (round trip p50 ${ms(pct(floor.rt, 50))}, p99 ${ms(pct(floor.rt, 99))})`);
  row('f', 'per-task overhead ratio engine / floor', `${ratio.toFixed(2)}x`, '<= 3x', ratio <= 3);
  row('f', '  same, 8 concurrent clients (tasks/s engine vs floor)', `${(1000 / eng8.perTaskMs).toFixed(0)} vs ${(1000 / floor8.perTaskMs).toFixed(0)} tasks/s = ${(eng8.perTaskMs / floor8.perTaskMs).toFixed(2)}x`);
}

/** Lean workers: `loops` concurrent batch polls (count 10, long poll 1 s) chaining update-v2. */
function rawWorkers(url: string, type: string, loops: number) {
  let stopped = false;
  let completed = 0;
  const all = Array.from({ length: loops }, async () => {
    while (!stopped) {
      const r = await call(url, 'GET', `/api/tasks/poll/batch/${type}?count=10&timeout=1000&workerid=raw`);
      if (r.status !== 200) continue;
      const batch = JSON.parse(r.text) as WireTask[];
      await Promise.all(
        batch.map(async (first) => {
          let t: WireTask | undefined = first;
          while (t) {
            const u = await call(url, 'POST', '/api/tasks/update-v2', { workflowInstanceId: t.workflowInstanceId, taskId: t.taskId, status: 'COMPLETED', outputData: { ok: true }, workerId: 'raw' });
            completed++;
            t = u.status === 200 && u.text ? (JSON.parse(u.text) as WireTask) : undefined;
          }
        }),
      );
    }
  });
  return {
    get completed() {
      return completed;
    },
    async stop() {
      stopped = true;
      await Promise.all(all);
    },
  };
}

async function memory(): Promise<void> {
  const e = await engine();
  await register(e.url);
  const idle = procMemoryMiB(e.pid);
  const w = rawWorkers(e.url, 'bench_rss', 4);
  const t0 = performance.now();
  let started = 0;
  // keep at most 200 workflows open so the run measures completed work, not a backlog
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (started < RSS_WORKFLOWS) {
        if (started - w.completed / RSS_TASKS > 200) {
          await new Promise((r) => setTimeout(r, 2));
          continue;
        }
        started++;
        await startWf(e.url, 'bench_rss', started);
      }
    }),
  );
  await until(async () => (await ok(e.url, 'GET', '/api/workflow/running/bench_rss?version=1')) === '[]', 'RSS workflows to complete', 600_000, 50);
  const wall = (performance.now() - t0) / 1000;
  await w.stop();
  const after = procMemoryMiB(e.pid);
  const db = join(root, `e${nth - 1}`);
  const dbMiB = readdirSync(db).reduce((s, f) => s + statSync(join(db, f)).size, 0) / 2 ** 20;
  row('e', `engine RSS after ${RSS_WORKFLOWS} completed workflows (${RSS_TASKS} tasks each)`, `${after.rss.toFixed(0)} MiB (idle at start ${idle.rss.toFixed(0)} MiB, peak VmHWM ${after.hwm.toFixed(0)} MiB)`, '< 200 MB', after.rss * 1.048576 < 200);
  row('e', '  that run: lean raw-HTTP workers (4 loops, batch poll + update-v2)', `${((RSS_WORKFLOWS * RSS_TASKS) / wall).toFixed(0)} tasks/s, ${(RSS_WORKFLOWS / wall).toFixed(0)} wf/s; DB files ${dbMiB.toFixed(0)} MiB`);
  const dbPath = join(db, 'baton.db');
  await stop(e);
  const again = await spawnEngine({ dbPath, defsDir, port: await freePort(), readyBy: 'health' });
  running.add(again);
  row('d', `  restart-to-healthy on that DB (${RSS_WORKFLOWS} completed workflows)`, ms(again.readyMs), '< 1000 ms', again.readyMs < 1000);
  await stop(again);
}

// ---- main -----------------------------------------------------------------------------------

function printTable(): void {
  const head: Row = { id: '', figure: 'figure', value: 'value', target: 'target', verdict: '' };
  const w = (k: keyof Row) => Math.max(...[head, ...rows].map((r) => r[k].length));
  const line = (r: Row) => `${r.id.padEnd(w('id'))}  ${r.figure.padEnd(w('figure'))}  ${r.value.padEnd(w('value'))}  ${r.target.padEnd(w('target'))}  ${r.verdict}`.trimEnd();
  const cpu = cpus()[0]?.model ?? '?';
  console.log(`\nBaton engine bench — node ${process.version}, ${cpus().length} x ${cpu}, engine log level info, SQLite WAL (synchronous=NORMAL), loopback HTTP`);
  console.log(line(head));
  console.log('-'.repeat(line(head).length + 6));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<void> {
  const sections: Array<[string, () => Promise<void>]> = [
    ['d start-to-healthy', startToHealthy],
    ['c start latency', startLatency],
    ['a/b throughput and poll-to-start', throughputAndLatency],
    ['f overhead vs floor', overheadVsFloor],
    ['e memory', memory],
  ];
  for (const [name, fn] of sections) {
    const t = performance.now();
    process.stderr.write(`bench: ${name} ...`);
    await fn();
    process.stderr.write(` ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  printTable();
}

main()
  .catch((e) => {
    process.exitCode = 1;
    console.error(e);
  })
  .finally(async () => {
    for (const e of running) await e.kill9();
    agent.destroy();
    rmSync(root, { recursive: true, force: true });
  });

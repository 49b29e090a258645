/**
 * `npm run bench:vs-conductor`: the same workloads on Baton and on a real Conductor OSS server in
 * one run, printed as a table with a ratio column (never a CI gate).
 *
 *   Baton      `node dist/engine/main.js`, a fresh SQLite file in a temp dir, an ephemeral port
 *   Conductor  `tools/conductor-oss/run.sh start --fresh` (SQLite, JVM -Xmx1g, see its README) on
 *              a free port with its data in a temp dir; stopped with `run.sh stop` (by pid)
 *
 * The servers run one after the other (Baton first), never together. On each, over loopback HTTP:
 *
 *   start    spawn → first 200 on /health (Baton: median of 5 spawns; Conductor: the one start,
 *            measured around run.sh, so it includes the script's JDK lookup)
 *   tput     official SDK TaskManager workers (10 task types x concurrency 10), workflows of 10
 *            SIMPLE tasks started by 8 concurrent clients after 30 warm-up workflows; VmRSS of the
 *            server process (/proc/<pid>/status) sampled every 100 ms meanwhile, peak reported
 *   p2s      poll-to-start with idle long-polling SDK workers, one workflow at a time: server
 *            (task startTime - scheduledTime) and worker (Date.now() in execute() - scheduledTime)
 *   fork     FORK_JOIN_DYNAMIC with 1,000 SIMPLE branches, SDK workers (concurrency 32): POST → COMPLETED
 *   wfstart  sequential POST /api/workflow round trips (node:http keep-alive), after 50 warm-up starts
 *
 * Knobs (env): BENCH_WORKFLOWS (200), BENCH_SEQUENTIAL (workflows in p2s, 50), BENCH_STARTS (500),
 * BENCH_BRANCHES (1000), BENCH_FORK_TIMEOUT_S (600), CONDUCTOR_OSS_* (see tools/conductor-oss/run.sh).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { orkesConductorClient } from '@io-orkes/conductor-javascript';
import { agent, benchTaskDef, call, chainWorkflow, fanoutWorkflow, getWf, median, ok, pct, sdkWorkers, sleep, startWf, until, waitEnd } from './lib/common';
import { freePort, procMemoryMiB, repoRoot, spawnEngine, type EngineProcess } from './lib/engine-process';

const WORKFLOWS = Number(process.env.BENCH_WORKFLOWS ?? 200);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 50);
const STARTS = Number(process.env.BENCH_STARTS ?? 500);
const BRANCHES = Number(process.env.BENCH_BRANCHES ?? 1000);
const FORK_TIMEOUT_S = Number(process.env.BENCH_FORK_TIMEOUT_S ?? 600);
const TYPES = Array.from({ length: 10 }, (_, i) => `vs_t${i}`);
const BRANCH = 'vs_branch';
const RUN_SH = join(repoRoot(), 'tools', 'conductor-oss', 'run.sh');

const root = mkdtempSync(join(tmpdir(), 'baton-vs-conductor-'));
const log = (s: string) => process.stderr.write(`vs-conductor: ${s}\n`);

// ---- the two servers ----------------------------------------------------------------------------

interface Server {
  label: string;
  /** Root URL, http://127.0.0.1:PORT (the API is under /api). */
  base: string;
  pid: number;
  stop(): Promise<void>;
}

/** Stop functions of whatever is still running, for the final clean-up. */
const cleanups = new Set<() => Promise<void>>();

async function batonStartToHealthy(): Promise<{ ms: number; all: number[] }> {
  const all: number[] = [];
  for (let i = 0; i < 5; i++) {
    const e = await spawnBaton({ port: await freePort(), readyBy: 'health' });
    all.push(e.readyMs);
    await e.stop();
  }
  return { ms: median(all), all };
}

async function spawnBaton(extra: { port?: number; readyBy?: 'log' | 'health' } = {}): Promise<EngineProcess> {
  const dir = mkdtempSync(join(root, 'baton-'));
  const defsDir = join(dir, 'defs');
  mkdirSync(defsDir);
  const e = await spawnEngine({ dbPath: join(dir, 'baton.db'), defsDir, ...extra });
  const stop = () => e.stop();
  cleanups.add(stop);
  void e.exited.then(() => cleanups.delete(stop));
  return e;
}

/**
 * `run.sh start --fresh` on a free port with a temp data directory; meanwhile GET /health every
 * 50 ms from the moment of the spawn, so the figure is spawn → first 200 (body not "healthy":false).
 */
async function startConductor(): Promise<{ server: Server; startMs: number; java: string }> {
  const port = await freePort();
  const data = join(root, 'conductor');
  const env = { ...process.env, CONDUCTOR_OSS_PORT: String(port), CONDUCTOR_OSS_DATA: data };
  const runSh = (cmd: string) => spawnSync('bash', [RUN_SH, cmd], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const pidOf = () => {
    try {
      const pid = Number(readFileSync(join(data, 'conductor.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  const stopIt = async () => {
    const pid = pidOf();
    runSh('stop'); // SIGTERM by pid, SIGKILL after 60 s
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
  };
  cleanups.add(stopIt);

  const base = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn('bash', [RUN_SH, 'start', '--fresh'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    process.stderr.write(d);
  });
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let scriptDone = false;
  void exited.then(() => (scriptDone = true));

  let startMs: number | undefined;
  const deadline = Date.now() + 240_000;
  while (startMs === undefined && Date.now() < deadline) {
    try {
      const r = await call(base, 'GET', '/health');
      if (r.status === 200 && !/"healthy"\s*:\s*false/.test(r.text)) startMs = performance.now() - t0;
    } catch {
      // not listening yet
    }
    if (startMs === undefined) {
      if (scriptDone) break; // run.sh gave up (its own messages are on stderr)
      await sleep(50);
    }
  }
  const code = await exited;
  if (code !== 0 || startMs === undefined) {
    await stopIt();
    throw new Error(`Conductor OSS did not start (run.sh start exit ${code})`);
  }
  const pid = pidOf();
  if (!pid) throw new Error(`no pid in ${join(data, 'conductor.pid')}`);
  const java = /\(Java (\d+)\)/.exec(stderr)?.[1] ?? '?';
  return {
    server: {
      label: 'Conductor',
      base,
      pid,
      stop: async () => {
        cleanups.delete(stopIt);
        await stopIt();
      },
    },
    startMs,
    java,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---- the workloads --------------------------------------------------------------------------------

interface Figures {
  startMs: number;
  tasksPerS: number;
  tputWallS: number;
  rssIdle: number;
  rssPeak: number;
  p2sServer: number[];
  p2sWorker: number[];
  fork: { status: string; ms: number };
  wfStart: number[];
}

async function workloads(s: Server, startMs: number): Promise<Figures> {
  const { base } = s;
  await ok(base, 'POST', '/api/metadata/taskdefs', [...TYPES, BRANCH].map(benchTaskDef));
  await ok(base, 'POST', '/api/metadata/workflow', chainWorkflow('vs_ten', TYPES));
  await ok(base, 'POST', '/api/metadata/workflow', fanoutWorkflow('vs_fanout', BRANCH));
  const client = await orkesConductorClient({ serverUrl: base });

  // -- throughput, with the server's RSS sampled meanwhile
  const rssIdle = procMemoryMiB(s.pid).rss;
  let rssPeak = rssIdle;
  const sampler = setInterval(() => {
    try {
      rssPeak = Math.max(rssPeak, procMemoryMiB(s.pid).rss);
    } catch {
      // the process is gone: the workload fails on its own
    }
  }, 100);
  let doneCount = 0;
  const doneWaiters = new Map<string, () => void>();
  const p2sWorker: number[] = [];
  let recordWorker = false;
  let wStopped = false;
  const w = sdkWorkers(client, TYPES, {
    concurrency: 10,
    onExecute: (t) => {
      if (recordWorker && t.scheduledTime) p2sWorker.push(Date.now() - t.scheduledTime);
    },
    doneType: TYPES[TYPES.length - 1],
    onDone: (id) => {
      doneCount++;
      doneWaiters.get(id)?.();
    },
  });
  try {
    log(`${s.label}: throughput, 30 warm-up + ${WORKFLOWS} workflows x 10 tasks`);
    for (let i = 0; i < 30; i++) await startWf(base, 'vs_ten', i);
    await until(() => doneCount >= 30, 'warm-up workflows', 300_000);
    doneCount = 0;
    const ids: string[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < WORKFLOWS) ids.push(await startWf(base, 'vs_ten', next++));
      }),
    );
    await until(() => doneCount >= WORKFLOWS, 'throughput workflows', 600_000, 5);
    const tputWallS = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    await until(async () => (await Promise.all(ids.map((id) => getWf(base, id)))).every((x) => x.status === 'COMPLETED'), 'throughput workflows to be COMPLETED', 60_000, 500);

    // -- poll-to-start, one workflow at a time
    log(`${s.label}: poll-to-start, ${SEQUENTIAL} workflows one at a time`);
    const seqIds: string[] = [];
    recordWorker = true;
    for (let i = 0; i < SEQUENTIAL; i++) {
      let resolveDone!: () => void;
      const done = new Promise<void>((r) => (resolveDone = r));
      const id = await startWf(base, 'vs_ten', i);
      doneWaiters.set(id, resolveDone);
      if ((await getWf(base, id)).status === 'COMPLETED') resolveDone(); // done before the waiter existed
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`workflow ${id} not done in 60 s`)), 60_000)))]);
      clearTimeout(timer);
      doneWaiters.delete(id);
      seqIds.push(id);
    }
    recordWorker = false;
    const seq = await Promise.all(seqIds.map((id) => getWf(base, id)));
    const p2sServer = seq.flatMap((x) => x.tasks.map((t) => t.startTime - t.scheduledTime));
    wStopped = true;
    await w.stop();

    // -- 1,000-branch dynamic fork
    log(`${s.label}: FORK_JOIN_DYNAMIC with ${BRANCHES} branches`);
    const fw = sdkWorkers(client, [BRANCH], { concurrency: 32 });
    let fork: Figures['fork'];
    const items = Array.from({ length: BRANCHES }, (_, i) => ({ i }));
    const f0 = performance.now();
    const forkId = await ok(base, 'POST', '/api/workflow', { name: 'vs_fanout', version: 1, input: { items } });
    try {
      const r = await waitEnd(base, forkId, FORK_TIMEOUT_S * 1000);
      fork = { status: r.status, ms: performance.now() - f0 };
    } catch {
      fork = { status: `still RUNNING after ${FORK_TIMEOUT_S} s`, ms: NaN };
      await call(base, 'DELETE', `/api/workflow/${forkId}?reason=bench+timeout`);
    }
    await fw.stop();

    // -- workflow start latency (no workers: the first tasks stay queued)
    log(`${s.label}: ${STARTS} sequential workflow starts`);
    for (let i = 0; i < 50; i++) await startWf(base, 'vs_ten', i);
    const wfStart: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      const t = performance.now();
      await startWf(base, 'vs_ten', i);
      wfStart.push(performance.now() - t);
    }
    return { startMs, tasksPerS: (WORKFLOWS * TYPES.length) / tputWallS, tputWallS, rssIdle, rssPeak, p2sServer, p2sWorker, fork, wfStart };
  } finally {
    clearInterval(sampler);
    if (!wStopped) await w.stop().catch(() => undefined);
  }
}

// ---- the table ------------------------------------------------------------------------------------

const msStr = (x: number) => (Number.isNaN(x) ? '-' : x < 10 ? `${x.toFixed(2)} ms` : x < 10_000 ? `${x.toFixed(0)} ms` : `${(x / 1000).toFixed(1)} s`);

/**
 * Baton's value relative to Conductor's: "3.1x" (Baton's is 3.1 times Conductor's) or "1/12"
 * (Baton's is a twelfth). `resolution`: the figure's unit; a Baton value of 0 means "below it".
 */
function ratio(b: number, c: number, resolution = 0): { text: string; r: number } {
  if (!Number.isFinite(b) || !Number.isFinite(c) || c === 0) return { text: '-', r: NaN };
  if (b === 0 && resolution > 0) return { text: `< 1/${(c / resolution).toFixed(0)}`, r: resolution / c };
  const r = b / c;
  const n = (x: number) => x.toFixed(x < 10 ? 1 : 0);
  return { text: r >= 1 ? `${n(r)}x` : `1/${n(1 / r)}`, r };
}

interface Line {
  figure: string;
  baton: string;
  conductor: string;
  ratio: string;
  goal: string;
}

function table(b: Figures, c: Figures): Line[] {
  const lines: Line[] = [];
  const add = (figure: string, bv: number, cv: number, fmt: (x: number) => string, goal?: { text: string; met: (r: number) => boolean }, resolution = 0) => {
    const q = ratio(bv, cv, resolution);
    const shown = (x: number) => (x === 0 && resolution > 0 ? `< ${fmt(resolution)}` : fmt(x));
    lines.push({ figure, baton: shown(bv), conductor: shown(cv), ratio: q.text, goal: goal ? `${goal.text} ${Number.isNaN(q.r) ? '' : goal.met(q.r) ? 'met' : 'not met'}`.trim() : '' });
  };
  const tps = (x: number) => `${x.toFixed(0)} tasks/s`;
  const mib = (x: number) => `${x.toFixed(0)} MiB`;
  const intMs = (x: number) => `${x} ms`; // task timestamps are whole milliseconds
  add(`task throughput, SDK workers, ${WORKFLOWS} wf x 10 SIMPLE`, b.tasksPerS, c.tasksPerS, tps, { text: '>= 5x', met: (r) => r >= 5 });
  add('poll-to-start p50, server (start - scheduled)', pct(b.p2sServer, 50), pct(c.p2sServer, 50), intMs, { text: '<= 1/10', met: (r) => r <= 0.1 }, 1);
  add('poll-to-start p99, server', pct(b.p2sServer, 99), pct(c.p2sServer, 99), intMs, undefined, 1);
  add('poll-to-start p50, worker (execute() - scheduled)', pct(b.p2sWorker, 50), pct(c.p2sWorker, 50), intMs, { text: '<= 1/10', met: (r) => r <= 0.1 }, 1);
  add('poll-to-start p99, worker', pct(b.p2sWorker, 99), pct(c.p2sWorker, 99), intMs, undefined, 1);
  add(`workflow start p50, POST /api/workflow (${STARTS} sequential)`, pct(b.wfStart, 50), pct(c.wfStart, 50), msStr);
  add('workflow start p99', pct(b.wfStart, 99), pct(c.wfStart, 99), msStr);
  const forkCell = (f: Figures['fork']) => (f.status === 'COMPLETED' ? msStr(f.ms) : f.status);
  const fq = ratio(b.fork.ms, c.fork.ms);
  lines.push({ figure: `FORK_JOIN_DYNAMIC ${BRANCHES} branches, SDK workers → COMPLETED`, baton: forkCell(b.fork), conductor: forkCell(c.fork), ratio: b.fork.status === 'COMPLETED' && c.fork.status === 'COMPLETED' ? fq.text : '-', goal: '' });
  add('start-to-healthy (spawn → /health 200)', b.startMs, c.startMs, msStr, { text: '<= 1/20', met: (r) => r <= 0.05 });
  add('peak RSS during the throughput run (VmRSS)', b.rssPeak, c.rssPeak, mib, { text: '<= 1/5', met: (r) => r <= 0.2 });
  add('  RSS idle, before the throughput run', b.rssIdle, c.rssIdle, mib);
  return lines;
}

function print(lines: Line[], header: string[]): void {
  const head: Line = { figure: 'figure', baton: 'Baton', conductor: 'Conductor OSS', ratio: 'Baton/Conductor', goal: 'goal' };
  const all = [head, ...lines];
  const w = (k: keyof Line) => Math.max(...all.map((l) => l[k].length));
  const fmt = (l: Line) => `${l.figure.padEnd(w('figure'))}  ${l.baton.padStart(w('baton'))}  ${l.conductor.padStart(w('conductor'))}  ${l.ratio.padStart(w('ratio'))}  ${l.goal}`.trimEnd();
  console.log('');
  for (const h of header) console.log(h);
  console.log(fmt(head));
  console.log('-'.repeat(fmt(head).length + 8));
  for (const l of lines) console.log(fmt(l));
}

// ---- main -------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!existsSync(RUN_SH)) throw new Error(`${RUN_SH} is missing`);
  const load0 = loadavg();

  log('Baton: start-to-healthy, 5 spawns');
  const bStart = await batonStartToHealthy();
  const e = await spawnBaton(); // port 0: the engine picks an ephemeral port
  const baton: Server = { label: 'Baton', base: e.url, pid: e.pid, stop: () => e.stop() };
  const b = await workloads(baton, bStart.ms);
  await baton.stop();

  log('Conductor: run.sh start --fresh');
  const cs = await startConductor();
  const c = await workloads(cs.server, cs.startMs);
  await cs.server.stop();

  const version = process.env.CONDUCTOR_OSS_VERSION ?? /<conductor\.version>(.*)<\/conductor\.version>/.exec(readFileSync(join(repoRoot(), 'tools', 'conductor-oss', 'pom.xml'), 'utf8'))?.[1];
  print(table(b, c), [
    `Baton vs Conductor OSS ${version} (Java ${cs.java}, -Xmx${process.env.CONDUCTOR_OSS_HEAP ?? '1g'}, SQLite) — node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${new Date().toISOString().slice(0, 10)}`,
    `load average before the run ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${loadavg().map((x) => x.toFixed(2)).join(' ')}; Baton start: median of 5 [${bStart.all.map((x) => x.toFixed(0)).join(', ')} ms], Conductor: one start`,
    `throughput run: Baton ${b.tputWallS.toFixed(1)} s, Conductor ${c.tputWallS.toFixed(1)} s; poll-to-start over ${SEQUENTIAL} workflows (${SEQUENTIAL * 10} tasks); ratio = Baton's figure / Conductor's`,
  ]);
}

main()
  .catch((err) => {
    process.exitCode = 1;
    console.error(err);
  })
  .finally(async () => {
    for (const stop of [...cleanups]) await stop().catch(() => undefined);
    agent.destroy();
    rmSync(root, { recursive: true, force: true });
  });

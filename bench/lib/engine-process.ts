/**
 * Run the built engine (`dist/engine/main.js`) as a child process on 127.0.0.1, as an operator
 * would: configured only by BATON_* environment variables. Used by the benchmark and by the
 * kill -9 crash test (test/crash), which both need a real process they can SIGKILL and measure.
 *
 * Readiness is the engine's own JSON log line `baton engine listening` (its `url` field carries
 * the bound port, so BATON_PORT=0 works), or the first 200 on /health when `readyBy: 'health'`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export interface EngineSpawnOptions {
  dbPath: string;
  /** Directory used for both BATON_TASKDEFS_DIR and BATON_WORKFLOWS_DIR (keep it empty). */
  defsDir: string;
  /** 0 = let the engine pick (the port is read from its log line). */
  port?: number;
  logLevel?: string;
  nodeArgs?: string[];
  env?: Record<string, string>;
  /** 'log': wait for the listening log line (needs log level info); 'health': poll /health. @default 'log' */
  readyBy?: 'log' | 'health';
  readyTimeoutMs?: number;
  /** Called with every parsed JSON log line of the engine. */
  onLog?: (line: Record<string, unknown>) => void;
  /** Run this script instead of dist/engine/main.js (it must log the same listening line). */
  script?: string;
  /** Called with the child right after spawn (before it is ready), e.g. to clean up. */
  onSpawn?: (child: ChildProcess) => void;
}

export interface EngineProcess {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  /** Milliseconds from spawn to ready. */
  readonly readyMs: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Last lines of stdout/stderr, for failure messages. */
  tail(): string;
  /** SIGKILL by pid and wait for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful close), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  alive(): boolean;
}

/** The repository root (the directory whose package.json is named "baton"). */
export function repoRoot(from = __dirname): string {
  let d = from;
  for (;;) {
    const p = join(d, 'package.json');
    if (existsSync(p) && (JSON.parse(readFileSync(p, 'utf8')) as { name?: string }).name === 'baton') return d;
    const up = dirname(d);
    if (up === d) throw new Error(`no baton package.json above ${from}`);
    d = up;
  }
}

export function engineMain(): string {
  const main = join(repoRoot(), 'dist', 'engine', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
  return main;
}

/** A free loopback port (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function spawnEngine(o: EngineSpawnOptions): Promise<EngineProcess> {
  const readyBy = o.readyBy ?? 'log';
  const port = o.port ?? 0;
  if (readyBy === 'health' && port === 0) throw new Error("readyBy 'health' needs a fixed port");
  const t0 = performance.now();
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), o.script ?? engineMain()], {
    // not the repository: main.ts loads ./.env, and the run must see only the variables below
    cwd: dirname(o.dbPath),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      BATON_HOST: '127.0.0.1',
      BATON_PORT: String(port),
      BATON_DB: o.dbPath,
      BATON_LOG_LEVEL: o.logLevel ?? 'info',
      BATON_TASKDEFS_DIR: o.defsDir,
      BATON_WORKFLOWS_DIR: o.defsDir,
      ...(o.env ?? {}),
    },
  });
  if (child.pid === undefined) throw new Error('engine did not spawn');
  const pid = child.pid;
  o.onSpawn?.(child);
  const tailLines: string[] = [];
  const keep = (s: string) => {
    tailLines.push(s);
    if (tailLines.length > 60) tailLines.shift();
  };
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });

  let onListening: ((port: number) => void) | undefined;
  let buf = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line) continue;
      let j: Record<string, unknown> | undefined;
      try {
        j = JSON.parse(line) as Record<string, unknown>;
      } catch {
        keep(line);
        continue;
      }
      if (j.level !== 'info' && j.level !== 'debug') keep(line);
      if (j.message === 'baton engine listening' && typeof j.url === 'string') {
        const m = /:(\d+)\/api$/.exec(j.url);
        if (m) onListening?.(Number(m[1]));
      }
      o.onLog?.(j);
    }
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => keep(`[stderr] ${chunk.trimEnd()}`));

  const tail = () => tailLines.join('\n');
  const alive = () => exitInfo === undefined;
  const kill9 = async () => {
    if (!alive()) return;
    process.kill(pid, 'SIGKILL');
    await exited;
  };
  const stop = async (graceMs = 5000) => {
    if (!alive()) return;
    process.kill(pid, 'SIGTERM');
    const t = setTimeout(() => {
      if (alive()) process.kill(pid, 'SIGKILL');
    }, graceMs);
    await exited;
    clearTimeout(t);
  };

  const timeoutMs = o.readyTimeoutMs ?? 15_000;
  let boundPort: number;
  try {
    boundPort = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`engine not ready after ${timeoutMs} ms\n${tail()}`)), timeoutMs);
      void exited.then((e) => {
        clearTimeout(timer);
        reject(new Error(`engine exited before ready (code ${e.code}, signal ${e.signal})\n${tail()}`));
      });
      const done = (p: number) => {
        clearTimeout(timer);
        resolve(p);
      };
      if (readyBy === 'log') onListening = done;
      else void pollHealth(`http://127.0.0.1:${port}/health`, () => alive() && performance.now() - t0 < timeoutMs).then((ok) => ok && done(port));
    });
  } catch (e) {
    await kill9();
    throw e;
  }
  const readyMs = performance.now() - t0;
  return { pid, port: boundPort, url: `http://127.0.0.1:${boundPort}`, child, readyMs, exited, tail, kill9, stop, alive };
}

/** GET `url` until it answers 200 (a refused connection is retried at once, on the next tick). */
async function pollHealth(url: string, keepGoing: () => boolean): Promise<boolean> {
  while (keepGoing()) {
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setImmediate(r));
  }
  return false;
}

/** VmRSS and VmHWM of a process in MiB, from /proc/<pid>/status. */
export function procMemoryMiB(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

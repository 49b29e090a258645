/**
 * Run a command for a task: its output streams into the task log line by line, it gets a time
 * limit and the task's AbortSignal, and a kill takes the whole process group (a build's compiler
 * children die with it). Never a shell: arguments are passed as a list.
 */
import { spawn } from 'node:child_process';
import { retryable, terminal } from './errors';

export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Kill the command after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Each output line (stdout and stderr), as it arrives. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Grace between SIGTERM and SIGKILL. @default 2000 */
  killGraceMs?: number;
  /** Bytes of each stream kept in the result (the end is kept). @default 4 MiB */
  maxBuffer?: number;
}

export interface ExecResult {
  exitCode: number | null;
  /** The signal that ended it, e.g. SIGKILL (also when we killed it). */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
}

class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(b: Buffer) {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size > this.max && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
  text() {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString('utf8');
  }
}

/** Variables that hold credentials by their name; a build of someone's commit must not see them. */
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE|(^|_)KEY$|^CONDUCTOR_AUTH_/i;

/**
 * The environment for a command that runs code from a repository (builds, tests, git hooks):
 * the worker's own minus anything secret-looking, plus `extra`.
 */
export function commandEnv(base: Readonly<Record<string, string | undefined>>, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !SECRET_NAME.test(k)) out[k] = v;
  return { ...out, ...extra };
}

export function runCommand(command: string, args: readonly string[], o: ExecOptions = {}): Promise<ExecResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(retryable('ABORTED', `not started: ${String(o.signal.reason ?? 'aborted')}`));
    const child = spawn(command, [...args], { cwd: o.cwd, env: o.env as NodeJS.ProcessEnv | undefined, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = new Tail(o.maxBuffer ?? 4 * 1024 * 1024);
    const err = new Tail(o.maxBuffer ?? 4 * 1024 * 1024);
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;

    const lines = (stream: 'stdout' | 'stderr') => {
      let partial = '';
      return (b: Buffer) => {
        (stream === 'stdout' ? out : err).push(b);
        if (!o.onLine) return;
        const parts = (partial + b.toString('utf8')).split(/\r?\n/);
        partial = parts.pop() ?? '';
        for (const l of parts) o.onLine(l, stream);
      };
    };
    child.stdout.on('data', lines('stdout'));
    child.stderr.on('data', lines('stderr'));

    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    const stop = () => {
      killGroup('SIGTERM');
      killTimer ??= setTimeout(() => killGroup('SIGKILL'), o.killGraceMs ?? 2000);
    };
    const timer = o.timeoutMs !== undefined ? setTimeout(() => ((timedOut = true), stop()), o.timeoutMs) : undefined;
    const onAbort = () => ((aborted = true), stop());
    o.signal?.addEventListener('abort', onAbort, { once: true });

    const cleanup = () => {
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      o.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      cleanup();
      if (e.code === 'ENOENT') reject(terminal('TOOL_NOT_FOUND', `${command}: not found`, { command }));
      else if (e.code === 'EACCES') reject(terminal('TOOL_NOT_FOUND', `${command}: not executable`, { command }));
      else reject(retryable('SPAWN_FAILED', `${command}: ${e.message}`, { command, errno: e.code }));
    });
    child.on('close', (exitCode, signal) => {
      cleanup();
      // the group may have members left (a daemonised grandchild): end them with the command
      if (timedOut || aborted) killGroup('SIGKILL');
      resolve({ exitCode, signal, stdout: out.text(), stderr: err.text(), timedOut, aborted, durationMs: Date.now() - started });
    });
  });
}

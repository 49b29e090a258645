/**
 * The local backend's JobShell: the same job scripts as over SSH, run by the local `sh`, and file
 * copies instead of SFTP. The environment is the worker's minus anything secret-looking, so a
 * training command never sees the worker's credentials.
 */
import { spawn } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { retryable } from '../../runtime/errors';
import type { JobShell } from './remote-job';
import type { ShellResult } from './ssh';

export class LocalShell implements JobShell {
  readonly where = 'local';

  constructor(private readonly env: Record<string, string>) {}

  run(script: string, timeoutMs = 60_000): Promise<ShellResult> {
    return new Promise((resolve, reject) => {
      // its own process group, so a timeout kills the script's children too (never the job:
      // the job is setsid'd into a session of its own)
      const child = spawn('sh', ['-s'], { env: this.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
        reject(retryable('LOCAL_COMMAND_TIMEOUT', `a local job script did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(retryable('SPAWN_FAILED', `sh: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal: signal ?? undefined, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
      });
      child.stdin.on('error', () => undefined); // a script that exits early closes stdin under us
      child.stdin.end(script);
    });
  }

  put(local: string, remote: string): Promise<void> {
    return copyFile(local, remote);
  }

  get(remote: string, local: string): Promise<void> {
    return copyFile(remote, local);
  }

  close(): void {}
}

/**
 * The server under test: an external Conductor (CONDUCTOR_SERVER_URL, e.g. http://localhost:8080/api)
 * or a freshly spawned Baton child process (`node dist/engine/main.js`, built by `npm run build`).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface Conductor {
  /** Base URL ending in `/api`. */
  url: string;
  close(): Promise<void>;
}

export async function conductor(): Promise<Conductor> {
  const external = process.env.CONDUCTOR_SERVER_URL;
  if (external) return { url: external.replace(/\/+$/, ''), close: async () => undefined };

  const root = path.resolve(__dirname, '..', '..', '..');
  const child = spawn(process.execPath, [path.join(root, 'dist', 'engine', 'main.js')], {
    cwd: root,
    env: {
      ...process.env,
      BATON_DB: ':memory:',
      BATON_PORT: '0',
      BATON_HOST: '127.0.0.1',
      BATON_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));

  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`baton did not start within 15 s\n${stderr}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.includes('baton engine listening')) continue;
        try {
          const rec = JSON.parse(line) as { url?: string };
          if (rec.url) {
            clearTimeout(timer);
            resolve(rec.url);
          }
        } catch {
          /* not JSON: keep reading */
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`baton exited with code ${code} before listening\n${stderr}`));
    });
  });
  // keep draining stdout so the child never blocks on a full pipe
  child.stdout!.resume();

  return {
    url,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
      await exited;
    },
  };
}

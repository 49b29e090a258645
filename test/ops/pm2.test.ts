/**
 * The PM2 process file for real: PM2 (its own PM2_HOME, every port ephemeral) starts the engine,
 * the worker groups, the webhook server and the device simulator; a worker process killed by its
 * pid is restarted by PM2, and a workflow that needs it still completes.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const PM2 = join(ROOT, 'node_modules/.bin/pm2');
let dir: string;
let env: NodeJS.ProcessEnv;
let api: string;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

interface Proc {
  name: string;
  pid: number;
  pm2_env: { status: string; restart_time: number };
}
const jlist = () => JSON.parse(execFileSync(PM2, ['jlist'], { env, encoding: 'utf8' })) as Proc[];

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve(fn()).catch(() => undefined);
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-pm2-'));
  const port = await freePort();
  api = `http://127.0.0.1:${port}/api`;
  env = {
    ...process.env,
    PM2_HOME: join(dir, 'pm2'),
    BATON_DATA_DIR: join(dir, 'data'),
    BATON_PORT: String(port),
    BATON_DB: join(dir, 'data', 'baton.db'),
    CONDUCTOR_SERVER_URL: api,
    WORKERS_BUILD_METRICS_PORT: String(await freePort()),
    WORKERS_DEVICE_METRICS_PORT: String(await freePort()),
    WORKERS_ML_METRICS_PORT: String(await freePort()),
    WEBHOOK_PORT: String(await freePort()),
    WEBHOOK_DB: join(dir, 'data', 'webhook.db'),
    DEMO_DEVICE_HTTP_PORT: String(await freePort()),
    DEMO_DEVICE_OTA_PORT: String(await freePort()),
    ARTIFACT_STORAGE_PATH: join(dir, 'data', 'artifacts'),
    WORKSPACE_PATH: join(dir, 'data', 'workspace'),
    DEPLOYMENT_REGISTRY_PATH: join(dir, 'data', 'deployments'),
  };
  execFileSync(PM2, ['start', join(ROOT, 'ecosystem.config.js')], { env, cwd: ROOT, stdio: 'ignore' });
}, 60_000);

afterAll(() => {
  // `pm2 kill` stops every app and the daemon of this PM2_HOME
  if (env) execFileSync(PM2, ['kill'], { env, stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
});

test('the whole system comes up under PM2', async () => {
  const names = jlist().map((p) => p.name).sort();
  expect(names).toEqual(['baton-engine', 'baton-webhook', 'device-sim', 'workers-build', 'workers-device', 'workers-ml']);
  await until('engine health', async () => (await fetch(`${api.replace(/\/api$/, '')}/health`)).ok || undefined);
  await until('webhook health', async () => (await fetch(`http://127.0.0.1:${env.WEBHOOK_PORT}/health`)).ok || undefined);
  await until('device', async () => (await fetch(`http://127.0.0.1:${env.DEMO_DEVICE_HTTP_PORT}/info`)).ok || undefined);
  for (const p of [env.WORKERS_BUILD_METRICS_PORT, env.WORKERS_DEVICE_METRICS_PORT, env.WORKERS_ML_METRICS_PORT]) {
    await until(`worker metrics :${p}`, async () => (await fetch(`http://127.0.0.1:${p}/health`)).ok || undefined);
  }
}, 60_000);

test('a worker killed by its pid is restarted by PM2 and the workflow completes', async () => {
  const before = jlist().find((p) => p.name === 'workers-build')!;
  process.kill(before.pid, 'SIGKILL');
  const after = await until('restart', () => {
    const p = jlist().find((x) => x.name === 'workers-build');
    return p && p.pid !== before.pid && p.pid > 0 && p.pm2_env.status === 'online' ? p : undefined;
  });
  expect(after.pm2_env.restart_time).toBeGreaterThan(before.pm2_env.restart_time);
  // the other processes kept running
  expect(jlist().find((p) => p.name === 'workers-device')!.pm2_env.restart_time).toBe(0);

  const project = join(dir, 'fw');
  cpSync(join(ROOT, 'test/fixtures/firmware-project'), project, { recursive: true });
  const post = (path: string, body: unknown, method = 'POST') =>
    fetch(`${api}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect((await post('/metadata/workflow?overwrite=true', { name: 'pm2_check', version: 1, schemaVersion: 2, tasks: [{ name: 'compile', taskReferenceName: 'build', type: 'SIMPLE', inputParameters: { projectDir: project, command: ['make', 'VERSION=9.9.9'] } }] })).status).toBe(200);
  const id = await (await post('/workflow', { name: 'pm2_check', input: {} })).text();
  const wf = await until('workflow end', async () => {
    const w = (await (await fetch(`${api}/workflow/${id}`)).json()) as { status: string; output: unknown; tasks: { outputData: { version?: string } }[] };
    return w.status !== 'RUNNING' ? w : undefined;
  }, 60_000);
  expect(wf.status).toBe('COMPLETED');
  expect(wf.tasks[0].outputData.version).toBe('9.9.9');
}, 120_000);

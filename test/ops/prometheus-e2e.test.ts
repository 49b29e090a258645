/**
 * Observability end to end: Debian's Prometheus server on loopback scrapes the engine and the
 * device while the firmware pipeline runs; PromQL then counts exactly the runs that completed,
 * sees the device's heap, and loads the alert rules without firing any.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFirmwareEnv, type FirmwareEnv } from '../e2e/firmware-env';

let env: FirmwareEnv;
let prom: ChildProcess | undefined;
let promUrl: string;
let dir: string;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function query(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await r.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(`query failed: ${JSON.stringify(body)}`);
  return body.data.result;
}

beforeAll(async () => {
  env = await startFirmwareEnv('baton-prom-e2e-');
  dir = mkdtempSync(join(tmpdir(), 'baton-prom-'));
  const engine = new URL(env.server.url);
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  // the repository's rules, a scrape config for this run's ports, a 1 s interval
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: ['${join(__dirname, '../../prometheus/alerts.yml')}']`,
      'scrape_configs:',
      `  - { job_name: baton-engine, metrics_path: /metrics, static_configs: [{ targets: ['${engine.host}'] }] }`,
      `  - { job_name: device, metrics_path: /metrics, static_configs: [{ targets: ['${env.device.host}:${env.device.httpPort}'], labels: { device: sim-1 } }] }`,
      '',
    ].join('\n'),
  );
  prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const spawned = await new Promise<Error | undefined>((resolve) => {
    prom!.once('error', resolve);
    prom!.once('spawn', () => resolve(undefined));
  });
  if (spawned) throw new Error(`the prometheus server is not installed (apt-get install prometheus; .ci/run does): ${spawned.message}`);
  await until('prometheus ready', async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined));
}, 90_000);

afterAll(async () => {
  if (prom?.pid) {
    const gone = new Promise((r) => prom!.once('exit', r));
    prom.kill('SIGTERM');
    await gone;
  }
  await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('Prometheus counts the completed pipeline runs and sees the device', async () => {
  const run = async (tag: string, extra: Record<string, unknown> = {}) => {
    const sha = env.release(tag);
    const id = await env.api.start({ name: 'firmware_ci_cd', version: 1, input: { repo: 'fw', branch: 'main', commit_sha: sha, repo_url: env.repo, ...env.deviceInput(), ...extra } });
    return (await env.api.waitFor(id, (w) => w.status !== 'RUNNING', 60_000)).status;
  };
  expect(await run('v2.0.0')).toBe('COMPLETED');
  expect(await run('v2.1.0')).toBe('COMPLETED');
  expect(await run('v2.2.0', { test_command: ['make', 'test', 'FAIL=1'] })).toBe('FAILED');

  const completed = await until('2 completed runs in Prometheus', async () => {
    const r = await query('sum(baton_workflows_ended_total{workflow="firmware_ci_cd", status="COMPLETED"})');
    return r[0]?.value[1] === '2' ? r : undefined;
  });
  expect(completed[0].value[1]).toBe('2');
  const failed = await until('1 failed run', async () => {
    const r = await query('sum(baton_workflows_ended_total{workflow="firmware_ci_cd", status="FAILED"})');
    return r[0]?.value[1] === '1' ? r : undefined;
  });
  expect(failed[0].value[1]).toBe('1');
  // over a minute: a scrape during the device's OTA reboot leaves the series stale for a moment
  const heap = await until('device heap', async () => {
    const r = await query('max_over_time(device_free_heap_bytes{device="sim-1"}[1m])');
    return r.length ? r : undefined;
  });
  expect(Number(heap[0].value[1])).toBeGreaterThan(50_000);
  // the repository's rules are loaded and healthy, and none is firing
  const rules = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; state: string }[] }[] } };
  const all = rules.data.groups.flatMap((g) => g.rules);
  expect(all.map((r) => r.name)).toEqual(expect.arrayContaining(['HighWorkflowFailureRate', 'DeviceOffline']));
  expect(all.filter((r) => r.health !== 'ok' && r.health !== 'unknown')).toEqual([]);
  expect(all.filter((r) => r.state === 'firing').map((r) => r.name)).toEqual([]);
}, 240_000);

/**
 * The world the firmware pipeline runs in, for the e2e tests: a Conductor server (a spawned Baton,
 * or CONDUCTOR_SERVER_URL) with taskdefs/ and workflows/ registered, Baton's workers on the
 * official SDK, the device simulator on loopback, and the sample C firmware in a fresh git
 * repository whose releases are annotated tags (git describe gives the firmware version).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conductor, type Conductor } from '../conformance/lib/server';
import { Api } from '../conformance/lib/client';
import { DeviceSimulator, type SimPorts } from '../../tools/device-sim/device-simulator';
import { startWorkers, type RunningWorkers } from '../../workers/runtime/run';
import { loadWorkerConfig } from '../../workers/runtime/config';
import { ALL_WORKERS } from '../../workers';

export const ROOT = join(__dirname, '..', '..');
export const OTA_PASSWORD = 'e2e-ota-secret-42';

export interface FirmwareEnv {
  server: Conductor;
  api: Api;
  sim: DeviceSimulator;
  device: SimPorts;
  workers: RunningWorkers;
  /** Scratch folder of this run (artifacts, workspace, deployments, the repository). */
  dir: string;
  /** The sample firmware's git repository (branch main). */
  repo: string;
  git(...args: string[]): string;
  /** Commits a change to CHANGES (and `extra` files) and tags it `tag`; returns the sha. */
  release(tag: string, change?: string, extra?: Record<string, string>): string;
  /** The firmware_ci_cd inputs that point at the simulator, with quick verification timings. */
  deviceInput(): Record<string, unknown>;
  close(): Promise<void>;
}

const definitions = (sub: string) =>
  readdirSync(join(ROOT, sub))
    .filter((f) => f.endsWith('.json') && f !== 'demo.json' && f !== 'baton_demo.json')
    .map((f) => JSON.parse(readFileSync(join(ROOT, sub, f), 'utf8')));

export async function startFirmwareEnv(prefix = 'baton-fw-e2e-'): Promise<FirmwareEnv> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const repo = join(dir, 'repo');
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_NAME: 'e2e', GIT_AUTHOR_EMAIL: 'e2e@baton.dev', GIT_COMMITTER_NAME: 'e2e', GIT_COMMITTER_EMAIL: 'e2e@baton.dev' },
    }).trim();
  cpSync(join(ROOT, 'test/fixtures/firmware-project'), repo, { recursive: true, filter: (p) => !p.includes(`${join('firmware-project', 'build')}`) });
  git('init', '-q', '-b', 'main');

  const server = await conductor();
  const api = new Api(server.url);
  await api.json('POST', '/metadata/taskdefs', definitions('taskdefs').flat());
  await api.json('PUT', '/metadata/workflow', definitions('workflows'));

  const sim = new DeviceSimulator({ password: OTA_PASSWORD, restartDelayMs: 50 });
  const device = await sim.start();

  const env = {
    ...process.env,
    CONDUCTOR_SERVER_URL: server.url,
    ARTIFACT_STORAGE_PATH: join(dir, 'artifacts'),
    WORKSPACE_PATH: join(dir, 'workspace'),
    DEPLOYMENT_REGISTRY_PATH: join(dir, 'deployments'),
    OTA_PASSWORD,
    WORKER_POLL_INTERVAL_MS: '50',
  };
  const workers = await startWorkers(ALL_WORKERS, loadWorkerConfig(env), env);

  return {
    server, api, sim, device, workers, dir, repo, git,
    release(tag, change = '', extra = {}) {
      writeFileSync(join(repo, 'CHANGES'), `${tag}\n${change}\n`);
      for (const [file, text] of Object.entries(extra)) writeFileSync(join(repo, file), text);
      git('add', '-A');
      git('commit', '-q', '-m', `release ${tag}`);
      git('tag', '-a', tag, '-m', tag); // annotated: git describe (the firmware version) reads those
      return git('rev-parse', 'HEAD');
    },
    deviceInput: () => ({
      device_ip: device.host,
      device_id: 'sim-1',
      device_ota_port: device.otaPort,
      device_http_port: device.httpPort,
      verify_soak_seconds: 1,
      verify_interval_seconds: 0.1,
      verify_reboot_timeout_seconds: 10,
    }),
    async close() {
      await workers.stop(2000);
      await sim.stop();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

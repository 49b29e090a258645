/**
 * `npm run demo:firmware`: the firmware pipeline against a simulated ESP32, on whatever server
 * CONDUCTOR_SERVER_URL names.
 *
 * It makes a git repository of the sample C firmware (tagged with a new version each run),
 * starts firmware_ci_cd for that commit and prints each task as it ends. By default it uses the
 * system `npm start` runs: its workers and its device simulator (127.0.0.1, DEMO_DEVICE_HTTP_PORT
 * 8266, DEMO_DEVICE_OTA_PORT 3232). `--standalone` starts its own simulator and workers instead,
 * for a server without them. `--boot-loop` flashes an image that crashes at boot, to watch
 * verify fail and deployment_rollback_handler put the device back.
 */
import 'dotenv/config';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { orkesConductorClient, WorkflowExecutor } from '@io-orkes/conductor-javascript';
import { DeviceSimulator } from '../tools/device-sim/device-simulator';
import { startWorkers } from '../workers/runtime/run';
import { loadWorkerConfig } from '../workers/runtime/config';
import { createWorkerLogger } from '../workers/runtime/logger';
import { ALL_WORKERS } from '../workers';

const ROOT = join(__dirname, '..', '..');

async function main(): Promise<void> {
  const bootLoop = process.argv.includes('--boot-loop');
  const standalone = process.argv.includes('--standalone');
  const dir = mkdtempSync(join(tmpdir(), 'baton-demo-'));
  const repo = join(dir, 'firmware');
  cpSync(join(ROOT, 'test/fixtures/firmware-project'), repo, { recursive: true });
  const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'demo', GIT_AUTHOR_EMAIL: 'demo@baton.dev', GIT_COMMITTER_NAME: 'demo', GIT_COMMITTER_EMAIL: 'demo@baton.dev' } }).trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'demo firmware');
  // a version per run (git describe reads annotated tags), so each demo deploys something new
  const version = `v1.0.${Math.floor(Date.now() / 1000) % 100000}`;
  git('tag', '-a', version, '-m', version);
  const sha = git('rev-parse', 'HEAD');

  let stop = async () => undefined as void;
  let device: { host: string; otaPort: number; httpPort: number; baseUrl: string };
  let config = loadWorkerConfig(process.env);
  if (standalone) {
    const password = process.env.OTA_PASSWORD || 'baton-demo-ota';
    const sim = new DeviceSimulator({ password, faults: bootLoop ? { crashOnBoot: true } : {}, log: (l) => console.log(`  [device] ${l}`) });
    device = await sim.start();
    const env = {
      ...process.env,
      OTA_PASSWORD: password,
      ARTIFACT_STORAGE_PATH: process.env.ARTIFACT_STORAGE_PATH || join(dir, 'artifacts'),
      WORKSPACE_PATH: process.env.WORKSPACE_PATH || join(dir, 'workspace'),
      DEPLOYMENT_REGISTRY_PATH: process.env.DEPLOYMENT_REGISTRY_PATH || join(dir, 'deployments'),
    };
    config = loadWorkerConfig(env);
    const workers = await startWorkers(ALL_WORKERS, config, env, createWorkerLogger('warn'));
    stop = async () => {
      await workers.stop(2000);
      await sim.stop();
    };
  } else {
    const httpPort = Number(process.env.DEMO_DEVICE_HTTP_PORT || 8266);
    device = { host: '127.0.0.1', otaPort: Number(process.env.DEMO_DEVICE_OTA_PORT || 3232), httpPort, baseUrl: `http://127.0.0.1:${httpPort}` };
    const faults = await fetch(`${device.baseUrl}/__sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ crashOnBoot: bootLoop }) }).catch(() => undefined);
    if (!faults?.ok) throw new Error(`no device simulator at ${device.baseUrl}: start the system with \`npm start\`, or use --standalone`);
  }
  console.log(`device: espota udp ${device.host}:${device.otaPort}, http ${device.baseUrl}`);
  const client = await orkesConductorClient({ serverUrl: config.CONDUCTOR_SERVER_URL, keyId: config.CONDUCTOR_AUTH_KEY, keySecret: config.CONDUCTOR_AUTH_SECRET });
  const exec = new WorkflowExecutor(client);
  const id = await exec.startWorkflow({
    name: 'firmware_ci_cd',
    version: 1,
    correlationId: `demo/firmware@${sha.slice(0, 7)}`,
    input: { repo: 'demo/firmware', branch: 'main', commit_sha: sha, repo_url: repo, device_ip: device.host, device_id: 'demo-device', device_ota_port: device.otaPort, device_http_port: device.httpPort, verify_soak_seconds: 3, verify_interval_seconds: 0.5 },
  });
  console.log(`started firmware_ci_cd ${id} (${config.CONDUCTOR_SERVER_URL})`);

  const seen = new Set<string>();
  const follow = async (wfId: string, label: string) => {
    for (let i = 0; i < 1200; i++) {
      const wf = await exec.getWorkflow(wfId, true);
      for (const t of wf.tasks ?? []) {
        const key = `${t.taskId}:${t.status}`;
        if (seen.has(key) || t.status === 'SCHEDULED' || t.status === 'IN_PROGRESS') continue;
        seen.add(key);
        console.log(`${label} ${String(t.referenceTaskName).padEnd(12)} ${t.status}${t.reasonForIncompletion ? `  ${t.reasonForIncompletion}` : ''}`);
      }
      if (wf.status !== 'RUNNING') return wf;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${wfId} still running after 5 minutes`);
  };
  const wf = await follow(id, 'firmware_ci_cd');
  console.log(`firmware_ci_cd ${wf.status}: ${JSON.stringify(wf.output)}`);
  const failureWf = wf.output?.['conductor.failure_workflow'];
  if (typeof failureWf === 'string') {
    const rb = await follow(failureWf, 'rollback');
    console.log(`deployment_rollback_handler ${rb.status}: ${JSON.stringify(rb.output)}`);
  }
  const info = (await (await fetch(`${device.baseUrl}/info`)).json()) as { version: string; ota_state: string };
  console.log(`device now runs ${info.version} (${info.ota_state})`);
  await stop();
  process.exit(wf.status === 'COMPLETED' || bootLoop ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

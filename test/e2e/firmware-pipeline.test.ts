/**
 * The firmware pipeline end to end: definitions from taskdefs/ and workflows/, Baton's workers on
 * the official SDK, the sample C firmware in a real git repository, and the device simulator
 * speaking espota and HTTP on loopback. The server is a spawned Baton, or any Conductor given by
 * CONDUCTOR_SERVER_URL (the same test proves the scale-out claim on Conductor OSS).
 */
import { Api, task, type Workflow } from '../conformance/lib/client';
import { OTA_PASSWORD, startFirmwareEnv, type FirmwareEnv } from './firmware-env';

const RUN_MS = 60_000;

let env: FirmwareEnv;
let api: Api;
let repo: string;
const git = (...args: string[]) => env.git(...args);
const release = (tag: string, change = '') => env.release(tag, change);

beforeAll(async () => {
  env = await startFirmwareEnv();
  ({ api, repo } = env);
}, 60_000);

afterAll(async () => env?.close());

async function runPipeline(commit: string, extra: Record<string, unknown> = {}): Promise<Workflow> {
  const id = await api.start({
    name: 'firmware_ci_cd',
    version: 1,
    correlationId: `e2e/firmware@${commit.slice(0, 7)}`,
    input: {
      repo: 'firmware-project',
      branch: 'main',
      commit_sha: commit,
      repo_url: repo,
      ...env.deviceInput(),
      ...extra,
    },
  });
  return api.waitFor(id, (w) => w.status !== 'RUNNING', RUN_MS);
}

/**
 * The failure workflow a failed run started. Conductor writes its id into the failed run's
 * output; Conductor OSS saves the FAILED status first and the id a moment later, so wait for it.
 */
async function rollbackRun(failed: Workflow): Promise<Workflow> {
  const withId = await api.waitFor(failed.workflowId, (w) => typeof w.output?.['conductor.failure_workflow'] === 'string', 10_000);
  const id = withId.output['conductor.failure_workflow'] as string;
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  return api.waitFor(id, (w) => w.status !== 'RUNNING', RUN_MS);
}

const deviceVersion = async () => ((await (await fetch(`${env.device.baseUrl}/info`)).json()) as { version: string; ota_state: string });

test('a push builds, tests, deploys and confirms the new firmware on the device', async () => {
  const sha = release('v1.0.0');
  const wf = await runPipeline(sha);
  expect(wf.status).toBe('COMPLETED');
  expect(wf.output).toMatchObject({ version: 'v1.0.0', commit: sha, deployed: true, running_version: 'v1.0.0', previous_version: '1.0.0', tests: { total: 3, passed: 3, failed: 0 } });
  expect(await deviceVersion()).toMatchObject({ version: 'v1.0.0', ota_state: 'valid' });
  // the task log of the deploy shows the upload as it went
  const logs = await api.json<{ log: string }[]>('GET', `/tasks/${task(wf, 'deploy').taskId}/log`);
  expect(logs.map((l) => l.log).join('\n')).toMatch(/uploaded \d+\/\d+ bytes \(100%\)/);
  expect(JSON.stringify(logs)).not.toContain(OTA_PASSWORD);
}, RUN_MS * 2);

test('an upload cut mid-stream is retried and the deployment completes', async () => {
  const sha = release('v1.1.0', 'flaky wifi');
  env.sim.setFaults({ dropUpload: { afterBytes: 1024, times: 1 } });
  const wf = await runPipeline(sha);
  expect(wf.status).toBe('COMPLETED');
  const deploys = wf.tasks.filter((t) => t.referenceTaskName === 'deploy');
  expect(deploys.map((t) => t.status)).toEqual(['FAILED', 'COMPLETED']);
  expect(deploys[0].reasonForIncompletion).toMatch(/^TRANSFER_STALLED/);
  expect(await deviceVersion()).toMatchObject({ version: 'v1.1.0', ota_state: 'valid' });
}, RUN_MS * 2);

test('a boot-looping image fails verification; the rollback workflow leaves the device on the previous version', async () => {
  const sha = release('v1.2.0', 'crashes at boot');
  env.sim.setFaults({ crashOnBoot: true });
  const wf = await runPipeline(sha);
  expect(wf.status).toBe('FAILED');
  expect(task(wf, 'verify').status).toBe('FAILED_WITH_TERMINAL_ERROR');
  expect(task(wf, 'verify').reasonForIncompletion).toMatch(/^(ROLLED_BACK_BY_DEVICE|REBOOT_LOOP)/);
  const rb = await rollbackRun(wf);
  expect(rb.status).toBe('COMPLETED');
  expect(rb.output).toMatchObject({ failed_workflow_id: wf.workflowId, skipped: false, running_version: 'v1.1.0' });
  expect(await deviceVersion()).toMatchObject({ version: 'v1.1.0', ota_state: 'valid' });
}, RUN_MS * 3);

test('an unhealthy image is rejected by the rollback workflow and the device goes back', async () => {
  const sha = release('v1.3.0', 'renders nothing');
  // faults last until changed: this image boots and stays up, but reports unhealthy
  env.sim.setFaults({ crashOnBoot: false, unhealthy: true });
  const wf = await runPipeline(sha);
  expect(wf.status).toBe('FAILED');
  expect(task(wf, 'verify').reasonForIncompletion).toMatch(/^UNHEALTHY/);
  const rb = await rollbackRun(wf);
  expect(rb.status).toBe('COMPLETED');
  expect(rb.output).toMatchObject({ strategy: 'reject_pending', running_version: 'v1.1.0' });
  expect(await deviceVersion()).toMatchObject({ version: 'v1.1.0', ota_state: 'valid' });
}, RUN_MS * 3);

test('failing unit tests stop the pipeline before anything is deployed', async () => {
  const sha = release('v1.4.0', 'breaks a test');
  const wf = await runPipeline(sha, { test_command: ['make', 'test', 'FAIL=1'] });
  expect(wf.status).toBe('FAILED');
  expect(task(wf, 'unit_tests').status).toBe('FAILED_WITH_TERMINAL_ERROR');
  expect(task(wf, 'unit_tests').reasonForIncompletion).toMatch(/^TESTS_FAILED/);
  expect(wf.tasks.some((t) => t.referenceTaskName === 'deploy')).toBe(false);
  const rb = await rollbackRun(wf);
  expect(rb.status).toBe('COMPLETED');
  expect(rb.output).toMatchObject({ skipped: true });
  expect(await deviceVersion()).toMatchObject({ version: 'v1.1.0' });
}, RUN_MS * 2);

test('bad input fails the first task with INVALID_INPUT naming the field, and nothing runs after it', async () => {
  const sha = git('rev-parse', 'HEAD');
  const wf = await runPipeline(sha, { repo_url: null, project_dir: null });
  expect(wf.status).toBe('FAILED');
  expect(task(wf, 'compile').status).toBe('FAILED_WITH_TERMINAL_ERROR');
  expect(task(wf, 'compile').reasonForIncompletion).toMatch(/^INVALID_INPUT: (projectDir|repoUrl)/);
  expect(wf.tasks).toHaveLength(1);
}, RUN_MS);

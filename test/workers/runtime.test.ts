/** The worker runtime: input validation, result and error mapping, task logs, secrets, exec, artifacts, the deployment registry. */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { Task } from '@io-orkes/conductor-javascript';
import { defineWorker, InProgress } from '../../workers/runtime/define-worker';
import { executeTask, dropNulls, type RuntimeDeps } from '../../workers/runtime/run';
import { terminal, retryable } from '../../workers/runtime/errors';
import { commandEnv, runCommand } from '../../workers/runtime/exec';
import { ArtifactStore } from '../../workers/runtime/artifacts';
import { DeploymentRegistry } from '../../workers/lib/deployments';
import { loadWorkerConfig, perWorker } from '../../workers/runtime/config';

let dir: string;
let shipped: { taskId: string; text: string }[];
let deps: RuntimeDeps;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-rt-'));
  shipped = [];
  deps = {
    env: { OTA_PW: 'hunter2-very-secret' },
    artifacts: new ArtifactStore(join(dir, 'artifacts')),
    workspaceRoot: join(dir, 'ws'),
    logSink: async (taskId, text) => void shipped.push({ taskId, text }),
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const task = (inputData: Record<string, unknown>, extra: Partial<Task> = {}): Task => ({ taskId: 't-1', workflowInstanceId: 'wf-1', inputData, ...extra }) as Task;

const echo = defineWorker({
  taskType: 'echo',
  description: 'test',
  input: z.object({ name: z.string().min(1), device: z.object({ host: z.string(), port: z.number().default(80) }).optional() }),
  async run(input, ctx) {
    ctx.log(`hello ${input.name}`);
    return { greeting: `hi ${input.name}`, device: input.device };
  },
});

test('a result becomes COMPLETED with ok: true; log lines reach the task log', async () => {
  const r = await executeTask(echo, task({ name: 'Ada' }), deps);
  expect(r).toEqual({ status: 'COMPLETED', outputData: { ok: true, greeting: 'hi Ada' } });
  expect(shipped).toEqual([{ taskId: 't-1', text: 'hello Ada' }]);
});

test('nulls from unresolved ${workflow.input.x} are dropped, so defaults apply', async () => {
  expect(dropNulls({ a: null, b: { c: null, d: 1 }, e: [null, { f: null }] })).toEqual({ b: { d: 1 }, e: [null, {}] });
  const r = await executeTask(echo, task({ name: 'Ada', device: { host: 'h', port: null } }), deps);
  expect(r.outputData).toMatchObject({ device: { host: 'h', port: 80 } });
});

test('bad input → FAILED_WITH_TERMINAL_ERROR INVALID_INPUT naming the field; the function never runs', async () => {
  const r = await executeTask(echo, task({ name: '', device: { port: 1 } }), deps);
  expect(r.status).toBe('FAILED_WITH_TERMINAL_ERROR');
  expect(r).toMatchObject({ reasonForIncompletion: expect.stringMatching(/^INVALID_INPUT: name: /) });
  expect(r.outputData).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', retryable: false, details: { field: 'name' } } });
  expect(JSON.stringify(r.outputData)).toContain('device.host');
  expect(shipped.map((s) => s.text).join('\n')).not.toContain('hello');
});

test('terminal and retryable errors map to their statuses with the code first; unknown errors are retryable', async () => {
  const failing = (e: unknown) => defineWorker({ taskType: 'f', description: '', input: z.object({}), run: async () => { throw e; } });
  const a = await executeTask(failing(terminal('AUTH_FAILED', 'device said no')), task({}), deps);
  expect(a).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', reasonForIncompletion: 'AUTH_FAILED: device said no' });
  const b = await executeTask(failing(retryable('DEVICE_UNREACHABLE', 'no answer')), task({}), deps);
  expect(b).toMatchObject({ status: 'FAILED', reasonForIncompletion: 'DEVICE_UNREACHABLE: no answer' });
  const c = await executeTask(failing(new TypeError('x is undefined')), task({}), deps);
  expect(c).toMatchObject({ status: 'FAILED', outputData: { error: { code: 'UNEXPECTED_ERROR' } } });
  // errors of the protocol libraries keep their own code and retryability
  const d = await executeTask(failing(Object.assign(new Error('cut'), { code: 'TRANSFER_STALLED', retryable: true })), task({}), deps);
  expect(d).toMatchObject({ status: 'FAILED', reasonForIncompletion: 'TRANSFER_STALLED: cut' });
});

test('secrets read by name are redacted from the log, the output and the reason', async () => {
  const leaky = defineWorker({
    taskType: 'leaky', description: '', input: z.object({ fail: z.boolean() }),
    async run(input, ctx) {
      const pw = ctx.secret('OTA_PW');
      ctx.log(`using password ${pw}`);
      if (input.fail) throw terminal('AUTH_FAILED', `rejected ${pw}`);
      return { echoed: pw };
    },
  });
  const ok = await executeTask(leaky, task({ fail: false }), deps);
  const bad = await executeTask(leaky, task({ fail: true }), deps);
  const all = JSON.stringify([ok, bad, shipped]);
  expect(all).not.toContain('hunter2-very-secret');
  expect(ok.outputData).toEqual({ ok: true, echoed: '***' });
  expect(bad).toMatchObject({ reasonForIncompletion: 'AUTH_FAILED: rejected ***' });
  const missing = defineWorker({ taskType: 'm', description: '', input: z.object({}), run: async (_i, ctx) => ({ v: ctx.secret('NOT_SET') }) });
  expect(await executeTask(missing, task({}), deps)).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', reasonForIncompletion: expect.stringMatching(/^SECRET_MISSING: secret NOT_SET/) });
});

test('IN_PROGRESS with callbackAfterSeconds carries the resumable state; the next poll sees it', async () => {
  const long = defineWorker({
    taskType: 'long', description: '', input: z.object({}),
    async run(_i, ctx) {
      const step = Number(ctx.previousOutput.step ?? 0) + 1;
      return step < 3 ? new InProgress(5, { step }) : { steps: step };
    },
  });
  expect(await executeTask(long, task({}), deps)).toEqual({ status: 'IN_PROGRESS', callbackAfterSeconds: 5, outputData: { step: 1 } });
  expect(await executeTask(long, task({}, { outputData: { step: 2 } }), deps)).toEqual({ status: 'COMPLETED', outputData: { ok: true, steps: 3 } });
});

test('the response timeout aborts the task: its command is killed and the task FAILED with TIMEOUT', async () => {
  const hang = defineWorker({
    taskType: 'hang', description: '', input: z.object({}),
    async run(_i, ctx) {
      const r = await ctx.exec('sh', ['-c', 'echo started; sleep 30']);
      if (r.aborted) throw retryable('ABORTED', 'killed');
      return {};
    },
  });
  const started = Date.now();
  const r = await executeTask(hang, task({}, { responseTimeoutSeconds: 1 }), { ...deps, abortMarginMs: 0 });
  expect(r).toMatchObject({ status: 'FAILED', reasonForIncompletion: expect.stringMatching(/^TIMEOUT: /) });
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(shipped.map((s) => s.text).join('\n')).toContain('started');
});

test('exec streams lines, reports exit codes and kills the whole process group on timeout', async () => {
  const lines: string[] = [];
  const ok = await runCommand('sh', ['-c', 'echo one; echo two >&2; exit 3'], { onLine: (l) => lines.push(l) });
  expect(ok).toMatchObject({ exitCode: 3, stdout: 'one\n', stderr: 'two\n', timedOut: false });
  expect(lines.sort()).toEqual(['one', 'two']);
  const pidFile = join(dir, 'grandchild.pid');
  const r = await runCommand('sh', ['-c', `sleep 30 & echo $! > ${pidFile}; wait`], { timeoutMs: 300, killGraceMs: 200 });
  expect(r.timedOut).toBe(true);
  const grandchild = Number(readFileSync(pidFile, 'utf8'));
  // the background sleep was in the group: it is gone too
  await expect(waitGone(grandchild)).resolves.toBe(true);
  await expect(runCommand('no-such-tool-here', [])).rejects.toMatchObject({ code: 'TOOL_NOT_FOUND', retryable: false });
});

/** Gone or a zombie (killed, waiting for a reaper that a container's pid 1 may never be). */
async function waitGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    let state: string;
    try {
      state = /State:\s+(\w)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 'Z';
    } catch {
      return true;
    }
    if (state === 'Z') return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

test('commands that build repository code do not see secret-looking variables', () => {
  const env = commandEnv({ PATH: '/bin', HOME: '/root', OTA_PASSWORD: 'x', CONDUCTOR_AUTH_KEY: 'k', GITHUB_TOKEN: 't', SSH_PRIVATE_KEY_FILE: 'f', AWS_SECRET_ACCESS_KEY: 's', API_KEY: 'a' }, { EXTRA: '1' });
  expect(env).toEqual({ PATH: '/bin', HOME: '/root', EXTRA: '1' });
});

test('artifacts are content-addressed and checked on the way out', async () => {
  const store = deps.artifacts;
  const f = join(dir, 'fw.bin');
  writeFileSync(f, 'firmware bytes');
  const ref = await store.putFile(f, 'fw.bin');
  expect(ref).toMatchObject({ uri: `artifact:sha256/${ref.sha256}`, size: 14, name: 'fw.bin' });
  expect((await store.putBytes('firmware bytes')).sha256).toBe(ref.sha256);
  expect((await store.read({ uri: ref.uri })).toString()).toBe('firmware bytes');
  writeFileSync(store.pathOf(ref.sha256), 'tampered');
  await expect(store.resolve(ref)).rejects.toMatchObject({ code: 'ARTIFACT_INVALID' });
  await expect(store.resolve({ sha256: 'a'.repeat(64) })).rejects.toMatchObject({ code: 'ARTIFACT_MISSING' });
  await expect(store.resolve({ uri: 'http://elsewhere' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
});

test('the deployment registry records pushes, confirms the last known good and survives concurrent writes', async () => {
  let now = 1000;
  const reg = new DeploymentRegistry(join(dir, 'deployments'), () => now++);
  const art = (sha: string) => ({ uri: `artifact:sha256/${sha}`, sha256: sha, size: 1 });
  const a = 'a'.repeat(64);
  const b = 'b'.repeat(64);
  await Promise.all([
    reg.recordPending('dev', { id: 'w1/t1', workflowId: 'w1', version: '1', sha256: a, artifact: art(a) }),
    reg.recordPending('dev', { id: 'w2/t1', workflowId: 'w2', version: '2', sha256: b, artifact: art(b), previous: { version: '1', sha256: a } }),
  ]);
  await reg.markGood('dev', a);
  await reg.mark('dev', 'w2/t1', 'bad', 'UNHEALTHY');
  const r = await reg.get('dev');
  expect(r.deployments.map((d) => [d.id, d.status])).toEqual([['w1/t1', 'good'], ['w2/t1', 'bad']]);
  expect(r.lastKnownGood).toMatchObject({ version: '1', sha256: a, deploymentId: 'w1/t1' });
  expect((await reg.byWorkflow('dev', 'w2'))?.previous).toEqual({ version: '1', sha256: a });
  expect(await reg.get('other')).toEqual({ deviceId: 'other', deployments: [] });
});

test('worker configuration is validated', () => {
  expect(loadWorkerConfig({}).CONDUCTOR_SERVER_URL).toBe('http://localhost:8080/api');
  expect(() => loadWorkerConfig({ CONDUCTOR_SERVER_URL: 'not a url' })).toThrow(/CONDUCTOR_SERVER_URL/);
  expect(() => loadWorkerConfig({ CONDUCTOR_AUTH_KEY: 'k' })).toThrow(/CONDUCTOR_AUTH_SECRET/);
  expect(perWorker({ WORKER_OTA_DEPLOY_CONCURRENCY: '3' }, 'ota_deploy', 'CONCURRENCY')).toBe(3);
  expect(() => perWorker({ WORKER_OTA_DEPLOY_CONCURRENCY: 'lots' }, 'ota_deploy', 'CONCURRENCY')).toThrow(/WORKER_OTA_DEPLOY_CONCURRENCY/);
});

test('worker metrics count outcomes by code and the exporter serves them with a health check', async () => {
  const { createWorkerMetrics, serveMetrics } = await import('../../workers/runtime/metrics');
  const metrics = createWorkerMetrics();
  const failing = defineWorker({ taskType: 'flaky', description: '', input: z.object({}), run: async () => { throw retryable('DEVICE_UNREACHABLE', 'no'); } });
  await executeTask(echo, task({ name: 'Ada' }), { ...deps, metrics });
  await executeTask(failing, task({}), { ...deps, metrics });
  const exporter = await serveMetrics(metrics, '127.0.0.1', 0, () => true);
  try {
    const text = await (await fetch(`http://127.0.0.1:${exporter.port}/metrics`)).text();
    expect(text).toContain('baton_worker_tasks_total{task_type="echo",outcome="COMPLETED",code=""} 1');
    expect(text).toContain('baton_worker_tasks_total{task_type="flaky",outcome="FAILED",code="DEVICE_UNREACHABLE"} 1');
    expect(text).toContain('baton_worker_tasks_in_flight{task_type="echo"} 0');
    expect((await fetch(`http://127.0.0.1:${exporter.port}/health`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${exporter.port}/nope`)).status).toBe(404);
  } finally {
    await exporter.close();
  }
});

test('ctx.gauge publishes a worker-set gauge on the process metrics, and refuses foreign names', async () => {
  const { createWorkerMetrics } = await import('../../workers/runtime/metrics');
  const metrics = createWorkerMetrics();
  const scorer = defineWorker({
    taskType: 'scorer', description: '', input: z.object({ score: z.number() }),
    async run(input, ctx) {
      ctx.gauge('baton_eval_score', 'score', { model: 'm', eval_set: 'e' }, input.score);
      return {};
    },
  });
  await executeTask(scorer, task({ score: 0.8 }), { ...deps, metrics });
  await executeTask(scorer, task({ score: 0.75 }), { ...deps, metrics });
  expect(await metrics.registry.metrics()).toContain('baton_eval_score{model="m",eval_set="e"} 0.75');
  expect(() => metrics.setGauge('process_cpu', 'x', {}, 1)).toThrow(/must match baton_/);
  // without an exporter the call is a no-op
  expect(await executeTask(scorer, task({ score: 1 }), deps)).toMatchObject({ status: 'COMPLETED' });
});

/**
 * The nightly ML pipeline end to end: nightly_lora_training from workflows/, Baton's workers on the
 * official SDK, lora_train over SSH to Debian's sshd on loopback (the "GPU host") running the tiny
 * real tfjs LoRA trainer, evaluate scoring the new adapter with the tiny local model, the deploy
 * gate. Night 1 learns the held-out task (deploy); night 2's misses teach the wrong answers
 * (hold, the baseline kept). The server is a spawned Baton, or CONDUCTOR_SERVER_URL.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conductor, type Conductor } from '../conformance/lib/server';
import { Api, task, type Workflow } from '../conformance/lib/client';
import { startWorkers, type RunningWorkers } from '../../workers/runtime/run';
import { loadWorkerConfig } from '../../workers/runtime/config';
import { ALL_WORKERS } from '../../workers';
import { startTestSshd, type TestSshd } from '../workers/ml/sshd';

const ROOT = join(__dirname, '..', '..');
const RUN_MS = 120_000;
const LETTERS = 'abcdefghijklmnopqrstuvwxy';

let server: Conductor;
let api: Api;
let sshd: TestSshd;
let workers: RunningWorkers;
let dir: string;

const definitions = (sub: string) =>
  readdirSync(join(ROOT, sub))
    .filter((f) => f.endsWith('.json') && f !== 'demo.json' && f !== 'baton_demo.json')
    .map((f) => JSON.parse(readFileSync(join(ROOT, sub, f), 'utf8')));
const jsonl = (xs: unknown[]) => `${xs.map((x) => JSON.stringify(x)).join('\n')}\n`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-nightly-'));
  sshd = await startTestSshd();
  server = await conductor();
  api = new Api(server.url);
  await api.json('POST', '/metadata/taskdefs', definitions('taskdefs').flat());
  await api.json('PUT', '/metadata/workflow', definitions('workflows'));
  // the held-out task: the letter after the prompt's last letter. Training prompts differ
  // ("map a"), so nothing of the held-out set leaks into training.
  mkdirSync(join(dir, 'eval'));
  writeFileSync(join(dir, 'eval', 'heldout.jsonl'), jsonl([...LETTERS].map((c, i) => ({ id: `q${i}`, prompt: `next after ${c}`, answer: String.fromCharCode(c.charCodeAt(0) + 1) }))));
  const env = {
    ...process.env,
    CONDUCTOR_SERVER_URL: server.url,
    ARTIFACT_STORAGE_PATH: join(dir, 'artifacts'),
    WORKSPACE_PATH: join(dir, 'workspace'),
    EVAL_BASELINE_PATH: join(dir, 'baselines'),
    ADAPTERS_PATH: join(dir, 'adapters'),
    GPU_KEY_PATH: sshd.clientKey,
    WORKER_POLL_INTERVAL_MS: '50',
  };
  workers = await startWorkers(ALL_WORKERS, loadWorkerConfig(env), env);
}, 120_000);

afterAll(async () => {
  await workers?.stop(2000);
  await server?.close();
  await sshd?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Yesterday's misses: the served model answered these wrong; `shift` says what the right answer was. */
function misses(day: string, shift: number): void {
  mkdirSync(join(dir, 'misses'), { recursive: true });
  const lines = [...LETTERS].map((c) => ({ prompt: `map ${c}`, expected: String.fromCharCode(((c.charCodeAt(0) - 97 + shift) % 26) + 97) }));
  writeFileSync(join(dir, 'misses', `${day}.jsonl`), jsonl([...lines, ...lines]));
}

async function night(day: string): Promise<Workflow> {
  const id = await api.start({
    name: 'nightly_lora_training',
    version: 1,
    input: {
      adapter_name: 'assistant',
      base_model: 'tiny-charlm',
      misses_path: join(dir, 'misses'),
      misses_until: day,
      eval_set: join(dir, 'eval', 'heldout.jsonl'),
      metric: 'exact_match',
      max_tokens: 1,
      backend: 'ssh',
      gpu_host: { name: 'loopback-gpu', host: '127.0.0.1', port: sshd.port, user: sshd.user, keySecret: 'GPU_KEY_PATH', hostKeySha256: sshd.hostKeySha256 },
      train_command: [sshd.node, sshd.cli, '--dataset', '{dataset}', '--output-dir', '{outputDir}', '--progress', '{progress}', '--base-model', '{baseModel}', '--steps', '{maxSteps}', '--r', '{r}', '--alpha', '{alpha}', '--lr', '{lr}', '--seed', '{seed}'],
      max_steps: 300,
      learning_rate: 0.1,
      max_wall_s: 300,
      callback_after_seconds: 1,
    },
  });
  return api.waitFor(id, (w) => w.status !== 'RUNNING', RUN_MS);
}

test('night 1: misses → dataset → LoRA training over SSH (loss decreases) → evaluation → deploy', async () => {
  misses('2026-12-01', 1);
  const wf = await night('2026-12-01');
  expect(wf.status).toBe('COMPLETED');
  const train = task(wf, 'train');
  // the long job was reported IN_PROGRESS and polled again (reattached), not run inside one poll
  expect(train.pollCount).toBeGreaterThan(1);
  expect(wf.tasks.filter((t) => t.referenceTaskName === 'train')).toHaveLength(1);
  const m = wf.output.training as { firstLoss: number; finalLoss: number; steps: number };
  expect(m.steps).toBe(300);
  expect(m.finalLoss).toBeLessThan(m.firstLoss / 2);
  expect(wf.output).toMatchObject({ decision: 'deploy', deployed: true, examples: 25 });
  expect(wf.output.score as number).toBeGreaterThan(0.8);
  expect(existsSync(join(dir, 'adapters', 'assistant', 'current'))).toBe(true);
}, RUN_MS * 2);

test('night 2: misses that teach the wrong answers → a worse adapter → hold; the deployed adapter and baseline stay', async () => {
  const current = readdirSync(join(dir, 'adapters', 'assistant', 'releases'));
  misses('2026-12-02', 2);
  const wf = await night('2026-12-02');
  expect(wf.status).toBe('COMPLETED');
  expect(wf.output).toMatchObject({ decision: 'hold', regression: true });
  expect(wf.output.delta_pp as number).toBeLessThan(-5);
  expect(wf.tasks.some((t) => t.referenceTaskName === 'deploy')).toBe(false);
  expect(task(wf, 'backup').status).toBe('COMPLETED');
  expect(readdirSync(join(dir, 'adapters', 'assistant', 'releases'))).toEqual(current);
}, RUN_MS * 2);

test('a quiet night (no misses) skips training and completes', async () => {
  const wf = await night('2026-11-01');
  expect(wf.status).toBe('COMPLETED');
  expect(wf.output).toMatchObject({ decision: 'skipped' });
  expect(wf.tasks.some((t) => t.referenceTaskName === 'train')).toBe(false);
}, RUN_MS);

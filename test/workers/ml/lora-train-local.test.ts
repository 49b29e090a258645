/**
 * lora_train with the local backend, through executeTask: the same job model as over SSH (a
 * detached job in a directory under the workspace, exit marker, progress tailing), with the tiny
 * tfjs trainer as the default training command. Also the input and dataset failures, which are
 * decided before any host is touched.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import loraTrain from '../../../workers/lora_train';
import { parseSafetensorsHeader } from '../../../workers/lib/ml/safetensors';
import { createMlHarness, qaLines, type MlHarness } from './ml-harness';
import { processGone } from '../harness';

let h: MlHarness;
beforeAll(() => {
  h = createMlHarness(loraTrain);
});
afterAll(() => h.cleanup());

const jobsDir = () => join(h.workspaceRoot, 'lora-jobs');

test('trains with the tiny tfjs trainer: IN_PROGRESS, a restarted worker reattaches (no second launch), COMPLETED with the adapter', async () => {
  const dataset = await h.dataset(qaLines(30));
  const input = { backend: 'local', dataset, jobId: 'local-1', train: { maxSteps: 40, lr: 0.05 }, lora: { r: 4, alpha: 8 }, callbackAfterSeconds: 5 };
  const first = await h.call(input);
  expect(first.status).toBe('IN_PROGRESS');
  expect(first.output).toMatchObject({ state: 'running', jobId: 'local-1', backend: 'local', host: 'local', launches: 1, jobDir: join(jobsDir(), 'local-1') });
  expect(first.log.some((l) => l.startsWith('lora_train: launched job local-1 on local'))).toBe(true);

  // a new task for the same job (a retry, or a worker that restarted and lost its state)
  const again = await h.call(input);
  expect(['IN_PROGRESS', 'COMPLETED']).toContain(again.status);
  expect(again.log.some((l) => /already exists .* reattaching instead of launching again/.test(l))).toBe(true);

  const { last, calls } = await h.untilDone(input, again);
  expect(last.status).toBe('COMPLETED');
  const out = last.output;
  expect(out).toMatchObject({ ok: true, jobId: 'local-1', exitCode: 0, launches: 1, metrics: { steps: 40, lr: 0.05 } });
  expect(out.metrics.finalLoss).toBeLessThan(out.metrics.firstLoss);
  expect(readFileSync(join(first.output.jobDir, 'launches'), 'utf8').trim().split('\n')).toHaveLength(1);

  const model = await h.artifacts.read(out.adapter.model);
  const header = parseSafetensorsHeader(model);
  expect(Object.keys(header.tensors).sort()).toEqual(['base_model.model.lm_head.lora_A.weight', 'base_model.model.lm_head.lora_B.weight']);
  const config = JSON.parse((await h.artifacts.read(out.adapter.config)).toString('utf8'));
  expect(config).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, base_model_name_or_path: 'tiny-charlm' });
  expect(out.adapter).toMatchObject({ model: { name: 'adapter_model.safetensors', size: model.length }, config: { name: 'adapter_config.json' }, peft: { r: 4 } });
  // every step reached the task log, across the polls
  const steps = [again, ...calls].flatMap((c) => c.log).filter((l) => l.startsWith('{"step":'));
  expect(steps.map((l) => JSON.parse(l).step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  expect(JSON.parse(steps[0]!)).toEqual({ step: 1, loss: expect.any(Number), lr: 0.05, max_steps: 40, ts: expect.any(Number) });
});

test('a run whose loss turns NaN: DIVERGED, and the job is killed', async () => {
  const dataset = await h.dataset(qaLines(3));
  const script = 'echo \'{"step":1,"loss":2.5,"lr":0.1}\' >> "$BATON_PROGRESS_FILE"; echo \'{"step":2,"loss":NaN,"lr":0.1}\' >> "$BATON_PROGRESS_FILE"; while :; do sleep 0.1; done';
  const input = { backend: 'local', dataset, jobId: 'local-nan', command: ['sh', '-c', script], budget: { killGraceS: 1 } };
  const first = await h.call(input);
  expect(first.status).toBe('IN_PROGRESS');
  const { last } = await h.untilDone(input, first, 20_000);
  expect(last).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'DIVERGED' });
  const pid = Number(readFileSync(join(first.output.jobDir, 'pid'), 'utf8'));
  expect(processGone(pid)).toBe(true);
});

test('exit 0 without adapter files: ADAPTER_MISSING', async () => {
  const dataset = await h.dataset(qaLines(3));
  const input = { backend: 'local', dataset, jobId: 'local-noadapter', command: ['true'] };
  const { last } = await h.untilDone(input, await h.call(input), 20_000);
  expect(last).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'ADAPTER_MISSING' });
  expect(last.output.error.details.missing).toEqual(['adapter_model.safetensors', 'adapter_config.json']);
});

describe('bad dataset lines', () => {
  test('some bad: reported by line number in the log and the output, training goes on with the rest', async () => {
    const lines = qaLines(6);
    lines.splice(2, 0, '{"prompt": "no completion"}');
    lines.splice(5, 0, 'garbage');
    const dataset = await h.dataset(lines);
    const input = { backend: 'local', dataset, jobId: 'local-somebad', command: ['true'] };
    const first = await h.call(input);
    expect(first.status).toBe('IN_PROGRESS');
    expect(first.output.dataset).toMatchObject({ valid: 6, invalid: 2, lines: 8 });
    expect(first.output.dataset.badLines.map((b: { line: number }) => b.line)).toEqual([3, 6]);
    expect(first.log).toContain('lora_train: dataset 6 valid prompt_completion examples of 8 lines, 2 invalid, 0 duplicates dropped');
    expect(first.log.find((l) => l.startsWith('lora_train: invalid dataset lines (2): line 3: '))).toMatch(/; line 6: not JSON/);
    // the host got only the valid lines
    expect(readFileSync(join(first.output.jobDir, 'dataset.jsonl'), 'utf8').trim().split('\n')).toHaveLength(6);
    await h.untilDone(input, first, 20_000);
  });

  test('none valid: DATASET_INVALID (terminal) with the line numbers; nothing is launched', async () => {
    const dataset = await h.dataset(['{"a":1}', 'nope', '{"text":""}']);
    const r = await h.call({ backend: 'local', dataset, jobId: 'local-allbad' });
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'DATASET_INVALID' });
    expect(r.reason).toMatch(/^DATASET_INVALID: no valid line in 3: line 1: no known format .*; line 2: not JSON.*; line 3: text must be a non-empty string/);
    expect(r.output.error.details).toMatchObject({ valid: 0, invalid: 3 });
    expect(existsSync(join(jobsDir(), 'local-allbad'))).toBe(false);
  });

  test('strictDataset: one bad line is enough for DATASET_INVALID', async () => {
    const dataset = await h.dataset([...qaLines(3), 'x']);
    const r = await h.call({ backend: 'local', dataset, jobId: 'local-strict', strictDataset: true });
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'DATASET_INVALID' });
  });
});

describe('input', () => {
  test('ssh without a host, a command or a key; cost without a rate; an unknown placeholder: INVALID_INPUT', async () => {
    const dataset = await h.dataset(qaLines(2));
    const host = { host: '127.0.0.1', user: 'u', keySecret: 'K', hostKeySha256: `SHA256:${'A'.repeat(43)}` };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ backend: 'ssh', dataset, command: ['x'] }, /^INVALID_INPUT: host: required/],
      [{ backend: 'ssh', dataset, host }, /^INVALID_INPUT: command: required/],
      [{ backend: 'ssh', dataset, command: ['x'], host: { ...host, keySecret: undefined } }, /^INVALID_INPUT: host: give keySecret or agent/],
      [{ backend: 'ssh', dataset, command: ['x'], host: { ...host, hostKeySha256: 'abc' } }, /^INVALID_INPUT: host.hostKeySha256: must be an OpenSSH SHA256 fingerprint/],
      [{ backend: 'local', dataset, budget: { maxCostUsd: 3 } }, /^INVALID_INPUT: budget.costPerHourUsd/],
      [{ backend: 'local', dataset, jobId: 'local-typo', command: ['x', '{datset}'] }, /^INVALID_INPUT: command\[1\]: unknown placeholder \{datset\}/],
    ];
    for (const [input, reason] of cases) {
      const r = await h.call(input);
      expect(r.status).toBe('FAILED_WITH_TERMINAL_ERROR');
      expect(r.reason).toMatch(reason);
    }
    expect(existsSync(join(jobsDir(), 'local-typo'))).toBe(false);
  });
});

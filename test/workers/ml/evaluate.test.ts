/**
 * The evaluate worker through executeTask against the local OpenAI-compatible endpoint
 * (tools/model-endpoint) on 127.0.0.1: its `quality` knob makes a deterministic better or worse
 * model on a synthetic held-out set of 20 items (5 pp per item). The gate against the stored
 * baseline, deploy_adapter updating that baseline, bad dataset lines, pass@k, budgets, the
 * local-model loader path and the reports in the artifact store.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import deployAdapter from '../../../workers/deploy_adapter';
import evaluate from '../../../workers/evaluate';
import { BaselineStore } from '../../../workers/lib/eval/baseline';
import { registerLocalModelLoader, type LocalModelSpec } from '../../../workers/lib/eval/local-model';
import { startModelEndpoint, type ModelEndpoint } from '../../../tools/model-endpoint/model-endpoint';
import { createHarness, type Harness } from '../harness';
import { runWithEnv, syntheticSet } from './ml-helpers';

const PASS_PROMPTS = ['pk one?', 'pk two?'];

let h: Harness;
let ep: ModelEndpoint;
let env: Record<string, string>;
let dataset: Record<string, unknown>;
let lines: string[];

beforeAll(async () => {
  h = createHarness();
  const set = syntheticSet(20);
  lines = set.lines;
  ep = await startModelEndpoint({
    table: [
      ...set.table,
      // pass@k: choice i answers samples[i]; c = 2 of 5 and 0 of 5
      { prompt: PASS_PROMPTS[0]!, answer: 'x', samples: ['right', 'wrong', 'nope', 'Right!', 'no'] },
      { prompt: PASS_PROMPTS[1]!, answer: 'x', samples: ['a1', 'a2', 'a3', 'a4', 'a5'] },
    ],
    quality: 0.7,
  });
  env = { EVAL_BASELINE_PATH: h.dir('baselines'), ADAPTERS_PATH: h.dir('adapters') };
  const ref = await h.artifacts.putBytes(`${lines.join('\n')}\n`, 'heldout.jsonl');
  dataset = { uri: ref.uri, sha256: ref.sha256, size: ref.size, name: ref.name };
});
afterAll(async () => {
  await ep.close();
  h.cleanup();
});

const endpoint = () => ({ baseUrl: ep.url, model: 'tiny-base' });
const run = (input: Record<string, unknown>) => runWithEnv(h, evaluate, { dataset, endpoint: endpoint(), request: { baseDelayMs: 1 }, ...input }, env);
const baselines = () => new BaselineStore(env.EVAL_BASELINE_PATH!);

describe('the deploy gate against the stored baseline', () => {
  let better: Record<string, any>;

  test('no baseline yet: deploy as the first deployment; recordBaseline seeds it; metrics by hand', async () => {
    ep.setQuality(0.7);
    const r = await run({ name: 'support-bot', recordBaseline: true });
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toMatchObject({
      ok: true,
      metric: 'normalized_match',
      score: 0.7,
      baseline: null,
      delta_pp: null,
      regression: false,
      decision: 'deploy',
      // "The Word 7." vs "word 7": normalized yes, exact no; a wrong "unknown 7" shares one of two tokens (F1 0.5)
      metrics: { exact_match: 0, normalized_match: 0.7, token_f1: 0.85 },
      counts: { lines: 20, items: 20, invalid: 0, completions: 20, requests: 20, retries: 0 },
      evalSet: { name: 'heldout', sha256: dataset.sha256 },
      baselineKey: { model: 'support-bot', evalSet: 'heldout' },
      baselineRecorded: true,
      cost: { tokens: { completion: 14 * 3 + 6 * 2 }, usageEstimated: false },
    });
    expect(r.output.reasons[0]).toMatch(/^no baseline stored: first deployment/);
    expect(await baselines().get({ model: 'support-bot', evalSet: 'heldout' })).toMatchObject({ score: 0.7, metric: 'normalized_match', evalSetSha256: dataset.sha256, source: 'evaluate' });
    expect(ep.requests.at(-1)).toMatchObject({ model: 'tiny-base', n: 1, temperature: 0 });
  });

  test('a better model (+10 pp) → deploy; the markdown and JSON reports are in the artifact store', async () => {
    ep.setQuality(0.8);
    const r = await run({ name: 'support-bot' });
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toMatchObject({ score: 0.8, baseline: 0.7, delta_pp: 10, regression: false, decision: 'deploy', baselineRecorded: false });
    expect(r.output.delta_pp).toBeGreaterThanOrEqual(2);
    expect(r.output.reasons).toEqual(['normalized_match 80% vs baseline 70%: +10 pp ≥ 2 pp']);
    better = r.output;

    const md = (await h.artifacts.read(r.output.report.markdown)).toString('utf8');
    expect(r.output.report.markdown).toMatchObject({ name: 'eval-report.md', uri: expect.stringMatching(/^artifact:sha256\//) });
    expect(md).toContain('# Evaluation: support-bot on heldout');
    expect(md).toContain('**Decision: DEPLOY**');
    expect(md).toContain('| normalized_match (gate) | 70.00% | 80.00% | +10.00 pp |');
    expect(md).toContain('## Misses (4 of 20 items not normalized-matched)');
    const json = JSON.parse((await h.artifacts.read(r.output.report.json)).toString('utf8'));
    expect(json).toMatchObject({ metric: 'normalized_match', score: 0.8, gate: { decision: 'deploy', delta_pp: 10 }, evalSet: { valid: 20, invalid: [] }, deltas: { normalized_match: { pp: 10 } } });
    expect(json.items).toHaveLength(20);
    expect(json.items[0]).toMatchObject({ id: 'q01', line: 1, answers: ['word 1'], predictions: [expect.any(String)] });
  });

  test('deploy_adapter promotes it and makes its score the baseline', async () => {
    const adapter = await h.artifacts.putBytes('adapter weights v2', 'adapter_model.safetensors');
    const r = await runWithEnv(h, deployAdapter, { name: 'support-bot', adapter, evaluation: better }, env);
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toMatchObject({ deployed: true, changed: true, baselineUpdated: true, baseline: { model: 'support-bot', evalSet: 'heldout', score: 0.8 } });
    expect(await baselines().get({ model: 'support-bot', evalSet: 'heldout' })).toMatchObject({ score: 0.8, adapterSha256: adapter.sha256, evalSetSha256: dataset.sha256, source: 'deploy_adapter', history: [{ score: 0.7 }] });
  });

  test('a worse model (−20 pp) → hold and regression; the baseline is kept', async () => {
    const file = baselines().fileOf({ model: 'support-bot', evalSet: 'heldout' });
    const before = readFileSync(file, 'utf8');
    ep.setQuality(0.6);
    const r = await run({ name: 'support-bot' });
    expect(r.status).toBe('COMPLETED'); // a hold is a successful evaluation
    expect(r.output).toMatchObject({ score: 0.6, baseline: 0.8, delta_pp: -20, regression: true, decision: 'hold' });
    expect(r.output.reasons).toEqual(['normalized_match 60% vs baseline 80%: -20 pp < 2 pp required', 'regression: normalized_match dropped 20 pp, more than the 5 pp threshold']);
    expect(readFileSync(file, 'utf8')).toBe(before);
    const md = (await h.artifacts.read(r.output.report.markdown)).toString('utf8');
    expect(md).toContain('**Decision: HOLD** — **REGRESSION**');
  });

  test('a drop of exactly the threshold is not a regression; the threshold is an input', async () => {
    ep.setQuality(0.75);
    const r = await run({ name: 'support-bot' });
    expect(r.output).toMatchObject({ delta_pp: -5, regression: false, decision: 'hold' });
    const strict = await run({ name: 'support-bot', regressionThresholdPp: 4 });
    expect(strict.output).toMatchObject({ delta_pp: -5, regression: true });
  });

  test('no improvement → hold; a lower minImprovementPp or another gating metric decides differently', async () => {
    ep.setQuality(0.8);
    expect((await run({ name: 'support-bot' })).output).toMatchObject({ delta_pp: 0, decision: 'hold', regression: false });
    expect((await run({ name: 'support-bot', minImprovementPp: 0 })).output).toMatchObject({ delta_pp: 0, decision: 'deploy' });
    // token_f1 of the baseline was recorded with it: 0.9 at quality 0.8
    ep.setQuality(0.9);
    expect((await run({ name: 'support-bot', metric: 'token_f1' })).output).toMatchObject({ metric: 'token_f1', score: 0.95, baseline: 0.9, delta_pp: 5, decision: 'deploy' });
  });

  test('a baseline measured on another version of the eval set is not compared: hold', async () => {
    ep.setQuality(1);
    const changed = await h.artifacts.putBytes(`${lines.slice(0, 10).join('\n')}\n`, 'heldout.jsonl');
    const r = await run({ name: 'support-bot', dataset: changed });
    expect(r.output).toMatchObject({ score: 1, baseline: null, delta_pp: null, decision: 'hold' });
    expect(r.output.reasons[0]).toMatch(/^stored baseline not comparable \(measured on eval set [0-9a-f]{12}…/);
  });

  test('noBaseline: hold, or fail with BASELINE_MISSING before any request', async () => {
    expect((await run({ name: 'new-line', noBaseline: 'hold' })).output).toMatchObject({ decision: 'hold', baseline: null });
    const before = ep.requests.length;
    const r = await run({ name: 'other-line', noBaseline: 'fail' });
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'BASELINE_MISSING' });
    expect(ep.requests.length).toBe(before);
  });
});

describe('the dataset', () => {
  test('bad lines are reported with line numbers and skipped; the rest is evaluated', async () => {
    ep.setQuality(1);
    const text = [lines[0], '{"prompt": "no answer"}', lines[1], 'garbage', '', lines[2], '{"id":"q01","prompt":"dup","answer":"x"}'].join('\n');
    const ref = await h.artifacts.putBytes(text, 'mixed.jsonl');
    const r = await run({ dataset: ref, name: 'mixed' });
    expect(r.status).toBe('COMPLETED');
    expect(r.output.counts).toMatchObject({ lines: 6, items: 3, invalid: 3 });
    expect(r.output.invalidLines).toEqual([
      { line: 2, reason: 'missing answer or answers' },
      { line: 4, reason: expect.stringMatching(/^not JSON/) },
      { line: 7, reason: 'duplicate id "q01" (first on line 1)' },
    ]);
    expect(r.output.score).toBe(1);
    expect(h.logLines).toContain('dataset line 2: missing answer or answers');
    const md = (await h.artifacts.read(r.output.report.markdown)).toString('utf8');
    expect(md).toContain('## Invalid dataset lines (3)');
    expect(md).toContain('| 7 | duplicate id "q01" (first on line 1) |');
  });

  test('no valid line → terminal DATASET_INVALID listing the bad lines', async () => {
    const ref = await h.artifacts.putBytes('nope\n{"prompt":"x"}\n\n', 'bad.jsonl');
    const r = await run({ dataset: ref });
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'DATASET_INVALID' });
    expect(r.output.error.details).toMatchObject({ lines: 2, invalidCount: 2, invalidLines: [{ line: 1 }, { line: 2, reason: 'missing answer or answers' }] });
    const empty = await run({ dataset: await h.artifacts.putBytes('\n\n', 'empty.jsonl') });
    expect(empty.code).toBe('DATASET_INVALID');
  });

  test('a path: read and hashed; a frozen sha256 that does not match → EVAL_SET_HASH_MISMATCH; missing → DATASET_MISSING', async () => {
    ep.setQuality(1);
    const file = join(h.dir('sets'), 'frozen.jsonl');
    writeFileSync(file, `${lines.slice(0, 4).join('\n')}\n`);
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    const ok = await run({ dataset: { path: file, sha256: sha }, name: 'path-line' });
    expect(ok.output).toMatchObject({ score: 1, evalSet: { name: 'frozen', sha256: sha } });
    expect((await run({ dataset: file, name: 'path-line' })).status).toBe('COMPLETED');
    const bad = await run({ dataset: { path: file, sha256: '0'.repeat(64) } });
    expect(bad).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'EVAL_SET_HASH_MISMATCH' });
    expect((await run({ dataset: join(h.root, 'absent.jsonl') })).code).toBe('DATASET_MISSING');
    expect((await run({ dataset: { sha256: 'a'.repeat(64) } })).code).toBe('ARTIFACT_MISSING');
  });
});

describe('samples, budgets, inputs', () => {
  const passSet = () => h.artifacts.putBytes(PASS_PROMPTS.map((p, i) => JSON.stringify({ id: `p${i}`, prompt: p, answer: 'right' })).join('\n'), 'passk.jsonl');

  test('pass@k with samples > 1 (n in one request, or one request per sample)', async () => {
    const ref = await passSet();
    const r = await run({ dataset: ref, name: 'pk', samples: 5, k: 2, metric: 'pass_at_k', temperature: 0.8 });
    expect(r.status).toBe('COMPLETED');
    // item 1: c = 2 of 5 ("right", "Right!"), item 2: c = 0
    expect(r.output.metrics).toEqual({ exact_match: 0.1, normalized_match: 0.2, token_f1: 0.2, pass_at_1: 0.2, pass_at_2: 0.35, pass_at_5: 0.5 });
    expect(r.output).toMatchObject({ metric: 'pass_at_2', score: 0.35, counts: { completions: 10, requests: 2 } });
    expect(ep.requests.at(-1)).toMatchObject({ n: 5, temperature: 0.8 });
    const one = await run({ dataset: ref, name: 'pk', samples: 5, k: 2, metric: 'pass_at_k', temperature: 0.8, endpoint: { ...endpoint(), supportsN: false } });
    expect(one.output).toMatchObject({ score: 0.35, counts: { completions: 10, requests: 10 } });
  });

  test('k above samples is INVALID_INPUT', async () => {
    const r = await run({ samples: 2, k: 3, metric: 'pass_at_k' });
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'INVALID_INPUT' });
    expect(r.output.error.details.field).toBe('k');
  });

  test('budget: training + evaluation cost over maxCostUsd → hold; maxEvalCostUsd reached → BUDGET_EXCEEDED', async () => {
    ep.setQuality(1);
    const over = await run({ name: 'budget-line', budget: { maxCostUsd: 5, trainingCostUsd: 4.99, costPer1kTokens: 1 } });
    expect(over.status).toBe('COMPLETED');
    const tokens = over.output.cost.tokens.total;
    expect(tokens).toBeGreaterThan(10);
    expect(over.output).toMatchObject({ decision: 'hold', cost: { evalUsd: tokens / 1000, trainingUsd: 4.99, withinBudget: false, maxCostUsd: 5 } });
    expect(over.output.reasons.at(-1)).toMatch(/^over budget: \$5\.\d+ spent \(training \$4\.99 \+ evaluation \$0\.\d+\) > \$5$/);
    const within = await run({ name: 'budget-line', budget: { maxCostUsd: 6, trainingCostUsd: 4.99, costPer1kTokens: 1 } });
    expect(within.output).toMatchObject({ decision: 'deploy', cost: { withinBudget: true } });

    const before = ep.requests.length;
    const capped = await run({ name: 'budget-line', concurrency: 1, budget: { maxEvalCostUsd: 0.001, costPer1kTokens: 1 } });
    expect(capped).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'BUDGET_EXCEEDED' });
    expect(ep.requests.length - before).toBeLessThan(20); // stopped early
  });

  test('the API key comes from a secret, is sent as a Bearer token and redacted everywhere', async () => {
    const locked = await startModelEndpoint({ table: syntheticSet(20).table, apiKey: 'sk-test-0123456789' });
    try {
      const input = { dataset, name: 'keyed', endpoint: { baseUrl: `${locked.url}/v1/`, model: 'm', apiKeySecret: 'EVAL_API_KEY' } };
      const r = await runWithEnv(h, evaluate, input, { ...env, EVAL_API_KEY: 'sk-test-0123456789' });
      expect(r.status).toBe('COMPLETED');
      expect(locked.requests[0]!.authorization).toBe('Bearer sk-test-0123456789');
      expect(JSON.stringify(r.output)).not.toContain('sk-test-0123456789');
      const wrong = await runWithEnv(h, evaluate, input, { ...env, EVAL_API_KEY: 'sk-wrong-999999' });
      expect(wrong).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'ENDPOINT_AUTH_FAILED' });
      const missing = await runWithEnv(h, evaluate, input, env);
      expect(missing.code).toBe('SECRET_MISSING');
      expect(h.logLines.join('\n')).not.toContain('sk-test-0123456789');
    } finally {
      await locked.close();
    }
  });
});

describe('a local adapter through a registered loader', () => {
  test('the loader gets the checked adapter file; generate() answers; no loader → LOCAL_MODEL_UNAVAILABLE', async () => {
    const adapter = await h.artifacts.putBytes('lora A/B', 'adapter_model.safetensors');
    let spec: LocalModelSpec | undefined;
    let closed = false;
    const unregister = registerLocalModelLoader('test-lookup', async (s) => {
      spec = s;
      return {
        generate: async (prompt) => (prompt.includes('item 1?') || prompt.includes('item 2?') ? `word ${prompt.includes('item 1?') ? 1 : 2}` : 'no idea'),
        close: async () => void (closed = true),
      };
    });
    try {
      const r = await run({ name: 'local-line', endpoint: { local: { adapter, loader: 'test-lookup', baseModel: 'tiny', options: { rank: 4 } } } });
      expect(r.status).toBe('COMPLETED');
      expect(r.output).toMatchObject({ score: 0.1, metrics: { exact_match: 0.1 }, counts: { requests: 20 }, decision: 'deploy' });
      expect(readFileSync(spec!.adapterPath, 'utf8')).toBe('lora A/B');
      expect(spec).toMatchObject({ baseModel: 'tiny', options: { rank: 4 }, adapterSha256: adapter.sha256, files: [{ name: 'adapter_model.safetensors', sha256: adapter.sha256 }] });
      expect(closed).toBe(true);
      const json = JSON.parse((await h.artifacts.read(r.output.report.json)).toString('utf8'));
      expect(json.model).toEqual({ kind: 'local', loader: 'test-lookup', adapter: adapter.sha256, baseModel: 'tiny' });

      // lora_train's several files: laid out by name in one directory
      const cfg = await h.artifacts.putBytes('{"r":4}', 'adapter_config.json');
      const multi = { dir: '/gpu/out', files: [{ name: 'adapter_config.json', sha256: cfg.sha256 }, { name: 'adapter_model.safetensors', sha256: adapter.sha256 }] };
      const m = await run({ name: 'local-line', endpoint: { local: { adapter: multi, loader: 'test-lookup' } } });
      expect(m.status).toBe('COMPLETED');
      expect(spec!.adapterPath).toBe(join(spec!.adapterDir, 'adapter_model.safetensors'));
      expect(readFileSync(join(spec!.adapterDir, 'adapter_config.json'), 'utf8')).toBe('{"r":4}');
      expect(spec!.files.map((f) => f.name)).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    } finally {
      unregister();
    }
    const none = await run({ endpoint: { local: { adapter, loader: 'test-lookup' } } });
    expect(none).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'LOCAL_MODEL_UNAVAILABLE' });
    const missingAdapter = await run({ endpoint: { local: { adapter: { sha256: 'b'.repeat(64) }, loader: 'x' } } });
    expect(missingAdapter.code).toBe('LOCAL_MODEL_UNAVAILABLE'); // the loader is checked first
  });
});

test('nothing is left in the baseline directory but baselines', () => {
  expect(existsSync(env.EVAL_BASELINE_PATH!)).toBe(true);
  for (const f of require('node:fs').readdirSync(env.EVAL_BASELINE_PATH!) as string[]) expect(f).toMatch(/\.json$/);
});

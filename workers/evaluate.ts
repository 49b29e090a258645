/**
 * evaluate: run a held-out JSONL set against a model — an OpenAI-compatible chat-completions
 * endpoint, or a local adapter through a registered loader — score it (exact match, normalized
 * match, token F1, pass@k when samples > 1), compare the gating metric with the stored baseline
 * and decide deploy or hold (reference/worker-domain.md §4.5, §6, §8.8). A hold is a successful
 * evaluation (COMPLETED, decision "hold"); the workflow routes on `decision` with a SWITCH.
 * The gate's rules are in lib/eval/gate.ts.
 *
 * Output: `{score, metric, baseline, delta_pp, regression, decision, reasons[], metrics{exact_match,
 * normalized_match, token_f1, pass_at_<k>…}, counts{lines, items, invalid, completions, requests,
 * retries, …}, invalidLines[{line, reason}], evalSet{name, sha256}, baselineKey{model, evalSet},
 * baselineRecorded, cost{tokens, evalUsd, trainingUsd, totalUsd, withinBudget}, report{markdown,
 * json}}`. Scores are fractions in [0, 1]; delta_pp is in percentage points (rounded to 1e-6,
 * so 0.82 − 0.80 is exactly 2). Wire the whole output into deploy_adapter's `evaluation`.
 *
 * Failures. Terminal: INVALID_INPUT, DATASET_MISSING, DATASET_INVALID (no valid line; details list
 * the bad lines), EVAL_SET_HASH_MISMATCH, ARTIFACT_MISSING, ARTIFACT_INVALID, SECRET_MISSING,
 * BASELINE_MISSING (noBaseline=fail), LOCAL_MODEL_UNAVAILABLE, LOCAL_MODEL_FAILED,
 * ENDPOINT_AUTH_FAILED, ENDPOINT_REJECTED, ENDPOINT_INVALID_RESPONSE (N invalid answers in a row),
 * BUDGET_EXCEEDED (budget.maxEvalCostUsd spent). Retryable: MODEL_ENDPOINT_UNAVAILABLE,
 * GENERATION_TIMEOUT, ENDPOINT_INVALID_RESPONSE (attempts ran out first), TIMEOUT, WORKER_SHUTDOWN.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, link, mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { ArtifactRef } from './runtime/artifacts';
import { defineWorker, type TaskCtx } from './runtime/define-worker';
import { retryable, terminal, WorkerError } from './runtime/errors';
import { AdapterInputSchema, resolveAdapter } from './lib/adapters';
import { baselineStoreFromEnv, type BaselineKey, type BaselineRecord } from './lib/eval/baseline';
import { ChatClient, type Usage } from './lib/eval/client';
import { messagesOf, parseDataset, promptText, type ChatMessage, type EvalItem } from './lib/eval/dataset';
import { decide } from './lib/eval/gate';
import { DEFAULT_LOCAL_LOADER, localModelLoader, localModelLoaders, type LocalModel, type LocalModelSpec } from './lib/eval/local-model';
import { aggregate, METRIC_NAMES, roundTo, scoreAnswer, type BasicMetric, type ItemScores } from './lib/eval/metrics';
import { storeReport, type ItemResult } from './lib/eval/report';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

/** An artifact reference (uri or sha256), or a file path (optionally with the sha256 it must have). */
const DatasetSchema = z.union([
  z.string().min(1).transform((path) => ({ path }) as DatasetRef),
  z
    .object({ uri: z.string().optional(), sha256: sha256Hex.optional(), path: z.string().min(1).optional(), name: z.string().min(1).optional(), size: z.number().optional() })
    .refine((d) => d.uri || d.sha256 || d.path, 'needs an artifact uri/sha256 or a path'),
]);
type DatasetRef = { uri?: string; sha256?: string; path?: string; name?: string };

const EndpointSchema = z.union([
  z.object({
    baseUrl: z.string().url(),
    model: z.string().min(1),
    /** The environment variable holding the API key (sent as a Bearer token). */
    apiKeySecret: z.string().min(1).optional(),
    /** Whether the server honours `n`; when false, one request per sample. */
    supportsN: z.boolean().default(true),
  }),
  z.object({
    local: z.object({
      /** One artifact, or lora_train's `{files: [{name, sha256}]}`. */
      adapter: AdapterInputSchema,
      baseModel: z.string().min(1).optional(),
      /** A loader registered with registerLocalModelLoader. */
      loader: z.string().min(1).default(DEFAULT_LOCAL_LOADER),
      options: z.record(z.unknown()).default({}),
    }),
  }),
]);

const GATE_METRICS = [...METRIC_NAMES, 'pass_at_k'] as const;

const Input = z
  .object({
    dataset: DatasetSchema,
    /** The eval set's name in the baseline key. @default the dataset's name or file name without extension */
    evalSetName: z.string().min(1).optional(),
    endpoint: EndpointSchema,
    /** The model line the baseline belongs to (deploy_adapter's `name`). @default endpoint.model, or the local loader's name */
    name: z.string().min(1).optional(),
    /** The gating metric. */
    metric: z.enum(GATE_METRICS).default('normalized_match'),
    /** k of pass_at_k (≤ samples). @default samples */
    k: z.number().int().min(1).optional(),
    /** When a sample counts as correct for pass@k. */
    passCriterion: z.enum(['exact_match', 'normalized_match']).default('normalized_match'),
    /** Completions per item; with > 1, pass@k is reported and the other metrics are means over the samples. */
    samples: z.number().int().min(1).max(100).default(1),
    temperature: z.number().min(0).max(2).default(0),
    maxTokens: z.number().int().min(1).optional(),
    seed: z.number().int().optional(),
    /** Prepended as a system message to items that have none. */
    systemPrompt: z.string().optional(),
    /** Items generated at once. */
    concurrency: z.number().int().min(1).max(64).default(4),
    /** deploy needs the gating metric to beat the baseline by this many percentage points. */
    minImprovementPp: z.number().min(0).default(2),
    /** A drop of more than this many percentage points is flagged as a regression (blind_eval alerts). */
    regressionThresholdPp: z.number().min(0).default(5),
    /** An absolute floor (fraction 0..1) for the gating metric, with or without a baseline. */
    minScore: z.number().min(0).max(1).default(0),
    /** No baseline stored: deploy (first deployment), hold, or fail with BASELINE_MISSING. */
    noBaseline: z.enum(['deploy', 'hold', 'fail']).default('deploy'),
    /** Store this result as the baseline (seeding from the base model); deploy_adapter does it on promotion. */
    recordBaseline: z.boolean().default(false),
    budget: z
      .object({
        /** The adapter's whole budget (training + this evaluation): over it → hold. */
        maxCostUsd: z.number().min(0).optional(),
        /** A hard cap on this evaluation's spending: reached → stop, terminal BUDGET_EXCEEDED. */
        maxEvalCostUsd: z.number().min(0).optional(),
        /** Price of 1000 tokens (prompt + completion) at the endpoint. */
        costPer1kTokens: z.number().min(0).default(0),
        /** What training this adapter cost (lora_train's output). */
        trainingCostUsd: z.number().min(0).default(0),
      })
      .default({}),
    request: z
      .object({
        timeoutMs: z.number().int().min(1).default(60_000),
        maxAttempts: z.number().int().min(1).max(20).default(4),
        baseDelayMs: z.number().int().min(0).default(500),
        maxDelayMs: z.number().int().min(0).default(30_000),
        /** Invalid answers in a row (across requests) that make the endpoint count as broken. */
        maxConsecutiveInvalid: z.number().int().min(1).default(3),
      })
      .default({}),
  })
  .superRefine((v, c) => {
    const k = v.k ?? v.samples;
    if (v.metric === 'pass_at_k' && k > v.samples) c.addIssue({ code: z.ZodIssueCode.custom, path: ['k'], message: `pass_at_k needs samples ≥ k (k=${k}, samples=${v.samples})` });
    if (v.k !== undefined && v.k > v.samples) c.addIssue({ code: z.ZodIssueCode.custom, path: ['k'], message: `k=${v.k} is more than samples=${v.samples}` });
  });
type Input = z.output<typeof Input>;

interface Generator {
  describe: Record<string, unknown>;
  generate(messages: ChatMessage[], signal: AbortSignal): Promise<{ texts: string[]; usage: Usage; usageEstimated: boolean }>;
  counts(): Record<string, number>;
  close(): Promise<void>;
}

const INVALID_LINES_IN_OUTPUT = 50;

/** What blind_eval's alert rules and the training dashboard read. */
const EVAL_GAUGES = [
  { name: 'baton_eval_score', help: 'Latest evaluation score (0..1) of a model on an eval set, by the gating metric', labelNames: ['model', 'eval_set'] },
  { name: 'baton_eval_delta_pp', help: 'Latest score change against the stored baseline, percentage points', labelNames: ['model', 'eval_set'] },
  { name: 'baton_eval_regression', help: '1 when the latest evaluation dropped more than its regression threshold below the baseline', labelNames: ['model', 'eval_set'] },
];

export default defineWorker({
  taskType: 'evaluate',
  gauges: EVAL_GAUGES,
  description: 'Score a held-out JSONL set against a model endpoint or local adapter, compare with the baseline, decide deploy or hold',
  input: Input,
  async run(input, ctx) {
    const ds = await loadDataset(input.dataset, ctx);
    const parsed = parseDataset(ds.text);
    for (const b of parsed.invalid.slice(0, 200)) ctx.log(`dataset line ${b.line}: ${b.reason}`);
    if (parsed.invalid.length > 200) ctx.log(`dataset: ${parsed.invalid.length - 200} more invalid lines`);
    if (parsed.items.length === 0) {
      throw terminal('DATASET_INVALID', `${ds.name}: no valid item in ${parsed.lines} non-blank lines${parsed.invalid.length ? ` (first: line ${parsed.invalid[0]!.line}: ${parsed.invalid[0]!.reason})` : ''}`, {
        lines: parsed.lines,
        invalidCount: parsed.invalid.length,
        invalidLines: parsed.invalid.slice(0, INVALID_LINES_IN_OUTPUT),
      });
    }

    const k = input.k ?? input.samples;
    const gateKey = input.metric === 'pass_at_k' ? `pass_at_${k}` : input.metric;
    const key: BaselineKey = { model: input.name ?? ('local' in input.endpoint ? input.endpoint.local.loader : input.endpoint.model), evalSet: input.evalSetName ?? ds.name };
    const store = baselineStoreFromEnv(ctx.env);
    const stored = await store.get(key);
    const { baseline, unusable } = comparableBaseline(stored, gateKey, ds.sha256);
    if (!stored && input.noBaseline === 'fail') throw terminal('BASELINE_MISSING', `no baseline stored for ${key.model} on ${key.evalSet} (${store.fileOf(key)})`, { ...key });

    const gen = await generator(input, ctx);
    const totals = { usage: { prompt: 0, completion: 0, total: 0 } as Usage, usageEstimated: false };
    const costPerToken = input.budget.costPer1kTokens / 1000;
    const evalCost = () => totals.usage.total * costPerToken;
    ctx.log(
      `evaluate: ${parsed.items.length} items (${parsed.invalid.length} invalid lines) of ${ds.name} against ${JSON.stringify(gen.describe)}; ` +
        `gate ${gateKey}, samples ${input.samples}, temperature ${input.temperature}, concurrency ${input.concurrency}; baseline ${baseline ?? (unusable ? `unusable (${unusable})` : 'none')}`,
    );
    if (input.samples > 1 && input.temperature === 0) ctx.log('evaluate: samples > 1 at temperature 0: the samples are likely identical, so pass@k ≈ pass@1');

    let results: ReturnType<typeof grade>[];
    try {
      results = await pool(parsed.items, input.concurrency, ctx, async (item, signal) => {
        if (input.budget.maxEvalCostUsd !== undefined && evalCost() >= input.budget.maxEvalCostUsd) {
          throw terminal('BUDGET_EXCEEDED', `evaluation spent $${roundTo(evalCost(), 4)} of its $${input.budget.maxEvalCostUsd} budget before item ${item.id}`, {
            spentUsd: roundTo(evalCost(), 6),
            maxEvalCostUsd: input.budget.maxEvalCostUsd,
            tokens: totals.usage.total,
          });
        }
        const r = await gen.generate(messagesOf(item, input.systemPrompt), signal);
        totals.usage.prompt += r.usage.prompt;
        totals.usage.completion += r.usage.completion;
        totals.usage.total += r.usage.total;
        totals.usageEstimated ||= r.usageEstimated;
        return grade(item, r.texts);
      });
    } finally {
      await gen.close();
    }

    const items: ItemScores[] = results.map((r) => ({ samples: r.sampleScores }));
    const passK = input.samples > 1 ? [...new Set([1, k, input.samples])].filter((x) => x <= input.samples).sort((a, b) => a - b) : input.metric === 'pass_at_k' ? [1] : [];
    const metrics = Object.fromEntries(Object.entries(aggregate(items, { passCriterion: input.passCriterion, passK })).map(([m, v]) => [m, roundTo(v, 6)]));
    const score = metrics[gateKey]!;

    const cost = {
      tokens: { ...totals.usage },
      usageEstimated: totals.usageEstimated,
      costPer1kTokens: input.budget.costPer1kTokens,
      evalUsd: roundTo(evalCost(), 6),
      trainingUsd: input.budget.trainingCostUsd,
      totalUsd: roundTo(evalCost() + input.budget.trainingCostUsd, 6),
      ...(input.budget.maxCostUsd !== undefined ? { maxCostUsd: input.budget.maxCostUsd } : {}),
      withinBudget: input.budget.maxCostUsd === undefined || evalCost() + input.budget.trainingCostUsd <= input.budget.maxCostUsd,
    };
    const gate = decide({
      metric: gateKey,
      score,
      baseline,
      baselineUnusable: unusable,
      minImprovementPp: input.minImprovementPp,
      regressionThresholdPp: input.regressionThresholdPp,
      minScore: input.minScore,
      noBaseline: input.noBaseline === 'hold' ? 'hold' : 'deploy',
      withinBudget: cost.withinBudget,
      budgetReason: `$${cost.totalUsd} spent (training $${cost.trainingUsd} + evaluation $${cost.evalUsd}) > $${input.budget.maxCostUsd}`,
    });
    for (const r of gate.reasons) ctx.log(`gate: ${r}`);
    ctx.log(`evaluate: ${gateKey} = ${score}; decision ${gate.decision}${gate.regression ? ' (REGRESSION)' : ''}`);
    // what blind_eval's alert rules watch (prometheus/alerts.yml)
    const labels = { model: key.model, eval_set: key.evalSet };
    ctx.gauge('baton_eval_score', EVAL_GAUGES[0]!.help, labels, score);
    if (gate.delta_pp !== null && gate.delta_pp !== undefined) ctx.gauge('baton_eval_delta_pp', EVAL_GAUGES[1]!.help, labels, gate.delta_pp);
    ctx.gauge('baton_eval_regression', EVAL_GAUGES[2]!.help, labels, gate.regression ? 1 : 0);

    const counts = { lines: parsed.lines, items: parsed.items.length, invalid: parsed.invalid.length, completions: results.reduce((a, r) => a + r.predictions.length, 0), ...gen.counts() };
    const deltas: Record<string, { abs: number; pp: number; rel: number | null }> = {};
    if (stored && !unusable) {
      for (const [m, v] of Object.entries(metrics)) {
        const b = stored.metrics?.[m];
        if (typeof b === 'number') deltas[m] = { abs: roundTo(v - b, 6), pp: roundTo((v - b) * 100, 6), rel: b === 0 ? null : roundTo((v - b) / b, 6) };
      }
    }

    const evalSet = { name: key.evalSet, sha256: ds.sha256 };
    const report = await storeReport(ctx.artifacts, {
      generatedAt: new Date().toISOString(),
      task: { workflowId: ctx.workflowId, taskId: ctx.taskId },
      evalSet: { ...evalSet, lines: parsed.lines, valid: parsed.items.length, invalid: parsed.invalid },
      model: gen.describe,
      decoding: { temperature: input.temperature, maxTokens: input.maxTokens, seed: input.seed, samples: input.samples },
      metric: gateKey,
      score,
      metrics,
      baselineKey: key,
      baseline: stored ? { ...stored, history: undefined, comparable: !unusable, ...(unusable ? { why: unusable } : {}) } : null,
      deltas,
      gate: { decision: gate.decision, reasons: gate.reasons, delta_pp: gate.delta_pp, minImprovementPp: input.minImprovementPp, minScore: input.minScore, regression: gate.regression, regressionThresholdPp: input.regressionThresholdPp, withinBudget: cost.withinBudget },
      cost,
      counts,
      items: results.map(({ sampleScores: _s, ...r }) => r),
    });

    let baselineRecorded = false;
    if (input.recordBaseline) {
      await store.put({ ...key, score, metric: gateKey, metrics, evalSetSha256: ds.sha256, n: parsed.items.length, source: 'evaluate', workflowId: ctx.workflowId });
      baselineRecorded = true;
      ctx.log(`evaluate: baseline for ${key.model} on ${key.evalSet} set to ${gateKey} = ${score}`);
    }

    return {
      score,
      metric: gateKey,
      baseline,
      delta_pp: gate.delta_pp,
      regression: gate.regression,
      decision: gate.decision,
      reasons: gate.reasons,
      metrics,
      counts,
      invalidLines: parsed.invalid.slice(0, INVALID_LINES_IN_OUTPUT),
      evalSet,
      baselineKey: key,
      baselineRecorded,
      cost,
      report,
    };
  },
});

/** A stored baseline's score for the gating metric, if it was measured the same way. */
function comparableBaseline(rec: BaselineRecord | undefined, metric: string, sha256: string): { baseline: number | null; unusable?: string } {
  if (!rec) return { baseline: null };
  if (rec.evalSetSha256 && rec.evalSetSha256 !== sha256) return { baseline: null, unusable: `measured on eval set ${rec.evalSetSha256.slice(0, 12)}…, this one is ${sha256.slice(0, 12)}…` };
  const v = rec.metrics?.[metric] ?? (rec.metric === metric ? rec.score : undefined);
  if (typeof v !== 'number') return { baseline: null, unusable: `it has no ${metric} (it gated on ${rec.metric})` };
  return { baseline: v };
}

async function loadDataset(d: DatasetRef, ctx: TaskCtx): Promise<{ text: string; sha256: string; name: string }> {
  const nameOf = (n: string) => basename(n).replace(/\.(jsonl|ndjson|json)$/i, '') || 'eval';
  if (d.uri || (d.sha256 && !d.path)) {
    const bytes = await ctx.artifacts.read(d as ArtifactRef, 'dataset');
    const sha = createHash('sha256').update(bytes).digest('hex');
    return { text: bytes.toString('utf8'), sha256: sha, name: nameOf(d.name ?? 'eval') };
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(d.path!);
  } catch (e) {
    throw terminal('DATASET_MISSING', `dataset: cannot read ${d.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path: d.path });
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (d.sha256 && d.sha256 !== sha) throw terminal('EVAL_SET_HASH_MISMATCH', `dataset: ${d.path} hashes to ${sha}, not the frozen ${d.sha256}`, { path: d.path, expected: d.sha256, actual: sha });
  return { text: bytes.toString('utf8'), sha256: sha, name: nameOf(d.name ?? d.path!) };
}

function grade(item: EvalItem, texts: string[]): ItemResult & { sampleScores: ItemScores['samples'] } {
  const sampleScores = Object.fromEntries(METRIC_NAMES.map((m) => [m, texts.map((t) => scoreAnswer(m, t, item.answers))])) as Record<BasicMetric, number[]>;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const scores = Object.fromEntries(METRIC_NAMES.map((m) => [m, roundTo(mean(sampleScores[m]), 6)]));
  return { id: item.id, line: item.line, answers: item.answers, predictions: texts, scores, sampleScores };
}

async function generator(input: Input, ctx: TaskCtx): Promise<Generator> {
  const p = { temperature: input.temperature, maxTokens: input.maxTokens, seed: input.seed, samples: input.samples };
  if (!('local' in input.endpoint)) {
    const e = input.endpoint;
    const client = new ChatClient({ baseUrl: e.baseUrl, model: e.model, apiKey: e.apiKeySecret ? ctx.secret(e.apiKeySecret) : undefined, supportsN: e.supportsN, ...input.request, log: (l) => ctx.log(l) });
    return {
      describe: { kind: 'endpoint', url: client.url, model: e.model },
      generate: (messages, signal) => client.complete(messages, p, signal),
      counts: () => ({ ...client.stats }),
      close: async () => undefined,
    };
  }

  const l = input.endpoint.local;
  const loader = localModelLoader(l.loader);
  if (!loader) {
    const known = localModelLoaders();
    throw terminal('LOCAL_MODEL_UNAVAILABLE', `no local model loader "${l.loader}" is registered in this worker process (registered: ${known.length ? known.join(', ') : 'none'})`, { loader: l.loader });
  }
  const adapter = await resolveAdapter(l.adapter, ctx.artifacts, 'endpoint.local.adapter');
  // the files under their names in the task's workspace (hard links into the store where possible)
  const adapterDir = join(await ctx.workspace(), `adapter-${adapter.sha256.slice(0, 12)}`);
  await mkdir(adapterDir, { recursive: true });
  for (const f of adapter.files) {
    const dest = join(adapterDir, f.name);
    await link(f.src, dest).catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') await copyFile(f.src, dest, constants.COPYFILE_FICLONE);
    });
  }
  const main = adapter.files.find((f) => f.name === 'adapter_model.safetensors') ?? adapter.files[0]!;
  let model: LocalModel;
  try {
    model = await loader({
      adapter: l.adapter as LocalModelSpec['adapter'],
      adapterSha256: adapter.sha256,
      files: adapter.files.map((f) => ({ name: f.name, sha256: f.sha256, path: join(adapterDir, f.name) })),
      adapterDir,
      adapterPath: join(adapterDir, main.name),
      baseModel: l.baseModel,
      options: l.options,
      log: (line) => ctx.log(line),
    });
  } catch (e) {
    if (e instanceof WorkerError) throw e;
    throw terminal('LOCAL_MODEL_FAILED', `loader "${l.loader}" could not load adapter ${adapter.sha256.slice(0, 12)}: ${(e as Error).message}`, { loader: l.loader });
  }
  const count = (t: string) => model.countTokens?.(t) ?? t.split(/\s+/).filter(Boolean).length;
  let calls = 0;
  return {
    describe: { kind: 'local', loader: l.loader, adapter: adapter.sha256, ...(l.baseModel ? { baseModel: l.baseModel } : {}) },
    async generate(messages, signal) {
      const prompt = promptText(messages);
      const texts: string[] = [];
      for (let i = 0; i < input.samples; i++) {
        calls += 1;
        let t: unknown;
        try {
          t = await model.generate(prompt, { temperature: input.temperature, maxTokens: input.maxTokens, seed: input.seed === undefined ? undefined : input.seed + i, messages, signal });
        } catch (e) {
          if (signal.aborted || e instanceof WorkerError) throw e;
          throw terminal('LOCAL_MODEL_FAILED', `local model generate failed: ${(e as Error).message}`);
        }
        if (typeof t !== 'string') throw terminal('LOCAL_MODEL_FAILED', `local model generate returned ${typeof t}, not a string`);
        texts.push(t);
      }
      const promptTokens = count(prompt) * input.samples;
      const completion = texts.reduce((a, t) => a + count(t), 0);
      return { texts, usage: { prompt: promptTokens, completion, total: promptTokens + completion }, usageEstimated: !model.countTokens };
    },
    counts: () => ({ requests: calls }),
    close: async () => {
      await model.close?.();
    },
  };
}

/**
 * Run fn over items with at most `concurrency` at once, results in item order. The first failure
 * stops new items and aborts the running ones (it is the error thrown).
 */
async function pool<T, R>(items: readonly T[], concurrency: number, ctx: TaskCtx, fn: (item: T, signal: AbortSignal) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  let next = 0;
  let done = 0;
  let failure: { e: unknown } | undefined;
  const step = Math.max(1, Math.ceil(items.length / 10));
  const lane = async () => {
    while (!failure && !signal.aborted && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, signal);
      } catch (e) {
        failure ??= { e };
        stop.abort(e);
        return;
      }
      done += 1;
      if (done % step === 0 || done === items.length) ctx.log(`evaluate: ${done}/${items.length} items`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  if (failure) throw failure.e;
  if (ctx.signal.aborted) throw retryable('ABORTED', String((ctx.signal.reason as Error)?.message ?? 'aborted'));
  return out;
}

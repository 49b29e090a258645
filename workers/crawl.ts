/**
 * crawl: gather training text from the web politely (reference/worker-domain.md §5, §8.7).
 * Seeds with per-source weights, robots.txt with Crawl-delay, a politeness delay per host, limits
 * on pages, depth, bytes and time, URL normalization and dedup, redirects re-checked against
 * robots and scope on every hop, 429/5xx backoff with Retry-After, cheerio text extraction, a
 * quality score per page (kept at ≥ 0.8 by default), exact and near-duplicate removal. The result
 * is a JSONL dataset in the artifact store (one object per page: url, title, text, score, source,
 * fetchedAt, sha256, lang, depth, words), an optional training set (`{"text"}` lines) and a JSON
 * report (seeds and their fate, counts, skipped reasons, every page's outcome).
 *
 * Long crawls run in slices: after `checkpoint.pages` pages or `checkpoint.seconds` (or when the
 * task's signal aborts), the state is checkpointed and the task reports IN_PROGRESS; the next
 * poll continues from it without fetching a page twice. A retry of the task (a new task id)
 * resumes from the frontier file instead (lib/crawl/checkpoint.ts). `resume: false` crawls in one
 * call and persists nothing.
 *
 * Failures. Terminal: INVALID_INPUT (every seed invalid, or a bad field), SEEDS_OUT_OF_SCOPE,
 * ALL_SEEDS_DISALLOWED (robots.txt), EMPTY_RESULT (no page kept), OUTPUT_NOT_WRITABLE.
 * Retryable: ROBOTS_UNREACHABLE (robots.txt 5xx/network for the seeds: everything is disallowed
 * until it answers), ALL_SEEDS_UNREACHABLE (every seed timed out, failed to connect or kept
 * answering 5xx), RATE_LIMITED (429 with a Retry-After past the deadline), DEADLINE_WITH_PARTIAL
 * (the deadline came before any page was kept; the frontier is kept for the retry). With
 * `resume: false` an aborted task fails retryable (the runtime reports TIMEOUT or WORKER_SHUTDOWN).
 * Page-level problems never fail the task; they are counted in `skipped`.
 */
import { appendFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineWorker, InProgress, type TaskCtx } from './runtime/define-worker';
import { retryable, terminal, type WorkerError } from './runtime/errors';
import type { ArtifactRef } from './runtime/artifacts';
import { Crawler, type CrawlConfig, type CrawlDeps, type DocRecord, type SeedSpec, type StopReason } from './lib/crawl/crawler';
import { CheckpointStore, crawlKey, refOnly, writing, type Checkpoint } from './lib/crawl/checkpoint';
import { systemClock, type Clock } from './lib/crawl/fetcher';
import { normalizeUrl, urlKey } from './lib/crawl/url';

const regex = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

const Seed = z.union([
  z.string(),
  z.object({
    url: z.string(),
    /** A label for the pages reached from this seed (the `source` of their records). @default the seed's host */
    source: z.string().min(1).max(200).optional(),
    /** Priority weight of the source: its pages are fetched before lower-weight ones at the same depth. */
    weight: z.number().positive().max(1000).default(1),
  }),
]);

const Input = z.object({
  seeds: z.array(Seed).min(1, 'give at least one seed URL'),
  scope: z
    .object({
      mode: z.enum(['same-host', 'same-origin', 'allowlist']).default('same-host'),
      allow: z.array(regex).default([]),
      deny: z.array(regex).default([]),
    })
    .default({})
    .superRefine((s, c) => {
      if (s.mode === 'allowlist' && s.allow.length === 0) c.addIssue({ code: 'custom', path: ['allow'], message: 'mode allowlist needs at least one allow pattern' });
    }),
  limits: z
    .object({
      maxPages: z.number().int().min(1).default(100),
      /** Link hops from a seed (0 = the seeds only). */
      maxDepth: z.number().int().min(0).default(3),
      maxBytesPerPage: z.number().int().min(1024).default(2_000_000),
      maxTotalBytes: z.number().int().min(1024).default(200_000_000),
      requestTimeoutMs: z.number().int().min(100).default(15_000),
      /** For the whole task (all its IN_PROGRESS slices). */
      deadlineS: z.number().positive().default(3600),
      maxRedirects: z.number().int().min(0).max(20).default(5),
      /** Retries of a page after a 429, a 5xx, a timeout or a network error. */
      maxRetries: z.number().int().min(0).max(10).default(3),
    })
    .default({}),
  politeness: z
    .object({
      userAgent: z.string().min(1).default('BatonBot/1.0 (+https://baton.example/bot)'),
      /** The robots.txt group name to obey. @default the userAgent's product token (BatonBot) */
      robotsToken: z.string().min(1).optional(),
      minDelayMs: z.number().int().min(0).default(1000),
      respectCrawlDelay: z.boolean().default(true),
      maxCrawlDelayS: z.number().min(0).default(30),
      perHostConcurrency: z.literal(1, { errorMap: () => ({ message: 'only 1 request per host at a time is supported' }) }).default(1),
      /** First backoff after a 429/5xx/network error on a host; doubles per failure. */
      backoffMs: z.number().int().min(0).default(1000),
      maxBackoffMs: z.number().int().min(0).default(60_000),
    })
    .default({}),
  contentTypes: z.array(z.string().min(1).transform((s) => s.toLowerCase())).min(1).default(['text/html', 'text/plain']),
  quality: z
    .object({
      threshold: z.number().min(0).max(1).default(0.8),
      minWords: z.number().int().min(1).default(50),
      maxWords: z.number().int().min(1).default(100_000),
      /** Keep only pages whose declared language is one of these (pages declaring none are kept). */
      lang: z.array(z.string().min(2).transform((s) => s.toLowerCase())).optional(),
      nearDupJaccard: z.number().gt(0).max(1).default(0.8),
    })
    .default({}),
  output: z
    .object({
      /** `text`: also store train.jsonl with one `{"text"}` per page; `none`: the dataset only. */
      trainingFormat: z.enum(['text', 'none']).default('text'),
    })
    .default({}),
  /** Persist the frontier and continue from it (IN_PROGRESS slices, retries). */
  resume: z.boolean().default(true),
  checkpoint: z
    .object({
      /** Pages per call before the task checkpoints and reports IN_PROGRESS. */
      pages: z.number().int().min(1).default(50),
      /** Seconds per call before it does. Keep it under the task's responseTimeoutSeconds. */
      seconds: z.number().positive().default(120),
      callbackAfterS: z.number().int().min(0).default(1),
    })
    .default({}),
});
type Input = z.output<typeof Input>;

/** What the IN_PROGRESS output carries between calls of one task. */
interface SliceState {
  checkpoint: ArtifactRef;
  key: string;
  startedAt: number;
  calls: number;
}

export interface CrawlWorkerDeps {
  clock?: Clock;
  fetchImpl?: typeof fetch;
}

/** The worker; tests may pass a clock or a fetch. */
export function createCrawlWorker(deps: CrawlWorkerDeps = {}) {
  const clock = deps.clock ?? systemClock;
  return defineWorker({
    taskType: 'crawl',
    description: 'Crawl seed sites politely (robots.txt, delays, limits), score and dedupe pages, store a JSONL dataset',
    input: Input,
    async run(input, ctx) {
      const seeds = resolveSeeds(input.seeds);
      const config: CrawlConfig = { scope: input.scope, limits: input.limits, politeness: input.politeness, contentTypes: input.contentTypes, quality: input.quality };
      const key = crawlKey(ctx.workflowId, { ...input, resume: undefined, checkpoint: undefined });
      const crawlDeps: CrawlDeps = { clock, log: (l) => ctx.log(l), signal: ctx.signal, fetchImpl: deps.fetchImpl };
      const workspace = await ctx.workspace();
      const store = CheckpointStore.forTask(ctx.artifacts, workspace, key);

      // continue this task's crawl, or a previous attempt's, or start one
      const prev = sliceOf(ctx.previousOutput, key);
      let loaded: { cp: Checkpoint; ref: ArtifactRef } | undefined;
      let startedAt = clock.now();
      let calls = 1;
      if (input.resume && prev) {
        const cp = await store.load(prev.checkpoint, key);
        if (cp) loaded = { cp, ref: prev.checkpoint };
        else ctx.log(`crawl: the checkpoint ${prev.checkpoint.uri} is gone; trying the frontier file`);
        startedAt = prev.startedAt;
        calls = prev.calls + 1;
      }
      if (input.resume && !loaded) {
        loaded = await store.fromFile(key);
        if (loaded) ctx.log(`crawl: resuming from the frontier file ${store.file}`);
      }
      const crawler = loaded ? Crawler.resume(config, crawlDeps, loaded.cp.crawl) : Crawler.start(config, crawlDeps, seeds.valid);
      const chunks = loaded ? [...loaded.cp.chunks] : [];
      if (loaded) {
        const c = crawler.counters;
        ctx.log(`crawl: resumed (call ${calls}): ${c.pagesFetched} pages fetched, ${c.pagesKept} kept, ${crawler.frontier.size} queued`);
      } else {
        for (const bad of seeds.invalid) ctx.log(`crawl: seed ${bad.index} skipped: ${bad.reason}`);
        if (crawler.seeds.every((s) => s.status === 'scope')) {
          throw terminal('SEEDS_OUT_OF_SCOPE', `every seed is outside the scope (${input.scope.mode}${input.scope.allow.length ? `, allow ${input.scope.allow.join(' ')}` : ''}${input.scope.deny.length ? `, deny ${input.scope.deny.join(' ')}` : ''})`, {
            seeds: crawler.seeds.map((s) => s.url),
          });
        }
      }

      const callStart = clock.now();
      const result = await crawler.run({
        deadline: startedAt + input.limits.deadlineS * 1000,
        pauseAt: input.resume ? callStart + input.checkpoint.seconds * 1000 : Infinity,
        pauseAfterPages: input.resume ? crawler.counters.pagesFetched + input.checkpoint.pages : Infinity,
      });
      const fresh = crawler.takeRecords();
      if (fresh.length) chunks.push(refOnly(await writing('a dataset chunk', () => ctx.artifacts.putBytes(jsonl(fresh), 'pages.part.jsonl'))));

      if ('paused' in result) {
        if (!input.resume) throw retryable('INTERRUPTED', 'the crawl was interrupted and resume is off');
        const cp: Checkpoint = { version: 1, key, crawl: crawler.toJSON(), chunks, savedAt: new Date(clock.now()).toISOString() };
        const ref = await store.save(cp, loaded?.ref);
        const c = crawler.counters;
        ctx.log(`crawl: ${result.paused === 'budget' ? 'slice done' : 'interrupted'}; checkpoint ${ref.uri} (${c.pagesFetched} fetched, ${c.pagesKept} kept, ${crawler.frontier.size} queued)`);
        const state: SliceState = { checkpoint: ref, key, startedAt, calls };
        return new InProgress(input.checkpoint.callbackAfterS, {
          crawl: state,
          pagesFetched: c.pagesFetched,
          pagesKept: c.pagesKept,
          queued: crawler.frontier.size,
          skipped: crawler.skippedCounts(),
        });
      }

      return finish(ctx, input, { crawler, chunks, stoppedBecause: result.stopped, startedAt, store, loadedRef: loaded?.ref, invalidSeeds: seeds.invalid, now: clock.now() });
    },
  });
}

export default createCrawlWorker();

interface InvalidSeed {
  index: number;
  value: unknown;
  reason: string;
}

function resolveSeeds(raw: Input['seeds']): { valid: SeedSpec[]; invalid: InvalidSeed[] } {
  const valid: SeedSpec[] = [];
  const invalid: InvalidSeed[] = [];
  raw.forEach((s, index) => {
    const spec = typeof s === 'string' ? { url: s, weight: 1 } : s;
    const url = normalizeUrl(spec.url);
    if (!url) invalid.push({ index, value: spec.url, reason: `${JSON.stringify(spec.url)} is not an absolute http(s) URL` });
    else if (!valid.some((v) => urlKey(v.url) === urlKey(url))) valid.push({ url, source: ('source' in spec && spec.source) || new URL(url).host, weight: spec.weight });
  });
  if (!valid.length) {
    throw terminal('INVALID_INPUT', `seeds: no valid seed URL (${invalid.map((i) => `seeds.${i.index}: ${i.reason}`).join('; ')})`, { field: 'seeds', invalid });
  }
  return { valid, invalid };
}

function sliceOf(prev: Record<string, unknown>, key: string): SliceState | undefined {
  const s = prev.crawl as Partial<SliceState> | undefined;
  if (!s || s.key !== key || typeof s.checkpoint !== 'object' || typeof s.startedAt !== 'number') return undefined;
  return { checkpoint: s.checkpoint as ArtifactRef, key, startedAt: s.startedAt, calls: typeof s.calls === 'number' ? s.calls : 1 };
}

const jsonl = (records: unknown[]): string => records.map((r) => `${JSON.stringify(r)}\n`).join('');

const UNREACHABLE = new Set(['timeout', 'network', 'serverError', 'rateLimited', 'robotsUnreachable']);

async function finish(
  ctx: TaskCtx,
  input: Input,
  o: { crawler: Crawler; chunks: ArtifactRef[]; stoppedBecause: StopReason; startedAt: number; store: CheckpointStore; loadedRef?: ArtifactRef; invalidSeeds: InvalidSeed[]; now: number },
): Promise<Record<string, unknown>> {
  const { crawler } = o;
  const c = crawler.counters;
  const skipped = crawler.skippedCounts();
  const seeds = crawler.seeds;
  const seedSummary = {
    total: seeds.length + o.invalidSeeds.length,
    fetched: seeds.filter((s) => s.status === 'fetched').map((s) => s.url),
    disallowed: seeds.filter((s) => s.status === 'robots').map((s) => s.url),
    outOfScope: seeds.filter((s) => s.status === 'scope').map((s) => s.url),
    failed: seeds.filter((s) => s.status !== 'fetched' && s.status !== 'robots' && s.status !== 'scope' && s.status !== 'queued').map((s) => ({ url: s.url, reason: s.status, detail: s.detail })),
    invalid: o.invalidSeeds,
  };
  if (seedSummary.disallowed.length) ctx.log(`crawl: seeds disallowed by robots.txt (skipped): ${seedSummary.disallowed.join(', ')}`);

  // the dataset and training set, from the chunks in order
  const ws = await ctx.workspace();
  const pagesPath = join(ws, 'pages.jsonl');
  const trainPath = join(ws, 'train.jsonl');
  await rm(pagesPath, { force: true });
  await rm(trainPath, { force: true });
  let records = 0;
  for (const [i, chunk] of o.chunks.entries()) {
    const buf = await ctx.artifacts.read(chunk, `chunk ${i}`);
    await writing(pagesPath, () => appendFile(pagesPath, buf));
    const lines = buf.toString('utf8').split('\n').filter(Boolean);
    records += lines.length;
    if (input.output.trainingFormat === 'text') {
      await writing(trainPath, () => appendFile(trainPath, lines.map((l) => `${JSON.stringify({ text: (JSON.parse(l) as DocRecord).text })}\n`).join('')));
    }
  }
  const durationS = Math.round((o.now - o.startedAt) / 100) / 10;
  const dataset = records ? { ...refOnly(await writing('the dataset', () => ctx.artifacts.putFile(pagesPath, 'pages.jsonl'))), records } : undefined;
  const trainingSet = records && input.output.trainingFormat === 'text' ? { ...refOnly(await writing('the training set', () => ctx.artifacts.putFile(trainPath, 'train.jsonl'))), records } : undefined;

  const summary = {
    pagesFetched: c.pagesFetched,
    pagesKept: c.pagesKept,
    requests: c.requests,
    retries: c.retries,
    skipped,
    bytesDownloaded: c.bytesDownloaded,
    durationS,
    stoppedBecause: o.stoppedBecause,
    queued: crawler.frontier.size,
    sources: crawler.sources,
    seeds: seedSummary,
    qualityThreshold: input.quality.threshold,
  };
  const report = refOnly(
    await writing('the crawl report', () =>
      ctx.artifacts.putBytes(
        `${JSON.stringify({ ...summary, dataset, trainingSet, seedsDetail: seeds, config: { ...input, checkpoint: undefined }, pages: crawler.pages, finishedAt: new Date(o.now).toISOString() }, null, 2)}\n`,
        'crawl-report.json',
      ),
    ),
  );

  // drop the intermediate artifacts (never one that is also a result)
  const results = new Set([dataset?.sha256, trainingSet?.sha256, report.sha256]);
  const cleanup = async (keepFrontier: boolean) => {
    for (const r of [...o.chunks, ...(o.loadedRef ? [o.loadedRef] : [])]) if (!results.has(r.sha256)) await ctx.artifacts.remove(r.sha256).catch(() => undefined);
    if (!keepFrontier) await o.store.clear();
    await rm(pagesPath, { force: true });
    await rm(trainPath, { force: true });
  };

  if (!records) {
    const err = emptyResultError(crawler, o.stoppedBecause, input.resume);
    // the retry of DEADLINE_WITH_PARTIAL resumes from the saved frontier; the others start afresh
    if (err.code === 'DEADLINE_WITH_PARTIAL') await o.store.save({ version: 1, key: o.store.key, crawl: crawler.toJSON(), chunks: [], savedAt: new Date(o.now).toISOString() }, o.loadedRef);
    else await cleanup(false);
    Object.assign(err.details!, { report, skipped, pagesFetched: c.pagesFetched });
    throw err;
  }
  await cleanup(false);
  ctx.log(`crawl: ${c.pagesFetched} pages fetched, ${c.pagesKept} kept (${o.stoppedBecause}); dataset ${dataset!.uri}`);
  return { ...summary, dataset, ...(trainingSet ? { trainingSet } : {}), report };
}

/** Why nothing was kept, as the contract's code. */
function emptyResultError(crawler: Crawler, stopped: StopReason, resume: boolean): WorkerError {
  const seeds = crawler.seeds.filter((s) => s.status !== 'scope');
  const list = (pred: (s: (typeof seeds)[number]) => boolean) => seeds.filter(pred).map((s) => `${s.url}${s.detail ? ` (${s.detail})` : ''}`);
  const details = { seeds: seeds.map((s) => ({ url: s.url, status: s.status, detail: s.detail })) } as Record<string, unknown>;
  if (seeds.length && seeds.every((s) => s.status === 'robots')) {
    return terminal('ALL_SEEDS_DISALLOWED', `robots.txt disallows every seed: ${list(() => true).join(', ')}`, details);
  }
  const failedAll = seeds.length > 0 && seeds.every((s) => UNREACHABLE.has(s.status) || s.status === 'robots');
  if (failedAll && seeds.some((s) => s.status === 'robotsUnreachable')) {
    return retryable('ROBOTS_UNREACHABLE', `robots.txt could not be fetched (5xx or network error), so nothing may be crawled yet: ${list((s) => s.status === 'robotsUnreachable').join(', ')}`, details);
  }
  if (failedAll && seeds.some((s) => s.status === 'rateLimited')) {
    return retryable('RATE_LIMITED', `the sites rate limit us past the deadline: ${list((s) => s.status === 'rateLimited').join(', ')}`, { ...details, hosts: crawler.blockedHosts });
  }
  if (failedAll) return retryable('ALL_SEEDS_UNREACHABLE', `no seed could be fetched: ${list(() => true).join(', ')}`, details);
  if (stopped === 'deadline' && resume && crawler.frontier.size > 0) {
    return retryable('DEADLINE_WITH_PARTIAL', `the deadline came before any page was kept; ${crawler.frontier.size} URLs remain in the saved frontier`, details);
  }
  const s = crawler.skippedCounts();
  const why = Object.entries(s)
    .filter(([, n]) => n)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return terminal('EMPTY_RESULT', `no page was kept (${crawler.counters.pagesFetched} fetched; skipped: ${why || 'none'})`, details);
}

/**
 * The crawl loop: take the best URL whose host is ready from the frontier, check robots.txt and
 * scope (on every redirect hop too), fetch it politely, extract, score, dedupe, keep or skip, and
 * queue its links. One request is in flight at a time. Everything the loop knows is in
 * `toJSON()`, so a task can stop (page/time budget or its abort signal) and continue later without
 * fetching a page twice. Page-level problems never throw: they are counted by reason in `skipped`.
 */
import { ContentIndex, sha256Hex, type ContentIndexJson } from './dedup';
import { decodeBody, extractHtml, extractPlain } from './extract';
import { HostPacer, request, type Clock, type PacerJson, type RequestOutcome } from './fetcher';
import { Frontier, type FrontierEntry, type FrontierJson } from './frontier';
import { scoreQuality } from './quality';
import { fetchRobotsTxt, productToken, RobotsCache, type RobotsEntry } from './robots';
import { hostOf, normalizeUrl, originOf, Scope, urlKey, type ScopeSpec } from './url';

export interface CrawlConfig {
  scope: ScopeSpec;
  limits: {
    maxPages: number;
    maxDepth: number;
    maxBytesPerPage: number;
    maxTotalBytes: number;
    requestTimeoutMs: number;
    deadlineS: number;
    maxRedirects: number;
    maxRetries: number;
  };
  politeness: {
    userAgent: string;
    robotsToken?: string;
    minDelayMs: number;
    respectCrawlDelay: boolean;
    maxCrawlDelayS: number;
    backoffMs: number;
    maxBackoffMs: number;
  };
  contentTypes: string[];
  quality: { threshold: number; minWords: number; maxWords: number; lang?: string[]; nearDupJaccard: number };
}

export interface SeedSpec {
  url: string;
  source: string;
  weight: number;
}

export type SkipReason =
  | 'robots'
  | 'robotsUnreachable'
  | 'scope'
  | 'depth'
  | 'contentType'
  | 'tooLarge'
  | 'httpError'
  | 'serverError'
  | 'timeout'
  | 'network'
  | 'rateLimited'
  | 'redirectLimit'
  | 'duplicate'
  | 'nearDuplicate'
  | 'lowQuality'
  | 'language'
  | 'noindex';

export type StopReason = 'frontier_empty' | 'max_pages' | 'deadline' | 'max_bytes';

/** A seed's fate: queued, fetched (a 2xx page), or why it was skipped. */
export interface SeedReport extends SeedSpec {
  status: 'queued' | 'fetched' | SkipReason;
  detail?: string;
}

/** One line of the dataset. */
export interface DocRecord {
  url: string;
  title: string;
  text: string;
  /** Quality score 0..1. */
  score: number;
  source: string;
  /** ISO 8601. */
  fetchedAt: string;
  /** sha256 (hex) of `text`. */
  sha256: string;
  lang: string | null;
  depth: number;
  words: number;
}

export interface PageOutcome {
  url: string;
  outcome: 'kept' | SkipReason;
  detail?: string;
  score?: number;
}

export interface Counters {
  /** Pages with a final response (any status; redirect hops, retries and robots.txt not counted). */
  pagesFetched: number;
  pagesKept: number;
  /** Every HTTP request, robots.txt, hops and retries included. */
  requests: number;
  retries: number;
  bytesDownloaded: number;
}

export interface CrawlStateJson {
  version: 1;
  seeds: SeedReport[];
  frontier: FrontierJson;
  robots: RobotsEntry[];
  pacer: PacerJson;
  content: ContentIndexJson;
  counters: Counters;
  skipped: Partial<Record<SkipReason, number>>;
  /** Distinct URLs left out for scope or depth (counted once each). */
  outOfScope: string[];
  tooDeep: string[];
  pages: PageOutcome[];
  sources: Record<string, { weight: number; fetched: number; kept: number }>;
  /** host → epoch ms: rate limited beyond the deadline; its URLs are skipped. */
  blockedHosts: Record<string, number>;
}

export interface CrawlDeps {
  clock: Clock;
  log(line: string): void;
  signal: AbortSignal;
  fetchImpl?: typeof fetch;
}

export type RunResult = { stopped: StopReason } | { paused: 'budget' | 'interrupted' };

/** How many page outcomes the state (and the report) keeps. */
const MAX_PAGE_OUTCOMES = 5000;
/** An unreachable robots.txt is asked again after this long (RFC 9309: retry later). */
const ROBOTS_RETRY_MS = 10 * 60 * 1000;
const HTML = new Set(['text/html', 'application/xhtml+xml']);

export class Crawler {
  readonly frontier: Frontier;
  private readonly robots: RobotsCache;
  private readonly pacer: HostPacer;
  private readonly content: ContentIndex;
  private readonly scope: Scope;
  private readonly token: string;
  private readonly s: Omit<CrawlStateJson, 'frontier' | 'robots' | 'pacer' | 'content' | 'outOfScope' | 'tooDeep'>;
  private readonly outOfScope: Set<string>;
  private readonly tooDeep: Set<string>;
  private records: DocRecord[] = [];

  private constructor(
    private readonly cfg: CrawlConfig,
    private readonly deps: CrawlDeps,
    saved: CrawlStateJson,
  ) {
    const p = cfg.politeness;
    this.token = p.robotsToken ?? productToken(p.userAgent);
    this.frontier = new Frontier(saved.frontier);
    this.robots = new RobotsCache(this.token, () => deps.clock.now(), undefined, saved.robots);
    this.pacer = new HostPacer(deps.clock, { minDelayMs: p.minDelayMs, backoffMs: p.backoffMs, maxBackoffMs: p.maxBackoffMs }, saved.pacer);
    this.content = new ContentIndex(cfg.quality.nearDupJaccard, saved.content);
    this.scope = new Scope(cfg.scope, saved.seeds.map((s) => s.url));
    this.outOfScope = new Set(saved.outOfScope);
    this.tooDeep = new Set(saved.tooDeep);
    this.s = { version: 1, seeds: saved.seeds, counters: saved.counters, skipped: saved.skipped, pages: saved.pages, sources: saved.sources, blockedHosts: saved.blockedHosts };
  }

  /** A new crawl of valid, normalized seeds (out-of-scope ones are reported, not queued). */
  static start(cfg: CrawlConfig, deps: CrawlDeps, seeds: SeedSpec[]): Crawler {
    const c = new Crawler(cfg, deps, {
      version: 1,
      seeds: seeds.map((s) => ({ ...s, status: 'queued' })),
      frontier: { queue: [], seen: [], done: [], seq: 0 },
      robots: [],
      pacer: {},
      content: { hashes: [], signatures: [] },
      counters: { pagesFetched: 0, pagesKept: 0, requests: 0, retries: 0, bytesDownloaded: 0 },
      skipped: {},
      outOfScope: [],
      tooDeep: [],
      pages: [],
      sources: {},
      blockedHosts: {},
    });
    c.s.seeds.forEach((seed, i) => {
      const src = (c.s.sources[seed.source] ??= { weight: seed.weight, fetched: 0, kept: 0 });
      src.weight = Math.max(src.weight, seed.weight);
      if (!c.scope.inScope(seed.url)) {
        c.skip(seed.url, 'scope', 'the seed is outside the scope', i);
        return;
      }
      c.frontier.add({ url: seed.url, depth: 0, source: seed.source, weight: seed.weight, seed: i });
    });
    return c;
  }

  static resume(cfg: CrawlConfig, deps: CrawlDeps, saved: CrawlStateJson): Crawler {
    return new Crawler(cfg, deps, saved);
  }

  get counters(): Readonly<Counters> {
    return this.s.counters;
  }

  get seeds(): readonly SeedReport[] {
    return this.s.seeds;
  }

  get pages(): readonly PageOutcome[] {
    return this.s.pages;
  }

  get sources(): CrawlStateJson['sources'] {
    return this.s.sources;
  }

  /** Hosts given up on because their Retry-After reaches past the deadline. */
  get blockedHosts(): string[] {
    return Object.keys(this.s.blockedHosts);
  }

  skippedCounts(): Partial<Record<SkipReason, number>> {
    const out: Partial<Record<SkipReason, number>> = { ...this.s.skipped };
    if (this.outOfScope.size) out.scope = this.outOfScope.size;
    if (this.tooDeep.size) out.depth = this.tooDeep.size;
    return out;
  }

  /** Records kept since the last call (the caller stores them). */
  takeRecords(): DocRecord[] {
    const r = this.records;
    this.records = [];
    return r;
  }

  toJSON(): CrawlStateJson {
    return {
      ...this.s,
      frontier: this.frontier.toJSON(),
      robots: this.robots.toJSON(),
      pacer: this.pacer.toJSON(),
      content: this.content.toJSON(),
      outOfScope: [...this.outOfScope],
      tooDeep: [...this.tooDeep],
    };
  }

  /**
   * Crawl until a stop condition (`stopped`), or until this call's budget is used or the task's
   * signal aborts (`paused`: the state can be saved and the crawl continued).
   */
  async run(b: { deadline: number; pauseAt: number; pauseAfterPages: number }): Promise<RunResult> {
    const { clock, signal } = this.deps;
    const c = this.s.counters;
    for (;;) {
      if (signal.aborted) return { paused: 'interrupted' };
      if (c.pagesFetched >= this.cfg.limits.maxPages) return { stopped: 'max_pages' };
      if (c.bytesDownloaded >= this.cfg.limits.maxTotalBytes) return { stopped: 'max_bytes' };
      const now = clock.now();
      if (now >= b.deadline) return { stopped: 'deadline' };
      if (c.pagesFetched >= b.pauseAfterPages || now >= b.pauseAt) return { paused: 'budget' };
      const next = this.frontier.next(now, hostOf, (h) => this.pacer.readyAt(h));
      if ('empty' in next) return { stopped: 'frontier_empty' };
      if ('waitUntil' in next) {
        if (next.waitUntil >= b.deadline) return { stopped: 'deadline' };
        await clock.sleep(Math.min(next.waitUntil, b.pauseAt) - now, signal);
        continue;
      }
      await this.visit(next.entry, b.deadline);
    }
  }

  private log(line: string): void {
    this.deps.log(`crawl: ${line}`);
  }

  private record(o: PageOutcome): void {
    if (this.s.pages.length < MAX_PAGE_OUTCOMES) this.s.pages.push(o);
  }

  /** Count a skipped page (and a seed's fate when it is one). */
  private skip(url: string, reason: SkipReason, detail: string, seed?: number): void {
    // out-of-scope URLs are counted once each, however often they are linked or redirected to
    if (reason === 'scope') this.outOfScope.add(urlKey(url));
    else this.s.skipped[reason] = (this.s.skipped[reason] ?? 0) + 1;
    this.record({ url, outcome: reason, detail });
    if (seed !== undefined && this.s.seeds[seed]) Object.assign(this.s.seeds[seed]!, { status: reason, detail });
    this.log(`skip ${url}: ${reason} (${detail})`);
  }

  private async ensureRobots(url: string, deadline: number): Promise<boolean> {
    const origin = originOf(url);
    if (this.robots.cached(origin, ROBOTS_RETRY_MS)) return true;
    const p = this.cfg.politeness;
    const r = await fetchRobotsTxt(origin, {
      userAgent: p.userAgent,
      timeoutMs: this.cfg.limits.requestTimeoutMs,
      maxRetries: this.cfg.limits.maxRetries,
      pacer: this.pacer,
      clock: this.deps.clock,
      signal: this.deps.signal,
      deadline,
      fetchImpl: this.deps.fetchImpl,
      onRequest: (u, outcome, bytes) => {
        this.s.counters.requests += 1;
        this.s.counters.bytesDownloaded += bytes;
        this.log(`GET ${u} → ${outcome}`);
      },
    });
    if (!r) return false;
    const e = this.robots.store(origin, r);
    let delayS = p.respectCrawlDelay ? this.robots.crawlDelayS(origin) : undefined;
    if (delayS !== undefined && delayS > p.maxCrawlDelayS) {
      this.log(`${origin}: Crawl-delay ${delayS} s capped at maxCrawlDelayS ${p.maxCrawlDelayS} s`);
      delayS = p.maxCrawlDelayS;
    }
    const host = hostOf(url);
    this.pacer.setCrawlDelay(host, (delayS ?? 0) * 1000);
    this.log(`robots.txt of ${origin}: ${e.status}${e.httpStatus ? ` (HTTP ${e.httpStatus})` : ''}${e.error ? ` (${e.error})` : ''}; delay ${this.pacer.delayOf(host)} ms`);
    return true;
  }

  /** Fetch one frontier entry, following redirects; every outcome is recorded. */
  private async visit(e: FrontierEntry, deadline: number): Promise<void> {
    const { limits } = this.cfg;
    const c = this.s.counters;
    let url = e.url;
    for (let hop = e.hops ?? 0; ; hop++) {
      const host = hostOf(url);
      if (this.s.blockedHosts[host]) {
        this.frontier.markDone(url);
        return this.skip(url, 'rateLimited', `${host} asked to wait past the deadline`, e.seed);
      }
      if (!(await this.ensureRobots(url, deadline))) return this.frontier.requeue({ ...e, url, key: urlKey(url), hops: hop });
      const verdict = this.robots.verdict(url);
      if (verdict !== 'allowed') {
        this.frontier.markDone(url);
        return verdict === 'disallowed'
          ? this.skip(url, 'robots', `disallowed by ${originOf(url)}/robots.txt for ${this.token}`, e.seed)
          : this.skip(url, 'robotsUnreachable', `${originOf(url)}/robots.txt is unreachable (${this.robots.cached(originOf(url))?.error ?? 'no answer'}): everything is disallowed`, e.seed);
      }
      // not this host's turn yet (its robots.txt was just fetched, or a redirect changed host):
      // back to the queue, in the same place, so the loop can use the wait for other hosts
      if (this.pacer.readyAt(host) > this.deps.clock.now()) return this.frontier.requeue({ ...e, url, key: urlKey(url), hops: hop });
      const r = await request(url, {
        userAgent: this.cfg.politeness.userAgent,
        timeoutMs: limits.requestTimeoutMs,
        maxBytes: limits.maxBytesPerPage,
        accept: (t) => this.cfg.contentTypes.includes(t),
        signal: this.deps.signal,
        fetchImpl: this.deps.fetchImpl,
      });
      this.pacer.done(host);
      c.requests += 1;
      c.bytesDownloaded += r.bytes;
      this.log(`GET ${url} → ${describe(r)}`);

      switch (r.kind) {
        case 'interrupted':
          return this.frontier.requeue({ ...e, url, key: urlKey(url), hops: hop });
        case 'retry': {
          const wait = this.pacer.failed(host, r.retryAfterMs);
          const now = this.deps.clock.now();
          if (r.retryAfterMs !== undefined && now + r.retryAfterMs >= deadline) {
            // a Retry-After past the deadline: give up on the host for this crawl
            this.s.blockedHosts[host] = now + r.retryAfterMs;
            this.frontier.markDone(url);
            this.skip(url, 'rateLimited', `${r.detail} with Retry-After ${Math.round(r.retryAfterMs / 1000)} s, past the deadline`, e.seed);
            for (const d of this.frontier.drop((x) => hostOf(x.url) === host)) {
              this.frontier.markDone(d.url);
              this.skip(d.url, 'rateLimited', `${host} asked to wait past the deadline`, d.seed);
            }
            return;
          }
          const attempts = e.attempts + 1;
          if (attempts > limits.maxRetries) {
            this.frontier.markDone(url);
            return this.skip(url, r.reason, `${r.detail} after ${attempts} attempts`, e.seed);
          }
          c.retries += 1;
          this.log(`retry ${url} in ${wait} ms (attempt ${attempts + 1} of ${limits.maxRetries + 1}): ${r.detail}`);
          return this.frontier.requeue({ ...e, url, key: urlKey(url), attempts, hops: hop });
        }
        case 'redirect': {
          this.frontier.markDone(url);
          const next = r.location ? normalizeUrl(r.location, url) : undefined;
          if (!next) return this.skip(url, 'httpError', `HTTP ${r.status} without a usable Location`, e.seed);
          if (hop >= limits.maxRedirects) return this.skip(url, 'redirectLimit', `more than ${limits.maxRedirects} redirects`, e.seed);
          if (!this.scope.inScope(next)) return this.skip(next, 'scope', `redirected from ${url} out of scope`, e.seed);
          if (this.frontier.isDone(next)) return this.skip(url, 'duplicate', `redirects to ${next}, already fetched`, e.seed);
          url = next;
          continue;
        }
        case 'skip':
          c.pagesFetched += 1;
          this.frontier.markDone(url);
          this.pacer.succeeded(host);
          return this.skip(url, r.reason, r.detail, e.seed);
        case 'ok':
          c.pagesFetched += 1;
          this.frontier.markDone(url);
          this.pacer.succeeded(host);
          if (e.seed !== undefined) Object.assign(this.s.seeds[e.seed]!, { status: 'fetched', detail: undefined });
          this.s.sources[e.source]!.fetched += 1;
          return this.page(e, url, r);
      }
    }
  }

  /** A fetched 2xx page: links, then keep or skip. */
  private page(e: FrontierEntry, url: string, r: Extract<RequestOutcome, { kind: 'ok' }>): void {
    const { limits, quality } = this.cfg;
    const html = HTML.has(r.mediaType);
    const body = decodeBody(r.body, r.charset, html);
    const ex = html ? extractHtml(body, url, { robotsToken: this.token, contentLanguage: r.headers.get('content-language') }) : extractPlain(body, r.headers.get('content-language'));
    const xRobots = (r.headers.get('x-robots-tag') ?? '').toLowerCase();
    const noindex = ex.noindex || /\b(noindex|none)\b/.test(xRobots);
    const nofollow = ex.nofollow || /\b(nofollow|none)\b/.test(xRobots);

    let docUrl = url;
    const canonical = ex.canonical ? normalizeUrl(ex.canonical) : undefined;
    if (canonical && urlKey(canonical) !== urlKey(url) && this.scope.inScope(canonical)) {
      if (this.frontier.isDone(canonical)) return this.skip(url, 'duplicate', `its canonical ${canonical} was already fetched`);
      this.frontier.markDone(canonical);
      docUrl = canonical;
    }

    if (!nofollow) {
      for (const link of ex.links) {
        const n = normalizeUrl(link);
        if (!n) continue;
        const key = urlKey(n);
        if (!this.scope.inScope(n)) {
          this.outOfScope.add(key);
          continue;
        }
        if (e.depth >= limits.maxDepth) {
          if (!this.frontier.has(n)) this.tooDeep.add(key);
          continue;
        }
        if (this.frontier.add({ url: n, depth: e.depth + 1, source: e.source, weight: e.weight, parent: docUrl })) this.tooDeep.delete(key);
      }
    }

    if (noindex) return this.skip(url, 'noindex', 'robots meta or X-Robots-Tag says noindex');
    if (quality.lang?.length && ex.lang && !quality.lang.includes(ex.lang)) return this.skip(url, 'language', `language ${ex.lang}`);
    const q = scoreQuality(ex.text, ex.linkChars, { threshold: quality.threshold, minWords: quality.minWords, maxWords: quality.maxWords });
    if (!q.passed) {
      this.record({ url, outcome: 'lowQuality', score: q.score, detail: q.reasons.join('; ') });
      this.s.skipped.lowQuality = (this.s.skipped.lowQuality ?? 0) + 1;
      this.log(`skip ${url}: lowQuality (score ${q.score} < ${quality.threshold}: ${q.reasons.join('; ')})`);
      return;
    }
    const dup = this.content.check(ex.text);
    if (dup) return this.skip(url, dup.kind, dup.kind === 'duplicate' ? `same text as ${dup.of}` : `similar to ${dup.of} (Jaccard ≈ ${dup.similarity.toFixed(2)})`);
    this.content.add(docUrl, ex.text);

    const words = q.features.words;
    this.records.push({
      url: docUrl,
      title: ex.title,
      text: ex.text,
      score: q.score,
      source: e.source,
      fetchedAt: new Date(this.deps.clock.now()).toISOString(),
      sha256: sha256Hex(ex.text),
      lang: ex.lang ?? null,
      depth: e.depth,
      words,
    });
    this.s.counters.pagesKept += 1;
    this.s.sources[e.source]!.kept += 1;
    this.record({ url: docUrl, outcome: 'kept', score: q.score });
    this.log(`keep ${docUrl}: score ${q.score}, ${words} words`);
  }
}

function describe(r: RequestOutcome): string {
  switch (r.kind) {
    case 'ok':
      return `${r.status} ${r.mediaType}, ${r.bytes} bytes`;
    case 'redirect':
      return `${r.status} → ${r.location ?? '(no Location)'}`;
    case 'skip':
      return `${r.status}: ${r.detail}`;
    case 'retry':
      return `${r.reason}: ${r.detail}${r.retryAfterMs !== undefined ? ` (Retry-After ${r.retryAfterMs / 1000} s)` : ''}`;
    case 'interrupted':
      return 'interrupted';
  }
}

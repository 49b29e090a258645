/**
 * The crawl worker (reference/worker-domain.md §5, §8.7) through executeTask against the local test
 * site (test/fixtures/crawl-site.ts), which logs every request: what is kept, what is never
 * fetched, the delays between requests, redirects, retries, limits, seeds and error codes.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHarness, type Harness, type TaskOutcome } from '../harness';
import { HQ_PAGES, startCrawlSite, type CrawlSite } from '../../fixtures/crawl-site';
import { pagePaths, readJsonl, runCrawl, siteInput } from './crawl-helpers';

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const UA = 'BatonBot/1.0 (+https://baton.example/bot)';

let h: Harness;
beforeAll(() => {
  h = createHarness();
});
afterAll(() => h.cleanup());

describe('a crawl of the whole test site', () => {
  let site: CrawlSite;
  let r: TaskOutcome;
  let records: any[];
  beforeAll(async () => {
    site = await startCrawlSite();
    r = await runCrawl(h, siteInput(site));
    records = r.status === 'COMPLETED' ? await readJsonl(h, r.output.dataset) : [];
  });
  afterAll(() => site.close());

  test('COMPLETED: the dataset holds exactly the high-quality pages, once each, with their fields', async () => {
    expect(r.status).toBe('COMPLETED');
    expect(records.map((d) => d.url).sort()).toEqual(HQ_PAGES.map((p) => `${site.origin}${p}`).sort());
    for (const d of records) {
      expect(Object.keys(d).sort()).toEqual(['depth', 'fetchedAt', 'lang', 'score', 'sha256', 'source', 'text', 'title', 'url', 'words'].sort());
      expect(d.score).toBeGreaterThanOrEqual(0.8);
      expect(d.score).toBeLessThanOrEqual(1);
      expect(d.sha256).toBe(sha256(d.text));
      expect(d.source).toBe(`127.0.0.1:${site.port}`);
      expect(new Date(d.fetchedAt).toISOString()).toBe(d.fetchedAt);
      expect(d.words).toBeGreaterThanOrEqual(50);
    }
    const intro = records.find((d) => d.url.endsWith('/docs/intro'));
    expect(intro).toMatchObject({ title: 'Introduction', lang: 'en', depth: 1 });
    // boilerplate is gone and blocks are lines: the heading is a line of its own
    expect(intro.text.split('\n')[0]).toBe('Introduction');
    expect(intro.text).not.toMatch(/Copyright|window\.analytics|font-family/);
    expect(records.find((d) => d.url.endsWith('/notes.txt'))).toMatchObject({ title: 'Field notes', lang: null });

    const bytes = await h.artifacts.read(r.output.dataset);
    expect(r.output.dataset).toMatchObject({ sha256: sha256(bytes), size: bytes.length, name: 'pages.jsonl', records: HQ_PAGES.length });
    const train = await readJsonl(h, r.output.trainingSet);
    expect(train).toEqual(records.map((d) => ({ text: d.text })));
    expect(r.output).toMatchObject({ pagesKept: HQ_PAGES.length, stoppedBecause: 'frontier_empty', queued: 0 });
  });

  test('every other page is counted by why it was skipped, and the report lists each page', async () => {
    expect(r.output.skipped).toEqual({
      robots: 2, // /private/secret (linked, and a redirect target), /admin
      scope: 1, // http://localhost:<port>/elsewhere (linked, and a redirect target)
      depth: 1, // /deep/4
      contentType: 1, // the PDF
      tooLarge: 1, // /big
      httpError: 1, // /missing
      timeout: 1, // /slow
      lowQuality: 5, // /, /short, /boilerplate, /loop/a, /loop/b
      duplicate: 1, // /docs/ota?print=1 (canonical /docs/ota)
      nearDuplicate: 1, // /docs/ota-mirror
      noindex: 1,
    });
    const report = JSON.parse((await h.artifacts.read(r.output.report)).toString('utf8'));
    expect(report.dataset.sha256).toBe(r.output.dataset.sha256);
    const outcome = (path: string) => report.pages.find((p: { url: string }) => p.url === `${site.origin}${path}`);
    expect(outcome('/short')).toMatchObject({ outcome: 'lowQuality', score: 0 });
    expect(outcome('/short').detail).toMatch(/words \d+ < 50/);
    expect(outcome('/docs/ota-mirror')).toMatchObject({ outcome: 'nearDuplicate' });
    expect(outcome('/docs/ota-mirror').detail).toContain(`${site.origin}/docs/ota`);
    expect(outcome('/private/secret')).toMatchObject({ outcome: 'robots' });
    expect(outcome('/docs/intro')).toMatchObject({ outcome: 'kept' });
  });

  test('robots.txt: fetched once, disallowed paths never requested (not even as a redirect target), BatonBot on every request', () => {
    expect(site.count('/robots.txt')).toBe(1);
    expect(site.requests[0]!.path).toBe('/robots.txt');
    expect(site.count('/private/secret')).toBe(0);
    expect(site.count('/admin')).toBe(0);
    expect(site.count('/go-private')).toBe(1); // the hop whose target is disallowed
    expect(site.count('/private/public.html')).toBe(1); // Allow beats the shorter Disallow
    expect(site.requests.every((q) => q.ua === UA)).toBe(true);
    expect(site.requests.every((q) => q.host === `127.0.0.1:${site.port}`)).toBe(true); // never localhost (out of scope)
  });

  test('Crawl-delay: each request starts at least 50 ms after the one before', () => {
    const gaps = site.requests.slice(1).map((q, i) => q.t - site.requests[i]!.t);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(49);
  });

  test('a redirect chain is followed once, and its target is not fetched again through a direct link', () => {
    expect(site.count('/redirect/1')).toBe(1);
    expect(site.count('/redirect/2')).toBe(1);
    expect(site.count('/docs/power')).toBe(1);
    expect(records.filter((d) => d.url === `${site.origin}/docs/power`)).toHaveLength(1);
  });

  test('URL variants (fragments, reordered or tracking queries, trailing slash, upper-case scheme) are fetched once', () => {
    const paths = pagePaths(site);
    expect(paths.filter((p) => p.startsWith('/docs/intro'))).toEqual(['/docs/intro']);
    expect(paths.filter((p) => p.startsWith('/docs/wifi'))).toEqual(['/docs/wifi?a=1&b=2']);
    expect(paths.filter((p) => p.startsWith('/docs/ota'))).toEqual(['/docs/ota', '/docs/ota?print=1', '/docs/ota-mirror']);
    expect(paths.filter((p) => p.startsWith('/loop/'))).toEqual(['/loop/a', '/loop/b']);
    expect(new Set(paths).size).toBe(paths.length - 1 - 1 - 2); // only retries repeat: /flaky-429, /flaky-500, /slow ×3
  });

  test('429 waits for Retry-After (nothing is sent to the host meanwhile); a 5xx is retried after a backoff', () => {
    const i = site.requests.findIndex((q) => q.path === '/flaky-429');
    const [first, second] = [site.requests[i]!, site.requests[i + 1]!];
    expect(second.path).toBe('/flaky-429');
    expect(second.t - first.t).toBeGreaterThanOrEqual(995); // Retry-After: 1 (ms clocks differ slightly)
    expect(site.count('/flaky-500')).toBe(2);
    expect(r.output.retries).toBe(1 + 1 + 2);
    expect(records.map((d) => d.url)).toEqual(expect.arrayContaining([`${site.origin}/flaky-429`, `${site.origin}/flaky-500`]));
  });

  test('limits: /deep/4 is past maxDepth 3 and never requested; the slow page times out after its retries', () => {
    expect(site.count('/deep/3')).toBe(1);
    expect(site.count('/deep/4')).toBe(0);
    expect(site.count('/slow')).toBe(3); // maxRetries 2
    expect(site.count('/big')).toBe(1);
  });
});

describe('limits and source weights', () => {
  let site: CrawlSite;
  beforeEach(async () => {
    site = await startCrawlSite();
  });
  afterEach(() => site.close());

  test('maxPages: the crawl stops after that many pages (stoppedBecause max_pages)', async () => {
    const r = await runCrawl(h, siteInput(site, { limits: { maxPages: 3, requestTimeoutMs: 400 } }));
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toMatchObject({ pagesFetched: 3, pagesKept: 2, stoppedBecause: 'max_pages' });
    expect(pagePaths(site)).toEqual(['/', '/docs/intro', '/docs/wifi?a=1&b=2']);
    expect(r.output.queued).toBeGreaterThan(10);
  });

  test('maxDepth 0: the seeds only; their links are counted as too deep', async () => {
    const r = await runCrawl(h, siteInput(site, { seeds: [`${site.origin}/docs/intro`], limits: { maxDepth: 0 } }));
    expect(r.status).toBe('COMPLETED');
    expect(pagePaths(site)).toEqual(['/docs/intro']);
    expect(r.output).toMatchObject({ pagesFetched: 1, pagesKept: 1, skipped: { depth: 4 } }); // /, wifi, ota, power
  });

  test('deadlineS: the crawl ends at the deadline with what it kept (stoppedBecause deadline)', async () => {
    const r = await runCrawl(h, siteInput(site, { limits: { deadlineS: 0.4, requestTimeoutMs: 300 } }));
    expect(r.status).toBe('COMPLETED');
    expect(r.output.stoppedBecause).toBe('deadline');
    expect(r.output.pagesKept).toBeGreaterThanOrEqual(1);
    expect(r.output.queued).toBeGreaterThan(0);
    expect(r.output.durationS).toBeLessThan(1);
  });

  test('the deadline before any page was kept: FAILED (retryable) DEADLINE_WITH_PARTIAL, the frontier kept for the retry', async () => {
    await site.close();
    site = await startCrawlSite({ crawlDelayS: 2 }); // the first page may only come 2 s after robots.txt
    const r = await runCrawl(h, siteInput(site, { seeds: [`${site.origin}/docs/intro`], limits: { deadlineS: 0.5 } }), { workflowId: 'wf-deadline' });
    expect(r).toMatchObject({ status: 'FAILED', code: 'DEADLINE_WITH_PARTIAL' });
    expect(pagePaths(site)).toEqual([]); // no waiting past the deadline
    const files = readdirSync(join(h.root, 'workspace/crawl-frontiers'));
    expect(files).toHaveLength(1);
    const { checkpoint } = JSON.parse(readFileSync(join(h.root, 'workspace/crawl-frontiers', files[0]!), 'utf8'));
    const saved = JSON.parse((await h.artifacts.read(checkpoint)).toString('utf8'));
    expect(saved.crawl.frontier.queue.map((e: { url: string }) => e.url)).toEqual([`${site.origin}/docs/intro`]);
    expect(saved.crawl.robots).toEqual([expect.objectContaining({ origin: site.origin, status: 'parsed' })]);
  });

  test('a source with a higher weight is crawled first, whatever the order of the seeds', async () => {
    const r = await runCrawl(
      h,
      siteInput(site, {
        seeds: [
          { url: `${site.origin}/docs/intro`, source: 'docs', weight: 1 },
          { url: `${site.origin}/deep/1`, source: 'deep', weight: 3 },
        ],
        limits: { maxPages: 4, maxDepth: 1 },
      }),
    );
    expect(r.status).toBe('COMPLETED');
    // priority = weight / (1 + depth): deep/1 3; its links / (nav) and deep/2 1.5; docs/intro 1
    expect(pagePaths(site)).toEqual(['/deep/1', '/', '/deep/2', '/docs/intro']);
    expect(r.output.sources).toEqual({ docs: { weight: 1, fetched: 1, kept: 1 }, deep: { weight: 3, fetched: 3, kept: 2 } });
    const records = await readJsonl(h, r.output.dataset);
    expect(records.map((d) => [d.url.replace(site.origin, ''), d.source, d.depth])).toEqual([
      ['/deep/1', 'deep', 0],
      ['/deep/2', 'deep', 1],
      ['/docs/intro', 'docs', 0],
    ]);
  });
});

test('two hosts: each keeps its own Crawl-delay, and the wait for one host is used for the other', async () => {
  const a = await startCrawlSite({ crawlDelayS: 0.3 });
  const b = await startCrawlSite({ crawlDelayS: 0.3 });
  try {
    const r = await runCrawl(h, siteInput(a, { seeds: [`${a.origin}/docs/intro`, `${b.origin}/docs/wifi`], limits: { maxDepth: 0 } }));
    expect(r.status).toBe('COMPLETED');
    expect(r.output.pagesKept).toBe(2);
    // a's robots.txt, then b's while a waits out its delay, then the two pages
    expect(a.requests.map((q) => q.path)).toEqual(['/robots.txt', '/docs/intro']);
    expect(b.requests.map((q) => q.path)).toEqual(['/robots.txt', '/docs/wifi']);
    expect(b.requests[0]!.t).toBeLessThan(a.requests[1]!.t);
    for (const site of [a, b]) expect(site.requests[1]!.t - site.requests[0]!.t).toBeGreaterThanOrEqual(295);
    expect(r.output.sources).toEqual({ [`127.0.0.1:${a.port}`]: { weight: 1, fetched: 1, kept: 1 }, [`127.0.0.1:${b.port}`]: { weight: 1, fetched: 1, kept: 1 } });
  } finally {
    await a.close();
    await b.close();
  }
});

describe('seeds and robots.txt', () => {
  let site: CrawlSite;
  beforeEach(async () => {
    site = await startCrawlSite();
  });
  afterEach(() => site.close());

  test('a disallowed seed is skipped and reported; the others are crawled', async () => {
    const r = await runCrawl(h, siteInput(site, { seeds: [`${site.origin}/private/secret`, `${site.origin}/docs/intro`, 'mailto:someone@example.org'], limits: { maxDepth: 0 } }));
    expect(r.status).toBe('COMPLETED');
    expect(r.output.seeds).toMatchObject({
      total: 3,
      fetched: [`${site.origin}/docs/intro`],
      disallowed: [`${site.origin}/private/secret`],
      invalid: [{ index: 2, value: 'mailto:someone@example.org' }],
    });
    expect(r.output.skipped.robots).toBe(1);
    expect(site.count('/private/secret')).toBe(0);
    expect(h.logLines).toContain(`crawl: seeds disallowed by robots.txt (skipped): ${site.origin}/private/secret`);
  });

  test('every seed disallowed: FAILED_WITH_TERMINAL_ERROR ALL_SEEDS_DISALLOWED, no page requested', async () => {
    const r = await runCrawl(h, siteInput(site, { seeds: [`${site.origin}/private/secret`, `${site.origin}/admin`] }));
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'ALL_SEEDS_DISALLOWED' });
    expect(pagePaths(site)).toEqual([]);
    expect(r.output.error.details.seeds).toEqual([
      { url: `${site.origin}/private/secret`, status: 'robots', detail: expect.stringContaining('disallowed') },
      { url: `${site.origin}/admin`, status: 'robots', detail: expect.stringContaining('disallowed') },
    ]);
  });

  test('robots.txt 404 allows everything (RFC 9309 "unavailable")', async () => {
    await site.close();
    site = await startCrawlSite({ robots: 'missing' });
    const r = await runCrawl(h, siteInput(site, { seeds: [`${site.origin}/private/secret`], limits: { maxDepth: 0 } }));
    expect(r.status).toBe('COMPLETED');
    expect(site.count('/private/secret')).toBe(1);
  });

  test('seeds outside the scope: FAILED_WITH_TERMINAL_ERROR SEEDS_OUT_OF_SCOPE before any request', async () => {
    const r = await runCrawl(h, siteInput(site, { scope: { mode: 'allowlist', allow: ['^https://docs\\.example\\.org/'] } }));
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'SEEDS_OUT_OF_SCOPE' });
    expect(site.requests).toEqual([]);
  });
});

describe('when nothing can be kept', () => {
  let site: CrawlSite | undefined;
  afterEach(async () => {
    await site?.close();
    site = undefined;
  });

  test('robots.txt answers 500: FAILED (retryable) ROBOTS_UNREACHABLE after its retries, no page requested', async () => {
    site = await startCrawlSite({ robots: 'error' });
    const r = await runCrawl(h, siteInput(site));
    expect(r).toMatchObject({ status: 'FAILED', code: 'ROBOTS_UNREACHABLE' });
    expect(site.count('/robots.txt')).toBe(3); // maxRetries 2
    expect(pagePaths(site)).toEqual([]);
  });

  test('no server at all: FAILED (retryable) ROBOTS_UNREACHABLE', async () => {
    const gone = await startCrawlSite();
    await gone.close();
    const r = await runCrawl(h, siteInput(gone, { limits: { maxRetries: 0 } }));
    expect(r).toMatchObject({ status: 'FAILED', code: 'ROBOTS_UNREACHABLE' });
    expect(r.output.error.details.seeds[0].detail).toMatch(/ECONNREFUSED/);
  });

  test('every page answers 503: FAILED (retryable) ALL_SEEDS_UNREACHABLE after the retries', async () => {
    site = await startCrawlSite({ pagesDown: true });
    const r = await runCrawl(h, siteInput(site));
    expect(r).toMatchObject({ status: 'FAILED', code: 'ALL_SEEDS_UNREACHABLE' });
    expect(pagePaths(site)).toEqual(['/', '/', '/']);
    expect(r.output.error.details.skipped).toEqual({ serverError: 1 });
  });

  test('429 with a Retry-After past the deadline: FAILED (retryable) RATE_LIMITED without waiting', async () => {
    site = await startCrawlSite({ rateLimitAllS: 3600 });
    const r = await runCrawl(h, siteInput(site));
    expect(r).toMatchObject({ status: 'FAILED', code: 'RATE_LIMITED' });
    expect(pagePaths(site)).toEqual(['/']);
    expect(r.output.error.details.hosts).toEqual([`127.0.0.1:${site.port}`]);
  });

  test('pages fetched but none good enough: FAILED_WITH_TERMINAL_ERROR EMPTY_RESULT, with the report', async () => {
    site = await startCrawlSite();
    const r = await runCrawl(h, siteInput(site, { seeds: [`${site.origin}/short`], limits: { maxDepth: 0 } }));
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'EMPTY_RESULT' });
    expect(r.output.error.details.skipped).toEqual({ lowQuality: 1, depth: 2 }); // its nav links: / and /docs/intro
    const report = JSON.parse((await h.artifacts.read(r.output.error.details.report)).toString('utf8'));
    expect(report.pages).toEqual([expect.objectContaining({ url: `${site.origin}/short`, outcome: 'lowQuality' })]);
  });

  test('a lower threshold keeps what the default drops', async () => {
    site = await startCrawlSite();
    const r = await runCrawl(h, siteInput(site, { seeds: [`${site.origin}/short`], limits: { maxDepth: 0 }, quality: { threshold: 0 } }));
    expect(r.status).toBe('COMPLETED');
    expect(r.output.pagesKept).toBe(1);
  });
});

describe('bad input: FAILED_WITH_TERMINAL_ERROR INVALID_INPUT naming the field', () => {
  test.each([
    ['no seeds field', {}, 'seeds'],
    ['an empty seed list', { seeds: [] }, 'seeds'],
    ['no valid seed', { seeds: ['not a url', 'ftp://example.org/x'] }, 'seeds'],
    ['maxPages 0', { seeds: ['http://127.0.0.1:9/'], limits: { maxPages: 0 } }, 'limits.maxPages'],
    ['a broken allow pattern', { seeds: ['http://127.0.0.1:9/'], scope: { allow: ['(unclosed'] } }, 'scope.allow.0'],
    ['allowlist without patterns', { seeds: ['http://127.0.0.1:9/'], scope: { mode: 'allowlist' } }, 'scope.allow'],
    ['a threshold above 1', { seeds: ['http://127.0.0.1:9/'], quality: { threshold: 1.5 } }, 'quality.threshold'],
    ['two requests per host', { seeds: ['http://127.0.0.1:9/'], politeness: { perHostConcurrency: 2 } }, 'politeness.perHostConcurrency'],
  ])('%s → %s', async (_name, input, field) => {
    const r = await runCrawl(h, input);
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'INVALID_INPUT' });
    expect(r.output.error.details.field).toBe(field);
    expect(r.reasonForIncompletion).toMatch(new RegExp(`^INVALID_INPUT: ${field.replace(/\./g, '\\.')}: `));
  });

  test('the message names each invalid seed', async () => {
    const r = await runCrawl(h, { seeds: ['not a url', { url: 'ftp://example.org/x', weight: 2 }] });
    expect(r.reasonForIncompletion).toContain('seeds.0: "not a url" is not an absolute http(s) URL');
    expect(r.reasonForIncompletion).toContain('seeds.1: "ftp://example.org/x"');
  });
});

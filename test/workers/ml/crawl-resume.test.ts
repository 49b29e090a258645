/**
 * Resuming a crawl (reference/worker-domain.md §7: "crawl resumes from its frontier file"): a task
 * that stops at its page budget or at its abort signal reports IN_PROGRESS with a checkpoint, and
 * its next call continues without fetching a page twice; a retry of the task (a new task id with no
 * previous output, as after a worker crash) continues from the frontier file.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHarness, type Harness } from '../harness';
import { HQ_PAGES, startCrawlSite, type CrawlSite } from '../../fixtures/crawl-site';
import { pagePaths, readJsonl, runCrawl, runSlices, siteInput } from './crawl-helpers';

let h: Harness;
let site: CrawlSite;
beforeAll(() => {
  h = createHarness();
});
afterAll(() => h.cleanup());
beforeEach(async () => {
  site = await startCrawlSite();
});
afterEach(() => site.close());

/** Paths requested more than once, other than the ones retried on purpose. */
const RETRIED = new Set(['/flaky-429', '/flaky-500', '/slow']);
const refetched = (paths: string[]) => paths.filter((p, i) => paths.indexOf(p) !== i && !RETRIED.has(p));
const frontierFiles = () => (existsSync(join(h.root, 'workspace/crawl-frontiers')) ? readdirSync(join(h.root, 'workspace/crawl-frontiers')) : []);

test('page budget: IN_PROGRESS every 5 pages with a checkpoint; the slices together fetch each page once and keep the same dataset', async () => {
  const reports = await runSlices(h, siteInput(site, { checkpoint: { pages: 5, callbackAfterS: 2 } }));
  const last = reports.at(-1)!;
  expect(last.status).toBe('COMPLETED');
  expect(reports.length).toBeGreaterThanOrEqual(4);

  const first = reports[0]!;
  expect(first.status).toBe('IN_PROGRESS');
  expect((first as { callbackAfterSeconds?: number }).callbackAfterSeconds).toBe(2);
  expect(first.output).toMatchObject({ pagesFetched: 5, crawl: { checkpoint: { uri: expect.stringMatching(/^artifact:sha256\//) }, calls: 1 } });
  expect(reports[1]!.output).toMatchObject({ pagesFetched: 10, crawl: { calls: 2 } });

  expect(site.count('/robots.txt')).toBe(1); // the robots cache is part of the checkpoint
  expect(refetched(pagePaths(site))).toEqual([]);
  // the Crawl-delay holds across slices too
  const gaps = site.requests.slice(1).map((q, i) => q.t - site.requests[i]!.t);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(49);

  const records = await readJsonl(h, last.output.dataset);
  expect(records.map((d) => d.url).sort()).toEqual(HQ_PAGES.map((p) => `${site.origin}${p}`).sort());
  expect(last.output.pagesKept).toBe(HQ_PAGES.length);
  // the intermediate checkpoints are gone, and so is the frontier file
  for (const r of reports.slice(0, -1)) expect(existsSync(h.artifacts.pathOf(r.output.crawl.checkpoint.sha256))).toBe(false);
  expect(frontierFiles()).toEqual([]);
});

test('abort signal (worker shutdown) mid-request: IN_PROGRESS with the state; the next call refetches only the interrupted page', async () => {
  const stop = new AbortController();
  await site.close();
  site = await startCrawlSite({
    onRequest: (q) => {
      if (q.path === '/docs/ota') stop.abort(); // the 4th page, while it is being fetched
    },
  });
  const input = siteInput(site);
  const first = await runCrawl(h, input, { taskId: 'crawl-abort', workflowId: 'wf-abort', shutdown: stop.signal });
  expect(first.status).toBe('IN_PROGRESS');
  expect(first.output).toMatchObject({ pagesFetched: 3, crawl: { calls: 1 } });
  const before = pagePaths(site);
  expect(before).toEqual(['/', '/docs/intro', '/docs/wifi?a=1&b=2', '/docs/ota']);

  const rest = await runSlices(h, input, { taskId: 'crawl-abort', workflowId: 'wf-abort', previousOutput: first.output });
  const last = rest.at(-1)!;
  expect(last.status).toBe('COMPLETED');
  const after = pagePaths(site).slice(before.length);
  expect(after[0]).toBe('/docs/ota'); // the interrupted page, first again
  expect(refetched(after)).toEqual([]);
  expect(after.filter((p) => before.slice(0, 3).includes(p))).toEqual([]);
  const records = await readJsonl(h, last.output.dataset);
  expect(records.map((d) => d.url).sort()).toEqual(HQ_PAGES.map((p) => `${site.origin}${p}`).sort());
});

test('a retry of the task (new task id, no previous output, as after a worker crash) resumes from the frontier file', async () => {
  const input = siteInput(site, { checkpoint: { pages: 6 } });
  const first = await runCrawl(h, input, { taskId: 'crawl-crash-1', workflowId: 'wf-crash' });
  expect(first.status).toBe('IN_PROGRESS');
  expect(frontierFiles()).toHaveLength(1);
  expect(first.output.pagesFetched).toBe(6); // pages; redirect hops and robots.txt are not counted
  const before = pagePaths(site);

  // the worker died before reporting again; Conductor retries the task as a new one
  const rest = await runSlices(h, input, { taskId: 'crawl-crash-2', workflowId: 'wf-crash' });
  const last = rest.at(-1)!;
  expect(last.status).toBe('COMPLETED');
  expect(h.logLines.some((l) => l.startsWith('crawl: resuming from the frontier file'))).toBe(true);
  expect(refetched(pagePaths(site))).toEqual([]);
  expect(site.count('/robots.txt')).toBe(1);
  const records = await readJsonl(h, last.output.dataset);
  expect(records.map((d) => d.url).sort()).toEqual(HQ_PAGES.map((p) => `${site.origin}${p}`).sort());
  expect(frontierFiles()).toEqual([]);

  // another workflow with the same input starts a crawl of its own
  const n = pagePaths(site).length;
  const other = await runCrawl(h, input, { workflowId: 'wf-other' });
  expect(other).toMatchObject({ status: 'IN_PROGRESS', output: { pagesFetched: 6 } });
  expect(pagePaths(site).slice(n)).toEqual(before);
});

test('resume: false crawls in one call and persists nothing', async () => {
  const had = frontierFiles();
  const r = await runCrawl(h, siteInput(site, { resume: false, checkpoint: { pages: 2 }, seeds: [`${site.origin}/docs/intro`], limits: { maxDepth: 1 } }));
  expect(r.status).toBe('COMPLETED');
  expect(r.output.pagesFetched).toBeGreaterThan(2);
  expect(frontierFiles()).toEqual(had);
});

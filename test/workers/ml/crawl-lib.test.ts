/**
 * The crawl worker's pieces (workers/lib/crawl/) on their own: URL normalization, robots.txt
 * rules (the reference's §5.2 example), the politeness pacer on a fake clock, Retry-After, the
 * frontier's order, extraction, the quality score and near-duplicate detection.
 */
import { normalizeUrl, urlKey, Scope } from '../../../workers/lib/crawl/url';
import { productToken, RobotsCache } from '../../../workers/lib/crawl/robots';
import { HostPacer, parseRetryAfter, type Clock } from '../../../workers/lib/crawl/fetcher';
import { Frontier } from '../../../workers/lib/crawl/frontier';
import { extractHtml } from '../../../workers/lib/crawl/extract';
import { scoreQuality } from '../../../workers/lib/crawl/quality';
import { ContentIndex, minhash, similarity } from '../../../workers/lib/crawl/dedup';
import { prose } from '../../fixtures/crawl-site';

test('URL normalization: fragment, tracking params, query order, default port, dot segments; the key collapses a trailing slash', () => {
  expect(normalizeUrl('HTTP://Example.ORG:80/a/./b/../c?b=2&utm_source=x&a=1&fbclid=z#frag')).toBe('http://example.org/a/c?a=1&b=2');
  expect(normalizeUrl('https://user:pw@example.org/Path/')).toBe('https://example.org/Path/');
  expect(normalizeUrl('?q=1', 'https://example.org/docs/')).toBe('https://example.org/docs/?q=1');
  expect(normalizeUrl('https://example.org/?utm_medium=x')).toBe('https://example.org/');
  for (const bad of ['mailto:a@b.c', 'javascript:void(0)', 'ftp://example.org/', 'not a url']) expect(normalizeUrl(bad)).toBeUndefined();
  expect(urlKey('https://example.org/docs/')).toBe(urlKey('https://example.org/docs'));
  expect(urlKey('https://example.org/')).toBe('https://example.org/');
  expect(urlKey('https://example.org/Docs')).not.toBe(urlKey('https://example.org/docs'));
});

test('scope: same-host, same-origin, allowlist, deny', () => {
  const seeds = ['https://docs.example.org/esp32/'];
  const host = new Scope({ mode: 'same-host', allow: [], deny: ['/login'] }, seeds);
  expect(host.inScope('http://docs.example.org:8080/x')).toBe(true);
  expect(host.inScope('https://docs.example.org/login')).toBe(false);
  expect(host.inScope('https://www.example.org/')).toBe(false);
  const origin = new Scope({ mode: 'same-origin', allow: [], deny: [] }, seeds);
  expect(origin.inScope('http://docs.example.org/x')).toBe(false);
  const list = new Scope({ mode: 'allowlist', allow: ['^https://docs\\.example\\.org/esp32/'], deny: [] }, seeds);
  expect(list.inScope('https://docs.example.org/esp32/ota')).toBe(true);
  expect(list.inScope('https://docs.example.org/esp8266/')).toBe(false);
});

test('robots.txt: our group replaces *, Allow beats a shorter Disallow, Crawl-delay, 4xx allows all, 5xx disallows all', () => {
  const text = 'User-agent: *\nDisallow: /private\nAllow: /private/ok.html\nCrawl-delay: 1\n\nUser-agent: BatonBot\nDisallow: /nobaton\nCrawl-delay: 0.2\n';
  const now = () => 1000;
  expect(productToken('BatonBot/1.0 (+https://x)')).toBe('BatonBot');
  const ours = new RobotsCache('BatonBot', now);
  ours.store('https://s.example', { status: 200, body: text });
  expect(ours.verdict('https://s.example/private/x')).toBe('allowed');
  expect(ours.verdict('https://s.example/nobaton/x')).toBe('disallowed');
  expect(ours.crawlDelayS('https://s.example')).toBe(0.2);
  const other = new RobotsCache('OtherBot', now);
  other.store('https://s.example', { status: 200, body: text });
  expect(other.verdict('https://s.example/private/x')).toBe('disallowed');
  expect(other.verdict('https://s.example/private/ok.html')).toBe('allowed');
  expect(other.crawlDelayS('https://s.example')).toBe(1);
  expect(other.verdict('https://elsewhere.example/')).toBeUndefined(); // not fetched yet

  const c = new RobotsCache('BatonBot', now);
  c.store('https://gone.example', { status: 404, body: '' });
  c.store('https://down.example', { status: 503, body: '' });
  c.store('https://off.example', { error: 'network: ECONNREFUSED' });
  expect(c.verdict('https://gone.example/anything')).toBe('allowed');
  expect(c.verdict('https://down.example/anything')).toBe('unreachable');
  expect(c.verdict('https://off.example/anything')).toBe('unreachable');
  // the cache survives a checkpoint
  const back = new RobotsCache('BatonBot', now, undefined, [...ours.toJSON(), ...c.toJSON()]);
  expect(back.verdict('https://s.example/nobaton/x')).toBe('disallowed');
  expect(back.crawlDelayS('https://s.example')).toBe(0.2);
});

test('Retry-After as seconds or an HTTP date', () => {
  const now = Date.parse('2026-11-23T10:00:00Z');
  expect(parseRetryAfter('120', now)).toBe(120_000);
  expect(parseRetryAfter('Mon, 23 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
  expect(parseRetryAfter('soon', now)).toBeUndefined();
  expect(parseRetryAfter(null, now)).toBeUndefined();
});

test('pacer (fake clock): delay = max(minDelay, Crawl-delay) after each request; failures back off exponentially; Retry-After is never shortened', async () => {
  let t = 0;
  const clock: Clock = { now: () => t, sleep: async (ms) => void (t += ms) };
  const p = new HostPacer(clock, { minDelayMs: 100, backoffMs: 1000, maxBackoffMs: 5000 });
  p.done('a'); // e.g. robots.txt at t=0
  expect(p.readyAt('a')).toBe(100);
  p.setCrawlDelay('a', 2000); // learnt from that robots.txt: counts from its end
  expect(p.readyAt('a')).toBe(2000);
  await p.wait('a');
  expect(t).toBe(2000);
  expect(p.readyAt('b')).toBe(0); // hosts are independent
  expect(p.failed('a')).toBe(2000); // the delay is the floor
  p.setCrawlDelay('a', 0);
  expect(p.failed('a')).toBe(2000); // 1000 · 2
  expect(p.failed('a')).toBe(4000);
  expect(p.failed('a')).toBe(5000); // capped
  expect(p.failed('a', 60_000)).toBe(60_000); // Retry-After wins
  expect(p.readyAt('a')).toBe(t + 60_000);
  p.succeeded('a');
  expect(p.failed('a')).toBe(1000);
});

test('frontier: weight/(1+depth) order, discovery order on ties, dedup by key, skips hosts that are not ready', () => {
  const f = new Frontier();
  f.add({ url: 'https://a.example/1', depth: 0, source: 'a', weight: 1 });
  f.add({ url: 'https://b.example/1', depth: 0, source: 'b', weight: 2 });
  f.add({ url: 'https://b.example/2', depth: 1, source: 'b', weight: 2 }); // 1, after a/1
  expect(f.add({ url: 'https://a.example/1/', depth: 0, source: 'a', weight: 1 })).toBeUndefined();
  const host = (u: string) => new URL(u).host;
  const order: string[] = [];
  for (;;) {
    const n = f.next(0, host, () => 0);
    if (!('entry' in n)) break;
    order.push(n.entry.url);
  }
  expect(order).toEqual(['https://b.example/1', 'https://a.example/1', 'https://b.example/2']);

  const g = new Frontier();
  g.add({ url: 'https://slow.example/1', depth: 0, source: 's', weight: 5 });
  g.add({ url: 'https://fast.example/1', depth: 0, source: 'f', weight: 1 });
  const ready = (h: string) => (h === 'slow.example' ? 500 : 0);
  expect(g.next(0, host, ready)).toMatchObject({ entry: { url: 'https://fast.example/1' } });
  expect(g.next(0, host, ready)).toEqual({ waitUntil: 500 });
  g.markDone('https://slow.example/1');
  expect(g.next(0, host, ready)).toEqual({ empty: true });
  // the persisted form round-trips
  const h2 = new Frontier(new Frontier(f.toJSON()).toJSON());
  expect(h2.has('https://a.example/1')).toBe(true);
});

test('extraction: main text with a line per block, noise removed, links resolved against <base>, canonical, robots meta, lang', () => {
  const html = `<html lang="en-GB"><head><title> Guide </title><base href="https://x.example/docs/">
    <link rel="canonical" href="/docs/guide"><meta name="robots" content="noindex, follow"></head>
    <body><nav><a href="/nav">Nav</a></nav><main><h1>Guide</h1><p>First
    paragraph with <a href="a.html">a link</a>.</p><div>Second<br>line</div><script>x()</script>
    <a href="/ads" rel="nofollow sponsored">ad</a></main><footer>footer</footer></body></html>`;
  const ex = extractHtml(html, 'https://x.example/docs/guide?print=1');
  expect(ex.title).toBe('Guide');
  expect(ex.text).toBe('Guide\nFirst paragraph with a link.\nSecond\nline\nad');
  expect(ex.links).toEqual(['https://x.example/nav', 'https://x.example/docs/a.html']);
  expect(ex.canonical).toBe('https://x.example/docs/guide');
  expect(ex).toMatchObject({ lang: 'en', noindex: true, nofollow: false, linkChars: 'a link'.length + 'ad'.length });
});

test('quality: prose scores 1; short, repetitive, link-heavy or symbol-heavy text scores low, with reasons', () => {
  const o = { threshold: 0.8, minWords: 50, maxWords: 100_000 };
  const good = scoreQuality(`${prose(1)}\n${prose(2)}`, 0, o);
  expect(good).toMatchObject({ score: 1, passed: true, reasons: [] });
  const short = scoreQuality('Coming soon.', 0, o);
  expect(short).toMatchObject({ score: 0, passed: false });
  expect(short.reasons[0]).toMatch(/^words 2 < 50/);
  const repeated = scoreQuality(Array.from({ length: 20 }, () => 'Click here for the best offers and deals of the day').join('\n'), 0, o);
  expect(repeated.passed).toBe(false);
  expect(repeated.reasons.join()).toMatch(/duplicateLines/);
  const text = prose(3);
  expect(scoreQuality(text, Math.round(text.replace(/\s+/g, '').length * 0.6), o).passed).toBe(false);
  const symbols = scoreQuality(`${prose(4)} ${'# '.repeat(40)}`, 0, o);
  expect(symbols.passed).toBe(false);
  expect(symbols.reasons.join()).toMatch(/symbolRatio/);
  // just under minWords: lower, still scored on a slope
  const few = scoreQuality(prose(5).split(' ').slice(0, 45).join(' '), 0, o);
  expect(few.score).toBeGreaterThan(0);
  expect(few.score).toBeLessThan(1);
});

test('content dedup: exact (normalized text) and near-duplicates (MinHash Jaccard ≥ 0.8); different texts are far apart', () => {
  const a = `${prose(11)} ${prose(12)}`;
  const near = a.replace(/^The \w+/, 'The changed');
  expect(similarity(minhash(a), minhash(near))).toBeGreaterThanOrEqual(0.8);
  expect(similarity(minhash(a), minhash(`${prose(13)} ${prose(14)}`))).toBeLessThan(0.2);
  const idx = new ContentIndex(0.8);
  idx.add('https://x/a', a);
  expect(idx.check(a.toUpperCase().replace(/ /g, '  '))).toEqual({ kind: 'duplicate', of: 'https://x/a' });
  expect(idx.check(near)).toMatchObject({ kind: 'nearDuplicate', of: 'https://x/a' });
  expect(idx.check(prose(15))).toBeUndefined();
  const back = new ContentIndex(0.8, JSON.parse(JSON.stringify(idx.toJSON())));
  expect(back.check(near)).toMatchObject({ kind: 'nearDuplicate', of: 'https://x/a' });
});

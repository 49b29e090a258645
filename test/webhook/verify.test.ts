import { createVerifier, isDeliveryId, isGitHubEvent, sign } from '../../webhook-server/verify';
import { createRateLimiter } from '../../webhook-server/rate-limit';

describe('signature verification', () => {
  const verify = createVerifier("It's a Secret to Everybody");

  test("GitHub's documented test vector", async () => {
    const expected = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(await sign("It's a Secret to Everybody", 'Hello, World!')).toBe(expected);
    expect(await verify(Buffer.from('Hello, World!'), expected)).toBe('ok');
  });

  test('missing, malformed, and mismatching signatures are told apart', async () => {
    const body = Buffer.from('{"a":1}');
    const good = await sign("It's a Secret to Everybody", '{"a":1}');
    expect(await verify(body, undefined)).toBe('missing');
    expect(await verify(body, '')).toBe('missing');
    expect(await verify(body, 'sha1=abc')).toBe('malformed');
    expect(await verify(body, good.slice(0, -2))).toBe('malformed');
    expect(await verify(body, good.toUpperCase())).toBe('malformed');
    expect(await verify(Buffer.from('{"a":2}'), good)).toBe('mismatch');
    expect(await verify(body, await sign('another secret', '{"a":1}'))).toBe('mismatch');
    expect(await verify(body, good)).toBe('ok');
  });

  test('event names are GitHub webhook events; delivery ids are short tokens', () => {
    expect(['push', 'ping', 'pull_request', 'release', 'issues'].every(isGitHubEvent)).toBe(true);
    expect(isGitHubEvent('pull_request.opened')).toBe(false);
    expect(isGitHubEvent('nonsense')).toBe(false);
    expect(isDeliveryId('72d3162e-cc78-11e3-81ab-4c9367dc0958')).toBe(true);
    expect(isDeliveryId('')).toBe(false);
    expect(isDeliveryId('a b')).toBe(false);
    expect(isDeliveryId('x'.repeat(101))).toBe(false);
  });
});

describe('rate limit (token bucket per source)', () => {
  test('a burst of perMinute, then one every 60/perMinute seconds; sources are independent', () => {
    let t = 0;
    const limiter = createRateLimiter(3, () => t);
    expect([1, 2, 3].map(() => limiter.take('a').ok)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterSeconds: 20 });
    expect(limiter.take('b').ok).toBe(true);
    t += 19_999;
    expect(limiter.take('a').ok).toBe(false);
    t += 1;
    expect(limiter.take('a').ok).toBe(true);
  });

  test('memory stays bounded: full buckets are dropped first, then the oldest', () => {
    let t = 0;
    const limiter = createRateLimiter(10, () => t, 3);
    for (const s of ['a', 'b', 'c', 'd', 'e']) {
      limiter.take(s);
      t += 60_000;
    }
    expect(limiter.size()).toBeLessThanOrEqual(3);
  });
});

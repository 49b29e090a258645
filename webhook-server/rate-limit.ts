/**
 * A token bucket per source: `perMinute` requests in a burst, refilled continuously at
 * perMinute / 60 s. Pure apart from the injected clock; buckets that are full again are dropped.
 */
export function createRateLimiter(perMinute: number, now: () => number, maxSources = 10_000) {
  const rate = perMinute / 60_000; // tokens per ms
  const buckets = new Map<string, { tokens: number; at: number }>();

  function refill(b: { tokens: number; at: number }, t: number): void {
    b.tokens = Math.min(perMinute, b.tokens + (t - b.at) * rate);
    b.at = t;
  }

  /** Takes a token for `source`: allowed, or the seconds until one is available. */
  function take(source: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const t = now();
    let b = buckets.get(source);
    if (!b) {
      if (buckets.size >= maxSources) sweep(t);
      b = { tokens: perMinute, at: t };
      buckets.set(source, b);
    } else refill(b, t);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000)) };
  }

  function sweep(t: number): void {
    for (const [k, b] of buckets) {
      refill(b, t);
      if (b.tokens >= perMinute) buckets.delete(k);
    }
    // all busy: forget the oldest rather than grow without bound
    if (buckets.size >= maxSources) buckets.delete(buckets.keys().next().value!);
  }

  return { take, size: () => buckets.size };
}

/**
 * HTTP for the crawler (reference/worker-domain.md §5.1, §5.3): one request at a time per host
 * with a politeness delay, exponential backoff per host on 429/5xx/network errors (Retry-After
 * honoured), a timeout per request, a content-type filter and a byte cap, and no automatic
 * redirects, so the crawler re-checks robots.txt and scope on every hop.
 *
 * Time goes through a `Clock`, so tests can give small delays or a fake clock.
 */

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`, or early (without an error) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

export interface PacerOptions {
  /** The least time between the end of one request to a host and the start of the next. */
  minDelayMs: number;
  /** The first backoff after a 429/5xx/network error; doubles per consecutive failure. */
  backoffMs: number;
  maxBackoffMs: number;
}

interface HostState {
  /** Epoch ms before which no request may start. */
  nextAt: number;
  /** When the last request to the host ended (epoch ms); absent before the first. */
  lastEnd?: number;
  /** Crawl-delay from robots.txt (already capped), ms. */
  crawlDelayMs: number;
  /** Consecutive failures (429, 5xx, network), for the exponential backoff. */
  failures: number;
}

export type PacerJson = Record<string, HostState>;

/**
 * Per-host politeness: the delay between requests is max(minDelayMs, Crawl-delay), counted from
 * the end of the previous response; a failure pushes the host's next slot out by the backoff or
 * Retry-After, whichever is longer (Retry-After is never shortened).
 */
export class HostPacer {
  private readonly hosts = new Map<string, HostState>();

  constructor(
    private readonly clock: Clock,
    private readonly o: PacerOptions,
    saved?: PacerJson,
  ) {
    for (const [h, s] of Object.entries(saved ?? {})) this.hosts.set(h, { ...s });
  }

  private state(host: string): HostState {
    let s = this.hosts.get(host);
    if (!s) this.hosts.set(host, (s = { nextAt: 0, crawlDelayMs: 0, failures: 0 }));
    return s;
  }

  /** Set the host's Crawl-delay; it applies from the last request's end (robots.txt's own, usually). */
  setCrawlDelay(host: string, ms: number): void {
    const s = this.state(host);
    s.crawlDelayMs = Math.max(0, ms);
    if (s.lastEnd !== undefined) s.nextAt = Math.max(s.nextAt, s.lastEnd + this.delayOf(host));
  }

  delayOf(host: string): number {
    return Math.max(this.o.minDelayMs, this.state(host).crawlDelayMs);
  }

  /** When the next request to `host` may start (epoch ms). */
  readyAt(host: string): number {
    return this.hosts.get(host)?.nextAt ?? 0;
  }

  /** Wait for the host's slot (returns early if the signal aborts). */
  async wait(host: string, signal?: AbortSignal): Promise<void> {
    const ms = this.readyAt(host) - this.clock.now();
    if (ms > 0) await this.clock.sleep(ms, signal);
  }

  /** A request to `host` ended (any outcome): the next one waits the politeness delay. */
  done(host: string): void {
    const s = this.state(host);
    const end = (s.lastEnd = this.clock.now());
    s.nextAt = Math.max(s.nextAt, end + this.delayOf(host));
  }

  succeeded(host: string): void {
    this.state(host).failures = 0;
  }

  /** A 429/5xx/network failure: returns the wait (ms) before the host's next request. */
  failed(host: string, retryAfterMs?: number): number {
    const s = this.state(host);
    s.failures += 1;
    const exp = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** (s.failures - 1));
    const wait = Math.max(this.delayOf(host), exp, retryAfterMs ?? 0);
    s.nextAt = Math.max(s.nextAt, this.clock.now() + wait);
    return wait;
  }

  toJSON(): PacerJson {
    return Object.fromEntries(this.hosts);
  }
}

/** Retry-After: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface RequestOptions {
  userAgent: string;
  timeoutMs: number;
  /** Stop reading a body beyond this many bytes (the page is then `tooLarge`). */
  maxBytes: number;
  /** Keep the first `maxBytes` of a longer body instead of skipping it (robots.txt). */
  truncate?: boolean;
  /** Whether a 2xx response's media type (lowercase, no parameters) is wanted; others are not read. */
  accept(mediaType: string): boolean;
  /** The task's signal: aborting it aborts the request (the caller then sees `interrupted`). */
  signal?: AbortSignal;
  fetchImpl?: typeof fetch;
}

export type RequestOutcome =
  | { kind: 'ok'; status: number; mediaType: string; charset?: string; body: Buffer; bytes: number; headers: Headers }
  | { kind: 'redirect'; status: number; location: string | null; bytes: 0 }
  /** A response not worth reading: wrong content type, too large, or a 4xx. */
  | { kind: 'skip'; reason: 'contentType' | 'tooLarge' | 'httpError'; status: number; mediaType?: string; bytes: number; detail: string }
  /** A failure that may pass: 429, 5xx, a timeout or a network error. */
  | { kind: 'retry'; reason: 'rateLimited' | 'serverError' | 'timeout' | 'network'; status?: number; retryAfterMs?: number; bytes: number; detail: string }
  /** The task's signal aborted the request. */
  | { kind: 'interrupted'; bytes: number };

const REDIRECT = new Set([301, 302, 303, 307, 308]);

/** One GET (redirects are returned, not followed). Never throws. */
export async function request(url: string, o: RequestOptions): Promise<RequestOutcome> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  const failed = (e: unknown, bytes: number): RequestOutcome => {
    if (o.signal?.aborted) return { kind: 'interrupted', bytes };
    if (timeout.aborted) return { kind: 'retry', reason: 'timeout', bytes, detail: `no complete response within ${o.timeoutMs} ms` };
    const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
    return { kind: 'retry', reason: 'network', bytes, detail: cause?.code ?? cause?.message ?? (e as Error)?.message ?? String(e) };
  };
  let res: Response;
  try {
    res = await (o.fetchImpl ?? fetch)(url, {
      redirect: 'manual',
      signal,
      headers: { 'user-agent': o.userAgent, accept: 'text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1' },
    });
  } catch (e) {
    return failed(e, 0);
  }
  const drop = () => res.body?.cancel().catch(() => undefined);
  const status = res.status;
  if (REDIRECT.has(status)) {
    await drop();
    return { kind: 'redirect', status, location: res.headers.get('location'), bytes: 0 };
  }
  if (status === 429 || status >= 500) {
    await drop();
    return {
      kind: 'retry',
      reason: status === 429 ? 'rateLimited' : 'serverError',
      status,
      retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), Date.now()),
      bytes: 0,
      detail: `HTTP ${status}`,
    };
  }
  if (status < 200 || status >= 300) {
    await drop();
    return { kind: 'skip', reason: 'httpError', status, bytes: 0, detail: `HTTP ${status}` };
  }
  const [mediaType, charset] = parseContentType(res.headers.get('content-type'));
  if (!o.accept(mediaType)) {
    await drop();
    return { kind: 'skip', reason: 'contentType', status, mediaType, bytes: 0, detail: `content type ${mediaType || '(none)'}` };
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > o.maxBytes && !o.truncate) {
    await drop();
    return { kind: 'skip', reason: 'tooLarge', status, mediaType, bytes: 0, detail: `Content-Length ${declared} > ${o.maxBytes} bytes` };
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        if (bytes > o.maxBytes) {
          await reader.cancel().catch(() => undefined);
          if (o.truncate) {
            chunks.push(Buffer.from(value).subarray(0, value.byteLength - (bytes - o.maxBytes)));
            return { kind: 'ok', status, mediaType, charset, body: Buffer.concat(chunks), bytes, headers: res.headers };
          }
          return { kind: 'skip', reason: 'tooLarge', status, mediaType, bytes, detail: `body exceeds ${o.maxBytes} bytes` };
        }
        chunks.push(Buffer.from(value));
      }
    }
  } catch (e) {
    return failed(e, bytes);
  }
  return { kind: 'ok', status, mediaType, charset, body: Buffer.concat(chunks), bytes, headers: res.headers };
}

/** `text/html; charset=ISO-8859-1` → ['text/html', 'iso-8859-1']. */
export function parseContentType(value: string | null): [string, string | undefined] {
  if (!value) return ['', undefined];
  const [type, ...params] = value.split(';');
  const charset = params.map((p) => /^\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(p)?.[1]).find(Boolean);
  return [type!.trim().toLowerCase(), charset?.toLowerCase()];
}

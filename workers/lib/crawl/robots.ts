/**
 * robots.txt per origin (RFC 9309; reference/worker-domain.md §5.1, §5.2), fetched once and cached
 * (24 h by default), parsed with robots-parser:
 * - 2xx: the rules of the group matching our product token (e.g. `BatonBot` from
 *   `BatonBot/1.0 (+https://…)`), else `*`; the longest match wins, Allow wins ties;
 * - 4xx (`unavailable`): everything allowed;
 * - 5xx, 429 or a network error (`unreachable`): everything disallowed for that origin;
 * - redirects: followed up to 5 hops (by the fetch function given to the cache);
 * - at most 500 KiB is parsed.
 * Crawl-delay (seconds) comes from the same group.
 */
import robotsParser from 'robots-parser';
import { hostOf } from './url';
import { request, type Clock, type HostPacer } from './fetcher';

/** What the cache gets from fetching `<origin>/robots.txt` (redirects already followed). */
export type RobotsFetchResult = { status: number; body: string } | { error: string };

export type RobotsStatus = 'parsed' | 'unavailable' | 'unreachable';

export interface RobotsEntry {
  origin: string;
  status: RobotsStatus;
  /** The HTTP status, when there was a response. */
  httpStatus?: number;
  /** The robots.txt text (parsed status only; capped at MAX_ROBOTS_BYTES). */
  text?: string;
  error?: string;
  fetchedAt: number;
}

export type RobotsVerdict = 'allowed' | 'disallowed' | 'unreachable';

export const MAX_ROBOTS_BYTES = 500 * 1024;

type Robot = ReturnType<typeof robotsParser>;

/** The product token robots.txt groups are matched by: `BatonBot/1.0 (+https://x)` → `BatonBot`. */
export function productToken(userAgent: string): string {
  return /^[A-Za-z0-9_.-]+/.exec(userAgent.trim())?.[0]?.replace(/\.+$/, '') || '*';
}

export class RobotsCache {
  private readonly entries = new Map<string, { entry: RobotsEntry; robot?: Robot }>();

  constructor(
    /** The product token groups are matched by. */
    private readonly token: string,
    private readonly now: () => number,
    private readonly ttlMs = 24 * 3600 * 1000,
    saved: RobotsEntry[] = [],
  ) {
    for (const e of saved) this.set(e);
  }

  private set(entry: RobotsEntry): void {
    const robot = entry.status === 'parsed' ? robotsParser(`${entry.origin}/robots.txt`, entry.text ?? '') : undefined;
    this.entries.set(entry.origin, { entry, robot });
  }

  /** The cached entry, if fresh. An unreachable one is retried when asked again after `retryUnreachableMs`. */
  cached(origin: string, retryUnreachableMs = Infinity): RobotsEntry | undefined {
    const c = this.entries.get(origin);
    if (!c) return undefined;
    const age = this.now() - c.entry.fetchedAt;
    if (age > this.ttlMs || (c.entry.status === 'unreachable' && age > retryUnreachableMs)) return undefined;
    return c.entry;
  }

  /** Record a fetch result for an origin. */
  store(origin: string, r: RobotsFetchResult): RobotsEntry {
    const fetchedAt = this.now();
    let entry: RobotsEntry;
    if ('error' in r) entry = { origin, status: 'unreachable', error: r.error, fetchedAt };
    else if (r.status >= 200 && r.status < 300) entry = { origin, status: 'parsed', httpStatus: r.status, text: capText(r.body), fetchedAt };
    else if (r.status === 429 || r.status >= 500) entry = { origin, status: 'unreachable', httpStatus: r.status, error: `HTTP ${r.status}`, fetchedAt };
    else entry = { origin, status: 'unavailable', httpStatus: r.status, fetchedAt };
    this.set(entry);
    return entry;
  }

  /** The verdict for a URL whose origin's robots.txt is cached (`undefined` when it is not). */
  verdict(url: string): RobotsVerdict | undefined {
    const c = this.entries.get(new URL(url).origin);
    if (!c) return undefined;
    if (c.entry.status === 'unreachable') return 'unreachable';
    if (c.entry.status === 'unavailable' || !c.robot) return 'allowed';
    // robots-parser answers undefined for another origin; the entry is this URL's origin
    return c.robot.isAllowed(url, this.token) === false ? 'disallowed' : 'allowed';
  }

  /** Crawl-delay in seconds for our group (undefined when none is given). */
  crawlDelayS(origin: string): number | undefined {
    const d = this.entries.get(origin)?.robot?.getCrawlDelay(this.token);
    return typeof d === 'number' && Number.isFinite(d) && d >= 0 ? d : undefined;
  }

  toJSON(): RobotsEntry[] {
    return [...this.entries.values()].map((c) => c.entry);
  }
}

function capText(body: string): string {
  const buf = Buffer.from(body);
  return buf.length <= MAX_ROBOTS_BYTES ? body : buf.subarray(0, MAX_ROBOTS_BYTES).toString('utf8');
}

export interface RobotsFetchOptions {
  userAgent: string;
  timeoutMs: number;
  /** Retries of a 429/5xx/network failure (with the host's backoff) before it counts as unreachable. */
  maxRetries: number;
  pacer: HostPacer;
  clock: Clock;
  signal?: AbortSignal;
  /** Epoch ms: a retry that would wait past it is not made (the origin counts as unreachable). */
  deadline?: number;
  fetchImpl?: typeof fetch;
  /** Called after every request (for counters and the log). */
  onRequest?(url: string, outcome: string, bytes: number): void;
}

const ROBOTS_MAX_REDIRECTS = 5;

/**
 * GET `<origin>/robots.txt` politely (the host's delay and backoff apply to it like to any page),
 * following up to 5 redirects. Returns `undefined` only when the task's signal aborted.
 */
export async function fetchRobotsTxt(origin: string, o: RobotsFetchOptions): Promise<RobotsFetchResult | undefined> {
  let url = `${origin}/robots.txt`;
  let attempts = 0;
  for (let hops = 0; ; ) {
    const host = hostOf(url);
    await o.pacer.wait(host, o.signal);
    if (o.signal?.aborted) return undefined;
    const r = await request(url, { userAgent: o.userAgent, timeoutMs: o.timeoutMs, maxBytes: MAX_ROBOTS_BYTES, truncate: true, accept: () => true, signal: o.signal, fetchImpl: o.fetchImpl });
    o.pacer.done(host);
    o.onRequest?.(url, r.kind === 'ok' || r.kind === 'redirect' || r.kind === 'skip' ? String(r.status) : r.kind === 'retry' ? (r.status ? String(r.status) : r.reason) : 'interrupted', r.bytes);
    switch (r.kind) {
      case 'interrupted':
        return undefined;
      case 'ok':
        o.pacer.succeeded(host);
        return { status: r.status, body: decodeRobots(r.body) };
      case 'skip':
        o.pacer.succeeded(host);
        return { status: r.status, body: '' };
      case 'redirect': {
        let next: string | undefined;
        try {
          next = r.location ? new URL(r.location, url).href : undefined;
        } catch {
          next = undefined;
        }
        // too many hops or nowhere to go: no robots.txt was found, which RFC 9309 treats as unavailable
        if (!next || ++hops > ROBOTS_MAX_REDIRECTS) return { status: 404, body: '' };
        url = next;
        continue;
      }
      case 'retry': {
        o.pacer.failed(host, r.retryAfterMs);
        if (attempts++ >= o.maxRetries || o.pacer.readyAt(host) >= (o.deadline ?? Infinity)) return r.status ? { status: r.status, body: '' } : { error: `${r.reason}: ${r.detail}` };
        continue;
      }
    }
  }
}

function decodeRobots(body: Buffer): string {
  // robots.txt is UTF-8 (RFC 9309 §2.3); a BOM is dropped
  const text = body.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * URL normalization and crawl scope (reference/worker-domain.md §5.3).
 *
 * Two forms of a URL:
 * - `normalizeUrl` gives the URL that is fetched. WHATWG URL parsing already lowercases the scheme
 *   and host, drops default ports and resolves `./` and `../`. On top of that, the fragment and
 *   any credentials are dropped, tracking parameters (utm_*, fbclid, gclid, …) are removed and the
 *   remaining query parameters are sorted. Path and query case are kept (paths are case-sensitive).
 * - `urlKey` is what the frontier compares: the normalized URL with a trailing `/` collapsed
 *   (`/docs/` and `/docs` are one page). The URL is still fetched in the form first seen, because
 *   servers often redirect one form to the other.
 */

const TRACKING_PARAM = /^(utm_[a-z0-9_]*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|_ga|_gl)$/i;

/** The normalized absolute http(s) URL, or undefined when `raw` is not one. */
export function normalizeUrl(raw: string, base?: string): string | undefined {
  let u: URL;
  try {
    u = base === undefined ? new URL(raw.trim()) : new URL(raw.trim(), base);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  if (!u.hostname) return undefined;
  u.hash = '';
  u.username = '';
  u.password = '';
  if (u.search) {
    for (const name of [...new Set(u.searchParams.keys())]) if (TRACKING_PARAM.test(name)) u.searchParams.delete(name);
    u.searchParams.sort();
    if (u.search === '?') u.search = '';
  }
  return u.href;
}

/** The dedup key of a normalized URL: a trailing slash collapsed (the root path keeps its `/`). */
export function urlKey(normalized: string): string {
  const u = new URL(normalized);
  const path = u.pathname.length > 1 && u.pathname.endsWith('/') ? u.pathname.replace(/\/+$/, '') || '/' : u.pathname;
  return `${u.origin}${path}${u.search}`;
}

/** `scheme://host[:port]`: the unit robots.txt applies to. */
export const originOf = (url: string): string => new URL(url).origin;

/** `host[:port]`: the unit politeness applies to (one request in flight, delays, backoff). */
export const hostOf = (url: string): string => new URL(url).host;

export interface ScopeSpec {
  /** same-host: the seeds' host names (any scheme or port); same-origin: the seeds' origins; allowlist: `allow` only. */
  mode: 'same-host' | 'same-origin' | 'allowlist';
  /** Regular expressions on the full URL; when given, a URL must match one (in every mode). */
  allow: string[];
  /** Regular expressions on the full URL; a URL that matches one is out of scope. */
  deny: string[];
}

export class Scope {
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;
  private readonly allow: RegExp[];
  private readonly deny: RegExp[];

  constructor(
    private readonly spec: ScopeSpec,
    seeds: readonly string[],
  ) {
    this.hosts = new Set(seeds.map((s) => new URL(s).hostname));
    this.origins = new Set(seeds.map(originOf));
    this.allow = spec.allow.map((p) => new RegExp(p));
    this.deny = spec.deny.map((p) => new RegExp(p));
  }

  /** Whether a normalized URL may be fetched. */
  inScope(url: string): boolean {
    const u = new URL(url);
    if (this.spec.mode === 'same-host' && !this.hosts.has(u.hostname)) return false;
    if (this.spec.mode === 'same-origin' && !this.origins.has(u.origin)) return false;
    if (this.allow.length && !this.allow.some((r) => r.test(url))) return false;
    return !this.deny.some((r) => r.test(url));
  }
}

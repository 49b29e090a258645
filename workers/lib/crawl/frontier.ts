/**
 * The crawl frontier: URLs waiting to be fetched, ordered by priority, plus the sets that make
 * every page be fetched once (reference/worker-domain.md §5.3).
 *
 * Priority = the source's weight / (1 + depth): a seed of weight 3 goes before one of weight 1,
 * and a source's pages go breadth-first. Equal priorities keep discovery order, so a crawl of one
 * site is deterministic. URLs are compared by `urlKey` (normalized, trailing slash collapsed).
 * A URL deeper than maxDepth is not queued (it may still be queued later when found at a smaller
 * depth). `toJSON()` is the persisted form the task resumes from.
 */
import { urlKey } from './url';

export interface FrontierEntry {
  /** The normalized URL to fetch. */
  url: string;
  key: string;
  depth: number;
  /** The source (seed label) the page was reached from, and its weight. */
  source: string;
  weight: number;
  /** The page that linked here (absent for seeds). */
  parent?: string;
  /** The index of the seed this entry is (seeds only). */
  seed?: number;
  /** Failed attempts so far (429, 5xx, timeouts, network errors). */
  attempts: number;
  /** Redirects followed to reach `url` (an entry put back in the middle of a chain). */
  hops?: number;
  /** Discovery order, the tie-break. */
  seq: number;
}

export interface FrontierJson {
  queue: FrontierEntry[];
  /** Keys ever queued (queued, fetched or given up on). */
  seen: string[];
  /** Keys whose page is done: fetched, skipped, a redirect hop, or the canonical of a fetched page. */
  done: string[];
  seq: number;
}

export const priorityOf = (e: Pick<FrontierEntry, 'weight' | 'depth'>): number => e.weight / (1 + e.depth);

/** Before `b` in the queue? Higher priority first, then discovery order. */
const before = (a: FrontierEntry, b: FrontierEntry): boolean => {
  const pa = priorityOf(a);
  const pb = priorityOf(b);
  return pa !== pb ? pa > pb : a.seq < b.seq;
};

export type NextResult = { entry: FrontierEntry } | { waitUntil: number } | { empty: true };

export class Frontier {
  private readonly queue: FrontierEntry[] = [];
  private readonly seen = new Set<string>();
  private readonly done = new Set<string>();
  private seq = 0;

  constructor(saved?: FrontierJson) {
    if (!saved) return;
    this.queue.push(...saved.queue);
    for (const k of saved.seen) this.seen.add(k);
    for (const k of saved.done) this.done.add(k);
    this.seq = saved.seq;
  }

  get size(): number {
    return this.queue.length;
  }

  /** Queue a normalized URL unless it was seen before. Returns the entry when queued. */
  add(e: Omit<FrontierEntry, 'key' | 'seq' | 'attempts'> & { attempts?: number }): FrontierEntry | undefined {
    const key = urlKey(e.url);
    if (this.seen.has(key)) return undefined;
    this.seen.add(key);
    const entry: FrontierEntry = { ...e, key, attempts: e.attempts ?? 0, seq: this.seq++ };
    this.insert(entry);
    return entry;
  }

  /** Put an entry back after a failed attempt (it keeps its place among equal priorities). */
  requeue(entry: FrontierEntry): void {
    this.insert(entry);
  }

  private insert(entry: FrontierEntry): void {
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(this.queue[mid]!, entry)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, entry);
  }

  /**
   * The best entry whose host is ready at `now` (by `readyAt(host)`), removed from the queue;
   * else when the earliest host is ready; else empty. Entries already done are dropped.
   */
  next(now: number, hostOf: (url: string) => string, readyAt: (host: string) => number): NextResult {
    let earliest = Infinity;
    const checked = new Map<string, number>();
    for (let i = 0; i < this.queue.length; ) {
      const e = this.queue[i]!;
      if (this.done.has(e.key)) {
        this.queue.splice(i, 1);
        continue;
      }
      const host = hostOf(e.url);
      let at = checked.get(host);
      if (at === undefined) checked.set(host, (at = readyAt(host)));
      if (at <= now) {
        this.queue.splice(i, 1);
        return { entry: e };
      }
      earliest = Math.min(earliest, at);
      i += 1;
    }
    return earliest === Infinity ? { empty: true } : { waitUntil: earliest };
  }

  /** Remove every queued entry a predicate matches (e.g. a host that is rate limited for good). */
  drop(match: (e: FrontierEntry) => boolean): FrontierEntry[] {
    const out: FrontierEntry[] = [];
    for (let i = this.queue.length - 1; i >= 0; i--) if (match(this.queue[i]!)) out.unshift(...this.queue.splice(i, 1));
    return out;
  }

  /** Queued or done before. */
  has(url: string): boolean {
    return this.seen.has(urlKey(url));
  }

  isDone(url: string): boolean {
    return this.done.has(urlKey(url));
  }

  /** Mark a URL done (and seen), so it is neither queued nor fetched again. */
  markDone(url: string): void {
    const key = urlKey(url);
    this.seen.add(key);
    this.done.add(key);
  }

  toJSON(): FrontierJson {
    return { queue: [...this.queue], seen: [...this.seen], done: [...this.done], seq: this.seq };
  }
}

/**
 * Content dedup of kept documents (reference/worker-domain.md §5.3): exact duplicates by the
 * sha256 of the normalized text (lowercase, whitespace collapsed), near-duplicates by MinHash over
 * word 5-shingles (64 hash functions; the estimated Jaccard similarity ≥ the threshold, 0.8 by
 * default, is a near-duplicate). URL dedup is the frontier's.
 */
import { createHash } from 'node:crypto';

const PERMUTATIONS = 64;
const SHINGLE = 5;

export const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

export const normalizedTextHash = (text: string): string => sha256Hex(text.toLowerCase().replace(/\s+/g, ' ').trim());

/** murmur3's 32-bit finalizer: a good mix of a 32-bit value. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const SEEDS = Array.from({ length: PERMUTATIONS }, (_, i) => fmix32(Math.imul(i + 1, 0x9e3779b9)));

/** The MinHash signature of a text's word 5-shingles. */
export function minhash(text: string): Uint32Array {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const sig = new Uint32Array(PERMUTATIONS).fill(0xffffffff);
  const count = Math.max(1, words.length - SHINGLE + 1);
  for (let i = 0; i < count; i++) {
    const h = fnv1a(words.slice(i, i + SHINGLE).join(' '));
    for (let p = 0; p < PERMUTATIONS; p++) {
      const v = fmix32(h ^ SEEDS[p]!);
      if (v < sig[p]!) sig[p] = v;
    }
  }
  return sig;
}

export function similarity(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < PERMUTATIONS; i++) if (a[i] === b[i]) same += 1;
  return same / PERMUTATIONS;
}

export interface ContentIndexJson {
  hashes: [string, string][];
  signatures: [string, string][];
}

export type DupVerdict = { kind: 'duplicate'; of: string } | { kind: 'nearDuplicate'; of: string; similarity: number };

export class ContentIndex {
  /** normalized-text hash → url */
  private readonly hashes = new Map<string, string>();
  private readonly signatures: [string, Uint32Array][] = [];

  constructor(
    private readonly nearDupJaccard: number,
    saved?: ContentIndexJson,
  ) {
    for (const [h, url] of saved?.hashes ?? []) this.hashes.set(h, url);
    for (const [url, hex] of saved?.signatures ?? []) {
      const b = Buffer.from(hex, 'hex'); // may be a view into Buffer's shared pool
      this.signatures.push([url, new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))]);
    }
  }

  /** Whether a text duplicates a kept document. */
  check(text: string): DupVerdict | undefined {
    const of = this.hashes.get(normalizedTextHash(text));
    if (of) return { kind: 'duplicate', of };
    const sig = minhash(text);
    let best: DupVerdict | undefined;
    for (const [url, s] of this.signatures) {
      const j = similarity(sig, s);
      if (j >= this.nearDupJaccard && (!best || (best.kind === 'nearDuplicate' && j > best.similarity))) best = { kind: 'nearDuplicate', of: url, similarity: j };
    }
    return best;
  }

  add(url: string, text: string): void {
    this.hashes.set(normalizedTextHash(text), url);
    this.signatures.push([url, minhash(text)]);
  }

  toJSON(): ContentIndexJson {
    return { hashes: [...this.hashes], signatures: this.signatures.map(([url, s]) => [url, Buffer.from(s.buffer, s.byteOffset, s.byteLength).toString('hex')]) };
  }
}

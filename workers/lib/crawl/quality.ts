/**
 * Per-document quality score in 0..1 (reference/worker-domain.md §5.4), from Gopher-style
 * heuristics (datatrove GopherQualityFilter defaults) plus duplicate lines and link density.
 *
 * Each feature maps to a sub-score in 0..1: 1 inside the Gopher bound, falling linearly to 0 at
 * the "bad" value. The score is the weighted geometric mean of the sub-scores, so one feature at
 * 0 makes the page 0 and several mild faults add up. A page is kept when score ≥ threshold
 * (0.8 by default). Features (value → sub-score 1 … 0; weight):
 *
 * | feature         | definition                                            | 1 when     | 0 at        | weight |
 * |-----------------|-------------------------------------------------------|------------|-------------|--------|
 * | words           | whitespace-separated words                            | minWords…maxWords | 0.8·minWords, > maxWords | 0.25 |
 * | meanWordLength  | mean letters per word (edge punctuation stripped)     | 3…10       | 2, 15       | 0.10   |
 * | symbolRatio     | (`#` + `...`/`…`) per word                            | ≤ 0.1      | 0.2         | 0.05   |
 * | bulletLines     | fraction of lines starting with a bullet              | ≤ 0.9      | 1.0         | 0.05   |
 * | ellipsisLines   | fraction of lines ending with `...` or `…`            | ≤ 0.3      | 0.5         | 0.05   |
 * | alphaWords      | fraction of words with a letter                       | ≥ 0.8      | 0.6         | 0.10   |
 * | stopWords       | occurrences of the, be, to, of, and, that, have, with | ≥ 2        | 0 (1 → 0.5) | 0.10   |
 * | duplicateLines  | fraction of lines repeating an earlier line           | ≤ 0.1      | 0.3         | 0.15   |
 * | linkDensity     | link text chars ÷ text chars                          | ≤ 0.2      | 0.5         | 0.15   |
 */

export interface QualityOptions {
  /** Keep a page when its score is at least this. @default 0.8 */
  threshold: number;
  minWords: number;
  maxWords: number;
}

export interface QualityFeatures {
  words: number;
  meanWordLength: number;
  symbolRatio: number;
  bulletLines: number;
  ellipsisLines: number;
  alphaWords: number;
  stopWords: number;
  duplicateLines: number;
  linkDensity: number;
}

export interface QualityResult {
  score: number;
  passed: boolean;
  /** The features that lowered the score, e.g. `words 12 < 50`. */
  reasons: string[];
  features: QualityFeatures;
}

const STOP_WORDS = new Set(['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with']);
const BULLET = /^[•‣⁃◦▪▫●○■□\-–—*·]\s?/;
const ELLIPSIS = /(\.\.\.|…)$/;

/** 1 at `good`, 0 at `bad`, linear between (either direction). */
function ramp(value: number, good: number, bad: number): number {
  if (good === bad) return value === good ? 1 : 0;
  const t = (value - bad) / (good - bad);
  return Math.min(1, Math.max(0, t));
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

export function qualityFeatures(text: string, linkChars: number): QualityFeatures {
  const words = text.split(/\s+/).filter(Boolean);
  const lines = text.split('\n').filter((l) => l.trim());
  const n = words.length;
  const bare = words.map((w) => w.replace(/^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu, '')).filter(Boolean);
  const symbols = (text.match(/#/g)?.length ?? 0) + (text.match(/\.\.\.|…/g)?.length ?? 0);
  const seen = new Set<string>();
  let dupLines = 0;
  for (const l of lines) {
    const k = l.trim().toLowerCase();
    if (seen.has(k)) dupLines += 1;
    else seen.add(k);
  }
  const chars = text.replace(/\s+/g, '').length;
  return {
    words: n,
    meanWordLength: round(bare.length ? bare.reduce((s, w) => s + [...w].length, 0) / bare.length : 0, 2),
    symbolRatio: round(n ? symbols / n : 0),
    bulletLines: round(lines.length ? lines.filter((l) => BULLET.test(l)).length / lines.length : 0),
    ellipsisLines: round(lines.length ? lines.filter((l) => ELLIPSIS.test(l.trim())).length / lines.length : 0),
    alphaWords: round(n ? words.filter((w) => /\p{L}/u.test(w)).length / n : 0),
    stopWords: bare.filter((w) => STOP_WORDS.has(w.toLowerCase())).length,
    duplicateLines: round(lines.length ? dupLines / lines.length : 0),
    linkDensity: round(chars ? Math.min(1, linkChars / chars) : 0),
  };
}

export function scoreQuality(text: string, linkChars: number, o: QualityOptions): QualityResult {
  const f = qualityFeatures(text, linkChars);
  const parts: [keyof QualityFeatures, number, number, string][] = [
    ['words', 0.25, f.words > o.maxWords ? 0 : ramp(f.words, o.minWords, 0.8 * o.minWords), f.words > o.maxWords ? `> ${o.maxWords}` : `< ${o.minWords}`],
    ['meanWordLength', 0.1, f.meanWordLength < 3 ? ramp(f.meanWordLength, 3, 2) : ramp(f.meanWordLength, 10, 15), 'outside 3..10'],
    ['symbolRatio', 0.05, ramp(f.symbolRatio, 0.1, 0.2), '> 0.1'],
    ['bulletLines', 0.05, ramp(f.bulletLines, 0.9, 1), '> 0.9'],
    ['ellipsisLines', 0.05, ramp(f.ellipsisLines, 0.3, 0.5), '> 0.3'],
    ['alphaWords', 0.1, ramp(f.alphaWords, 0.8, 0.6), '< 0.8'],
    ['stopWords', 0.1, f.stopWords >= 2 ? 1 : f.stopWords === 1 ? 0.5 : 0, '< 2'],
    ['duplicateLines', 0.15, ramp(f.duplicateLines, 0.1, 0.3), '> 0.1'],
    ['linkDensity', 0.15, ramp(f.linkDensity, 0.2, 0.5), '> 0.2'],
  ];
  let log = 0;
  const reasons: string[] = [];
  for (const [name, weight, sub, why] of parts) {
    if (sub < 1) reasons.push(`${name} ${f[name]} ${why}`);
    log += sub > 0 ? weight * Math.log(sub) : -Infinity;
  }
  const score = round(Math.exp(log));
  return { score, passed: score >= o.threshold, reasons, features: f };
}

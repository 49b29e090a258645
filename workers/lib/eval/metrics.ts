/**
 * Answer-scoring metrics for the evaluate worker (reference/worker-domain.md §6.1). Pure functions
 * over strings; scores are fractions in [0, 1]. With several reference answers an item scores the
 * best of them.
 *
 * - exact match: `pred.trim() === ref.trim()`.
 * - normalized match (SQuAD v1.1 normalize_answer): lowercase, drop punctuation and symbols, drop
 *   the articles a/an/the, collapse whitespace; then equality.
 * - token F1: the bag-of-tokens overlap of the normalized strings (precision = common/pred,
 *   recall = common/ref). Two empty strings score 1, one empty string 0.
 * - pass@k: the unbiased estimator of Chen et al. 2021 (HumanEval), 1 − C(n−c, k)/C(n, k),
 *   computed in the stable product form.
 */

export const METRIC_NAMES = ['exact_match', 'normalized_match', 'token_f1'] as const;
export type BasicMetric = (typeof METRIC_NAMES)[number];

/** SQuAD's normalize_answer, order kept: lower → punctuation → articles → whitespace. */
export function normalizeAnswer(s: string): string {
  const lower = s.toLowerCase();
  // SQuAD deletes string.punctuation (ASCII punctuation and symbols); Unicode ones go too
  const noPunct = lower.replace(/[\p{P}\p{S}]/gu, '');
  // after the punctuation is gone, SQuAD's \b(a|an|the)\b are exactly the whitespace tokens
  return noPunct.split(/\s+/).filter((t) => t !== '' && t !== 'a' && t !== 'an' && t !== 'the').join(' ');
}

export function exactMatch(prediction: string, answers: readonly string[]): number {
  const p = prediction.trim();
  return answers.some((a) => a.trim() === p) ? 1 : 0;
}

export function normalizedMatch(prediction: string, answers: readonly string[]): number {
  const p = normalizeAnswer(prediction);
  return answers.some((a) => normalizeAnswer(a) === p) ? 1 : 0;
}

function f1One(prediction: string, reference: string): number {
  const pred = normalizeAnswer(prediction).split(' ').filter(Boolean);
  const ref = normalizeAnswer(reference).split(' ').filter(Boolean);
  if (pred.length === 0 || ref.length === 0) return pred.length === ref.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of ref) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of pred) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      common += 1;
      counts.set(t, c - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / pred.length;
  const recall = common / ref.length;
  return (2 * precision * recall) / (precision + recall);
}

export function tokenF1(prediction: string, answers: readonly string[]): number {
  let best = 0;
  for (const a of answers) best = Math.max(best, f1One(prediction, a));
  return best;
}

export function scoreAnswer(metric: BasicMetric, prediction: string, answers: readonly string[]): number {
  switch (metric) {
    case 'exact_match':
      return exactMatch(prediction, answers);
    case 'normalized_match':
      return normalizedMatch(prediction, answers);
    case 'token_f1':
      return tokenF1(prediction, answers);
  }
}

/**
 * pass@k for one problem with n samples of which c are correct: the probability that at least one
 * of k samples drawn without replacement is correct. 1 when n − c < k. Requires 1 ≤ k ≤ n.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k)) throw new RangeError('pass@k: n, c and k must be integers');
  if (k < 1 || k > n) throw new RangeError(`pass@k: need 1 ≤ k ≤ n (k=${k}, n=${n})`);
  if (c < 0 || c > n) throw new RangeError(`pass@k: need 0 ≤ c ≤ n (c=${c}, n=${n})`);
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

/** One item's graded samples. */
export interface ItemScores {
  /** Per basic metric, one score per sample. */
  samples: Record<BasicMetric, number[]>;
}

export interface AggregateOptions {
  /** The metric that decides whether a sample is correct for pass@k. @default normalized_match */
  passCriterion?: 'exact_match' | 'normalized_match';
  /** The k values reported as pass_at_<k> (each ≤ the sample count). */
  passK?: readonly number[];
}

/**
 * The mean over items of each metric. An item's basic score is the mean over its samples (with one
 * sample, the sample's score; with n, the expected score of one sample, so pass_at_1 equals the
 * criterion's mean). pass_at_<k> is reported for each k when every item has at least k samples.
 */
export function aggregate(items: readonly ItemScores[], o: AggregateOptions = {}): Record<string, number> {
  const out: Record<string, number> = {};
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  for (const m of METRIC_NAMES) out[m] = mean(items.map((it) => mean(it.samples[m])));
  const criterion = o.passCriterion ?? 'normalized_match';
  for (const k of o.passK ?? []) {
    const per = items.map((it) => {
      const s = it.samples[criterion];
      return passAtK(s.length, s.filter((x) => x === 1).length, k);
    });
    out[`pass_at_${k}`] = mean(per);
  }
  return out;
}

/** Round away floating-point noise (0.72 − 0.70 must be 2 pp, not 1.9999999999999996). */
export function roundTo(x: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

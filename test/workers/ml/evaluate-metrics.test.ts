/**
 * The evaluate worker's pure parts with hand-computed values: the metrics (reference/worker-domain.md
 * §6.1, SQuAD normalization, token F1, unbiased pass@k), the dataset parser, the deploy gate and
 * the baseline store.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaselineStore } from '../../../workers/lib/eval/baseline';
import { parseCompletion } from '../../../workers/lib/eval/client';
import { messagesOf, parseDataset } from '../../../workers/lib/eval/dataset';
import { decide, type GateInput } from '../../../workers/lib/eval/gate';
import { aggregate, exactMatch, normalizeAnswer, normalizedMatch, passAtK, roundTo, tokenF1 } from '../../../workers/lib/eval/metrics';

describe('metrics', () => {
  test('normalizeAnswer: lowercase, punctuation and symbols, articles, whitespace', () => {
    expect(normalizeAnswer('  The Eiffel   Tower! ')).toBe('eiffel tower');
    expect(normalizeAnswer('An apple, a day.')).toBe('apple day');
    expect(normalizeAnswer('theater')).toBe('theater'); // only whole-word articles
    expect(normalizeAnswer('$5 + 3%')).toBe('5 3');
    expect(normalizeAnswer('«Paris»…')).toBe('paris');
    expect(normalizeAnswer('a an the')).toBe('');
  });

  test('exact match trims but keeps case and punctuation; the best of several answers counts', () => {
    expect(exactMatch(' Paris\n', ['Paris'])).toBe(1);
    expect(exactMatch('paris', ['Paris'])).toBe(0);
    expect(exactMatch('Paris.', ['Paris'])).toBe(0);
    expect(exactMatch('Lyon', ['Paris', 'Lyon'])).toBe(1);
  });

  test('normalized match', () => {
    expect(normalizedMatch('the paris.', ['Paris'])).toBe(1);
    expect(normalizedMatch('Paris, France', ['Paris'])).toBe(0);
    expect(normalizedMatch('42', ['forty-two', '42'])).toBe(1);
  });

  test('token F1 by hand', () => {
    // pred tokens [new, york, city], ref [new, york]: common 2, P 2/3, R 1 → F1 0.8
    expect(tokenF1('New York City', ['New York'])).toBeCloseTo(0.8, 12);
    // pred [cat, sat, on, mat], ref [cat, sat]: P 0.5, R 1 → 2/3
    expect(tokenF1('The cat sat on the mat', ['a cat sat'])).toBeCloseTo(2 / 3, 12);
    // repeated tokens count by multiplicity: pred [a→removed] … use non-articles: [x, x, y] vs [x, y, y]: common 2 → P 2/3 R 2/3
    expect(tokenF1('x x y', ['x y y'])).toBeCloseTo(2 / 3, 12);
    expect(tokenF1('nothing shared', ['other words'])).toBe(0);
    expect(tokenF1('', [''])).toBe(1);
    expect(tokenF1('the', ['something'])).toBe(0);
    // max over references
    expect(tokenF1('New York', ['York', 'New York'])).toBe(1);
  });

  test('pass@k, unbiased estimator', () => {
    expect(passAtK(5, 2, 1)).toBeCloseTo(0.4, 12); // c/n
    expect(passAtK(5, 2, 2)).toBeCloseTo(1 - 3 / 10, 12); // 1 − C(3,2)/C(5,2)
    expect(passAtK(10, 3, 5)).toBeCloseTo(1 - 21 / 252, 12); // 1 − C(7,5)/C(10,5)
    expect(passAtK(10, 0, 5)).toBe(0);
    expect(passAtK(4, 2, 3)).toBe(1); // n − c < k
    expect(passAtK(1, 1, 1)).toBe(1);
    expect(() => passAtK(3, 1, 4)).toThrow(RangeError);
    expect(() => passAtK(3, 4, 1)).toThrow(RangeError);
  });

  test('aggregate: means over samples and items, pass_at_k per k', () => {
    const items = [
      { samples: { exact_match: [1, 0, 0, 0, 1], normalized_match: [1, 1, 0, 0, 0], token_f1: [1, 1, 0.5, 0, 0] } },
      { samples: { exact_match: [0, 0, 0, 0, 0], normalized_match: [0, 0, 0, 0, 0], token_f1: [0, 0, 0, 0, 0.5] } },
    ];
    const m = aggregate(items, { passK: [1, 2, 5] });
    expect(m.exact_match).toBeCloseTo((0.4 + 0) / 2, 12);
    expect(m.normalized_match).toBeCloseTo(0.2, 12);
    expect(m.token_f1).toBeCloseTo((2.5 / 5 + 0.5 / 5) / 2, 12);
    expect(m.pass_at_1).toBeCloseTo(0.2, 12); // equals the criterion's mean
    expect(m.pass_at_2).toBeCloseTo((0.7 + 0) / 2, 12);
    expect(m.pass_at_5).toBeCloseTo(0.5, 12);
    expect(aggregate(items, { passK: [2], passCriterion: 'exact_match' }).pass_at_2).toBeCloseTo(0.35, 12);
  });

  test('roundTo removes floating-point noise around the gate', () => {
    expect((0.82 - 0.8) * 100).toBeLessThan(2);
    expect(roundTo((0.82 - 0.8) * 100)).toBe(2);
  });
});

describe('dataset', () => {
  test('valid lines in both shapes, bad lines with line numbers and reasons, blank lines skipped', () => {
    const text = [
      '{"id":"q1","prompt":"Capital of France?","answer":"Paris"}',
      '',
      '{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"2+2?"}],"answers":["4","four"]}',
      'not json',
      '{"prompt":"","answer":"x"}',
      '{"prompt":"p"}',
      '{"id":"q1","prompt":"again","answer":"y"}',
      '[1,2]',
      '{"messages":[{"role":"bot","content":"hi"}],"answer":"x"}',
      '{"prompt":"num","answer":42}\r',
    ].join('\n');
    const d = parseDataset(text);
    expect(d.lines).toBe(9);
    expect(d.items.map((i) => [i.id, i.line])).toEqual([
      ['q1', 1],
      ['line-3', 3],
      ['line-10', 10],
    ]);
    expect(d.items[1]!.answers).toEqual(['4', 'four']);
    expect(d.items[2]!.answers).toEqual(['42']);
    expect(d.invalid.map((b) => b.line)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(d.invalid[0]!.reason).toMatch(/^not JSON/);
    expect(d.invalid[3]!.reason).toBe('duplicate id "q1" (first on line 1)');
    expect(messagesOf(d.items[0]!, 'sys')).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'Capital of France?' },
    ]);
    expect(messagesOf(d.items[1]!, 'sys')[0]).toEqual({ role: 'system', content: 'be brief' }); // its own system message wins
  });
});

describe('gate', () => {
  const base: GateInput = { metric: 'normalized_match', score: 0.72, baseline: 0.7, minImprovementPp: 2, regressionThresholdPp: 5, minScore: 0, noBaseline: 'deploy', withinBudget: true };

  test('exactly +2 pp deploys; +1.9 holds', () => {
    expect(decide(base)).toMatchObject({ decision: 'deploy', delta_pp: 2, regression: false });
    expect(decide({ ...base, score: 0.82, baseline: 0.8 })).toMatchObject({ decision: 'deploy', delta_pp: 2 }); // 1.9999999999999907 unrounded
    expect(decide({ ...base, score: 0.719 })).toMatchObject({ decision: 'hold', delta_pp: 1.9, regression: false });
  });

  test('a drop of more than the threshold is a regression (5 pp exactly is not)', () => {
    expect(decide({ ...base, score: 0.65 })).toMatchObject({ decision: 'hold', delta_pp: -5, regression: false });
    expect(decide({ ...base, score: 0.64 })).toMatchObject({ decision: 'hold', delta_pp: -6, regression: true });
  });

  test('no baseline: noBaseline decides; an unusable baseline holds; minScore and budget always apply', () => {
    expect(decide({ ...base, baseline: null })).toMatchObject({ decision: 'deploy', delta_pp: null, regression: false });
    expect(decide({ ...base, baseline: null, noBaseline: 'hold' }).decision).toBe('hold');
    expect(decide({ ...base, baseline: null, baselineUnusable: 'other eval set' }).decision).toBe('hold');
    expect(decide({ ...base, baseline: null, minScore: 0.8 }).decision).toBe('hold');
    const over = decide({ ...base, score: 0.9, withinBudget: false, budgetReason: '$3 > $2' });
    expect(over.decision).toBe('hold');
    expect(over.reasons.join('\n')).toContain('over budget: $3 > $2');
  });
});

describe('baseline store', () => {
  let root: string;
  beforeAll(() => (root = mkdtempSync(join(tmpdir(), 'baton-baseline-'))));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test('absent → undefined; put replaces atomically, keeps history, equal values are a no-op', async () => {
    const s = new BaselineStore(join(root, 'b'));
    const key = { model: 'support/bot', evalSet: 'held out' };
    expect(await s.get(key)).toBeUndefined();
    const a = await s.put({ ...key, score: 0.7, metric: 'normalized_match', metrics: { normalized_match: 0.7 }, source: 'test' });
    const again = await s.put({ ...key, score: 0.7, metric: 'normalized_match', metrics: { normalized_match: 0.7 }, source: 'test' });
    expect(again.updatedAt).toBe(a.updatedAt);
    await Promise.all([0.72, 0.74, 0.76].map((score) => s.put({ ...key, score, metric: 'normalized_match', metrics: { normalized_match: score }, source: 'test' })));
    const got = await s.get(key);
    expect(got!.score).toBe(0.76); // serialised in call order
    expect(got!.history!.map((h) => h.score)).toEqual([0.7, 0.72, 0.74]);
    const files = readdirSync(join(root, 'b'));
    expect(files).toEqual(['support%2Fbot__held%20out.json']); // no temp files left, one file per key
    expect(JSON.parse(readFileSync(join(root, 'b', files[0]!), 'utf8')).model).toBe('support/bot');
  });
});

describe('parseCompletion', () => {
  test('choices in index order, usage; garbage explained', () => {
    const ok = parseCompletion(
      JSON.stringify({ choices: [{ index: 1, message: { content: 'b' } }, { index: 0, message: { content: 'a' } }], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }),
    );
    expect(ok).toEqual({ texts: ['a', 'b'], usage: { prompt: 3, completion: 2, total: 5 } });
    expect(parseCompletion('<html>')).toBe('not JSON');
    expect(parseCompletion('{"result":"x"}')).toBe('no choices');
    expect(parseCompletion('{"choices":[{"message":{"content":null}}]}')).toBe('choices[0] has no message.content');
    expect(parseCompletion('{"choices":[{"message":{"content":"x"}}]}')).toEqual({ texts: ['x'] });
  });
});

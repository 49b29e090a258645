/** collect_misses and prepare_dataset: the nightly training set from misses and crawled text, validated and without held-out leakage. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import collectMisses from '../../../workers/collect_misses';
import prepareDataset from '../../../workers/prepare_dataset';
import { createHarness, type Harness } from '../harness';
import { runWithEnv } from './ml-helpers';

let h: Harness;
beforeEach(() => (h = createHarness()));
afterEach(() => h.cleanup());

const lines = (xs: unknown[]) => `${xs.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n')}\n`;

test('collect_misses reads the window, reports bad lines, and stores prompt/completion examples', async () => {
  const dir = h.dir('misses');
  writeFileSync(join(dir, '2026-12-04.jsonl'), lines([{ prompt: 'old', expected: 'x' }]));
  writeFileSync(join(dir, '2026-12-05.jsonl'), lines([{ prompt: 'p1', expected: 'c1' }, 'not json', { prompt: 'p2' }, { prompt: 'p3', completion: 'c3', user: 'u' }]));
  const r = await h.run(collectMisses, { source: dir, until: '2026-12-05' });
  expect(r.status).toBe('COMPLETED');
  expect(r.output).toMatchObject({ count: 2, window: { from: '2026-12-05', until: '2026-12-05' }, files: ['2026-12-05.jsonl'], invalid: 2 });
  expect(r.output.badLines).toEqual([{ file: '2026-12-05.jsonl', line: 2, reason: 'not JSON' }, { file: '2026-12-05.jsonl', line: 3, reason: 'expected missing' }]);
  expect((await h.artifacts.read(r.output.dataset)).toString()).toBe(lines([{ prompt: 'p1', completion: 'c1' }, { prompt: 'p3', completion: 'c3' }]));
  // two days, and an empty window is no error (dataset null)
  expect((await h.run(collectMisses, { source: dir, until: '2026-12-05', days: 2 })).output.count).toBe(3);
  expect((await h.run(collectMisses, { source: dir, until: '2026-11-01' })).output).toMatchObject({ count: 0, dataset: null });
  // only bad lines: terminal
  writeFileSync(join(dir, '2026-12-06.jsonl'), 'garbage\n');
  expect(await h.run(collectMisses, { source: dir, until: '2026-12-06' })).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'MISSES_INVALID' });
  // MISSES_PATH is the default source
  expect((await runWithEnv(h, collectMisses, { until: '2026-12-05' }, { MISSES_PATH: dir })).output.count).toBe(2);
});

test('prepare_dataset merges sources into one format, drops duplicates and held-out prompts, reports bad lines', async () => {
  const misses = await h.artifacts.putBytes(lines([{ prompt: 'What is 2+2?', completion: '4' }, { prompt: 'Capital of France?', completion: 'Paris' }, { prompt: 'What is 2+2?', completion: '4' }]), 'misses.jsonl');
  const crawled = await h.artifacts.putBytes(lines([{ text: 'Paris is the capital of France.' }, '{broken', { text: '' }]), 'train.jsonl');
  const heldOut = await h.artifacts.putBytes(lines([{ id: 'q1', prompt: 'capital of   FRANCE?', answer: 'Paris' }]), 'heldout.jsonl');
  const r = await h.run(prepareDataset, { sources: [misses, null, crawled], heldOut });
  expect(r.status).toBe('COMPLETED');
  expect(r.output.counts).toMatchObject({ sources: 2, kept: 2, duplicates: 1, leaked: 1, invalid: 2 });
  expect(r.output.badLines.map((b: { source: number; line: number }) => [b.source, b.line])).toEqual([[2, 2], [2, 3]]);
  expect((await h.artifacts.read(r.output.dataset)).toString()).toBe(lines([{ text: 'What is 2+2?\n4' }, { text: 'Paris is the capital of France.' }]));

  const pc = await h.run(prepareDataset, { sources: [misses, crawled], format: 'prompt_completion' });
  expect(pc.output.counts).toMatchObject({ kept: 2, dropped: 1 });
  expect(await h.run(prepareDataset, { sources: [crawled], minExamples: 5 })).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'DATASET_EMPTY' });
  expect(await h.run(prepareDataset, { sources: [] })).toMatchObject({ code: 'INVALID_INPUT' });
  // a quiet night: nothing usable, allowed
  expect(await h.run(prepareDataset, { sources: [null], allowEmpty: true })).toMatchObject({ status: 'COMPLETED', output: { dataset: null, counts: { kept: 0 } } });
  // the held-out set as a local path
  const path = join(h.dir('eval'), 'heldout.jsonl');
  writeFileSync(path, lines([{ prompt: 'What is 2+2?', answer: '4' }]));
  expect((await h.run(prepareDataset, { sources: [misses], heldOut: path })).output.counts).toMatchObject({ leaked: 2, kept: 1 });
});

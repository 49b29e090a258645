/** JSON_JQ_TRANSFORM: result/resultList over the whole input; errors FAILED and retriable. */
import type { JqEngine } from '../../../engine/ports/sandbox';
import type { TaskDef } from '../../../engine/core/model';
import { loadSandbox } from '../../../engine/adapters/sandbox';
import { startWorkflow } from '../../helpers/core';

/** A few canned filters (tests only). */
const fakeJq: JqEngine = {
  run(filter, input) {
    const i = input as Record<string, unknown>;
    if (filter === 'keys') return { ok: true, results: [Object.keys(i).sort()] };
    if (filter === '.xs[] | . * 10') return { ok: true, results: (i.xs as number[]).map((x) => x * 10) };
    if (filter === 'empty') return { ok: true, results: [] };
    return { ok: false, error: 'Cannot index string with string "array"' };
  },
  compileError: () => null,
};

const jqNode = (queryExpression: unknown, extra: Record<string, unknown> = {}) => ({ name: 'jq', taskReferenceName: 'jq', type: 'JSON_JQ_TRANSFORM', inputParameters: { queryExpression, ...extra } });
const run = (q: unknown, extra: Record<string, unknown> = {}, defs: TaskDef[] = [], engine: JqEngine | 'none' = fakeJq) => {
  const jq = engine === 'none' ? undefined : engine;
  const h = startWorkflow({ name: 'j', tasks: [jqNode(q, extra)] }, defs, {}, { deps: { jq } });
  h.decide();
  return h;
};

test('the query sees the whole input; one result → {result, resultList:[result]}', () => {
  const h = run('keys', { b: 1, a: 2 });
  expect(h.latest('jq')).toMatchObject({ taskType: 'JSON_JQ_TRANSFORM', status: 'COMPLETED', outputData: { result: ['a', 'b', 'queryExpression'], resultList: [['a', 'b', 'queryExpression']] } });
  expect(h.wf.status).toBe('COMPLETED');
});

test('several results: result is the first; none: result null, resultList []', () => {
  expect(run('.xs[] | . * 10', { xs: [1, 2, 3] }).latest('jq').outputData).toEqual({ result: 10, resultList: [10, 20, 30] });
  expect(run('empty').latest('jq').outputData).toEqual({ result: null, resultList: [] });
});

test("an error is FAILED with jq's message as reason and output.error", () => {
  const h = run('.data.array', { data: 'just a string' });
  const t = h.latest('jq');
  expect(t.status).toBe('FAILED');
  expect(t.reasonForIncompletion).toBe('Cannot index string with string "array"');
  expect(t.outputData.error).toBe('Cannot index string with string "array"');
  expect(h.wf.status).toBe('FAILED');
});

test('failures are retried per the task definition retryCount', () => {
  const h = run('.data.array', { data: 'x' }, [{ name: 'jq', retryCount: 1, retryDelaySeconds: 0 }]);
  expect(h.attempts('jq').map((t) => [t.retryCount, t.status])).toEqual([
    [0, 'FAILED'],
    [1, 'FAILED'],
  ]);
  expect(h.wf.status).toBe('FAILED');
});

test('missing queryExpression and missing engine', () => {
  expect(run(undefined).latest('jq').reasonForIncompletion).toBe("Missing 'queryExpression' in input parameters");
  const t = run('keys', {}, [], 'none').latest('jq');
  expect(t.status).toBe('FAILED');
  expect(t.reasonForIncompletion).toBe('No script engine is configured');
});

test('with the real jq', async () => {
  const { jq } = await loadSandbox();
  const ok = run('{ total: (.items | map(.n) | add) }', { items: [{ n: 1 }, { n: 2 }] }, [], jq);
  expect(ok.latest('jq').outputData).toEqual({ result: { total: 3 }, resultList: [{ total: 3 }] });
  const bad = run('.data.array', { data: 'just a string' }, [], jq).latest('jq');
  expect(bad.status).toBe('FAILED');
  expect(bad.reasonForIncompletion).toBe('Cannot index string with string "array"');
});

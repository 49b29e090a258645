/** JSON_JQ_TRANSFORM: result/resultList over the whole task input; runtime error. */
import { task } from './lib/client';
import { T, useConductor } from './lib/setup';

describe('JSON_JQ_TRANSFORM', () => {
  const c = useConductor();

  const jq = (queryExpression: string, extra: Record<string, unknown>) => ({
    name: 'jq',
    taskReferenceName: 'jq',
    type: 'JSON_JQ_TRANSFORM',
    inputParameters: { queryExpression, ...extra },
  });

  it('a single result: {result, resultList:[result]}', async () => {
    const { api } = c;
    const { id } = await api.run({ tasks: [jq('{ total: (.items | map(.n) | add), names: [.items[].name] }', { items: '${workflow.input.items}' })] }, { items: [{ name: 'a', n: 1 }, { name: 'b', n: 2 }] });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    const t = task(wf, 'jq');
    expect(t.status).toBe('COMPLETED');
    expect(t.outputData).toEqual({ result: { total: 3, names: ['a', 'b'] }, resultList: [{ total: 3, names: ['a', 'b'] }] });
  }, T);

  it('several results: result is the first, resultList has all', async () => {
    const { api } = c;
    const { id } = await api.run({ tasks: [jq('.xs[] | . * 10', { xs: [1, 2, 3] })] });
    const wf = await api.waitForEnd(id);
    expect(task(wf, 'jq').outputData).toEqual({ result: 10, resultList: [10, 20, 30] });
  }, T);

  it('the query sees the whole input, including queryExpression itself', async () => {
    const { api } = c;
    const { id } = await api.run({ tasks: [jq('keys', { b: 1, a: 2 })] });
    const wf = await api.waitForEnd(id);
    expect(task(wf, 'jq').outputData.result).toEqual(['a', 'b', 'queryExpression']);
  }, T);

  it("a jq runtime error fails the task with jq's message and output.error", async () => {
    const { api } = c;
    const { id } = await api.run({ tasks: [jq('.data.array', { data: 'just a string' })] });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('FAILED');
    const t = task(wf, 'jq');
    expect(t.status).toBe('FAILED');
    expect(t.reasonForIncompletion).toBe('Cannot index string with string "array"');
    expect(t.outputData.error).toBe('Cannot index string with string "array"');
  }, T);
});

/** DECISION (deprecated SWITCH): caseValueParam, caseExpression, empty case falls back to default. */
import { shape, simple, task } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

describe('DECISION', () => {
  const c = useConductor();

  it('caseValueParam selects the case; output caseOutput', async () => {
    const { api } = c;
    const [a, b, after] = await workerDefs(api, 3);
    const { id } = await api.run(
      {
        tasks: [
          { name: 'd', taskReferenceName: 'd', type: 'DECISION', caseValueParam: 'p', inputParameters: { p: '${workflow.input.p}' }, decisionCases: { yes: [simple('ya', a)] }, defaultCase: [simple('no', b)] },
          simple('after', after),
        ],
      },
      { p: 'yes' },
    );
    let wf = await api.workflow(id);
    expect(shape(wf)).toEqual([
      ['d', 'DECISION', 'COMPLETED'],
      ['ya', a, 'SCHEDULED'],
    ]);
    const d = task(wf, 'd');
    expect(d.outputData).toEqual({ caseOutput: ['yes'] });
    expect(d.inputData.case).toBe('yes');
    await api.work(a, 'COMPLETED');
    await api.work(after, 'COMPLETED');
    wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(shape(wf).map((s) => s[0])).toEqual(['d', 'ya', 'after']);
  }, T);

  it('caseExpression (javascript) selects the case', async () => {
    const { api } = c;
    const [a, b] = await workerDefs(api, 2);
    const { id } = await api.run(
      { tasks: [{ name: 'd', taskReferenceName: 'd', type: 'DECISION', caseExpression: "$.n > 5 ? 'big' : 'small'", inputParameters: { n: '${workflow.input.n}' }, decisionCases: { big: [simple('big', a)], small: [simple('small', b)] } }] },
      { n: 9 },
    );
    const wf = await api.workflow(id);
    expect(shape(wf)).toEqual([
      ['d', 'DECISION', 'COMPLETED'],
      ['big', a, 'SCHEDULED'],
    ]);
    expect(task(wf, 'd').outputData).toEqual({ caseOutput: ['big'] });
  }, T);

  it('an empty matched case falls back to the default case (unlike SWITCH)', async () => {
    const { api } = c;
    const [b] = await workerDefs(api, 1);
    const { id } = await api.run(
      { tasks: [{ name: 'd', taskReferenceName: 'd', type: 'DECISION', caseValueParam: 'p', inputParameters: { p: 'e' }, decisionCases: { e: [] }, defaultCase: [simple('dflt', b)] }] },
      {},
    );
    const wf = await api.workflow(id);
    expect(shape(wf)).toEqual([
      ['d', 'DECISION', 'COMPLETED'],
      ['dflt', b, 'SCHEDULED'],
    ]);
  }, T);
});

/** EXCLUSIVE_JOIN: after a DECISION, outputs the chosen branch's last task output. */
import { shape, simple, task } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

describe('EXCLUSIVE_JOIN', () => {
  const c = useConductor();

  const def = (a: string, b: string, after: string) => ({
    tasks: [
      { name: 'd', taskReferenceName: 'd', type: 'DECISION', caseValueParam: 'p', inputParameters: { p: '${workflow.input.p}' }, decisionCases: { a: [simple('ta', a)], b: [simple('tb', b)] } },
      { name: 'xj', taskReferenceName: 'xj', type: 'EXCLUSIVE_JOIN', joinOn: ['ta', 'tb'] },
      simple('after', after, { v: '${xj.output.v}' }),
    ],
  });

  it('completes with the output of the branch task that ran', async () => {
    const { api } = c;
    const [a, b, after] = await workerDefs(api, 3);
    const { id } = await api.run(def(a, b, after), { p: 'b' });
    await api.work(b, 'COMPLETED', { v: 'from-b' });
    const t = await api.pollUntil(after);
    expect(t.inputData).toEqual({ v: 'from-b' });
    const wf = await api.workflow(id);
    expect(shape(wf)).toEqual([
      ['d', 'DECISION', 'COMPLETED'],
      ['tb', b, 'COMPLETED'],
      ['xj', 'EXCLUSIVE_JOIN', 'COMPLETED'],
      ['after', after, 'IN_PROGRESS'],
    ]);
    expect(task(wf, 'xj').outputData).toEqual({ v: 'from-b' });
  }, T);

  it('falls back to defaultExclusiveJoinTask when no joinOn task ran', async () => {
    const { api } = c;
    const [a, b, dflt, after] = await workerDefs(api, 4);
    const { id } = await api.run(
      {
        tasks: [
          { name: 'd', taskReferenceName: 'd', type: 'DECISION', caseValueParam: 'p', inputParameters: { p: '${workflow.input.p}' }, decisionCases: { a: [simple('ta', a)], b: [simple('tb', b)] }, defaultCase: [simple('td', dflt)] },
          { name: 'xj', taskReferenceName: 'xj', type: 'EXCLUSIVE_JOIN', joinOn: ['ta', 'tb'], defaultExclusiveJoinTask: ['td'] },
          simple('after', after, { v: '${xj.output.v}' }),
        ],
      },
      { p: 'other' },
    );
    await api.work(dflt, 'COMPLETED', { v: 'from-default' });
    const t = await api.pollUntil(after);
    expect(t.inputData).toEqual({ v: 'from-default' });
    const wf = await api.workflow(id);
    expect(shape(wf).map((x) => x[0])).toEqual(['d', 'td', 'xj', 'after']);
    expect(task(wf, 'xj').status).toBe('COMPLETED');
    expect(task(wf, 'xj').outputData).toEqual({ v: 'from-default' });
  }, T);
});

/** SWITCH: value-param and javascript evaluators, default case, no match, output shape. */
import { shape, simple, task } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

describe('SWITCH', () => {
  const c = useConductor();

  const def = (evaluatorType: string, expression: string, a: string, b: string, after: string, withDefault: boolean) => ({
    tasks: [
      {
        name: 'sw',
        taskReferenceName: 'sw',
        type: 'SWITCH',
        evaluatorType,
        expression,
        inputParameters: { kind: '${workflow.input.kind}', n: '${workflow.input.n}' },
        decisionCases: { a: [simple('case_a', a)], '2': [simple('case_2', a)] },
        defaultCase: withDefault ? [simple('dflt', b)] : [],
      },
      simple('after', after),
    ],
  });

  it('value-param picks the matching case, then continues after the switch', async () => {
    const { api } = c;
    const [a, b, after] = await workerDefs(api, 3);
    const { id } = await api.run(def('value-param', 'kind', a, b, after, true), { kind: 'a' });
    let wf = await api.workflow(id);
    expect(shape(wf)).toEqual([
      ['sw', 'SWITCH', 'COMPLETED'],
      ['case_a', a, 'SCHEDULED'],
    ]);
    const sw = task(wf, 'sw');
    expect(sw.taskDefName).toBe('SWITCH');
    expect(sw.outputData).toEqual({ evaluationResult: ['a'], selectedCase: 'a' });
    expect(sw.inputData.case).toBe('a');
    expect(sw.inputData.hasChildren).toBe('true');
    await api.work(a, 'COMPLETED', { x: 1 });
    await api.waitForTask(id, 'after');
    await api.work(after, 'COMPLETED');
    wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(shape(wf).map((s) => s[0])).toEqual(['sw', 'case_a', 'after']);
  }, T);

  it('javascript evaluator: the expression result is stringified for case lookup', async () => {
    const { api } = c;
    const [a, b, after] = await workerDefs(api, 3);
    const { id } = await api.run(def('javascript', '$.n + 1', a, b, after, true), { n: 1 });
    const wf = await api.workflow(id);
    expect(shape(wf)).toEqual([
      ['sw', 'SWITCH', 'COMPLETED'],
      ['case_2', a, 'SCHEDULED'],
    ]);
    expect(task(wf, 'sw').outputData).toEqual({ evaluationResult: ['2'], selectedCase: '2' });
  }, T);

  it('no matching case goes to the default case', async () => {
    const { api } = c;
    const [a, b, after] = await workerDefs(api, 3);
    const { id } = await api.run(def('value-param', 'kind', a, b, after, true), { kind: 'zzz' });
    const wf = await api.workflow(id);
    expect(shape(wf)).toEqual([
      ['sw', 'SWITCH', 'COMPLETED'],
      ['dflt', b, 'SCHEDULED'],
    ]);
    expect(task(wf, 'sw').outputData).toEqual({ evaluationResult: ['zzz'], selectedCase: 'zzz' });
  }, T);

  it('no matching case and no default: continues with the task after the switch', async () => {
    const { api } = c;
    const [a, b, after] = await workerDefs(api, 3);
    const { id } = await api.run(def('javascript', "$.kind == 'x' ? 'a' : 'none'", a, b, after, false), { kind: 'y' });
    let wf = await api.workflow(id);
    expect(shape(wf)).toEqual([
      ['sw', 'SWITCH', 'COMPLETED'],
      ['after', after, 'SCHEDULED'],
    ]);
    const sw = task(wf, 'sw');
    expect(sw.outputData).toEqual({ evaluationResult: ['none'], selectedCase: 'none' });
    expect(sw.inputData.hasChildren).toBeUndefined();
    await api.work(after, 'COMPLETED', { done: true });
    wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(wf.output).toEqual({ done: true });
  }, T);

  it('a case key present with an empty list runs nothing (not the default)', async () => {
    const { api } = c;
    const [b, after] = await workerDefs(api, 2);
    const { id } = await api.run(
      {
        tasks: [
          { name: 'sw', taskReferenceName: 'sw', type: 'SWITCH', evaluatorType: 'value-param', expression: 'k', inputParameters: { k: 'empty' }, decisionCases: { empty: [] }, defaultCase: [simple('dflt', b)] },
          simple('after', after),
        ],
      },
      {},
    );
    const wf = await api.workflow(id);
    expect(shape(wf)).toEqual([
      ['sw', 'SWITCH', 'COMPLETED'],
      ['after', after, 'SCHEDULED'],
    ]);
  }, T);

  it('a javascript evaluation error fails the workflow', async () => {
    const { api } = c;
    const [a, b, after] = await workerDefs(api, 3);
    const { id } = await api.run(def('javascript', '$.nope.deeper.value', a, b, after, true), {});
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('FAILED');
    expect(task(wf, 'sw').status).toBe('FAILED');
    expect(wf.tasks.map((t) => t.referenceTaskName)).toEqual(['sw']);
  }, T);
});

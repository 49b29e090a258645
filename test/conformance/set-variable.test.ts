/** SET_VARIABLE: variables written to the workflow, readable as ${workflow.variables.x}. */
import { shape, simple, task } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

describe('SET_VARIABLE', () => {
  const c = useConductor();

  it('sets workflow.variables, read by a later task; shallow overwrite on a second SET_VARIABLE', async () => {
    const { api } = c;
    const [w] = await workerDefs(api, 1);
    const { id } = await api.run(
      {
        tasks: [
          { name: 'sv1', taskReferenceName: 'sv1', type: 'SET_VARIABLE', inputParameters: { x: '${workflow.input.x}', obj: { a: 1, b: 2 } } },
          { name: 'sv2', taskReferenceName: 'sv2', type: 'SET_VARIABLE', inputParameters: { obj: { c: 3 }, y: 'why' } },
          simple('read', w, { x: '${workflow.variables.x}', obj: '${workflow.variables.obj}', text: 'x=${workflow.variables.x}' }),
        ],
      },
      { x: 'ex' },
    );
    const t = await api.pollUntil(w);
    expect(t.inputData).toEqual({ x: 'ex', obj: { c: 3 }, text: 'x=ex' });
    let wf = await api.workflow(id);
    expect(shape(wf)).toEqual([
      ['sv1', 'SET_VARIABLE', 'COMPLETED'],
      ['sv2', 'SET_VARIABLE', 'COMPLETED'],
      ['read', w, 'IN_PROGRESS'],
    ]);
    expect(task(wf, 'sv1').outputData).toEqual({});
    expect(wf.variables).toEqual({ x: 'ex', obj: { c: 3 }, y: 'why' });
    await api.update(t, 'COMPLETED');
    wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(wf.variables).toEqual({ x: 'ex', obj: { c: 3 }, y: 'why' });
  }, T);
});

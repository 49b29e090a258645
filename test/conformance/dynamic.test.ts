/** DYNAMIC: the task to run is named by an input (dynamicTaskNameParam). */
import { shape, simple, task } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

describe('DYNAMIC', () => {
  const c = useConductor();

  const dyn = { name: 'dyn', taskReferenceName: 'dyn', type: 'DYNAMIC', dynamicTaskNameParam: 'taskToExecute', inputParameters: { taskToExecute: '${workflow.input.which}', v: '${workflow.input.v}' } };

  it('schedules the task named by the input under the DYNAMIC ref', async () => {
    const { api } = c;
    const [w, other, after] = await workerDefs(api, 3);
    const { id } = await api.run({ tasks: [dyn, simple('after', after, { got: '${dyn.output.r}' })] }, { which: w, v: 3 });
    let wf = await api.workflow(id);
    expect(shape(wf)).toEqual([['dyn', w, 'SCHEDULED']]);
    expect(await api.poll(other)).toBeUndefined();
    const t = await api.pollUntil(w);
    expect(t.referenceTaskName).toBe('dyn');
    expect(t.taskDefName).toBe(w);
    expect(t.inputData.v).toBe(3);
    await api.update(t, 'COMPLETED', { r: 'dynamic!' });
    const a = await api.pollUntil(after);
    expect(a.inputData).toEqual({ got: 'dynamic!' });
    await api.update(a, 'COMPLETED');
    wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
  }, T);

  it('the same definition runs a different task for a different input', async () => {
    const { api } = c;
    const [w1, w2] = await workerDefs(api, 2);
    const name = await api.registerWorkflow({ name: `${w1}_dyn`, tasks: [dyn] });
    const id1 = await api.start({ name, version: 1, input: { which: w1 } });
    const id2 = await api.start({ name, version: 1, input: { which: w2 } });
    expect(shape(await api.workflow(id1))).toEqual([['dyn', w1, 'SCHEDULED']]);
    expect(shape(await api.workflow(id2))).toEqual([['dyn', w2, 'SCHEDULED']]);
    await api.work(w2, 'COMPLETED');
    expect((await api.waitForEnd(id2)).status).toBe('COMPLETED');
    await api.work(w1, 'COMPLETED');
    expect((await api.waitForEnd(id1)).status).toBe('COMPLETED');
    expect(task(await api.workflow(id1), 'dyn').taskType).toBe(w1);
  }, T);

  it('a missing task name fails the workflow', async () => {
    const { api } = c;
    const { id } = await api.run({ tasks: [dyn] }, {});
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('FAILED');
    expect(wf.reasonForIncompletion).toBeTruthy();
  }, T);
});

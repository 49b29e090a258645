/** WAIT (duration, external completion) and HUMAN (external completion). */
import { shape, simple, task } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

describe('WAIT and HUMAN', () => {
  const c = useConductor();

  it('WAIT with duration 1s completes by itself after the deadline', async () => {
    const { api } = c;
    const t0 = Date.now();
    const { id } = await api.run({ tasks: [{ name: 'wait', taskReferenceName: 'wait', type: 'WAIT', inputParameters: { duration: '1s' } }] });
    let wf = await api.workflow(id);
    expect(shape(wf)).toEqual([['wait', 'WAIT', 'IN_PROGRESS']]);
    wf = await api.waitForEnd(id, 5000);
    expect(wf.status).toBe('COMPLETED');
    expect(task(wf, 'wait').status).toBe('COMPLETED');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(task(wf, 'wait').endTime - task(wf, 'wait').startTime).toBeGreaterThanOrEqual(900);
  }, T);

  it('WAIT without duration is completed externally through POST /api/tasks', async () => {
    const { api } = c;
    const [after] = await workerDefs(api, 1);
    const { id } = await api.run({ tasks: [{ name: 'wait', taskReferenceName: 'wait', type: 'WAIT' }, simple('after', after, { v: '${wait.output.approved}' })] });
    const w = await api.waitForTask(id, 'wait', ['IN_PROGRESS']);
    // an IN_PROGRESS update of a system task keeps it waiting
    await api.update(w, 'IN_PROGRESS', { partial: true });
    expect(task(await api.workflow(id), 'wait').status).toBe('IN_PROGRESS');
    await api.update(w, 'COMPLETED', { approved: 'yes' });
    const t = await api.pollUntil(after);
    expect(t.inputData).toEqual({ v: 'yes' });
    const wf = await api.workflow(id);
    expect(task(wf, 'wait').status).toBe('COMPLETED');
    expect(task(wf, 'wait').outputData).toEqual({ approved: 'yes' });
  }, T);

  it('HUMAN stays IN_PROGRESS until completed through the task API', async () => {
    const { api } = c;
    const { id } = await api.run({ tasks: [{ name: 'human', taskReferenceName: 'human', type: 'HUMAN' }], outputParameters: { who: '${human.output.by}' } });
    const h = await api.waitForTask(id, 'human', ['IN_PROGRESS']);
    expect(h.taskType).toBe('HUMAN');
    expect(await api.poll('HUMAN')).toBeUndefined();
    await api.update(h, 'COMPLETED', { by: 'alice' });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(wf.output).toEqual({ who: 'alice' });
  }, T);

  it('HUMAN failed through the task API fails the workflow', async () => {
    const { api } = c;
    const { id } = await api.run({ tasks: [{ name: 'human', taskReferenceName: 'human', type: 'HUMAN' }] });
    const h = await api.waitForTask(id, 'human', ['IN_PROGRESS']);
    await api.update(h, 'FAILED', {}, 'rejected');
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('FAILED');
    expect(wf.reasonForIncompletion).toContain('rejected');
  }, T);
});

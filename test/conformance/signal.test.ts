/** Signals: POST /api/tasks/{workflowId}/{status}/signal[/sync] and the synchronous execute (SignalTaskSpec). */
import { shape, simple, task, uniq } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

describe('signal', () => {
  const c = useConductor();

  it('signal COMPLETED on a workflow blocked at WAIT completes it; the next task is scheduled', async () => {
    const { api } = c;
    const [after] = await workerDefs(api, 1);
    const { id } = await api.run({ tasks: [{ name: 'wait', taskReferenceName: 'wait', type: 'WAIT' }, simple('after', after, { v: '${wait.output.approved}' })] });
    await api.waitForTask(id, 'wait', ['IN_PROGRESS']);
    const r = await api.req('POST', `/tasks/${id}/COMPLETED/signal`, { approved: 'yes' });
    expect(r.status).toBe(200);
    const wf = await api.waitFor(id, (w) => w.tasks.some((t) => t.referenceTaskName === 'after'));
    expect(task(wf, 'wait')).toMatchObject({ status: 'COMPLETED', outputData: { approved: 'yes' } });
    expect(task(wf, 'after').status).toBe('SCHEDULED');
    expect((await api.pollUntil(after)).inputData).toEqual({ v: 'yes' });
  }, T);

  it('nothing blocked: signal is a no-op, the sync signal answers 404; unknown workflow → 404', async () => {
    const { api } = c;
    const [w] = await workerDefs(api, 1);
    const { id } = await api.run({ tasks: [simple('only', w)] });
    expect((await api.req('POST', `/tasks/${id}/COMPLETED/signal`, { x: 1 })).status).toBe(200);
    expect(shape(await api.workflow(id))).toEqual([['only', w, 'SCHEDULED']]);
    const sync = await api.req('POST', `/tasks/${id}/COMPLETED/signal/sync`, { x: 1 });
    expect(sync.status).toBe(404);
    expect(JSON.parse(sync.text).message).toBe(`Found no blocked task in workflow ${id} to signal`);
    expect((await api.req('POST', `/tasks/${uniq('missing')}/COMPLETED/signal`, {})).status).toBe(404);
  }, T);

  it("signal on a parent whose child sub-workflow waits completes the child's WAIT; child then parent complete", async () => {
    const { api } = c;
    const child = await api.registerWorkflow({ name: uniq('sig_child'), tasks: [{ name: 'cw', taskReferenceName: 'cw', type: 'WAIT' }], outputParameters: { answer: '${cw.output.answer}' } });
    const { id } = await api.run({
      tasks: [{ name: 'sub', taskReferenceName: 'sub', type: 'SUB_WORKFLOW', subWorkflowParam: { name: child, version: 1 } }],
      outputParameters: { fromChild: '${sub.output.answer}' },
    });
    const sub = await api.waitForTask(id, 'sub', ['IN_PROGRESS']);
    const childId = sub.subWorkflowId!;
    await api.waitForTask(childId, 'cw', ['IN_PROGRESS']);
    expect((await api.req('POST', `/tasks/${id}/COMPLETED/signal`, { answer: 42 })).status).toBe(200);
    const ch = await api.waitForEnd(childId);
    expect(ch.status).toBe('COMPLETED');
    expect(task(ch, 'cw')).toMatchObject({ status: 'COMPLETED', outputData: { answer: 42 } });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(wf.output).toEqual({ fromChild: 42 });
  }, T);

  it('sync signal answers a SignalResponse naming the target workflow; BLOCKING_TASK names the next WAIT', async () => {
    const { api } = c;
    const waits = ['w1', 'w2', 'w3'].map((r) => ({ name: r, taskReferenceName: r, type: 'WAIT' }));
    const { id } = await api.run({ tasks: waits });
    await api.waitForTask(id, 'w1', ['IN_PROGRESS']);
    const run = await api.json('POST', `/tasks/${id}/COMPLETED/signal/sync?returnStrategy=TARGET_WORKFLOW&timeoutMillis=5000`, { a: 1 });
    expect(run).toMatchObject({ responseType: 'TARGET_WORKFLOW', targetWorkflowId: id, workflowId: id, targetWorkflowStatus: 'RUNNING', status: 'RUNNING' });
    expect(run.signalTimeout).toBeFalsy();
    expect(run.tasks.map((t: { referenceTaskName: string; status: string }) => [t.referenceTaskName, t.status])).toEqual([['w1', 'COMPLETED'], ['w2', 'IN_PROGRESS']]);
    const t = await api.json('POST', `/tasks/${id}/COMPLETED/signal/sync?returnStrategy=BLOCKING_TASK`, {});
    expect(t).toMatchObject({ responseType: 'BLOCKING_TASK', targetWorkflowId: id, workflowId: id, taskType: 'WAIT', referenceTaskName: 'w3', status: 'IN_PROGRESS' });
    expect(t.taskId).toBe(task(await api.workflow(id), 'w3').taskId);
  }, T);

  it('execute returns at a blocking WAIT with the BLOCKING_TASK shape', async () => {
    const { api } = c;
    const name = await api.registerWorkflow({ name: uniq('sig_exec'), tasks: [{ name: 'gate', taskReferenceName: 'gate', type: 'WAIT' }] });
    const t = await api.json('POST', `/workflow/execute/${name}/1?requestId=req-7&returnStrategy=BLOCKING_TASK&waitForSeconds=5`, { input: { q: 1 } });
    expect(t).toMatchObject({ responseType: 'BLOCKING_TASK', requestId: 'req-7', taskType: 'WAIT', referenceTaskName: 'gate', status: 'IN_PROGRESS', targetWorkflowStatus: 'RUNNING' });
    expect(t.workflowId).toBe(t.targetWorkflowId);
    expect(t.signalTimeout).toBeFalsy();
  }, T);
});

/** Signals (POST /api/tasks/{workflowId}/{status}/signal[/sync]) and the synchronous execute's return strategies. */
import request from 'supertest';
import { createTestBaton } from '../helpers/baton';
import type { BatonServer } from '../../engine/server';
import { expectError } from './http-helpers';

let baton: BatonServer;
let http: ReturnType<typeof request>;

beforeAll(async () => {
  baton = createTestBaton();
  await baton.ready();
  http = request(baton.app);
  await http.post('/api/metadata/taskdefs').send(['sg_after', 'sg_mid'].map((name) => ({ name, retryCount: 0, responseTimeoutSeconds: 60 }))).expect(200);
  await register({ name: 'sg_wait', tasks: [wait('w1'), simple('after', { got: '${w1.output.answer}' })] });
  await register({ name: 'sg_two_waits', tasks: [wait('w1'), wait('w2')], outputParameters: { a: '${w1.output.a}', b: '${w2.output.b}' } });
  await register({ name: 'sg_worker', tasks: [simple('after')] });
  await register({ name: 'sg_child', tasks: [wait('cw')], outputParameters: { answer: '${cw.output.answer}' } });
  await register({ name: 'sg_parent', tasks: [sub('sub', 'sg_child')], outputParameters: { fromChild: '${sub.output.answer}' } });
  await register({ name: 'sg_child2', tasks: [wait('cw1'), wait('cw2')] });
  await register({ name: 'sg_parent2', tasks: [sub('sub', 'sg_child2')] });
  await register({ name: 'sg_timed', tasks: [{ name: 'tw', taskReferenceName: 'tw', type: 'WAIT', inputParameters: { duration: '1 hours' } }] });
});
afterAll(() => baton.close());

function wait(ref: string) {
  return { name: ref, taskReferenceName: ref, type: 'WAIT' };
}
function simple(ref: string, inputParameters: Record<string, unknown> = {}) {
  return { name: 'sg_after', taskReferenceName: ref, type: 'SIMPLE', inputParameters };
}
function sub(ref: string, name: string) {
  return { name: ref, taskReferenceName: ref, type: 'SUB_WORKFLOW', subWorkflowParam: { name, version: 1 } };
}
async function register(def: Record<string, unknown>) {
  await http.post('/api/metadata/workflow?overwrite=true').send({ version: 1, timeoutSeconds: 0, ...def }).expect(200);
}
async function start(name: string, input: Record<string, unknown> = {}): Promise<string> {
  return (await http.post('/api/workflow').send({ name, version: 1, input }).expect(200)).text;
}
async function workflow(id: string): Promise<Record<string, any>> {
  return (await http.get(`/api/workflow/${id}`).expect(200)).body;
}
const task = (wf: Record<string, any>, ref: string) => wf.tasks.find((t: { referenceTaskName: string }) => t.referenceTaskName === ref);

/** Start `name` and wait (through the synchronous execute) until its tree blocks; returns the root id. */
async function startBlocked(name: string): Promise<string> {
  const res = await http.post(`/api/workflow/execute/${name}/1?waitForSeconds=5`).send({}).expect(200);
  expect(res.body.signalTimeout).toBe(false);
  return res.body.workflowId;
}

describe('POST /api/tasks/{workflowId}/{status}/signal', () => {
  test('completes the blocking WAIT with the body as output; the next task is scheduled', async () => {
    const id = await start('sg_wait');
    const res = await http.post(`/api/tasks/${id}/COMPLETED/signal`).send({ answer: 42 });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    const wf = await workflow(id);
    expect(task(wf, 'w1')).toMatchObject({ status: 'COMPLETED', outputData: { answer: 42 } });
    expect(task(wf, 'after')).toMatchObject({ status: 'SCHEDULED', inputData: { got: 42 } });
  });

  test('FAILED fails the WAIT and the workflow', async () => {
    const id = await start('sg_wait');
    await http.post(`/api/tasks/${id}/FAILED/signal`).send({}).expect(200);
    const wf = await workflow(id);
    expect(wf.status).toBe('FAILED');
    expect(task(wf, 'w1').status).toBe('FAILED');
  });

  test('a WAIT with a deadline is signalled too', async () => {
    const id = await start('sg_timed');
    await http.post(`/api/tasks/${id}/COMPLETED/signal`).send({ early: true }).expect(200);
    expect(await workflow(id)).toMatchObject({ status: 'COMPLETED', tasks: [{ status: 'COMPLETED', outputData: { early: true } }] });
  });

  test('nothing blocks → 200 no-op; the sync variant → 404', async () => {
    const id = await start('sg_worker');
    await http.post(`/api/tasks/${id}/COMPLETED/signal`).send({ x: 1 }).expect(200);
    expect(task(await workflow(id), 'after').status).toBe('SCHEDULED');
    expectError(await http.post(`/api/tasks/${id}/COMPLETED/signal/sync`).send({ x: 1 }), 404, `Found no blocked task in workflow ${id} to signal`);
  });

  test('unknown workflow → 404; bad status → 400; non-object body → 400', async () => {
    expectError(await http.post('/api/tasks/sg-missing/COMPLETED/signal').send({}), 404, 'No such workflow found by id: sg-missing');
    expectError(await http.post('/api/tasks/sg-missing/COMPLETED/signal/sync').send({}), 404, 'No such workflow found by id: sg-missing');
    const id = await start('sg_wait');
    expectError(await http.post(`/api/tasks/${id}/DONE/signal`).send({}), 400);
    expectError(await http.post(`/api/tasks/${id}/COMPLETED/signal`).send([1, 2]), 400);
    expectError(await http.post(`/api/tasks/${id}/COMPLETED/signal/sync?returnStrategy=NOPE`).send({}), 400);
    expect(task(await workflow(id), 'w1').status).toBe('IN_PROGRESS');
  });

  test("on a parent whose child waits: completes the child's WAIT, then the child and the parent complete", async () => {
    const id = await startBlocked('sg_parent');
    const childId = task(await workflow(id), 'sub').subWorkflowId;
    expect(childId).toBeTruthy();
    await http.post(`/api/tasks/${id}/COMPLETED/signal`).send({ answer: 'yes' }).expect(200);
    const done = await baton.engine.waitFor(id, (wf) => wf.status === 'COMPLETED', 5000);
    expect(done.timedOut).toBe(false);
    const child = await workflow(childId);
    expect(child).toMatchObject({ status: 'COMPLETED', output: { answer: 'yes' } });
    expect(task(child, 'cw')).toMatchObject({ status: 'COMPLETED', outputData: { answer: 'yes' } });
    expect((await workflow(id)).output).toEqual({ fromChild: 'yes' });
  });
});

describe('POST /api/tasks/{workflowId}/{status}/signal/sync', () => {
  test('TARGET_WORKFLOW (default): answers the signalled workflow once it blocks again', async () => {
    const id = await start('sg_two_waits');
    const res = await http.post(`/api/tasks/${id}/COMPLETED/signal/sync`).send({ a: 1 }).expect(200);
    expect(res.body).toMatchObject({
      responseType: 'TARGET_WORKFLOW', targetWorkflowId: id, targetWorkflowStatus: 'RUNNING', workflowId: id, status: 'RUNNING',
      requestId: expect.any(String), signalTimeout: false, input: {}, variables: {}, priority: 0,
    });
    expect(res.body.tasks.map((t: { referenceTaskName: string; status: string }) => [t.referenceTaskName, t.status])).toEqual([['w1', 'COMPLETED'], ['w2', 'IN_PROGRESS']]);
    // the last WAIT: the workflow completes, which ends the wait too
    const last = await http.post(`/api/tasks/${id}/COMPLETED/signal/sync`).send({ b: 2 }).expect(200);
    expect(last.body).toMatchObject({ targetWorkflowStatus: 'COMPLETED', status: 'COMPLETED', output: { a: 1, b: 2 }, signalTimeout: false });
  });

  test('BLOCKING_TASK and BLOCKING_TASK_INPUT answer the next blocking task as a TaskRun', async () => {
    const id = await start('sg_two_waits');
    const res = await http.post(`/api/tasks/${id}/COMPLETED/signal/sync?returnStrategy=BLOCKING_TASK`).send({ a: 1 }).expect(200);
    const w2 = task(await workflow(id), 'w2');
    expect(res.body).toEqual({
      responseType: 'BLOCKING_TASK', targetWorkflowId: id, targetWorkflowStatus: 'RUNNING', requestId: expect.any(String), workflowId: id,
      input: {}, output: {}, signalTimeout: false, taskType: 'WAIT', taskId: w2.taskId, referenceTaskName: 'w2', retryCount: 0, taskDefName: 'w2',
      workflowType: 'sg_two_waits', priority: 0, status: 'IN_PROGRESS', createTime: w2.startTime, updateTime: expect.any(Number),
    });
    // the workflow ends: a task strategy without a blocking task answers an empty body
    const end = await http.post(`/api/tasks/${id}/COMPLETED/signal/sync?returnStrategy=BLOCKING_TASK_INPUT`).send({ b: 2 }).expect(200);
    expect(end.text).toBe('');
    expect((await workflow(id)).status).toBe('COMPLETED');
  });

  test('BLOCKING_WORKFLOW answers the sub-workflow that holds the next blocking task; targetWorkflowId stays the root', async () => {
    const id = await startBlocked('sg_parent2');
    const childId = task(await workflow(id), 'sub').subWorkflowId;
    // the next WAIT is in the child: the wait must wake on the child's change, not the parent's
    const res = await http.post(`/api/tasks/${id}/COMPLETED/signal/sync?returnStrategy=BLOCKING_WORKFLOW&timeoutMillis=3000`).send({}).expect(200);
    expect(res.body).toMatchObject({ responseType: 'BLOCKING_WORKFLOW', targetWorkflowId: id, targetWorkflowStatus: 'RUNNING', workflowId: childId, status: 'RUNNING', signalTimeout: false });
    expect(res.body.tasks.map((t: { referenceTaskName: string; status: string }) => [t.referenceTaskName, t.status])).toEqual([['cw1', 'COMPLETED'], ['cw2', 'IN_PROGRESS']]);
    const t = await http.post(`/api/tasks/${id}/COMPLETED/signal/sync?returnStrategy=BLOCKING_TASK`).send({}).expect(200);
    expect(t.text).toBe('');
    const wf = await workflow(id);
    expect(wf.status).toBe('COMPLETED');
    expect((await workflow(childId)).status).toBe('COMPLETED');
  });

  test('wakes on a change of the child alone: a worker task in the child, then its next WAIT', async () => {
    await register({ name: 'sg_child3', tasks: [wait('cw1'), { ...simple('mid'), name: 'sg_mid' }, wait('cw2')] });
    await register({ name: 'sg_parent3', tasks: [sub('sub', 'sg_child3')] });
    const id = await startBlocked('sg_parent3');
    const pending = http.post(`/api/tasks/${id}/COMPLETED/signal/sync?returnStrategy=BLOCKING_TASK&timeoutMillis=4000`).send({}).then((r) => r);
    const polled = await http.get('/api/tasks/poll/batch/sg_mid?workerid=w1&count=1&timeout=3000').expect(200);
    expect(polled.body).toHaveLength(1);
    const t0 = Date.now();
    await http.post('/api/tasks').send({ workflowInstanceId: polled.body[0].workflowInstanceId, taskId: polled.body[0].taskId, status: 'COMPLETED' }).expect(200);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ responseType: 'BLOCKING_TASK', targetWorkflowId: id, referenceTaskName: 'cw2', status: 'IN_PROGRESS', signalTimeout: false });
    expect(res.body.workflowId).toBe(polled.body[0].workflowInstanceId);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  test('times out with the current state and signalTimeout:true', async () => {
    await register({ name: 'sg_wait_then_worker', tasks: [wait('w1'), simple('after')] });
    const id = await start('sg_wait_then_worker');
    const res = await http.post(`/api/tasks/${id}/COMPLETED/signal/sync?timeoutMillis=200`).send({}).expect(200);
    expect(res.body).toMatchObject({ responseType: 'TARGET_WORKFLOW', workflowId: id, status: 'RUNNING', signalTimeout: true });
    expectError(await http.post(`/api/tasks/${id}/COMPLETED/signal/sync?timeoutMillis=200`).send({}), 404); // nothing blocks any more
  });
});

describe('POST /api/workflow/execute/{name}/{version}', () => {
  test('returns at a blocking WAIT with the BLOCKING_TASK shape', async () => {
    const res = await http.post('/api/workflow/execute/sg_wait/1?requestId=req-1&returnStrategy=BLOCKING_TASK').send({ input: { q: 1 }, correlationId: 'c-1' }).expect(200);
    expect(res.body).toMatchObject({
      responseType: 'BLOCKING_TASK', requestId: 'req-1', targetWorkflowStatus: 'RUNNING', taskType: 'WAIT', referenceTaskName: 'w1', status: 'IN_PROGRESS',
      correlationId: 'c-1', signalTimeout: false, workflowType: 'sg_wait',
    });
    expect(res.body.workflowId).toBe(res.body.targetWorkflowId);
    expect(res.body.tasks).toBeUndefined();
  });

  test('finds the blocking WAIT inside a running sub-workflow (BLOCKING_WORKFLOW / BLOCKING_TASK_INPUT / TARGET_WORKFLOW)', async () => {
    const bw = (await http.post('/api/workflow/execute/sg_parent/1?returnStrategy=BLOCKING_WORKFLOW').send({}).expect(200)).body;
    expect(bw.signalTimeout).toBe(false);
    const childId = task(await workflow(bw.targetWorkflowId), 'sub').subWorkflowId;
    expect(bw).toMatchObject({ responseType: 'BLOCKING_WORKFLOW', workflowId: childId, status: 'RUNNING', tasks: [{ referenceTaskName: 'cw', status: 'IN_PROGRESS' }] });

    const bt = (await http.post('/api/workflow/execute/sg_parent/1?returnStrategy=BLOCKING_TASK_INPUT').send({}).expect(200)).body;
    expect(bt).toMatchObject({ responseType: 'BLOCKING_TASK_INPUT', taskType: 'WAIT', referenceTaskName: 'cw', signalTimeout: false });
    expect(bt.workflowId).not.toBe(bt.targetWorkflowId);

    const tw = (await http.post('/api/workflow/execute/sg_parent/1').send({}).expect(200)).body;
    expect(tw).toMatchObject({ responseType: 'TARGET_WORKFLOW', signalTimeout: false, status: 'RUNNING' });
    expect(tw.workflowId).toBe(tw.targetWorkflowId);
    expect(tw.tasks).toEqual([expect.objectContaining({ referenceTaskName: 'sub', taskType: 'SUB_WORKFLOW', status: 'IN_PROGRESS' })]);
  });

  test('a WAIT with a deadline does not block; timing out with a task strategy answers an empty body', async () => {
    const res = await http.post('/api/workflow/execute/sg_timed/1?waitForSeconds=1&returnStrategy=BLOCKING_TASK').send({}).expect(200);
    expect(res.text).toBe('');
  });

  test('an unknown returnStrategy → 400', async () => {
    expectError(await http.post('/api/workflow/execute/sg_wait/1?returnStrategy=SOMETHING').send({}), 400);
  });
});

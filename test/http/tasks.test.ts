/** /api/tasks over HTTP: the worker protocol, task reads, logs, queues, search. */
import { createApi, expectError, expectViolations, pollOne, registerAndStart, type Api } from './http-helpers';

let api: Api;
beforeAll(() => {
  api = createApi();
});
afterAll(() => api.close());

const MISSING = 'no-such-task-id';
const result = (t: Record<string, any>, extra: Record<string, unknown> = {}) => ({ workflowInstanceId: t.workflowInstanceId, taskId: t.taskId, workerId: 'w1', ...extra });

describe('polling', () => {
  test('batch poll answers a JSON array (empty when nothing is queued), single poll 204 without Content-Type', async () => {
    const empty = await api.http.get('/api/tasks/poll/batch/tk_none?workerid=w1&count=2&timeout=0').expect(200);
    expect(empty.body).toEqual([]);
    const single = await api.http.get('/api/tasks/poll/tk_none?workerid=w1');
    expect(single.status).toBe(204);
    expect(single.headers['content-type']).toBeUndefined();
    expect(single.text).toBe('');
  });

  test('a polled task is IN_PROGRESS and carries what workers read', async () => {
    const id = await registerAndStart(api, 'tk_poll');
    const res = await api.http.get('/api/tasks/poll/tk_poll_task?workerid=w9&domain=').expect(200);
    expect(res.body).toMatchObject({
      taskId: expect.any(String), workflowInstanceId: id, status: 'IN_PROGRESS', taskDefName: 'tk_poll_task', taskType: 'tk_poll_task',
      inputData: { x: 1 }, workerId: 'w9', pollCount: 1, retryCount: 0, responseTimeoutSeconds: 60, workflowTask: { type: 'SIMPLE' },
    });
    const pd = (await api.http.get('/api/tasks/queue/polldata?taskType=tk_poll_task').expect(200)).body;
    expect(pd).toEqual([{ queueName: 'tk_poll_task', workerId: 'w9', lastPollTime: expect.any(Number) }]);
    expect((await api.http.get('/api/tasks/queue/polldata/all').expect(200)).body.length).toBeGreaterThan(0);
  });

  test('bad poll parameters: timeout > 5000, count < 1, non-numeric', async () => {
    expectError(await api.http.get('/api/tasks/poll/batch/tk_none?timeout=5001'), 400, 'Long Poll Timeout value cannot be more than 5 seconds');
    expectError(await api.http.get('/api/tasks/poll/batch/tk_none?count=0'), 400);
    expectError(await api.http.get('/api/tasks/poll/batch/tk_none?count=many'), 400);
  });
});

describe('updating', () => {
  test('POST /api/tasks answers the task id as text/plain and advances the workflow', async () => {
    const id = await registerAndStart(api, 'tk_upd');
    const t = await pollOne(api, 'tk_upd_task');
    const res = await api.http.post('/api/tasks').send(result(t, { status: 'COMPLETED', outputData: { y: 2 } })).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe(t.taskId);
    expect((await api.http.get(`/api/workflow/${id}`)).body).toMatchObject({ status: 'COMPLETED', tasks: [{ status: 'COMPLETED', outputData: { y: 2 } }] });
  });

  test('updates of terminal tasks are ignored with 200', async () => {
    const id = await registerAndStart(api, 'tk_term');
    const t = await pollOne(api, 'tk_term_task');
    await api.http.post('/api/tasks').send(result(t, { status: 'COMPLETED', outputData: { first: true } })).expect(200);
    const again = await api.http.post('/api/tasks').send(result(t, { status: 'FAILED', outputData: { second: true } })).expect(200);
    expect(again.text).toBe(t.taskId);
    await api.http.post('/api/tasks/update-v2').send(result(t, { status: 'FAILED' })).expect(204);
    expect((await api.http.get(`/api/workflow/${id}`)).body).toMatchObject({ status: 'COMPLETED', tasks: [{ status: 'COMPLETED', outputData: { first: true } }] });
  });

  test('updates for a terminated workflow are ignored with 200', async () => {
    const id = await registerAndStart(api, 'tk_wfterm');
    const t = await pollOne(api, 'tk_wfterm_task');
    await api.http.delete(`/api/workflow/${id}`).expect(200);
    await api.http.post('/api/tasks').send(result(t, { status: 'COMPLETED' })).expect(200);
    expect((await api.http.get(`/api/workflow/${id}`)).body.status).toBe('TERMINATED');
  });

  test('update-v2: 204 without Content-Type when nothing is next, else the next task of that type', async () => {
    await registerAndStart(api, 'tk_v2');
    await registerAndStart(api, 'tk_v2');
    const t = await pollOne(api, 'tk_v2_task');
    const progress = await api.http.post('/api/tasks/update-v2').send(result(t, { status: 'IN_PROGRESS', callbackAfterSeconds: 5 }));
    expect(progress.status).toBe(204);
    expect(progress.headers['content-type']).toBeUndefined();
    const next = await api.http.post('/api/tasks/update-v2').send(result(t, { status: 'COMPLETED' })).expect(200);
    expect(next.headers['content-type']).toMatch(/^application\/json/);
    expect(next.body).toMatchObject({ taskType: 'tk_v2_task', status: 'IN_PROGRESS', workerId: 'w1' });
    expect(next.body.taskId).not.toBe(t.taskId);
    const last = await api.http.post('/api/tasks/update-v2').send(result(next.body, { status: 'COMPLETED' }));
    expect(last.status).toBe(204);
    expect(last.headers['content-type']).toBeUndefined();
  });

  test('extendLease keeps the task IN_PROGRESS', async () => {
    await registerAndStart(api, 'tk_lease');
    const t = await pollOne(api, 'tk_lease_task');
    await api.http.post('/api/tasks').send(result(t, { status: 'IN_PROGRESS', extendLease: true })).expect(200);
    expect((await api.http.get(`/api/tasks/${t.taskId}`)).body.status).toBe('IN_PROGRESS');
  });

  test('bad TaskResults answer 400 with validationErrors; unknown ids 404', async () => {
    for (const path of ['/api/tasks', '/api/tasks/update-v2']) {
      expectViolations(await api.http.post(path).send({ status: 'COMPLETED' }), ['updateTask.taskResult.taskId', 'updateTask.taskResult.workflowInstanceId']);
      expectViolations(await api.http.post(path).send({ taskId: 'a', workflowInstanceId: 'b', status: 'DONE' }), ['updateTask.taskResult.status']);
      expectViolations(await api.http.post(path).send({ taskId: 'a', workflowInstanceId: 'b', outputData: [1] }), ['updateTask.taskResult.outputData']);
      expectViolations(await api.http.post(path).send({ taskId: 'a', workflowInstanceId: 'b', callbackAfterSeconds: 'soon' }), ['updateTask.taskResult.callbackAfterSeconds']);
      expectError(await api.http.post(path).send([{ taskId: 'a' }]), 400);
      expectError(await api.http.post(path).send({ taskId: MISSING, workflowInstanceId: 'no-wf' }), 404, 'No such workflow found by id: no-wf');
    }
    const id = await registerAndStart(api, 'tk_404');
    expectError(await api.http.post('/api/tasks').send({ taskId: MISSING, workflowInstanceId: id, status: 'COMPLETED' }), 404, `No such task found by id: ${MISSING}`);
  });
});

describe('updates by reference name', () => {
  test('POST /{wf}/{ref}/{status} answers the task id as text; nothing pending → 200 empty', async () => {
    const id = await registerAndStart(api, 'tk_ref');
    const res = await api.http.post(`/api/tasks/${id}/tk_ref_task_ref/COMPLETED?workerid=ui`).send({ by: 'ref' }).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const wf = (await api.http.get(`/api/workflow/${id}`)).body;
    expect(res.text).toBe(wf.tasks[0].taskId);
    expect(wf).toMatchObject({ status: 'COMPLETED', tasks: [{ outputData: { by: 'ref' } }] });
    const none = await api.http.post(`/api/tasks/${id}/tk_ref_task_ref/COMPLETED`).send({}).expect(200);
    expect(none.text).toBe('');
  });

  test('…/sync answers the Workflow; nothing pending → 404', async () => {
    const id = await registerAndStart(api, 'tk_sync');
    const res = await api.http.post(`/api/tasks/${id}/tk_sync_task_ref/COMPLETED/sync?workerid=w`).send({ s: 1 }).expect(200);
    expect(res.body).toMatchObject({ workflowId: id, status: 'COMPLETED', tasks: [{ status: 'COMPLETED' }] });
    expectError(await api.http.post(`/api/tasks/${id}/tk_sync_task_ref/COMPLETED/sync`).send({}), 404, `Found no running task tk_sync_task_ref of workflow ${id} to update`);
  });

  test('bad status, bad body, unknown workflow', async () => {
    const id = await registerAndStart(api, 'tk_refbad');
    expectError(await api.http.post(`/api/tasks/${id}/tk_refbad_task_ref/DONE`).send({}), 400);
    expectError(await api.http.post(`/api/tasks/${id}/tk_refbad_task_ref/SKIPPED`).send({}), 400);
    expectError(await api.http.post(`/api/tasks/${id}/tk_refbad_task_ref/COMPLETED`).send([1]), 400);
    expectError(await api.http.post('/api/tasks/no-wf/x/COMPLETED').send({}), 404, 'No such workflow found by id: no-wf');
    expectError(await api.http.post('/api/tasks/no-wf/x/COMPLETED/sync').send({}), 404, 'No such workflow found by id: no-wf');
    expectError(await api.http.post('/api/tasks/no-wf/COMPLETED/signal').send({}), 404, 'No such workflow found by id: no-wf');
  });
});

describe('reading tasks and logs', () => {
  test('GET /{taskId}; unknown → 404 with Conductor message', async () => {
    await registerAndStart(api, 'tk_get');
    const t = await pollOne(api, 'tk_get_task');
    expect((await api.http.get(`/api/tasks/${t.taskId}`).expect(200)).body).toMatchObject({ taskId: t.taskId, status: 'IN_PROGRESS' });
    expectError(await api.http.get(`/api/tasks/${MISSING}`), 404, `Task not found for taskId: ${MISSING}`);
  });

  test('logs: 204 without Content-Type when none; text and JSON-string bodies stored verbatim; unknown task → 404', async () => {
    await registerAndStart(api, 'tk_log');
    const t = await pollOne(api, 'tk_log_task');
    const none = await api.http.get(`/api/tasks/${t.taskId}/log`);
    expect(none.status).toBe(204);
    expect(none.headers['content-type']).toBeUndefined();
    await api.http.post(`/api/tasks/${t.taskId}/log`).set('Content-Type', 'text/plain').send('plain line').expect(200);
    await api.http.post(`/api/tasks/${t.taskId}/log`).set('Content-Type', 'application/json').send('"sdk line"').expect(200);
    await api.http.post('/api/tasks').send(result(t, { status: 'IN_PROGRESS', logs: [{ log: 'from result', createdTime: 1 }] })).expect(200);
    const logs = (await api.http.get(`/api/tasks/${t.taskId}/log`).expect(200)).body;
    expect(logs.map((l: { log: string }) => l.log)).toEqual(['plain line', 'sdk line', 'from result']);
    expect(logs[0]).toEqual({ log: 'plain line', taskId: t.taskId, createdTime: expect.any(Number) });
    expectError(await api.http.post(`/api/tasks/${MISSING}/log`).send('"x"').set('Content-Type', 'application/json'), 404);
  });
});

describe('queues and search', () => {
  test('queue sizes', async () => {
    await registerAndStart(api, 'tk_q');
    expect((await api.http.get('/api/tasks/queue/sizes?taskType=tk_q_task&taskType=tk_none').expect(200)).body).toEqual({ tk_q_task: 1, tk_none: 0 });
    expect((await api.http.get('/api/tasks/queue/size?taskType=tk_q_task').expect(200)).body).toBe(1);
    expect((await api.http.get('/api/tasks/queue/all').expect(200)).body.tk_q_task).toBe(1);
    await api.http.get('/api/tasks/queue/all/verbose').expect(200);
    expectError(await api.http.get('/api/tasks/queue/size'), 400);
    expectError(await api.http.get('/api/tasks/queue/polldata'), 400);
    const rq = await api.http.post('/api/tasks/queue/requeue/tk_q_task').expect(200);
    expect(rq.headers['content-type']).toMatch(/^text\/plain/);
    expect(rq.text).toBe('1');
  });

  test('search answers TaskSummary rows, search-v2 Task objects; size > 5000 → 400', async () => {
    const s = (await api.http.get('/api/tasks/search?query=taskType%3Dtk_q_task').expect(200)).body;
    expect(s.totalHits).toBe(1);
    expect(s.results[0]).toMatchObject({ taskType: 'tk_q_task', status: 'SCHEDULED', scheduledTime: expect.stringMatching(/Z$/) });
    const v2 = (await api.http.get('/api/tasks/search-v2?query=taskType%3Dtk_q_task').expect(200)).body;
    expect(v2.results[0]).toMatchObject({ taskType: 'tk_q_task', inputData: { x: 1 } });
    expectError(await api.http.get('/api/tasks/search?size=5001'), 400);
    expectError(await api.http.get('/api/tasks/search-v2?start=x'), 400);
  });
});

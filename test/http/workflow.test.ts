/** /api/workflow over HTTP: start, read, search and operate executions. */
import { createApi, expectError, expectViolations, pollOne, registerAndStart, simpleDef, type Api } from './http-helpers';

let api: Api;
beforeAll(async () => {
  api = createApi();
  await registerAndStart(api, 'wf_base');
});
afterAll(() => api.close());

const MISSING = 'no-such-workflow-id';
const complete = async (taskType: string) => {
  const t = await pollOne(api, taskType);
  await api.http.post('/api/tasks').send({ workflowInstanceId: t.workflowInstanceId, taskId: t.taskId, status: 'COMPLETED', outputData: { ok: true } }).expect(200);
  return t;
};

describe('starting', () => {
  test('POST /api/workflow answers the bare id as text/plain; the first task is already scheduled', async () => {
    const res = await api.http.post('/api/workflow').send({ name: 'wf_base', input: { x: 7 }, correlationId: 'c-7' }).set('Accept', 'application/json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/^[0-9a-f-]{36}$/);
    const wf = (await api.http.get(`/api/workflow/${res.text}`).expect(200)).body;
    expect(wf).toMatchObject({ workflowId: res.text, status: 'RUNNING', input: { x: 7 }, correlationId: 'c-7', workflowName: 'wf_base', workflowVersion: 1 });
    expect(wf.tasks.map((t: { status: string }) => t.status)).toEqual(['SCHEDULED']);
    expect(wf.workflowDefinition.name).toBe('wf_base');
  });

  test('POST /api/workflow/{name} takes the input as the body and query parameters', async () => {
    const res = await api.http.post('/api/workflow/wf_base?version=1&correlationId=by-name&priority=5').send({ x: 3 });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const wf = (await api.http.get(`/api/workflow/${res.text}`)).body;
    expect(wf).toMatchObject({ input: { x: 3 }, correlationId: 'by-name', priority: 5 });
  });

  test('unknown definitions answer 404 with Conductor messages', async () => {
    expectError(await api.http.post('/api/workflow').send({ name: 'wf_nope' }), 404, 'No such workflow defined. name=wf_nope, version=null');
    expectError(await api.http.post('/api/workflow').send({ name: 'wf_base', version: 9 }), 404, 'No such workflow defined. name=wf_base, version=9');
    expectError(await api.http.post('/api/workflow/wf_nope').send({}), 404, 'No such workflow found by name: wf_nope, version: null');
  });

  test('bad StartWorkflowRequests answer 400 and start nothing', async () => {
    const before = (await api.http.get('/api/workflow/search?query=workflowType%3Dwf_base')).body.totalHits;
    expectViolations(await api.http.post('/api/workflow').send({ input: {} }), ['startWorkflow.startWorkflowRequest.name']);
    expectViolations(await api.http.post('/api/workflow').send({ name: 'wf_base', priority: 100 }), ['startWorkflow.startWorkflowRequest.priority']);
    expectViolations(await api.http.post('/api/workflow').send({ name: 'wf_base', input: [1] }), ['startWorkflow.startWorkflowRequest.input']);
    expectViolations(await api.http.post('/api/workflow').send({ name: 'wf_base', version: '1' }), ['startWorkflow.startWorkflowRequest.version']);
    expectError(await api.http.post('/api/workflow').send([{ name: 'wf_base' }]), 400);
    expectError(await api.http.post('/api/workflow/wf_base').send([1, 2]), 400);
    expectError(await api.http.post('/api/workflow/wf_base?priority=high').send({}), 400);
    expect((await api.http.get('/api/workflow/search?query=workflowType%3Dwf_base')).body.totalHits).toBe(before);
  });

  test('an inline workflowDef runs without registration', async () => {
    const res = await api.http.post('/api/workflow').send({ name: 'wf_inline', workflowDef: simpleDef('wf_inline') }).expect(200);
    expect((await api.http.get(`/api/workflow/${res.text}`)).body.workflowDefinition.name).toBe('wf_inline');
    await api.http.get('/api/metadata/workflow/wf_inline').expect(404);
  });

  test('POST /execute/{name}/{version} answers a JSON SignalResponse (timing out while a worker task is pending)', async () => {
    const res = await api.http.post('/api/workflow/execute/wf_base/1?requestId=r-1&waitUntilTaskRef=&waitForSeconds=1').send({ input: { x: 1 } }).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ responseType: 'TARGET_WORKFLOW', requestId: 'r-1', status: 'RUNNING', targetWorkflowStatus: 'RUNNING', signalTimeout: true });
    expect(res.body.workflowId).toBe(res.body.targetWorkflowId);
    expectError(await api.http.post('/api/workflow/execute/wf_nope/1').send({}), 404);
  });
});

describe('reading', () => {
  let id: string;
  beforeAll(async () => {
    id = (await api.http.post('/api/workflow').send({ name: 'wf_base', correlationId: 'read-1' })).text;
  });

  test('GET /{id} with and without tasks; unknown id → 404', async () => {
    expect((await api.http.get(`/api/workflow/${id}?includeTasks=false`).expect(200)).body.tasks).toEqual([]);
    expectError(await api.http.get(`/api/workflow/${MISSING}`), 404, `No such workflow found by id: ${MISSING}`);
    expectError(await api.http.get(`/api/workflow/${id}?includeTasks=yes`), 400);
  });

  test('GET /{id}/status and /{id}/tasks', async () => {
    expect((await api.http.get(`/api/workflow/${id}/status?includeOutput=true`).expect(200)).body).toEqual({ workflowId: id, correlationId: 'read-1', output: {}, status: 'RUNNING' });
    const page = (await api.http.get(`/api/workflow/${id}/tasks?status=scheduled`).expect(200)).body;
    expect(page.totalHits).toBe(1);
    expect(page.results[0].referenceTaskName).toBe('wf_base_task_ref');
    expect((await api.http.get(`/api/workflow/${id}/tasks?status=COMPLETED`)).body).toEqual({ totalHits: 0, results: [] });
    expectError(await api.http.get(`/api/workflow/${id}/tasks?status=DONE`), 400);
    expectError(await api.http.get(`/api/workflow/${MISSING}/status`), 404);
    expectError(await api.http.get(`/api/workflow/${MISSING}/tasks`), 404);
  });

  test('correlated and running lookups', async () => {
    const byCorr = (await api.http.get('/api/workflow/wf_base/correlated/read-1').expect(200)).body;
    expect(byCorr.map((w: { workflowId: string }) => w.workflowId)).toEqual([id]);
    const multi = (await api.http.post('/api/workflow/wf_base/correlated').send(['read-1', 'none']).expect(200)).body;
    expect(Object.keys(multi).sort()).toEqual(['none', 'read-1']);
    expect(multi.none).toEqual([]);
    expectError(await api.http.post('/api/workflow/wf_base/correlated').send({ c: 1 }), 400);
    expect((await api.http.get('/api/workflow/running/wf_base').expect(200)).body).toContain(id);
    expect((await api.http.get('/api/workflow/running/wf_base?version=2')).body).toEqual([]);
  });

  test('search: summaries with ISO times, search-v2 with full workflows; size > 5000 → 400', async () => {
    const s = (await api.http.get('/api/workflow/search?query=correlationId%3Dread-1').expect(200)).body;
    expect(s.totalHits).toBe(1);
    expect(s.results[0]).toMatchObject({ workflowId: id, workflowType: 'wf_base', status: 'RUNNING', startTime: expect.stringMatching(/Z$/), input: expect.any(String) });
    const v2 = (await api.http.get('/api/workflow/search-v2?query=correlationId%3Dread-1').expect(200)).body;
    expect(v2.results[0]).toMatchObject({ workflowId: id, input: {} });
    await api.http.get('/api/workflow/search-by-tasks?query=taskType%3Dwf_base_task').expect(200);
    await api.http.get('/api/workflow/search-by-tasks-v2').expect(200);
    expectError(await api.http.get('/api/workflow/search?size=5001'), 400);
    expectError(await api.http.get('/api/workflow/search?start=-1'), 400);
    expectError(await api.http.get('/api/workflow/search?size=ten'), 400);
  });
});

describe('operations', () => {
  test('pause / resume: 200 empty; resume of a running workflow → 500; ended → 409', async () => {
    const id = (await api.http.post('/api/workflow').send({ name: 'wf_base' })).text;
    const p = await api.http.put(`/api/workflow/${id}/pause`).expect(200);
    expect(p.text).toBe('');
    expect((await api.http.get(`/api/workflow/${id}/status`)).body.status).toBe('PAUSED');
    await api.http.put(`/api/workflow/${id}/pause`).expect(200);
    await api.http.put(`/api/workflow/${id}/resume`).expect(200);
    expectError(await api.http.put(`/api/workflow/${id}/resume`), 500, `The workflow ${id} is not PAUSED so cannot resume. Current status is RUNNING`);
    await api.http.delete(`/api/workflow/${id}?reason=stop`).expect(200);
    expectError(await api.http.put(`/api/workflow/${id}/pause`), 409, /has ended, status cannot be updated\.$/);
  });

  test('terminate: 200 empty, reason recorded; COMPLETED → 409', async () => {
    const id = (await api.http.post('/api/workflow').send({ name: 'wf_base' })).text;
    const res = await api.http.delete(`/api/workflow/${id}?reason=because`).expect(200);
    expect(res.text).toBe('');
    expect((await api.http.get(`/api/workflow/${id}`)).body).toMatchObject({ status: 'TERMINATED', reasonForIncompletion: 'because' });
    await api.http.delete(`/api/workflow/${id}`).expect(200);
    const done = await registerAndStart(api, 'wf_done');
    await complete('wf_done_task');
    expect((await api.http.get(`/api/workflow/${done}`)).body.status).toBe('COMPLETED');
    expectError(await api.http.delete(`/api/workflow/${done}`), 409, 'Cannot terminate a COMPLETED workflow.');
  });

  test('restart and retry answer 204 without a Content-Type', async () => {
    const id = (await api.http.post('/api/workflow').send({ name: 'wf_base' })).text;
    expectError(await api.http.post(`/api/workflow/${id}/retry`), 404, 'Workflow is still running.  status=RUNNING');
    expectError(await api.http.post(`/api/workflow/${id}/restart`), 409);
    await api.http.delete(`/api/workflow/${id}`).expect(200);
    const retry = await api.http.post(`/api/workflow/${id}/retry`);
    expect(retry.status).toBe(204);
    expect(retry.headers['content-type']).toBeUndefined();
    expect((await api.http.get(`/api/workflow/${id}/status`)).body.status).toBe('RUNNING');
    await api.http.delete(`/api/workflow/${id}`).expect(200);
    const restart = await api.http.post(`/api/workflow/${id}/restart?useLatestDefinitions=true`);
    expect(restart.status).toBe(204);
    expect(restart.headers['content-type']).toBeUndefined();
    expect((await api.http.get(`/api/workflow/${id}`)).body.tasks).toHaveLength(1);
  });

  test('rerun answers the same id as text; non-terminal → 409; unknown task → 400', async () => {
    const id = (await api.http.post('/api/workflow').send({ name: 'wf_base', input: { x: 1 } })).text;
    expectError(await api.http.post(`/api/workflow/${id}/rerun`).send({}), 409);
    await api.http.delete(`/api/workflow/${id}`).expect(200);
    expectError(await api.http.post(`/api/workflow/${id}/rerun`).send({ reRunFromTaskId: 'nope' }), 400, 'Task nope not found');
    expectError(await api.http.post(`/api/workflow/${id}/rerun`).send({ workflowInput: 'x' }), 400);
    const res = await api.http.post(`/api/workflow/${id}/rerun`).send({ workflowInput: { x: 2 } }).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe(id);
    expect((await api.http.get(`/api/workflow/${id}`)).body).toMatchObject({ status: 'RUNNING', input: { x: 2 } });
  });

  test('skiptask: unknown ref or an already scheduled task → 500', async () => {
    await api.http.post('/api/metadata/workflow?overwrite=true').send(simpleDef('wf_two', 1, ['wf_two_a', 'wf_two_b'])).expect(200);
    const id = (await api.http.post('/api/workflow').send({ name: 'wf_two' })).text;
    expectError(await api.http.put(`/api/workflow/${id}/skiptask/wf_two_a_ref`), 500, /already been processed/);
    expectError(await api.http.put(`/api/workflow/${id}/skiptask/nope`), 500, /does not exist/);
    const res = await api.http.put(`/api/workflow/${id}/skiptask/wf_two_b_ref`).expect(200);
    expect(res.text).toBe('');
  });

  test('resetcallbacks → 204; decide → 200; remove → 200 then 404', async () => {
    const id = (await api.http.post('/api/workflow').send({ name: 'wf_base' })).text;
    const rc = await api.http.post(`/api/workflow/${id}/resetcallbacks`);
    expect(rc.status).toBe(204);
    expect(rc.headers['content-type']).toBeUndefined();
    await api.http.put(`/api/workflow/decide/${id}`).expect(200);
    await api.http.delete(`/api/workflow/${id}/terminate-remove`).expect(200);
    expectError(await api.http.get(`/api/workflow/${id}`), 404);
    const id2 = (await api.http.post('/api/workflow').send({ name: 'wf_base' })).text;
    await api.http.delete(`/api/workflow/${id2}/remove`).expect(200);
    expectError(await api.http.delete(`/api/workflow/${id2}/remove`), 404, `No such workflow found by id: ${id2}`);
  });

  test('every operation on an unknown id answers 404', async () => {
    const calls = [
      api.http.put(`/api/workflow/${MISSING}/pause`), api.http.put(`/api/workflow/${MISSING}/resume`),
      api.http.delete(`/api/workflow/${MISSING}`), api.http.post(`/api/workflow/${MISSING}/restart`),
      api.http.post(`/api/workflow/${MISSING}/retry`), api.http.post(`/api/workflow/${MISSING}/rerun`).send({}),
      api.http.put(`/api/workflow/${MISSING}/skiptask/x`), api.http.post(`/api/workflow/${MISSING}/resetcallbacks`),
      api.http.put(`/api/workflow/decide/${MISSING}`), api.http.delete(`/api/workflow/${MISSING}/terminate-remove`),
    ];
    for (const res of await Promise.all(calls)) expectError(res, 404, `No such workflow found by id: ${MISSING}`);
  });
});

describe('POST /api/workflow/test', () => {
  test('runs the workflow on mocked outputs, in a private domain, and answers the Workflow', async () => {
    await api.http.post('/api/metadata/workflow?overwrite=true').send({ ...simpleDef('wf_mock', 1, ['wf_mock_a', 'wf_mock_b']), outputParameters: { b: '${wf_mock_b_ref.output.v}' } }).expect(200);
    const res = await api.http.post('/api/workflow/test').send({
      name: 'wf_mock',
      taskRefToMockOutput: { wf_mock_a_ref: [{ status: 'FAILED', output: {} }, { status: 'COMPLETED', output: { v: 'a' } }], wf_mock_b_ref: [{ output: { v: 'b' } }] },
    }).expect(200);
    expect(res.body).toMatchObject({ status: 'COMPLETED', output: { b: 'b' } });
    expect(res.body.taskToDomain['*']).toMatch(/^test_/);
    expect((await api.http.get('/api/tasks/poll/batch/wf_mock_a?timeout=0')).body).toEqual([]);
  });

  test('stops when a pending task has no mock left', async () => {
    const res = await api.http.post('/api/workflow/test').send({ name: 'wf_mock', taskRefToMockOutput: { wf_mock_a_ref: [{ output: {} }] } }).expect(200);
    expect(res.body.status).toBe('RUNNING');
    expect(res.body.tasks.map((t: { status: string }) => t.status)).toEqual(['COMPLETED', 'SCHEDULED']);
  });

  test('bad requests: unknown workflow 404, bad mocks 400', async () => {
    expectError(await api.http.post('/api/workflow/test').send({ name: 'wf_nope' }), 404);
    expectViolations(await api.http.post('/api/workflow/test').send({}), ['testWorkflow.testRequest.name']);
    expectViolations(await api.http.post('/api/workflow/test').send({ name: 'wf_mock', taskRefToMockOutput: { x: {} } }), ['testWorkflow.testRequest.taskRefToMockOutput[x]']);
    expectViolations(await api.http.post('/api/workflow/test').send({ name: 'wf_mock', taskRefToMockOutput: { x: [{ status: 'DONE' }] } }), ['testWorkflow.testRequest.taskRefToMockOutput[x][0].status']);
  });
});

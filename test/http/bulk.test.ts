/** /api/workflow/bulk: each id processed on its own, failures reported per id. */
import { createApi, expectViolations, pollOne, registerAndStart, type Api } from './http-helpers';

let api: Api;
beforeAll(() => {
  api = createApi();
});
afterAll(() => api.close());

const status = async (id: string) => (await api.http.get(`/api/workflow/${id}?includeTasks=false`).expect(200)).body.status;
const start = () => registerAndStart(api, 'wf_bulk', ['bulk_task']);

test('pause and resume a list; an unknown id lands in bulkErrorResults and the rest still happen', async () => {
  const a = await start();
  const b = await start();
  const paused = await api.http.put('/api/workflow/bulk/pause').send([a, 'nope', b]).expect(200);
  expect(paused.body).toEqual({ bulkErrorResults: { nope: 'No such workflow found by id: nope' }, bulkSuccessfulResults: [a, b] });
  expect(await status(a)).toBe('PAUSED');
  expect(await status(b)).toBe('PAUSED');
  const resumed = await api.http.put('/api/workflow/bulk/resume').send([a, b]).expect(200);
  expect(resumed.body.bulkSuccessfulResults).toEqual([a, b]);
  expect(await status(a)).toBe('RUNNING');
});

test('terminate with a reason, then retry and restart the terminated runs', async () => {
  const a = await start();
  const b = await start();
  const term = await api.http.post('/api/workflow/bulk/terminate?reason=bulk%20stop').send([a, b]).expect(200);
  expect(term.body.bulkSuccessfulResults).toEqual([a, b]);
  const wf = (await api.http.get(`/api/workflow/${a}`).expect(200)).body;
  expect(wf).toMatchObject({ status: 'TERMINATED', reasonForIncompletion: 'bulk stop' });

  const retried = await api.http.post('/api/workflow/bulk/retry').send([a]).expect(200);
  expect(retried.body.bulkSuccessfulResults).toEqual([a]);
  expect(await status(a)).toBe('RUNNING');

  const restarted = await api.http.post('/api/workflow/bulk/restart?useLatestDefinitions=true').send([a, b]).expect(200);
  // a is running again: Conductor refuses to restart a non-terminal workflow
  expect(Object.keys(restarted.body.bulkErrorResults)).toEqual([a]);
  expect(restarted.body.bulkErrorResults[a]).toMatch(/not in a terminal state/);
  expect(restarted.body.bulkSuccessfulResults).toEqual([b]);
  expect(await status(b)).toBe('RUNNING');
});

test('terminating an ended run is a per-id error, not a request failure', async () => {
  await start();
  const t = await pollOne(api, 'bulk_task'); // the oldest queued task, whichever run it is from
  const a = t.workflowInstanceId as string;
  await api.http.post('/api/tasks').send({ workflowInstanceId: a, taskId: t.taskId, status: 'COMPLETED' }).expect(200);
  expect(await status(a)).toBe('COMPLETED');
  const res = await api.http.post('/api/workflow/bulk/terminate').send([a]).expect(200);
  expect(res.body.bulkSuccessfulResults).toEqual([]);
  expect(res.body.bulkErrorResults[a]).toMatch(/COMPLETED/);
});

test('remove and terminate-remove delete the executions', async () => {
  const a = await start();
  const b = await start();
  await api.http.post('/api/workflow/bulk/terminate').send([a]).expect(200);
  const removed = await api.http.delete('/api/workflow/bulk/remove').send([a]).expect(200);
  expect(removed.body.bulkSuccessfulResults).toEqual([a]);
  await api.http.get(`/api/workflow/${a}`).expect(404);

  const tr = await api.http.delete('/api/workflow/bulk/terminate-remove?reason=gone').send([b]).expect(200);
  expect(tr.body).toEqual({ bulkErrorResults: {}, bulkSuccessfulResults: [b] });
  await api.http.get(`/api/workflow/${b}`).expect(404);
  expect((await api.http.get(`/api/tasks/queue/sizes?taskType=bulk_task`).expect(200)).body).toBeDefined();
});

test('search returns the executions with or without tasks', async () => {
  const a = await start();
  const res = await api.http.post('/api/workflow/bulk/search?includeTasks=false').send([a, 'nope']).expect(200);
  expect(res.body.bulkSuccessfulResults).toHaveLength(1);
  expect(res.body.bulkSuccessfulResults[0]).toMatchObject({ workflowId: a, status: 'RUNNING' });
  expect(res.body.bulkSuccessfulResults[0].tasks ?? []).toEqual([]);
  expect(Object.keys(res.body.bulkErrorResults)).toEqual(['nope']);
  const withTasks = await api.http.post('/api/workflow/bulk/search').send([a]).expect(200);
  expect(withTasks.body.bulkSuccessfulResults[0].tasks).toHaveLength(1);
});

test('an empty list, a non-list or more than 1000 ids → 400 with validationErrors; nothing changes', async () => {
  const a = await start();
  expectViolations(await api.http.put('/api/workflow/bulk/pause').send([]), ['pauseWorkflow.workflowIds']);
  expectViolations(await api.http.post('/api/workflow/bulk/terminate').send({ ids: [a] }), ['terminate.workflowIds']);
  const many = Array.from({ length: 1001 }, () => a);
  const res = await api.http.put('/api/workflow/bulk/pause').send(many);
  expectViolations(res, ['pauseWorkflow.workflowIds']);
  expect(res.body.validationErrors[0].message).toBe('Cannot process more than 1000 workflows. Please use multiple requests.');
  expect(await status(a)).toBe('RUNNING');
});

test('a wrong method answers 405', async () => {
  expect((await api.http.get('/api/workflow/bulk/pause')).status).toBe(405);
});

/** Health, version, metrics and admin endpoints over HTTP. */
import { createApi, expectError, pollOne, registerAndStart, type Api } from './http-helpers';

let api: Api;
beforeAll(() => {
  api = createApi();
});
afterAll(() => api.close());

test('GET /health and /api/health answer Conductor\'s health body', async () => {
  for (const path of ['/health', '/api/health']) {
    const res = await api.http.get(path).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ healthy: true, healthResults: [], suppressedHealthResults: [] });
  }
});

test('GET /api/version answers plain text', async () => {
  const res = await api.http.get('/api/version').set('Accept', 'application/json').expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  expect(res.text).toMatch(/^\d+\.\d+\.\d+/);
});

test('GET /metrics answers Prometheus text', async () => {
  await api.http.get('/api/health');
  const res = await api.http.get('/metrics').expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  expect(res.text).toContain('# TYPE');
});

test('GET /api/admin/config answers a JSON map', async () => {
  const res = await api.http.get('/api/admin/config').expect(200);
  expect(typeof res.body).toBe('object');
});

test('GET /api/admin/task/{type} lists pending tasks; bad paging → 400', async () => {
  const id = await registerAndStart(api, 'hm_admin');
  const res = await api.http.get('/api/admin/task/hm_admin_task?start=0&count=10').expect(200);
  expect(res.body).toEqual([expect.objectContaining({ workflowInstanceId: id, status: 'SCHEDULED' })]);
  await pollOne(api, 'hm_admin_task');
  expect((await api.http.get('/api/admin/task/hm_admin_task')).body).toEqual([]);
  expectError(await api.http.get('/api/admin/task/hm_admin_task?count=lots'), 400);
});

test('POST /api/admin/sweep/requeue/{id} answers "<found>.<id>" as text', async () => {
  const id = await registerAndStart(api, 'hm_sweep');
  const res = await api.http.post(`/api/admin/sweep/requeue/${id}`).expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  expect(res.text).toBe(`true.${id}`);
  expect((await api.http.post('/api/admin/sweep/requeue/nope')).text).toBe('false.nope');
});

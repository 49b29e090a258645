/** The error surface: ErrorResponse shape, malformed and oversized bodies, unknown routes, wrong methods. */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ERROR_CODES } from '../../engine/core/errors';
import { createApi, expectError, simpleDef, type Api } from './http-helpers';

let api: Api;
beforeAll(() => {
  api = createApi({ BATON_BODY_LIMIT: '2kb' });
});
afterAll(() => api.close());

const JSON_POSTS = ['/api/workflow', '/api/workflow/x', '/api/workflow/execute/x/1', '/api/metadata/workflow', '/api/metadata/taskdefs', '/api/metadata/workflow/validate', '/api/tasks', '/api/tasks/update-v2', '/api/tasks/w/r/COMPLETED'];

test('the ErrorResponse carries status, message, instance and retryable', async () => {
  const res = await api.http.get('/api/workflow/nope');
  expect(res.body).toEqual({ status: 404, message: 'No such workflow found by id: nope', instance: hostname(), retryable: false });
});

test('validation failures carry validationErrors {path, message, invalidValue?} and no instance', async () => {
  const res = await api.http.post('/api/workflow').send({ name: 'x', priority: 500 });
  expect(res.status).toBe(400);
  expect(res.body).toEqual({
    status: 400, message: 'Validation failed, check below errors for detail.', retryable: false,
    validationErrors: [{ path: 'startWorkflow.startWorkflowRequest.priority', message: expect.any(String), invalidValue: 500 }],
  });
});

test.each(JSON_POSTS)('malformed JSON to POST %s answers 400 (Conductor: 500)', async (path) => {
  const res = await api.http.post(path).set('Content-Type', 'application/json').send('{"name": "x",');
  expectError(res, 400, /^Malformed JSON in request body/);
  expect(res.body.instance).toBe(hostname());
});

test('malformed JSON to PUT endpoints answers 400 and stores nothing', async () => {
  expectError(await api.http.put('/api/metadata/workflow').set('Content-Type', 'application/json').send('[{"name":"e_half"'), 400);
  expectError(await api.http.put('/api/metadata/taskdefs').set('Content-Type', 'application/json').send('{'), 400);
  expect((await api.http.get('/api/metadata/workflow')).body).toEqual([]);
});

test('oversized bodies answer 413 and store nothing', async () => {
  const big = { ...simpleDef('e_big'), description: 'x'.repeat(4096) };
  expectError(await api.http.post('/api/metadata/workflow').send(big), 413, /larger than the limit/);
  expectError(await api.http.post('/api/tasks').send({ taskId: 'a', workflowInstanceId: 'b', outputData: { blob: 'y'.repeat(4096) } }), 413);
  expectError(await api.http.post('/api/tasks/a/log').set('Content-Type', 'text/plain').send('z'.repeat(4096)), 413);
  await api.http.get('/api/metadata/workflow/e_big').expect(404);
});

test('unknown routes answer 404 JSON, under /api and outside it (outside: files; page paths get the UI)', async () => {
  for (const path of ['/api/nothing', '/api/workflow/a/b/c/d', '/api/token', '/api/integrations/provider', '/nothing.txt']) {
    expectError(await api.http.get(path), 404, /^No static resource /);
  }
  expectError(await api.http.post('/api/workflow/bulk/x/y').send({}), 404);
});

test('a known path with the wrong method answers 405 with an Allow header', async () => {
  const res = await api.http.patch('/api/workflow/some-id');
  expectError(res, 405, "Request method 'PATCH' is not supported");
  expect(res.headers.allow).toBe('DELETE, GET, HEAD, POST');
  expectError(await api.http.delete('/api/tasks/poll/batch/t'), 405);
  expectError(await api.http.get('/api/tasks'), 405);
  expectError(await api.http.post('/api/health'), 405);
  expectError(await api.http.delete('/api/metadata/taskdefs'), 405);
});

test('every error code in ERROR_CODES is documented in docs/errors.md', () => {
  const doc = readFileSync(join(__dirname, '../../docs/errors.md'), 'utf8');
  const rows = doc.split('\n').filter((l) => l.startsWith('|')).map((l) => l.split('|')[1].trim().replace(/`/g, ''));
  for (const code of ERROR_CODES) expect(rows).toContain(code);
});

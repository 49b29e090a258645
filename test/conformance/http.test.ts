/** HTTP: GET/POST against a local peer, response shape, 500 with retries, asyncComplete. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { task, tasks, uniq } from './lib/client';
import { T, useConductor } from './lib/setup';

describe('HTTP', () => {
  const c = useConductor();
  let peer: http.Server;
  let base = '';
  const hits = new Map<string, number>();

  beforeAll(async () => {
    peer = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://x');
        hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
        if (url.pathname.startsWith('/fail')) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'nope' }));
          return;
        }
        if (url.pathname === '/text') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('plain words');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'x-peer': 'yes' });
        res.end(JSON.stringify({ method: req.method, path: url.pathname, q: url.searchParams.get('q'), contentType: req.headers['content-type'] ?? null, custom: req.headers['x-custom'] ?? null, body: body ? JSON.parse(body) : null }));
      });
    });
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => peer.close(() => r()));
  });

  const httpTask = (request: Record<string, unknown>, extra: Record<string, unknown> = {}, name = 'http') => ({
    name,
    taskReferenceName: 'http',
    type: 'HTTP',
    inputParameters: { http_request: request, ...extra },
  });

  const header = (headers: Record<string, unknown>, name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];

  it('GET: output.response has statusCode, reasonPhrase, headers (lists) and the parsed JSON body', async () => {
    const { api } = c;
    const { id } = await api.run(
      { tasks: [httpTask({ uri: `${base}/get?q=\${workflow.input.q}`, method: 'GET', headers: { 'X-Custom': 'c1' } })], outputParameters: { m: '${http.output.response.body.method}' } },
      { q: 'hello' },
    );
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    const t = task(wf, 'http');
    expect(t.taskType).toBe('HTTP');
    expect(t.status).toBe('COMPLETED');
    const r = t.outputData.response;
    expect(r.statusCode).toBe(200);
    expect(r.reasonPhrase).toMatch(/OK/);
    expect(r.body).toEqual({ method: 'GET', path: '/get', q: 'hello', contentType: expect.anything(), custom: 'c1', body: null });
    expect(header(r.headers, 'x-peer')).toEqual(['yes']);
    expect(wf.output).toEqual({ m: 'GET' });
  }, T);

  it('POST with a JSON body and a text response', async () => {
    const { api } = c;
    const { id } = await api.run({ tasks: [httpTask({ uri: `${base}/post`, method: 'POST', body: { n: '${workflow.input.n}', list: [1, 2] } })] }, { n: 5 });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    const r = task(wf, 'http').outputData.response;
    expect(r.statusCode).toBe(200);
    expect(r.body.method).toBe('POST');
    expect(r.body.body).toEqual({ n: 5, list: [1, 2] });
    expect(String(r.body.contentType)).toContain('application/json');

    const txt = await api.run({ tasks: [httpTask({ uri: `${base}/text`, method: 'GET', accept: 'text/plain' })] });
    const wf2 = await api.waitForEnd(txt.id);
    expect(task(wf2, 'http').outputData.response.body).toBe('plain words');
  }, T);

  it('HTTP 500 with a task def retryCount 2, retryDelaySeconds 0: three attempts, then the workflow FAILS', async () => {
    const { api } = c;
    const defName = uniq('http_retry');
    await api.registerTaskDefs([{ name: defName, retryCount: 2, retryDelaySeconds: 0, retryLogic: 'FIXED', timeoutSeconds: 60, responseTimeoutSeconds: 30 }]);
    const path = `/fail-${defName}`;
    const { id } = await api.run({ tasks: [httpTask({ uri: `${base}${path}`, method: 'GET' }, {}, defName)] });
    const wf = await api.waitForEnd(id, 8000);
    expect(wf.status).toBe('FAILED');
    const attempts = tasks(wf, 'http');
    expect(attempts.map((t) => [t.status, t.retryCount])).toEqual([
      ['FAILED', 0],
      ['FAILED', 1],
      ['FAILED', 2],
    ]);
    expect(attempts[1].retriedTaskId).toBe(attempts[0].taskId);
    expect(attempts[2].reasonForIncompletion).toMatch(/500/);
    expect(hits.get(path)).toBe(3);
  }, T);

  // `asyncComplete` is a field of the workflow task, beside `inputParameters`. Conductor's HTTP mapper
  // writes the task-level value into the task input, so it is what `inputData.asyncComplete` shows.
  it('asyncComplete (task-level field): the task stays IN_PROGRESS after the call until updated externally', async () => {
    const { api } = c;
    const { id } = await api.run({ tasks: [{ ...httpTask({ uri: `${base}/async`, method: 'GET' }), asyncComplete: true }] });
    const t = await api.waitFor(id, (wf) => wf.tasks.length === 1 && wf.tasks[0].outputData?.response?.statusCode === 200);
    const h = task(t, 'http');
    expect(h.status).toBe('IN_PROGRESS');
    expect(h.inputData.asyncComplete).toBe(true);
    expect(t.status).toBe('RUNNING');
    expect(hits.get('/async')).toBe(1);
    await api.update(h, 'COMPLETED', { done: 'externally' });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(task(wf, 'http').outputData).toEqual({ done: 'externally' });
  }, T);

  it(
    'asyncComplete inside inputParameters is overwritten by the task-level field (default false): the call completes the task',
    async () => {
      const { api } = c;
      const { id } = await api.run({ tasks: [httpTask({ uri: `${base}/async-input`, method: 'GET' }, { asyncComplete: true })] });
      const wf = await api.waitForEnd(id);
      expect(wf.status).toBe('COMPLETED');
      const h = task(wf, 'http');
      expect(h.status).toBe('COMPLETED');
      expect(h.inputData.asyncComplete).toBe(false);
      expect(h.outputData.response.statusCode).toBe(200);
    },
    T,
  );
});

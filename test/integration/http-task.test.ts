/** HTTP task end to end: a real engine calling a node:http peer on 127.0.0.1. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBaton, type TestBaton } from '../helpers/baton';
import type { WorkflowModel } from '../../engine/core/model';

describe('HTTP task', () => {
  let b: TestBaton;
  let peer: http.Server;
  let base = '';
  const hits = new Map<string, number>();
  let n = 0;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${b.url}/api${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return text;
  };

  /** Register a one-task workflow and start it; resolves with the workflow once `done` holds. */
  async function run(node: Record<string, unknown>, input: Record<string, unknown> = {}, done = (wf: WorkflowModel) => wf.status !== 'RUNNING'): Promise<WorkflowModel> {
    const name = `http_wf_${++n}`;
    await api('POST', '/metadata/workflow', { name, version: 1, schemaVersion: 2, ownerEmail: 't@x.io', tasks: [{ taskReferenceName: 'http', type: 'HTTP', name: 'http', ...node }] });
    const id = await api('POST', `/workflow/${name}`, input);
    const { wf, timedOut } = await b.baton.engine.waitFor(id, done, 8000);
    expect(timedOut).toBe(false);
    return wf;
  }

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
        } else if (url.pathname === '/text') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('plain words');
        } else if (url.pathname === '/slow') {
          const timer = setTimeout(() => {
            if (!res.destroyed) res.end('{}');
          }, 1500);
          res.on('close', () => clearTimeout(timer));
        } else {
          res.writeHead(200, { 'content-type': 'application/json', 'x-peer': 'yes' });
          res.end(JSON.stringify({ method: req.method, q: url.searchParams.get('q'), contentType: req.headers['content-type'] ?? null, accept: req.headers.accept ?? null, custom: req.headers['x-custom'] ?? null, body: body ? JSON.parse(body) : null }));
        }
      });
    });
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
    b = await startBaton();
  });

  afterAll(async () => {
    await b.close();
    peer.closeAllConnections();
    await new Promise<void>((r) => peer.close(() => r()));
  });

  it('GET with headers: response map, header lists, parsed JSON body', async () => {
    const wf = await run({ inputParameters: { http_request: { uri: `${base}/get?q=\${workflow.input.q}`, method: 'GET', headers: { 'X-Custom': 'c1' } } } }, { q: 'hello' });
    expect(wf.status).toBe('COMPLETED');
    const t = wf.tasks[0];
    expect(t.status).toBe('COMPLETED');
    const r = t.outputData.response as { statusCode: number; reasonPhrase: string; headers: Record<string, string[]>; body: Record<string, unknown> };
    expect(r.statusCode).toBe(200);
    expect(r.reasonPhrase).toBe('OK');
    expect(r.headers['x-peer']).toEqual(['yes']);
    expect(r.body).toEqual({ method: 'GET', q: 'hello', contentType: 'application/json', accept: 'application/json', custom: 'c1', body: null });
  });

  it('POST with a JSON body; a text response stays text', async () => {
    const wf = await run({ inputParameters: { http_request: { uri: `${base}/post`, method: 'POST', body: { n: '${workflow.input.n}', list: [1, 2] } } } }, { n: 5 });
    expect(wf.status).toBe('COMPLETED');
    expect((wf.tasks[0].outputData.response as { body: { body: unknown } }).body.body).toEqual({ n: 5, list: [1, 2] });
    const txt = await run({ inputParameters: { uri: `${base}/text`, method: 'GET', accept: 'text/plain' } });
    expect(txt.status).toBe('COMPLETED');
    expect((txt.tasks[0].outputData.response as { body: unknown }).body).toBe('plain words');
  });

  it('500 with retryCount 2 / retryDelaySeconds 0: three attempts, then the workflow FAILS', async () => {
    await api('POST', '/metadata/taskdefs', [{ name: 'http_retry', retryCount: 2, retryDelaySeconds: 0, retryLogic: 'FIXED', timeoutSeconds: 60, responseTimeoutSeconds: 30, ownerEmail: 't@x.io' }]);
    const wf = await run({ name: 'http_retry', inputParameters: { http_request: { uri: `${base}/fail-r`, method: 'GET' } } });
    expect(wf.status).toBe('FAILED');
    expect(wf.tasks.map((t) => [t.status, t.retryCount])).toEqual([
      ['FAILED', 0],
      ['FAILED', 1],
      ['FAILED', 2],
    ]);
    expect(wf.tasks[2].reasonForIncompletion).toMatch(/500 Internal Server Error/);
    expect(hits.get('/fail-r')).toBe(3);
  });

  it('asyncComplete: stays IN_PROGRESS after the call until POST /api/tasks', async () => {
    const wf = await run({ asyncComplete: true, inputParameters: { uri: `${base}/async`, method: 'GET' } }, {}, (w) => (w.tasks[0]?.outputData.response as { statusCode?: number } | undefined)?.statusCode === 200);
    const t = wf.tasks[0];
    expect(t.status).toBe('IN_PROGRESS');
    expect(wf.status).toBe('RUNNING');
    expect(b.baton.engine.store.queueSize('HTTP')).toBe(0);
    await api('POST', '/tasks', { workflowInstanceId: wf.workflowId, taskId: t.taskId, status: 'COMPLETED', outputData: { done: 'externally' } });
    const end = await b.baton.engine.waitFor(wf.workflowId, (w) => w.status !== 'RUNNING', 5000);
    expect(end.wf.status).toBe('COMPLETED');
    expect(end.wf.tasks[0].outputData).toEqual({ done: 'externally' });
    expect(hits.get('/async')).toBe(1);
  });

  it('read timeout and connection errors → FAILED with a clear reason', async () => {
    const slow = await run({ inputParameters: { uri: `${base}/slow`, method: 'GET', connectionTimeOut: 100, readTimeOut: 200 } });
    expect(slow.status).toBe('FAILED');
    expect(slow.tasks[0].reasonForIncompletion).toMatch(/Read timed out/);
    const refused = await run({ inputParameters: { uri: 'http://127.0.0.1:1/x', method: 'GET' } });
    expect(refused.status).toBe('FAILED');
    expect(refused.tasks[0].reasonForIncompletion).toMatch(/^Failed to invoke HTTP task due to: I\/O error on GET request/);
    const noUri = await run({ inputParameters: { method: 'GET' } });
    expect(noUri.tasks[0].reasonForIncompletion).toBe('Missing HTTP URI.  See documentation for HttpTask for required input parameters');
  });
});

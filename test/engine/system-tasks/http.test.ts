/** HTTP task helpers: request reading (Conductor's HttpTask.Input defaults) and response mapping. */
import type { TaskModel } from '../../../engine/core/model';
import { applyHttpError, applyHttpResponse, httpRequestOf, parseBody } from '../../../engine/core/system-tasks/http';
import { eventQueueOf } from '../../../engine/core/system-tasks/event';
import { startRequestOf } from '../../../engine/core/system-tasks/start-workflow';

const taskWith = (inputData: Record<string, unknown>, asyncComplete = false): TaskModel =>
  ({ taskId: 't1', status: 'SCHEDULED', inputData, outputData: {}, startTime: 5, endTime: 0, updateTime: 0, workflowTask: { name: 'h', taskReferenceName: 'h', type: 'HTTP', asyncComplete } }) as unknown as TaskModel;

const response = (statusCode: number, text: string) => ({ statusCode, reasonPhrase: statusCode === 200 ? 'OK' : 'Internal Server Error', headers: { 'content-type': ['application/json'] }, text });

describe('httpRequestOf', () => {
  it('reads input.http_request with Conductor defaults', () => {
    const r = httpRequestOf(taskWith({ http_request: { uri: 'http://x/y', method: 'post', body: { a: 1 }, headers: { 'X-A': 'b', n: 1, gone: null } } }));
    expect(r).toEqual({
      ok: true,
      request: { uri: 'http://x/y', method: 'POST', headers: { 'X-A': 'b', n: '1' }, body: { a: 1 }, accept: ['application/json'], contentType: 'application/json', connectionTimeOut: 3000, readTimeOut: 3000 },
    });
  });

  it('falls back to the input itself; accept as string or list; explicit timeouts', () => {
    const a = httpRequestOf(taskWith({ uri: 'http://x', method: 'GET', accept: 'text/plain', contentType: 'text/plain', readTimeOut: 150, connectionTimeOut: 50 }));
    expect(a.ok && a.request).toMatchObject({ accept: ['text/plain'], contentType: 'text/plain', readTimeOut: 150, connectionTimeOut: 50 });
    const b = httpRequestOf(taskWith({ uri: 'http://x', method: 'GET', accept: ['a/b', 'c/d'] }));
    expect(b.ok && b.request.accept).toEqual(['a/b', 'c/d']);
  });

  it("missing uri or method: Conductor's reasons", () => {
    expect(httpRequestOf(taskWith({ http_request: { method: 'GET' } }))).toEqual({ ok: false, reason: 'Missing HTTP URI.  See documentation for HttpTask for required input parameters' });
    expect(httpRequestOf(taskWith({ uri: 'http://x' }))).toEqual({ ok: false, reason: 'No HTTP method specified' });
  });
});

describe('applyHttpResponse', () => {
  it('2xx → COMPLETED with the response map and the JSON body parsed', () => {
    const t = taskWith({});
    applyHttpResponse(t, response(200, '{"a":[1,2]}'), 100);
    expect(t.status).toBe('COMPLETED');
    expect(t.endTime).toBe(100);
    expect(t.outputData.response).toEqual({ statusCode: 200, reasonPhrase: 'OK', headers: { 'content-type': ['application/json'] }, body: { a: [1, 2] } });
  });

  it('bodies: arrays, numbers, text, empty', () => {
    expect(parseBody('[1]')).toEqual([1]);
    expect(parseBody('42')).toBe(42);
    expect(parseBody('plain words')).toBe('plain words');
    expect(parseBody('"quoted"')).toBe('quoted');
    expect(parseBody('')).toBeNull();
  });

  it('2xx with asyncComplete (node flag or input) → IN_PROGRESS', () => {
    const a = taskWith({}, true);
    applyHttpResponse(a, response(200, '{}'), 100);
    expect(a.status).toBe('IN_PROGRESS');
    expect(a.endTime).toBe(0);
    const b = taskWith({ asyncComplete: true });
    applyHttpResponse(b, response(204, ''), 100);
    expect(b.status).toBe('IN_PROGRESS');
  });

  it('non-2xx → FAILED, reason names the status and body', () => {
    const t = taskWith({});
    applyHttpResponse(t, response(500, '{"error":"nope"}'), 100);
    expect(t.status).toBe('FAILED');
    expect(t.reasonForIncompletion).toBe('Failed to invoke HTTP task due to: java.lang.Exception: 500 Internal Server Error: "{"error":"nope"}"');
    expect((t.outputData.response as { statusCode: number }).statusCode).toBe(500);
  });

  it('network error → FAILED with the message', () => {
    const t = taskWith({});
    applyHttpError(t, 'I/O error on GET request for "http://x": fetch failed (ECONNREFUSED)', 100);
    expect(t.status).toBe('FAILED');
    expect(t.reasonForIncompletion).toContain('ECONNREFUSED');
    expect(t.outputData.response).toContain('ECONNREFUSED');
  });
});

describe('EVENT sink → queue', () => {
  const wf = { workflowName: 'wf' };
  it('conductor sinks', () => {
    expect(eventQueueOf(wf, { inputData: { sink: 'conductor' }, referenceTaskName: 'ev' })).toEqual({ ok: true, queue: 'conductor:wf:ev' });
    expect(eventQueueOf(wf, { inputData: { sink: 'conductor:q1' }, referenceTaskName: 'ev' })).toEqual({ ok: true, queue: 'conductor:wf:q1' });
  });
  it('other sinks fail naming the sink', () => {
    for (const sink of ['sqs:q', 'kafka:topic', 'amqp:x', 'nats:y']) {
      const r = eventQueueOf(wf, { inputData: { sink }, referenceTaskName: 'ev' });
      expect(r.ok).toBe(false);
      expect(!r.ok && r.reason).toContain(sink);
    }
    expect(eventQueueOf(wf, { inputData: {}, referenceTaskName: 'ev' }).ok).toBe(false);
  });
});

describe('START_WORKFLOW request', () => {
  const parent = { correlationId: 'pc', taskToDomain: { a: 'd1' } };
  it('inherits correlationId and taskToDomain when absent', () => {
    const r = startRequestOf(taskWith({ startWorkflow: { name: 'x', input: { k: 1 } } }), parent);
    expect(r).toEqual({ ok: true, request: expect.objectContaining({ name: 'x', input: { k: 1 }, correlationId: 'pc', taskToDomain: { a: 'd1' } }) });
    const own = startRequestOf(taskWith({ startWorkflow: { name: 'x', correlationId: 'mine', taskToDomain: { b: 'd2' } } }), parent);
    expect(own.ok && [own.request.correlationId, own.request.taskToDomain]).toEqual(['mine', { b: 'd2' }]);
  });
  it('missing or invalid requests', () => {
    expect(startRequestOf(taskWith({}), parent)).toEqual({ ok: false, reason: "Missing 'startWorkflow' in input data." });
    const r = startRequestOf(taskWith({ startWorkflow: { input: {} } }), parent);
    expect(!r.ok && r.reason).toMatch(/^startWorkflow validation failed\. 'name'/);
  });
});

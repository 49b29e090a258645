/**
 * HTTP executor: makes the call of a claimed HTTP task with global fetch, then applies the
 * response (core/system-tasks/http.ts) in one transaction. Never throws: every failure becomes
 * a FAILED task, which the decider retries per the task definition.
 */
import { STATUS_CODES } from 'node:http';
import { applyToTask, type AsyncExecutor } from '../system-task-runner';
import { applyHttpError, applyHttpResponse, httpRequestOf, type HttpRequest, type HttpResponse } from '../../core/system-tasks/http';

function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as Error & { cause?: unknown }).cause;
  const c = cause instanceof Error ? ((cause as Error & { code?: string }).code ?? cause.message) : cause !== undefined ? String(cause) : '';
  return c ? `${e.message} (${c})` : e.message;
}

export async function callHttp(req: HttpRequest): Promise<HttpResponse> {
  const limitMs = req.connectionTimeOut + req.readTimeOut;
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new Error(`timeout`)), limitMs);
  try {
    const headers: Record<string, string> = { accept: req.accept.join(', '), 'content-type': req.contentType };
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
    const withBody = req.body !== undefined && req.method !== 'GET' && req.method !== 'HEAD';
    const body = withBody ? (typeof req.body === 'string' ? req.body : JSON.stringify(req.body)) : undefined;
    const res = await fetch(req.uri, { method: req.method, headers, body, signal: ctrl.signal, redirect: 'follow' });
    const text = await res.text();
    const out: Record<string, string[]> = {};
    res.headers.forEach((v, k) => {
      if (k !== 'set-cookie') out[k] = [v];
    });
    const cookies = res.headers.getSetCookie();
    if (cookies.length) out['set-cookie'] = cookies;
    return { statusCode: res.status, reasonPhrase: STATUS_CODES[res.status] ?? res.statusText, headers: out, text };
  } catch (e) {
    if (ctrl.signal.aborted) throw new Error(`java.net.SocketTimeoutException: Read timed out (no complete response from ${req.uri} within ${limitMs} ms)`);
    throw new Error(`I/O error on ${req.method} request for "${req.uri}": ${errorText(e)}`);
  } finally {
    clearTimeout(timer);
  }
}

export const httpExecutor: AsyncExecutor = {
  concurrency: 64,
  async run(task, engine) {
    const parsed = httpRequestOf(task);
    if (!parsed.ok) {
      const reason = parsed.reason;
      applyToTask(engine, task, (t, { deps: { now } }) => {
        t.status = 'FAILED';
        t.reasonForIncompletion = reason;
        t.endTime = now;
        t.updateTime = now;
      });
      return;
    }
    let response: HttpResponse | undefined;
    let error: string | undefined;
    try {
      response = await callHttp(parsed.request);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    applyToTask(engine, task, (t, { deps: { now } }) => (response ? applyHttpResponse(t, response, now) : applyHttpError(t, error ?? 'unknown error', now)));
  },
};

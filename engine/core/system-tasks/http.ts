/**
 * HTTP (Conductor's http-task module, async): the mapper queues the task under `HTTP`; the
 * runtime executor (runtime/executors/http.ts) makes the call. The request reading and the
 * response mapping live here as pure helpers so they can be tested without a network.
 */
import type { JsonMap, TaskModel } from '../model';
import type { SystemTask } from './system-task';
import { newSystemTask } from './common';

export interface HttpRequest {
  uri: string;
  method: string;
  headers: Record<string, string>;
  body?: unknown;
  /** Accept media types (Conductor takes a string or a list). */
  accept: string[];
  contentType: string;
  connectionTimeOut: number;
  readTimeOut: number;
}

export interface HttpResponse {
  statusCode: number;
  reasonPhrase: string;
  headers: Record<string, string[]>;
  /** Raw body text. */
  text: string;
}

const JSON_TYPE = 'application/json';
const DEFAULT_TIMEOUT_MS = 3000;

const asObject = (v: unknown): JsonMap | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonMap) : undefined);

function posInt(v: unknown, dflt: number): number {
  const n = Number(v);
  return v !== null && v !== undefined && v !== '' && Number.isFinite(n) && n > 0 ? Math.floor(n) : dflt;
}

/** The request of an HTTP task: `input.http_request`, or the input itself. */
export function httpRequestOf(task: TaskModel): { ok: true; request: HttpRequest } | { ok: false; reason: string } {
  const raw = asObject(task.inputData.http_request) ?? task.inputData;
  const uri = raw.uri;
  if (uri === undefined || uri === null || uri === '') return { ok: false, reason: 'Missing HTTP URI.  See documentation for HttpTask for required input parameters' };
  const method = raw.method;
  if (method === undefined || method === null || method === '') return { ok: false, reason: 'No HTTP method specified' };
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(asObject(raw.headers) ?? {})) {
    if (v !== null && v !== undefined) headers[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  let accept = [JSON_TYPE];
  if (typeof raw.accept === 'string') accept = [raw.accept];
  else if (Array.isArray(raw.accept) && raw.accept.length) accept = raw.accept.map(String);
  return {
    ok: true,
    request: {
      uri: String(uri),
      method: String(method).toUpperCase(),
      headers,
      body: raw.body ?? undefined,
      accept,
      contentType: typeof raw.contentType === 'string' && raw.contentType ? raw.contentType : JSON_TYPE,
      connectionTimeOut: posInt(raw.connectionTimeOut, DEFAULT_TIMEOUT_MS),
      readTimeOut: posInt(raw.readTimeOut, DEFAULT_TIMEOUT_MS),
    },
  };
}

/** Per-task `asyncComplete` input wins over the node's flag (WorkflowSystemTask.isAsyncComplete). */
export function isAsyncComplete(task: TaskModel): boolean {
  if (Object.prototype.hasOwnProperty.call(task.inputData, 'asyncComplete')) return task.inputData.asyncComplete === true || task.inputData.asyncComplete === 'true';
  return task.workflowTask.asyncComplete === true;
}

/** Body as Conductor's extractBody: JSON object/array, number, else the text. */
export function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === 'object' || typeof v === 'number') return v;
    return typeof v === 'string' ? v : String(v);
  } catch {
    return text;
  }
}

/** Apply a completed call to the task: output.response, status, reason. */
export function applyHttpResponse(task: TaskModel, response: HttpResponse, now: number): void {
  const body = parseBody(response.text);
  const ok = response.statusCode >= 200 && response.statusCode < 300;
  task.outputData = {
    ...task.outputData,
    response: { statusCode: response.statusCode, reasonPhrase: response.reasonPhrase, headers: response.headers, body },
  };
  task.updateTime = now;
  if (ok) {
    if (isAsyncComplete(task)) {
      task.status = 'IN_PROGRESS';
      return;
    }
    task.status = 'COMPLETED';
    task.reasonForIncompletion = undefined;
  } else {
    // Spring's RestTemplate throws for 4xx/5xx; Conductor reports the exception text.
    const detail = response.text ? `: "${response.text.slice(0, 300)}"` : ': [no body]';
    task.status = 'FAILED';
    task.reasonForIncompletion = `Failed to invoke HTTP task due to: java.lang.Exception: ${response.statusCode} ${response.reasonPhrase}${detail}`.slice(0, 500);
  }
  if (!task.startTime) task.startTime = now;
  task.endTime = now;
}

/** The call never produced a response (connection refused, DNS, timeout). */
export function applyHttpError(task: TaskModel, message: string, now: number): void {
  task.status = 'FAILED';
  task.reasonForIncompletion = `Failed to invoke HTTP task due to: ${message}`.slice(0, 500);
  task.outputData = { ...task.outputData, response: message };
  task.updateTime = now;
  if (!task.startTime) task.startTime = now;
  task.endTime = now;
}

export const httpTask: SystemTask = {
  async: true,
  schedule(node, ctx, opts) {
    const t = newSystemTask(node, ctx, { ...opts, status: 'SCHEDULED' });
    // HTTPTaskMapper overwrites the input's asyncComplete with the node's (an input flag never counts)
    t.inputData.asyncComplete = node.asyncComplete === true;
    t.callbackAfterSeconds = Math.max(0, Number(node.startDelay ?? 0) || 0);
    return [t];
  },
};

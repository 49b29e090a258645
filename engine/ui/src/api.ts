/**
 * The Conductor REST calls the UI makes, each the same call the SDK would make, on relative
 * `/api` paths. With auth on, a 401 asks for a key and secret (POST /api/token) once and retries
 * with the token in `X-Authorization`; the token lives in sessionStorage.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'baton.token';

export type Credentials = { keyId: string; keySecret: string };
let askCredentials: ((problem?: string) => Promise<Credentials>) | undefined;
let signingIn: Promise<void> | undefined;
let tokenListener: (() => void) | undefined;

/** Called whenever a token is stored or dropped. */
export function onTokenChange(fn: () => void): void {
  tokenListener = fn;
}

/** The UI registers how to ask a person for a key and secret. */
export function onCredentialsNeeded(fn: (problem?: string) => Promise<Credentials>): void {
  askCredentials = fn;
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  tokenListener?.();
}

/** Ask for credentials until POST /api/token accepts them (one prompt for concurrent 401s). */
function signIn(): Promise<void> {
  signingIn ??= (async () => {
    if (!askCredentials) throw new ApiError(401, 'This server requires a key and secret');
    let problem: string | undefined;
    for (;;) {
      const c = await askCredentials(problem);
      const res = await fetch('/api/token', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(c) });
      if (res.ok) {
        const body = (await res.json()) as { token: string };
        sessionStorage.setItem(TOKEN_KEY, body.token);
        tokenListener?.();
        return;
      }
      problem = res.status === 401 ? 'Invalid key id or secret' : `Sign-in failed: HTTP ${res.status}`;
    }
  })().finally(() => {
    signingIn = undefined;
  });
  return signingIn;
}

type Body = unknown;

async function send(method: string, path: string, body?: Body, retried = false): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json, text/plain' };
  const t = token();
  if (t) headers['X-Authorization'] = t;
  let payload: string | undefined;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`/api${path}`, { method, headers, body: payload });
  if (res.status === 401 && !retried) {
    signOut();
    await signIn();
    return send(method, path, body, true);
  }
  if (!res.ok) {
    const text = await res.text();
    let parsed: unknown;
    let message = text || `HTTP ${res.status}`;
    try {
      parsed = JSON.parse(text);
      const m = (parsed as { message?: unknown }).message;
      if (typeof m === 'string' && m) message = m;
    } catch {
      /* not JSON: keep the text */
    }
    throw new ApiError(res.status, message, parsed);
  }
  return res;
}

/** JSON answer; null for an empty body (204, or 200 without content). */
async function json<T>(method: string, path: string, body?: Body): Promise<T> {
  const res = await send(method, path, body);
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}

async function text(method: string, path: string, body?: Body): Promise<string> {
  return (await send(method, path, body)).text();
}

const enc = encodeURIComponent;

function qs(params: Record<string, string | number | boolean | string[] | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    if (Array.isArray(v)) for (const x of v) p.append(k, x);
    else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export type Json = Record<string, unknown>;

export interface WorkflowSummary {
  workflowId: string;
  workflowType: string;
  version: number;
  correlationId?: string;
  startTime?: string;
  endTime?: string;
  updateTime?: string;
  status: string;
  executionTime: number;
  reasonForIncompletion?: string;
  failedReferenceTaskNames?: string;
  parentWorkflowId?: string;
}

export interface Task {
  taskId: string;
  taskType: string;
  taskDefName?: string;
  status: string;
  referenceTaskName: string;
  seq: number;
  retryCount: number;
  pollCount?: number;
  scheduledTime: number;
  startTime: number;
  endTime: number;
  updateTime: number;
  retried?: boolean;
  iteration?: number;
  workerId?: string;
  reasonForIncompletion?: string;
  callbackAfterSeconds?: number;
  inputData: Json;
  outputData: Json;
  subWorkflowId?: string;
  domain?: string;
  workflowTask?: Json & { taskReferenceName?: string; type?: string; name?: string };
}

export interface Workflow {
  workflowId: string;
  workflowName: string;
  workflowVersion: number;
  status: string;
  correlationId?: string;
  createTime?: number;
  startTime?: number;
  endTime?: number;
  updateTime?: number;
  parentWorkflowId?: string;
  parentWorkflowTaskId?: string;
  reasonForIncompletion?: string;
  input: Json;
  output: Json;
  variables?: Json;
  priority?: number;
  failedReferenceTaskNames?: string[];
  tasks: Task[];
  workflowDefinition?: WorkflowDef;
}

export interface WorkflowDef extends Json {
  name: string;
  version?: number;
  description?: string;
  tasks: Json[];
  inputParameters?: string[];
  inputTemplate?: Json;
  ownerEmail?: string;
  updateTime?: number;
  createTime?: number;
}

export interface TaskDef extends Json {
  name: string;
  description?: string;
  retryCount?: number;
  retryLogic?: string;
  timeoutSeconds?: number;
  responseTimeoutSeconds?: number;
  ownerEmail?: string;
}

export interface TaskLog {
  log: string;
  taskId: string;
  createdTime: number;
}

export interface PollData {
  queueName: string;
  domain?: string;
  workerId?: string;
  lastPollTime: number;
}

export const api = {
  searchWorkflows: (p: { start: number; size: number; query?: string; freeText?: string; sort?: string; topLevelOnly?: boolean }) =>
    json<{ totalHits: number; results: WorkflowSummary[] }>('GET', `/workflow/search${qs({ ...p, freeText: p.freeText || '*' })}`),
  workflow: (id: string) => json<Workflow>('GET', `/workflow/${enc(id)}?includeTasks=true`),
  startWorkflow: (req: { name: string; version?: number; input: Json; correlationId?: string; priority?: number }) => text('POST', '/workflow', req),
  pause: (id: string) => send('PUT', `/workflow/${enc(id)}/pause`),
  resume: (id: string) => send('PUT', `/workflow/${enc(id)}/resume`),
  terminate: (id: string, reason?: string) => send('DELETE', `/workflow/${enc(id)}${qs({ reason })}`),
  retry: (id: string, resumeSubworkflowTasks = false) => send('POST', `/workflow/${enc(id)}/retry${qs({ resumeSubworkflowTasks })}`),
  restart: (id: string, useLatestDefinitions = false) => send('POST', `/workflow/${enc(id)}/restart${qs({ useLatestDefinitions })}`),
  rerun: (id: string, reRunFromTaskId: string) => text('POST', `/workflow/${enc(id)}/rerun`, { reRunFromWorkflowId: id, reRunFromTaskId }),
  skipTask: (id: string, ref: string) => send('PUT', `/workflow/${enc(id)}/skiptask/${enc(ref)}`),
  taskLogs: (taskId: string) => json<TaskLog[] | null>('GET', `/tasks/${enc(taskId)}/log`),
  workflowDefs: () => json<WorkflowDef[]>('GET', '/metadata/workflow'),
  workflowNames: () => json<string[]>('GET', '/metadata/workflow/names'),
  workflowDef: (name: string, version?: number) => json<WorkflowDef>('GET', `/metadata/workflow/${enc(name)}${qs({ version })}`),
  taskDefs: () => json<TaskDef[]>('GET', '/metadata/taskdefs'),
  taskDef: (name: string) => json<TaskDef>('GET', `/metadata/taskdefs/${enc(name)}`),
  queueSizes: (types: string[]) => json<Record<string, number>>('GET', `/tasks/queue/sizes${qs({ taskType: types })}`),
  allQueues: () => json<Record<string, number>>('GET', '/tasks/queue/all'),
  pollData: () => json<PollData[]>('GET', '/tasks/queue/polldata/all'),
  version: () => text('GET', '/version'),
};

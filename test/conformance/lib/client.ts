/**
 * Tiny REST helpers over global fetch for the conformance suite. Conductor wire format only:
 * nothing here knows about Baton's internals.
 */
import { randomBytes } from 'node:crypto';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Task {
  taskId: string;
  taskType: string;
  referenceTaskName: string;
  status: string;
  seq: number;
  retryCount: number;
  iteration?: number;
  inputData: Record<string, Json>;
  outputData: Record<string, Json>;
  reasonForIncompletion?: string;
  subWorkflowId?: string;
  workflowInstanceId: string;
  taskDefName: string;
  [k: string]: Json;
}

export interface Workflow {
  workflowId: string;
  workflowName?: string;
  status: string;
  input: Record<string, Json>;
  output: Record<string, Json>;
  variables?: Record<string, Json>;
  reasonForIncompletion?: string;
  parentWorkflowId?: string;
  parentWorkflowTaskId?: string;
  tasks: Task[];
  [k: string]: Json;
}

export const TERMINAL = ['COMPLETED', 'FAILED', 'TERMINATED', 'TIMED_OUT'];

/** A name unique to this test run, so runs against a shared server don't clash. */
export function uniq(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export class HttpError extends Error {
  constructor(readonly status: number, readonly body: string, what: string) {
    super(`${what} -> ${status}: ${body}`);
  }
}

export class Api {
  constructor(readonly url: string) {}

  /** Root of the server (the URL without `/api`), where `/health` lives. */
  get root(): string {
    return this.url.replace(/\/api\/?$/, '');
  }

  async req(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; headers: Headers }> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? { accept: 'application/json, text/plain' } : { 'content-type': 'application/json', accept: 'application/json, text/plain' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, text: await res.text(), headers: res.headers };
  }

  async ok(method: string, path: string, body?: unknown): Promise<string> {
    const r = await this.req(method, path, body);
    if (r.status < 200 || r.status > 299) throw new HttpError(r.status, r.text, `${method} ${path}`);
    return r.text;
  }

  async json<T = Json>(method: string, path: string, body?: unknown): Promise<T> {
    const t = await this.ok(method, path, body);
    return (t ? JSON.parse(t) : undefined) as T;
  }

  registerTaskDefs(defs: Json[]): Promise<string> {
    return this.ok('POST', '/metadata/taskdefs', defs.map((d) => ({ ownerEmail: 'conformance@example.com', ...d })));
  }

  /** Registers (upserts) a workflow def; returns its name. */
  async registerWorkflow(def: Json): Promise<string> {
    const full = { version: 1, schemaVersion: 2, ownerEmail: 'conformance@example.com', timeoutSeconds: 0, timeoutPolicy: 'ALERT_ONLY', ...def };
    await this.ok('PUT', '/metadata/workflow', [full]);
    return full.name;
  }

  /** POST /api/workflow with a StartWorkflowRequest; returns the workflow id. */
  async start(req: Json): Promise<string> {
    const id = await this.ok('POST', '/workflow', { version: undefined, input: {}, ...req });
    return id.trim().replace(/^"|"$/g, '');
  }

  /** Registers `def` under a unique name and starts it. */
  async run(def: Json, input: Json = {}, extra: Json = {}): Promise<{ id: string; name: string }> {
    const name = await this.registerWorkflow({ ...def, name: def.name ?? uniq('conf') });
    const id = await this.start({ name, version: def.version ?? 1, input, ...extra });
    return { id, name };
  }

  workflow(id: string): Promise<Workflow> {
    return this.json<Workflow>('GET', `/workflow/${id}?includeTasks=true`);
  }

  /** Re-reads the workflow every 50 ms until `pred` holds (or throws at the deadline with the last state). */
  async waitFor(id: string, pred: (wf: Workflow) => boolean, timeoutMs = 5000): Promise<Workflow> {
    const deadline = Date.now() + timeoutMs;
    let wf = await this.workflow(id);
    while (!pred(wf)) {
      if (Date.now() > deadline) {
        throw new Error(`condition not met within ${timeoutMs} ms; last state:\n${JSON.stringify(summary(wf), null, 1)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
      wf = await this.workflow(id);
    }
    return wf;
  }

  waitForStatus(id: string, status: string, timeoutMs = 5000): Promise<Workflow> {
    return this.waitFor(id, (wf) => wf.status === status, timeoutMs);
  }

  waitForEnd(id: string, timeoutMs = 5000): Promise<Workflow> {
    return this.waitFor(id, (wf) => TERMINAL.includes(wf.status), timeoutMs);
  }

  /** Waits until a task with `ref` exists with one of `statuses` (default: any non-terminal worker state). */
  async waitForTask(id: string, ref: string, statuses = ['SCHEDULED', 'IN_PROGRESS'], timeoutMs = 5000): Promise<Task> {
    const wf = await this.waitFor(id, (w) => w.tasks.some((t) => t.referenceTaskName === ref && statuses.includes(t.status)), timeoutMs);
    return wf.tasks.filter((t) => t.referenceTaskName === ref && statuses.includes(t.status)).pop()!;
  }

  /** One poll; undefined when nothing is queued (204/empty). */
  async poll(taskType: string, workerId = 'conformance-worker'): Promise<Task | undefined> {
    const r = await this.req('GET', `/tasks/poll/${encodeURIComponent(taskType)}?workerid=${encodeURIComponent(workerId)}`);
    if (r.status === 204 || !r.text.trim()) return undefined;
    if (r.status !== 200) throw new HttpError(r.status, r.text, `poll ${taskType}`);
    return JSON.parse(r.text) as Task;
  }

  /** Polls until a task of `taskType` is handed out (re-polling every 50 ms up to the deadline). */
  async pollUntil(taskType: string, timeoutMs = 5000, workerId = 'conformance-worker'): Promise<Task> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const t = await this.poll(taskType, workerId);
      if (t) return t;
      if (Date.now() > deadline) throw new Error(`no ${taskType} task handed out within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  update(task: { workflowInstanceId: string; taskId: string }, status: string, outputData: Json = {}, reasonForIncompletion?: string): Promise<string> {
    return this.ok('POST', '/tasks', { workflowInstanceId: task.workflowInstanceId, taskId: task.taskId, status, outputData, reasonForIncompletion, workerId: 'conformance-worker' });
  }

  /** Polls one task of `taskType` and reports it with `status`/`outputData`. */
  async work(taskType: string, status: string, outputData: Json = {}, reason?: string): Promise<Task> {
    const t = await this.pollUntil(taskType);
    await this.update(t, status, outputData, reason);
    return t;
  }

  terminate(id: string, reason?: string): Promise<string> {
    return this.ok('DELETE', `/workflow/${id}${reason ? `?reason=${encodeURIComponent(reason)}` : ''}`);
  }

  retry(id: string): Promise<string> {
    return this.ok('POST', `/workflow/${id}/retry`);
  }

  rerun(id: string, body: Json = {}): Promise<string> {
    return this.ok('POST', `/workflow/${id}/rerun`, body);
  }

  skip(id: string, ref: string): Promise<string> {
    return this.ok('PUT', `/workflow/${id}/skiptask/${ref}`);
  }
}

/** [ref, taskType, status] of every task, in seq order. */
export function shape(wf: Workflow): [string, string, string][] {
  return [...wf.tasks].sort((a, b) => a.seq - b.seq).map((t) => [t.referenceTaskName, t.taskType, t.status]);
}

export function task(wf: Workflow, ref: string): Task {
  const found = wf.tasks.filter((t) => t.referenceTaskName === ref);
  if (!found.length) throw new Error(`no task ${ref} in ${JSON.stringify(shape(wf))}`);
  return found[found.length - 1];
}

export function tasks(wf: Workflow, ref: string): Task[] {
  return wf.tasks.filter((t) => t.referenceTaskName === ref);
}

function summary(wf: Workflow): Json {
  return { status: wf.status, reason: wf.reasonForIncompletion, output: wf.output, tasks: shape(wf) };
}

/** A plain SIMPLE worker task node. */
export function simple(ref: string, name: string, inputParameters: Json = {}, extra: Json = {}): Json {
  return { name, taskReferenceName: ref, type: 'SIMPLE', inputParameters, ...extra };
}

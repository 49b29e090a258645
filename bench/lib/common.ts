/**
 * Helpers shared by the benchmarks: loopback HTTP calls, percentiles, bounded waits, the wire
 * shapes of tasks and workflows, the benchmark definitions and SDK TaskManager workers. They speak
 * only the Conductor REST API, so they work against Baton and against Conductor OSS alike; `base`
 * is always the server's root URL (http://127.0.0.1:PORT, without /api).
 */
import http from 'node:http';
import { orkesConductorClient, TaskManager, type ConductorWorker } from '@io-orkes/conductor-javascript';

export const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** One request; resolves with status and body whatever the status. */
export function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(`${base}${path}`, { method, agent, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** One request that must answer 2xx; resolves with the body. */
export async function ok(base: string, method: string, path: string, body?: unknown): Promise<string> {
  const r = await call(base, method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
  return r.text;
}

/** Nearest-rank percentile (NaN for no samples). */
export const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
export const median = (xs: number[]): number => pct(xs, 50);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Re-check `cond` every `everyMs` until it holds; throws after `timeoutMs`. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 300_000, everyMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const quiet = { info: () => undefined, error: () => undefined, debug: () => undefined, warn: () => undefined };

export interface WireTask {
  taskId: string;
  workflowInstanceId: string;
  taskType: string;
  status: string;
  scheduledTime: number;
  startTime: number;
  endTime: number;
  referenceTaskName: string;
}
export interface WireWorkflow {
  status: string;
  startTime: number;
  endTime: number;
  tasks: WireTask[];
}

export const getWf = async (base: string, id: string): Promise<WireWorkflow> => JSON.parse(await ok(base, 'GET', `/api/workflow/${id}?includeTasks=true`)) as WireWorkflow;

export const startWf = (base: string, name: string, i: number): Promise<string> => ok(base, 'POST', '/api/workflow', { name, version: 1, input: { i } });

/** Re-read the workflow every 100 ms until it leaves RUNNING; throws after `timeoutMs`. */
export async function waitEnd(base: string, id: string, timeoutMs: number): Promise<{ status: string; tasks: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const wf = JSON.parse(await ok(base, 'GET', `/api/workflow/${id}?includeTasks=false`)) as WireWorkflow;
    if (wf.status !== 'RUNNING') {
      const full = JSON.parse(await ok(base, 'GET', `/api/workflow/${id}`)) as WireWorkflow;
      return { status: wf.status, tasks: full.tasks.length };
    }
    if (Date.now() > deadline) throw new Error(`workflow ${id} still RUNNING after ${timeoutMs} ms`);
    await sleep(100);
  }
}

// ---- definitions ------------------------------------------------------------------------------

/** A worker task definition without retries, valid on Baton and on Conductor OSS. */
export const benchTaskDef = (name: string) => ({ name, retryCount: 0, timeoutSeconds: 600, responseTimeoutSeconds: 300, ownerEmail: 'bench@example.com' });

/** A workflow of SIMPLE tasks run one after the other, one per entry of `types`. */
export const chainWorkflow = (name: string, types: string[]) => ({
  name,
  version: 1,
  ownerEmail: 'bench@example.com',
  schemaVersion: 2,
  tasks: types.map((t, i) => ({ name: t, taskReferenceName: `s${i}`, type: 'SIMPLE', inputParameters: { i: '${workflow.input.i}' } })),
});

/** FORK_JOIN_DYNAMIC over `workflow.input.items`, one `branchTask` per item, then a JOIN. */
export const fanoutWorkflow = (name: string, branchTask: string) => ({
  name,
  version: 1,
  ownerEmail: 'bench@example.com',
  schemaVersion: 2,
  tasks: [
    { name: 'fan', taskReferenceName: 'fan', type: 'FORK_JOIN_DYNAMIC', inputParameters: { forkTaskName: branchTask, forkTaskInputs: '${workflow.input.items}' } },
    { name: 'join', taskReferenceName: 'join', type: 'JOIN' },
  ],
});

// ---- SDK workers ------------------------------------------------------------------------------

export type SdkClient = Awaited<ReturnType<typeof orkesConductorClient>>;

export interface SdkWorkerOptions {
  concurrency: number;
  /** Called in execute() with the task as polled. */
  onExecute?: (t: { scheduledTime?: number }) => void;
  /** Called when the update of a task of type `doneType` is accepted, with its workflow id. */
  onDone?: (wfId: string) => void;
  doneType?: string;
}

/** Official SDK TaskManager workers for `types`, completing every task with `{ i }`. */
export function sdkWorkers(client: SdkClient, types: string[], o: SdkWorkerOptions): { stop(): Promise<void> } {
  const workers: ConductorWorker[] = types.map((taskDefName) => ({
    taskDefName,
    execute: async (task) => {
      o.onExecute?.(task);
      return { status: 'COMPLETED', outputData: { i: task.inputData?.i ?? null } };
    },
  }));
  const inFlight = { polls: 0 };
  const m = new TaskManager(client, workers, {
    logger: quiet,
    options: { pollInterval: 1, concurrency: o.concurrency, batchPollingTimeout: 1000, workerID: 'bench' },
    eventListeners: [
      {
        onPollStarted: () => void inFlight.polls++,
        onPollCompleted: () => void inFlight.polls--,
        onPollFailure: () => void inFlight.polls--,
        onTaskUpdateCompleted: (ev) => {
          if (o.onDone && ev.taskType === o.doneType && ev.workflowInstanceId) o.onDone(ev.workflowInstanceId);
        },
      },
    ],
  });
  m.startPolling();
  return {
    async stop() {
      await m.stopPolling();
      await until(() => inFlight.polls <= 0, 'SDK polls to return', 10_000);
    },
  };
}

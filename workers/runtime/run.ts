/**
 * Turns worker definitions into SDK workers and runs them on the official TaskManager (its poll
 * loop, concurrency and update-v2 chaining; Baton writes no polling of its own). Per task: the
 * input is validated against the worker's schema, a context is built (task log, abort signal,
 * exec, artifacts, secrets), and the function's result or error becomes a Conductor TaskResult.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { orkesConductorClient, TaskClient, TaskManager, type ConductorWorker, type Task } from '@io-orkes/conductor-javascript';
import type winston from 'winston';
import { ArtifactStore } from './artifacts';
import { InProgress, type TaskCtx, type WorkerDefinition } from './define-worker';
import { asWorkerError, retryable, terminal, WorkerError } from './errors';
import { runCommand } from './exec';
import { Secrets } from './secrets';
import { TaskLog, type LogSink } from './task-log';
import { perWorker, type WorkerConfig } from './config';
import type { WorkerMetrics } from './metrics';

type SdkResult = Awaited<ReturnType<ConductorWorker['execute']>>;

export interface RuntimeDeps {
  env: Readonly<Record<string, string | undefined>>;
  artifacts: ArtifactStore;
  workspaceRoot: string;
  /** Where task log lines go (POST /api/tasks/{id}/log in production). */
  logSink: LogSink;
  log?: winston.Logger;
  /** Fires when the process shuts down: running tasks are aborted and report a retryable failure. */
  shutdown?: AbortSignal;
  /** ms before the response timeout at which a task is aborted. @default 2000 */
  abortMarginMs?: number;
  metrics?: WorkerMetrics;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Conductor resolves a `${workflow.input.x}` that the run did not give to null; dropping nulls
 * (in objects, at any depth) lets the schema's defaults apply, as if the field were not written.
 */
export function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isObj(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = dropNulls(x);
  return out;
}

/** The message for a schema failure names the field: `device.host: Required`. */
function inputError(issues: { path: (string | number)[]; message: string }[]): WorkerError {
  const first = issues[0];
  const field = first.path.length ? first.path.join('.') : '(input)';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return terminal('INVALID_INPUT', `${field}: ${first.message}${more}`, { field, issues: issues.map((i) => ({ field: i.path.join('.'), message: i.message })) });
}

/** Execute one polled task with a worker definition; never throws. Exported for tests. */
export async function executeTask(def: WorkerDefinition, task: Task, deps: RuntimeDeps): Promise<SdkResult> {
  const started = Date.now();
  deps.metrics?.taskStarted(def.taskType);
  const result = await runTask(def, task, deps);
  const code = String((result.outputData as { error?: { code?: string } } | undefined)?.error?.code ?? '');
  deps.metrics?.taskEnded(def.taskType, String(result.status), code, (Date.now() - started) / 1000);
  return result;
}

async function runTask(def: WorkerDefinition, task: Task, deps: RuntimeDeps): Promise<SdkResult> {
  const taskId = task.taskId ?? '';
  const secrets = new Secrets(deps.env);
  const log = new TaskLog(taskId, deps.logSink, (s) => secrets.redact(s));
  const abort = new AbortController();
  const responseTimeout = Number(task.responseTimeoutSeconds ?? 0);
  const timer =
    responseTimeout > 0 ? setTimeout(() => abort.abort(new Error('TIMEOUT')), Math.max(1000, responseTimeout * 1000 - (deps.abortMarginMs ?? 2000))) : undefined;
  const onShutdown = () => abort.abort(new Error('SHUTDOWN'));
  if (deps.shutdown?.aborted) onShutdown();
  deps.shutdown?.addEventListener('abort', onShutdown, { once: true });
  let workspace: string | undefined;

  const ctx: TaskCtx = {
    taskId,
    workflowId: task.workflowInstanceId ?? '',
    retryCount: task.retryCount ?? 0,
    pollCount: task.pollCount ?? 0,
    log: (text) => log.write(text),
    signal: abort.signal,
    exec: (command, args, o = {}) => runCommand(command, args, { ...o, signal: abort.signal, onLine: (line) => log.write(line) }),
    artifacts: deps.artifacts,
    secret: (name) => secrets.get(name),
    optionalSecret: (name) => secrets.optional(name),
    workspace: async () => {
      workspace ??= join(deps.workspaceRoot, `${task.workflowInstanceId ?? 'wf'}-${task.referenceTaskName ?? def.taskType}-${taskId}`.replace(/[^A-Za-z0-9_.-]/g, '_'));
      await mkdir(workspace, { recursive: true });
      return workspace;
    },
    previousOutput: isObj(task.outputData) ? task.outputData : {},
    env: deps.env,
    gauge: (name, help, labels, value) => deps.metrics?.setGauge(name, help, labels, value),
  };

  try {
    const parsed = def.input.safeParse(isObj(task.inputData) ? dropNulls(task.inputData) : {});
    if (!parsed.success) throw inputError(parsed.error.issues);
    const out = await def.run(parsed.data, ctx);
    await log.flush();
    if (out instanceof InProgress) {
      return { status: 'IN_PROGRESS', callbackAfterSeconds: out.callbackAfterSeconds, outputData: secrets.redactJson(out.state) };
    }
    return { status: 'COMPLETED', outputData: secrets.redactJson({ ok: true, ...out }) };
  } catch (e) {
    let err = asWorkerError(e);
    const why = abort.signal.aborted ? String((abort.signal.reason as Error)?.message ?? '') : '';
    if (why === 'TIMEOUT' && err.code !== 'TIMEOUT') err = retryable('TIMEOUT', `aborted at the task's response timeout (${responseTimeout} s): ${err.message}`);
    if (why === 'SHUTDOWN') err = retryable('WORKER_SHUTDOWN', `the worker shut down while the task ran: ${err.message}`);
    log.write(`${err.retryable ? 'FAILED' : 'FAILED_WITH_TERMINAL_ERROR'} ${err.code}: ${err.message}`);
    await log.flush();
    deps.log?.warn('task failed', { taskType: def.taskType, taskId, workflowId: ctx.workflowId, code: err.code, retryable: err.retryable });
    return {
      status: err.retryable ? 'FAILED' : 'FAILED_WITH_TERMINAL_ERROR',
      reasonForIncompletion: secrets.redact(`${err.code}: ${err.message}`).slice(0, 2000),
      outputData: secrets.redactJson({ ok: false, error: { code: err.code, message: err.message, retryable: err.retryable, ...(err.details ? { details: err.details } : {}) }, logsTail: log.tailText() }),
    };
  } finally {
    if (timer) clearTimeout(timer);
    deps.shutdown?.removeEventListener('abort', onShutdown);
  }
}

export function toSdkWorker(def: WorkerDefinition, deps: RuntimeDeps, env: Record<string, string | undefined>): ConductorWorker {
  return {
    taskDefName: def.taskType,
    concurrency: perWorker(env, def.taskType, 'CONCURRENCY') ?? def.concurrency ?? 1,
    pollInterval: perWorker(env, def.taskType, 'POLL_INTERVAL_MS') ?? def.pollIntervalMs,
    execute: (task) => executeTask(def, task, deps),
  };
}

export interface RunningWorkers {
  manager: TaskManager;
  /** Stop polling, give running tasks `graceMs` to finish, then abort them (they report FAILED). */
  stop(graceMs?: number): Promise<void>;
}

export async function startWorkers(defs: WorkerDefinition[], config: WorkerConfig, env: Record<string, string | undefined>, log?: winston.Logger, metrics?: WorkerMetrics): Promise<RunningWorkers> {
  for (const d of defs) for (const g of d.gauges ?? []) metrics?.declareGauge(g.name, g.help, g.labelNames);
  const client = await orkesConductorClient({ serverUrl: config.CONDUCTOR_SERVER_URL, keyId: config.CONDUCTOR_AUTH_KEY, keySecret: config.CONDUCTOR_AUTH_SECRET });
  const tasks = new TaskClient(client);
  const shutdown = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  const deps: RuntimeDeps = {
    env,
    artifacts: new ArtifactStore(config.ARTIFACT_STORAGE_PATH),
    workspaceRoot: config.WORKSPACE_PATH,
    logSink: (taskId, line) => tasks.addTaskLog(taskId, line),
    log,
    shutdown: shutdown.signal,
    metrics,
  };
  const workers = defs.map((d) => {
    const w = toSdkWorker(d, deps, env);
    const execute = w.execute;
    // track running tasks so a shutdown can wait for them
    w.execute = (task) => {
      const p = execute(task);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      return p;
    };
    return w;
  });
  const quiet = { info: (...a: unknown[]) => log?.debug(String(a[0])), debug: () => undefined, error: (...a: unknown[]) => log?.warn(`sdk: ${a.map(String).join(' ')}`), warn: (...a: unknown[]) => log?.warn(`sdk: ${a.map(String).join(' ')}`) };
  const manager = new TaskManager(client, workers, {
    logger: quiet,
    options: { workerID: config.WORKER_ID ?? `${hostname()}-${process.pid}`, domain: config.WORKER_DOMAIN, pollInterval: config.WORKER_POLL_INTERVAL_MS ?? 200 },
  });
  manager.startPolling();
  return {
    manager,
    async stop(graceMs = 10_000) {
      await manager.stopPolling();
      const all = Promise.allSettled([...inFlight]);
      const t = setTimeout(() => shutdown.abort(), graceMs);
      await all;
      clearTimeout(t);
      // the SDK reports the aborted tasks' results asynchronously; give those updates a moment
      if (shutdown.signal.aborted) await new Promise((r) => setTimeout(r, 500));
    },
  };
}

/** /api/tasks: the worker protocol (poll, update, update-v2), task reads, logs, queues (TaskResource). */
import { Router, type Request, type Response } from 'express';
import type { Engine } from '../../runtime/engine';
import type { JsonMap } from '../../core/model';
import type { TaskResult } from '../../core/task-update';
import { taskToJson, workflowToJson } from '../../core/serialize';
import { TASK_RESULT_STATUSES, isTaskStatus, type TaskResultStatus } from '../../core/status';
import { BadRequestError, NotFoundError, ValidationError, type FieldViolation } from '../../core/errors';
import { updateTask, updateTaskByRef } from '../../runtime/task-ops';
import { intParam, isObject, listParam, strParam } from '../validate';
import { searchTasksRoute } from '../search';
import { withMethodNotAllowed } from '../errors';
import { awaitBlocking, signalWorkflow } from '../../runtime/signal';
import { parseReturnStrategy, sendSignalResponse, signalResponse } from '../signal-response';

const MAX_POLL_TIMEOUT_MS = 5000;

/** Validate a TaskResult body as Conductor does (taskId and workflowInstanceId required). */
export function parseTaskResult(body: unknown, prefix = 'updateTask.taskResult'): TaskResult {
  if (!isObject(body)) throw new BadRequestError('TaskResult must be a JSON object');
  const v: FieldViolation[] = [];
  if (typeof body.workflowInstanceId !== 'string' || body.workflowInstanceId === '') v.push({ path: `${prefix}.workflowInstanceId`, message: 'Workflow Id cannot be null or empty' });
  if (typeof body.taskId !== 'string' || body.taskId === '') v.push({ path: `${prefix}.taskId`, message: 'Task ID cannot be null or empty' });
  if (body.status !== undefined && body.status !== null && !(TASK_RESULT_STATUSES as readonly string[]).includes(String(body.status))) {
    v.push({ path: `${prefix}.status`, message: `status must be one of ${TASK_RESULT_STATUSES.join(', ')}`, invalidValue: body.status });
  }
  if (body.outputData !== undefined && body.outputData !== null && !isObject(body.outputData)) v.push({ path: `${prefix}.outputData`, message: 'outputData must be a JSON object' });
  if (body.callbackAfterSeconds !== undefined && body.callbackAfterSeconds !== null && (typeof body.callbackAfterSeconds !== 'number' || body.callbackAfterSeconds < 0)) {
    v.push({ path: `${prefix}.callbackAfterSeconds`, message: 'callbackAfterSeconds must be a non-negative number' });
  }
  if (body.logs !== undefined && body.logs !== null && !Array.isArray(body.logs)) v.push({ path: `${prefix}.logs`, message: 'logs must be an array' });
  if (v.length) throw new ValidationError(v);
  return {
    workflowInstanceId: body.workflowInstanceId as string,
    taskId: body.taskId as string,
    status: (body.status as TaskResultStatus) ?? undefined,
    reasonForIncompletion: typeof body.reasonForIncompletion === 'string' ? body.reasonForIncompletion : undefined,
    callbackAfterSeconds: (body.callbackAfterSeconds as number) ?? undefined,
    workerId: typeof body.workerId === 'string' ? body.workerId : undefined,
    outputData: (body.outputData as JsonMap) ?? undefined,
    logs: (body.logs as TaskResult['logs']) ?? undefined,
    subWorkflowId: typeof body.subWorkflowId === 'string' ? body.subWorkflowId : undefined,
    extendLease: body.extendLease === true,
  };
}

function pollArgs(req: Request) {
  const count = intParam(req.query.count, 'count', 1)!;
  const timeout = intParam(req.query.timeout, 'timeout', 100)!;
  if (count < 1) throw new BadRequestError('count must be at least 1');
  if (timeout > MAX_POLL_TIMEOUT_MS) throw new BadRequestError(`Long Poll Timeout value cannot be more than 5 seconds`);
  return { workerId: strParam(req.query.workerid), domain: strParam(req.query.domain) || undefined, count: Math.min(count, 1000), timeout: Math.max(0, timeout) };
}

export function taskRoutes(engine: Engine): Router {
  const r = Router();

  r.get('/poll/batch/:taskType', async (req, res) => {
    const a = pollArgs(req);
    const tasks = await engine.poll(req.params.taskType, a.workerId, a.domain, a.count, a.timeout);
    res.json(tasks.map(taskToJson));
  });

  r.get('/poll/:taskType', async (req, res) => {
    const workerId = strParam(req.query.workerid);
    const domain = strParam(req.query.domain) || undefined;
    const [task] = await engine.poll(req.params.taskType, workerId, domain, 1, 100);
    if (!task) return void res.status(204).end();
    res.json(taskToJson(task));
  });

  r.get('/queue/sizes', (req, res) => {
    const types = listParam(req.query.taskType);
    const out: Record<string, number> = {};
    for (const t of types) out[t] = engine.store.queueSize(t);
    res.json(out);
  });

  r.get('/queue/size', (req, res) => {
    const taskType = strParam(req.query.taskType);
    if (!taskType) throw new BadRequestError('taskType is required');
    const domain = strParam(req.query.domain);
    let q = domain ? `${domain}:${taskType}` : taskType;
    const ns = strParam(req.query.executionNamespace);
    const iso = strParam(req.query.isolationGroupId);
    if (ns) q += `@${ns}`;
    if (iso) q += `-${iso}`;
    res.json(engine.store.queueSize(q));
  });

  r.get('/queue/all/verbose', (_req, res) => {
    const out: Record<string, unknown> = {};
    for (const [q, n] of Object.entries(engine.store.queueSizes())) out[q] = { a: { size: n, uacked: 0 } };
    res.json(out);
  });

  r.get('/queue/all', (_req, res) => res.json(engine.store.queueSizes()));

  r.get('/queue/polldata/all', (_req, res) => res.json(engine.store.pollData().map(pollRow)));

  r.get('/queue/polldata', (req, res) => {
    const taskType = strParam(req.query.taskType);
    if (!taskType) throw new BadRequestError('taskType is required');
    res.json(engine.store.pollData(taskType).map(pollRow));
  });

  r.post('/queue/requeue/:taskType', (req, res) => {
    res.type('text/plain').send(String(engine.store.queuedTaskIds(req.params.taskType, 1_000_000).length));
  });

  r.get('/search', (req, res) => res.json(searchTasksRoute(engine, req.query, 'summary')));
  r.get('/search-v2', (req, res) => res.json(searchTasksRoute(engine, req.query, 'full')));

  r.post('/update-v2', (req, res) => {
    const result = parseTaskResult(req.body);
    const { task } = updateTask(engine, result);
    if (!task || !['COMPLETED', 'FAILED', 'FAILED_WITH_TERMINAL_ERROR', 'CANCELED', 'COMPLETED_WITH_ERRORS', 'TIMED_OUT'].includes(task.status)) {
      return void res.status(204).end();
    }
    const [next] = engine.pollNow(task.taskType, result.workerId, task.domain, 1);
    if (!next) return void res.status(204).end();
    res.json(taskToJson(next));
  });

  const legacyUpdate = (req: Request, res: Response) => {
    const result = parseTaskResult(req.body);
    updateTask(engine, result);
    res.status(200).type('text/plain').send(result.taskId);
  };
  r.post('/', legacyUpdate);

  r.post('/:workflowId/:status/signal/sync', async (req, res) => {
    const status = resultStatus(req.params.status);
    const strategy = parseReturnStrategy(strParam(req.query.returnStrategy));
    const timeoutMs = Math.max(0, intParam(req.query.timeoutMillis, 'timeoutMillis', 5000)!);
    const { workflowId } = req.params;
    if (!signalWorkflow(engine, workflowId, status, signalOutput(req.body))) {
      throw new NotFoundError(`Found no blocked task in workflow ${workflowId} to signal`);
    }
    sendSignalResponse(res, signalResponse(await awaitBlocking(engine, workflowId, [], timeoutMs), strategy, engine.newId()));
  });

  r.post('/:workflowId/:status/signal', (req, res) => {
    signalWorkflow(engine, req.params.workflowId, resultStatus(req.params.status), signalOutput(req.body));
    res.status(200).end();
  });

  r.post('/:workflowId/:ref/:status/sync', (req, res) => {
    const status = resultStatus(req.params.status);
    const output = isObject(req.body) ? req.body : {};
    const wf = engine.getWorkflow(req.params.workflowId);
    const id = updateTaskByRef(engine, wf.workflowId, req.params.ref, status, output, strParam(req.query.workerid));
    if (!id) throw new NotFoundError(`Found no running task ${req.params.ref} of workflow ${req.params.workflowId} to update`);
    res.json(workflowToJson(engine.getWorkflow(wf.workflowId), true));
  });

  r.post('/:workflowId/:ref/:status', (req, res) => {
    const status = resultStatus(req.params.status);
    const output = req.body === undefined ? {} : req.body;
    if (!isObject(output)) throw new BadRequestError('Task output must be a JSON object');
    const id = updateTaskByRef(engine, req.params.workflowId, req.params.ref, status, output, strParam(req.query.workerid));
    if (!id) return void res.status(200).end();
    res.status(200).type('text/plain').send(id);
  });

  r.post('/:taskId/log', (req, res) => {
    const task = engine.store.getTask(req.params.taskId);
    if (!task) throw new NotFoundError(`No such task found by id: ${req.params.taskId}`);
    const body = req.body;
    const log = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
    engine.tx(() => engine.appendLogs(task.taskId, [{ log }]));
    res.status(200).end();
  });

  r.get('/:taskId/log', (req, res) => {
    const logs = engine.store.getLogs(req.params.taskId);
    if (logs.length === 0) return void res.status(204).end();
    res.json(logs);
  });

  r.get('/:taskId', (req, res) => {
    const task = engine.store.getTask(req.params.taskId);
    if (!task) throw new NotFoundError(`Task not found for taskId: ${req.params.taskId}`);
    res.json(taskToJson(task));
  });

  return withMethodNotAllowed(r);
}

function resultStatus(s: string): TaskResultStatus {
  if (!isTaskStatus(s) || !(TASK_RESULT_STATUSES as readonly string[]).includes(s)) {
    throw new BadRequestError(`Invalid task status: ${s}; expected one of ${TASK_RESULT_STATUSES.join(', ')}`);
  }
  return s as TaskResultStatus;
}

/** A signal's body: the output to merge into the blocking task (absent → {}). */
function signalOutput(body: unknown): JsonMap {
  if (body === undefined) return {};
  if (!isObject(body)) throw new BadRequestError('Task output must be a JSON object');
  return body;
}

function pollRow(p: { queueName: string; domain?: string; workerId?: string; lastPollTime: number }) {
  const o: Record<string, unknown> = { queueName: p.queueName, lastPollTime: p.lastPollTime };
  if (p.domain) o.domain = p.domain;
  if (p.workerId) o.workerId = p.workerId;
  return o;
}

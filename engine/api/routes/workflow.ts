/** /api/workflow: starting, reading, searching and operating executions (WorkflowResource). */
import { Router, type Response } from 'express';
import type { Engine } from '../../runtime/engine';
import type { JsonMap } from '../../core/model';
import { workflowToJson, taskToJson } from '../../core/serialize';
import { isTerminalWorkflow, isTaskStatus } from '../../core/status';
import { BadRequestError, NotFoundError } from '../../core/errors';
import * as wops from '../../runtime/workflow-ops';
import { parseStartRequest } from '../start-request';
import { boolParam, intParam, isObject, listParam, strParam } from '../validate';
import { searchWorkflowsRoute } from '../search';
import { withMethodNotAllowed } from '../errors';
import { runWorkflowTest } from '../workflow-test';
import { awaitBlocking } from '../../runtime/signal';
import { parseReturnStrategy, sendSignalResponse, signalResponse } from '../signal-response';

const text = (res: Response, s: string) => res.status(200).type('text/plain').send(s);

export function workflowRoutes(engine: Engine, env: Record<string, string | undefined>): Router {
  const r = Router();

  r.post('/', (req, res) => {
    const start = parseStartRequest(req.body, env);
    text(res, engine.startWorkflow(start));
  });

  r.get('/search', (req, res) => res.json(searchWorkflowsRoute(engine, req.query, 'summary')));
  r.get('/search-v2', (req, res) => res.json(searchWorkflowsRoute(engine, req.query, 'full')));
  r.get('/search-by-tasks', (req, res) => res.json(searchWorkflowsRoute(engine, req.query, 'summary', true)));
  r.get('/search-by-tasks-v2', (req, res) => res.json(searchWorkflowsRoute(engine, req.query, 'full', true)));

  r.get('/running/:name', (req, res) => {
    const version = intParam(req.query.version, 'version', 1)!;
    const startTime = intParam(req.query.startTime, 'startTime', 0)!;
    const endTime = intParam(req.query.endTime, 'endTime', 0)!;
    const ids =
      startTime > 0 && endTime > 0
        ? engine.store.findWorkflowIds({ name: req.params.name, version, startedAfter: startTime, startedBefore: endTime })
        : engine.store.findWorkflowIds({ name: req.params.name, version, statuses: ['RUNNING'] });
    res.json(ids);
  });

  r.put('/decide/:id', (req, res) => {
    wops.decideWorkflow(engine, req.params.id);
    res.status(200).end();
  });

  r.post('/execute/:name/:version', async (req, res) => {
    const body = isObject(req.body) ? { ...req.body } : req.body;
    if (isObject(body)) {
      body.name = req.params.name;
      const v = intParam(req.params.version, 'version');
      body.version = v && v > 0 ? v : undefined;
    }
    const start = parseStartRequest(body, env);
    const waitSeconds = intParam(req.query.waitForSeconds, 'waitForSeconds', 10) || 10;
    const refs = (strParam(req.query.waitUntilTaskRef) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const strategy = parseReturnStrategy(strParam(req.query.returnStrategy));
    const requestId = strParam(req.query.requestId) || engine.newId();
    const id = engine.startWorkflow(start);
    sendSignalResponse(res, signalResponse(await awaitBlocking(engine, id, refs, waitSeconds * 1000), strategy, requestId));
  });

  r.post('/test', (req, res) => {
    const id = runWorkflowTest(engine, req.body, env);
    res.json(workflowToJson(engine.getWorkflow(id), true));
  });

  r.get('/:name/correlated/:correlationId', (req, res) => {
    res.json(correlated(engine, req.params.name, req.params.correlationId, boolParam(req.query.includeClosed, false), boolParam(req.query.includeTasks, false)));
  });

  r.post('/:name/correlated', (req, res) => {
    if (!Array.isArray(req.body)) throw new BadRequestError('Request body must be a JSON array of correlation ids');
    const out: Record<string, unknown[]> = {};
    for (const c of req.body) out[String(c)] = correlated(engine, req.params.name, String(c), boolParam(req.query.includeClosed, false), boolParam(req.query.includeTasks, false));
    res.json(out);
  });

  r.post('/:name', (req, res) => {
    const input = req.body === undefined ? {} : req.body;
    if (!isObject(input)) throw new BadRequestError('Workflow input must be a JSON object');
    const version = intParam(req.query.version, 'version');
    const priority = intParam(req.query.priority, 'priority', 0);
    const start = parseStartRequest({ name: req.params.name, version, input, correlationId: strParam(req.query.correlationId), priority }, env);
    try {
      text(res, engine.startWorkflow(start));
    } catch (e) {
      if (e instanceof NotFoundError) throw new NotFoundError(`No such workflow found by name: ${req.params.name}, version: ${version ?? null}`);
      throw e;
    }
  });

  r.get('/:id', (req, res) => {
    const wf = engine.getWorkflow(req.params.id);
    res.json(workflowToJson(wf, boolParam(req.query.includeTasks, true)));
  });

  r.get('/:id/tasks', (req, res) => {
    const wf = engine.getWorkflow(req.params.id);
    const start = intParam(req.query.start, 'start', 0)!;
    const count = intParam(req.query.count, 'count', 15)!;
    const statuses = listParam(req.query.status).flatMap((s) => s.split(',')).map((s) => s.trim().toUpperCase()).filter(Boolean);
    for (const s of statuses) if (!isTaskStatus(s)) throw new BadRequestError(`Invalid task status: ${s}`);
    const tasks = [...wf.tasks].sort((a, b) => a.seq - b.seq).filter((t) => statuses.length === 0 || statuses.includes(t.status));
    res.json({ totalHits: tasks.length, results: tasks.slice(start, start + count).map(taskToJson) });
  });

  r.get('/:id/status', (req, res) => {
    const wf = engine.getWorkflow(req.params.id);
    const body: JsonMap = { workflowId: wf.workflowId };
    if (wf.correlationId) body.correlationId = wf.correlationId;
    if (boolParam(req.query.includeOutput, false)) body.output = wf.output;
    if (boolParam(req.query.includeVariables, false)) body.variables = wf.variables;
    body.status = wf.status;
    res.json(body);
  });

  r.delete('/:id/remove', (req, res) => {
    wops.removeWorkflow(engine, req.params.id);
    res.status(200).end();
  });

  r.delete('/:id/terminate-remove', (req, res) => {
    const wf = engine.getWorkflow(req.params.id);
    if (!isTerminalWorkflow(wf.status)) wops.terminateWorkflow(engine, req.params.id, strParam(req.query.reason));
    wops.removeWorkflow(engine, req.params.id);
    res.status(200).end();
  });

  r.put('/:id/pause', (req, res) => {
    wops.pauseWorkflow(engine, req.params.id);
    res.status(200).end();
  });

  r.put('/:id/resume', (req, res) => {
    wops.resumeWorkflow(engine, req.params.id);
    res.status(200).end();
  });

  r.put('/:id/skiptask/:ref', (req, res) => {
    // Conductor binds SkipTaskRequest from query/form parameters; a JSON body is ignored.
    const parse = (v: unknown): JsonMap | undefined => {
      if (v === undefined) return undefined;
      if (isObject(v)) return v;
      try {
        const o = JSON.parse(String(v));
        return isObject(o) ? o : undefined;
      } catch {
        throw new BadRequestError(`Invalid skip task parameter: ${String(v)}`);
      }
    };
    wops.skipTask(engine, req.params.id, req.params.ref, { taskInput: parse(req.query.taskInput), taskOutput: parse(req.query.taskOutput) });
    res.status(200).end();
  });

  r.post('/:id/rerun', (req, res) => {
    const body = req.body === undefined ? {} : req.body;
    if (!isObject(body)) throw new BadRequestError('RerunWorkflowRequest must be a JSON object');
    for (const k of ['workflowInput', 'taskInput'] as const) {
      if (body[k] !== undefined && body[k] !== null && !isObject(body[k])) throw new BadRequestError(`${k} must be a JSON object`);
    }
    const id = wops.rerunWorkflow(engine, req.params.id, {
      reRunFromTaskId: typeof body.reRunFromTaskId === 'string' && body.reRunFromTaskId ? body.reRunFromTaskId : undefined,
      workflowInput: (body.workflowInput as JsonMap) ?? undefined,
      taskInput: (body.taskInput as JsonMap) ?? undefined,
      correlationId: typeof body.correlationId === 'string' ? body.correlationId : undefined,
    });
    text(res, id);
  });

  r.post('/:id/restart', (req, res) => {
    wops.restartWorkflow(engine, req.params.id, boolParam(req.query.useLatestDefinitions, false));
    res.status(204).end();
  });

  r.post('/:id/retry', (req, res) => {
    wops.retryWorkflow(engine, req.params.id);
    res.status(204).end();
  });

  r.post('/:id/resetcallbacks', (req, res) => {
    wops.resetCallbacks(engine, req.params.id);
    res.status(204).end();
  });

  r.delete('/:id', (req, res) => {
    wops.terminateWorkflow(engine, req.params.id, strParam(req.query.reason));
    res.status(200).end();
  });

  return withMethodNotAllowed(r);
}

function correlated(engine: Engine, name: string, correlationId: string, includeClosed: boolean, includeTasks: boolean): unknown[] {
  const ids = engine.store.findWorkflowIds({ name, correlationId, statuses: includeClosed ? undefined : ['RUNNING'] });
  return ids.map((id) => engine.store.loadWorkflow(id)).filter(Boolean).map((wf) => workflowToJson(wf!, includeTasks));
}

/** /api/metadata: task and workflow definitions (Conductor's MetadataResource). */
import { Router } from 'express';
import type { Engine } from '../../runtime/engine';
import type { TaskDef, WorkflowDef } from '../../core/model';
import { withTaskDefDefaults, withWorkflowDefDefaults } from '../../core/defaults';
import { BadRequestError, NotFoundError } from '../../core/errors';
import { intParam, isObject, throwIfAny, boolParam } from '../validate';
import { withMethodNotAllowed } from '../errors';
import type { MetadataService } from '../../runtime/metadata';

export function metadataRoutes(engine: Engine, meta: MetadataService): Router {
  const r = Router();
  const store = engine.store;

  r.post('/taskdefs', (req, res) => {
    const body = req.body;
    if (!Array.isArray(body)) throw new BadRequestError('Request body must be a JSON array of task definitions');
    if (body.length === 0) throw new BadRequestError('Task definition list cannot be empty');
    meta.registerTaskDefs(body as TaskDef[]);
    res.status(200).end();
  });

  r.put('/taskdefs', (req, res) => {
    meta.updateTaskDef(req.body as TaskDef);
    res.status(200).end();
  });

  r.get('/taskdefs', (_req, res) => {
    res.json(store.listTaskDefs().map(withTaskDefDefaults));
  });

  r.get('/taskdefs/:name', (req, res) => {
    const def = store.getTaskDef(req.params.name);
    if (!def) throw new NotFoundError(`No such taskType found by name: ${req.params.name}`);
    res.json(withTaskDefDefaults(def));
  });

  r.delete('/taskdefs/:name', (req, res) => {
    if (!engine.tx(() => store.deleteTaskDef(req.params.name))) throw new NotFoundError(`No such task definition: ${req.params.name}`);
    res.status(200).end();
  });

  r.post('/workflow/validate', (req, res) => {
    throwIfAny(meta.validate(req.body, 'validateWorkflowDef.workflowDef', boolParam(req.query.strict, false)));
    res.status(200).end();
  });

  r.post('/workflow', (req, res) => {
    // `strict=true` (Baton's opt-in) adds the lint checks Conductor does not make at registration.
    meta.registerWorkflowDef(req.body as WorkflowDef, boolParam(req.query.overwrite, false), boolParam(req.query.strict, false));
    res.status(200).end();
  });

  r.put('/workflow', (req, res) => {
    if (!Array.isArray(req.body)) throw new BadRequestError('Request body must be a JSON array of workflow definitions');
    res.json(meta.upsertWorkflowDefs(req.body as WorkflowDef[], boolParam(req.query.strict, false)));
  });

  r.get('/workflow/names-and-versions', (_req, res) => {
    const out: Record<string, unknown[]> = {};
    for (const d of store.listWorkflowDefs()) (out[d.name] ??= []).push(summary(d));
    res.json(out);
  });

  r.get('/workflow/names', (_req, res) => {
    res.json([...new Set(store.listWorkflowDefs().map((d) => d.name))]);
  });

  r.get('/workflow/latest-versions', (_req, res) => {
    const latest = new Map<string, WorkflowDef>();
    for (const d of store.listWorkflowDefs()) latest.set(d.name, d);
    res.json([...latest.values()].map(withWorkflowDefDefaults));
  });

  r.get('/workflow/:name/versions', (req, res) => {
    res.json(store.listWorkflowDefs().filter((d) => d.name === req.params.name).map(summary));
  });

  r.get('/workflow', (_req, res) => {
    res.json(store.listWorkflowDefs().map(withWorkflowDefDefaults));
  });

  r.get('/workflow/:name', (req, res) => {
    const version = intParam(req.query.version, 'version');
    const def = store.getWorkflowDef(req.params.name, version);
    if (!def) throw new NotFoundError(`No such workflow found by name: ${req.params.name}, version: ${version ?? null}`);
    res.json(withWorkflowDefDefaults(def));
  });

  r.delete('/workflow/:name/:version', (req, res) => {
    const version = intParam(req.params.version, 'version')!;
    if (!engine.tx(() => store.deleteWorkflowDef(req.params.name, version))) {
      throw new NotFoundError(`No such workflow definition: ${req.params.name} version: ${version}`);
    }
    res.status(200).end();
  });

  return withMethodNotAllowed(r);
}

function summary(d: WorkflowDef): Record<string, unknown> {
  const s: Record<string, unknown> = { name: d.name, version: d.version ?? 1 };
  if (d.createTime) s.createTime = d.createTime;
  if (d.updateTime) s.updateTime = d.updateTime;
  return s;
}

export { isObject };

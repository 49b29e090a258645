/**
 * Search endpoints: indexed pre-filter in SQLite, then Conductor's exact query semantics
 * (core/search) over the candidates.
 */
import type { Engine } from '../runtime/engine';
import type { TaskModel, WorkflowModel } from '../core/model';
import type { WorkflowRowFilter } from '../ports/store';
import { parseQuery, searchTasks, searchWorkflows, toTaskSummary, toWorkflowSummary, validateSearchParams, type Clause } from '../core/search';
import { BadRequestError } from '../core/errors';
import { workflowToJson, taskToJson } from '../core/serialize';
import { intParam, strParam, boolParam } from './validate';

interface Params {
  start: number;
  size: number;
  sort?: string;
  freeText?: string;
  query?: string;
}

function params(q: Record<string, unknown>, extraClauses: string[] = []): Params {
  const start = intParam(q.start, 'start', 0)!;
  const size = intParam(q.size, 'size', 100)!;
  const err = validateSearchParams({ start, size });
  if (err) throw new BadRequestError(err);
  const parts = [strParam(q.query), ...extraClauses].filter((s) => s && s.trim());
  return { start, size, sort: strParam(q.sort), freeText: strParam(q.freeText), query: parts.length ? parts.join(' AND ') : undefined };
}

/** Turn simple clauses into an indexed row filter (a superset of the final matches). */
function prefilter(clauses: Clause[]): WorkflowRowFilter {
  const f: WorkflowRowFilter = {};
  for (const c of clauses) {
    const single = c.values.length === 1 && !c.values[0].includes('*') ? c.values[0] : undefined;
    if ((c.field === 'workflowType' || c.field === 'workflowName') && (c.op === '=' || c.op === 'IN') && single) f.name = single;
    if (c.field === 'status' && (c.op === '=' || c.op === 'IN') && !c.values.some((v) => v.includes('*'))) f.statuses = c.values.map((v) => v.toUpperCase());
    if (c.field === 'correlationId' && (c.op === '=' || c.op === 'IN') && single) f.correlationId = single;
  }
  return f;
}

export function searchWorkflowsRoute(engine: Engine, q: Record<string, unknown>, shape: 'summary' | 'full', byTasks = false) {
  const extra: string[] = [];
  if (!byTasks && boolParam(q.topLevelOnly, false)) extra.push('parentWorkflowId=""');
  const p = params(q, extra);
  if (byTasks) {
    const hits = searchTasks(allTaskEntries(engine), { ...p, start: 0, size: Number.MAX_SAFE_INTEGER });
    const seen = new Map<string, WorkflowModel>();
    for (const h of hits.results) if (!seen.has(h.workflow.workflowId)) seen.set(h.workflow.workflowId, h.workflow);
    const list = [...seen.values()];
    const results = list.slice(p.start, p.start + p.size);
    return { totalHits: list.length, results: results.map((wf) => (shape === 'summary' ? toWorkflowSummary(wf) : workflowToJson(wf, false))) };
  }
  const ids = engine.store.findWorkflowIds(prefilter(parseQuery(p.query)));
  const wfs = ids.map((id) => engine.store.loadWorkflow(id)).filter((w): w is WorkflowModel => !!w);
  const found = searchWorkflows(wfs, p);
  return { totalHits: found.totalHits, results: found.results.map((wf) => (shape === 'summary' ? toWorkflowSummary(wf) : workflowToJson(wf, false))) };
}

function allTaskEntries(engine: Engine): { task: TaskModel; workflow: WorkflowModel }[] {
  const out: { task: TaskModel; workflow: WorkflowModel }[] = [];
  for (const id of engine.store.allWorkflowIds()) {
    const wf = engine.store.loadWorkflow(id);
    if (wf) for (const t of wf.tasks) out.push({ task: t, workflow: wf });
  }
  return out;
}

export function searchTasksRoute(engine: Engine, q: Record<string, unknown>, shape: 'summary' | 'full') {
  const p = params(q);
  const found = searchTasks(allTaskEntries(engine), p);
  const now = engine.clock.now();
  return { totalHits: found.totalHits, results: found.results.map((e) => (shape === 'summary' ? toTaskSummary(e.task, e.workflow, now) : taskToJson(e.task))) };
}

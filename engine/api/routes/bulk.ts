/**
 * /api/workflow/bulk: the same operations as /api/workflow/{id}/..., over a list of ids
 * (WorkflowBulkResource). Each id runs in its own transaction; one id's failure lands in
 * bulkErrorResults with its message and never stops the others.
 */
import { Router, type Request } from 'express';
import type { Engine } from '../../runtime/engine';
import { ValidationError } from '../../core/errors';
import { workflowToJson } from '../../core/serialize';
import * as wops from '../../runtime/workflow-ops';
import { boolParam, strParam } from '../validate';
import { withMethodNotAllowed } from '../errors';

/** Conductor's WorkflowBulkService.MAX_REQUEST_ITEMS. */
export const MAX_BULK_ITEMS = 1000;

export interface BulkResult<T> {
  bulkErrorResults: Record<string, string>;
  bulkSuccessfulResults: T[];
}

function workflowIds(req: Request, operation: string): string[] {
  const body: unknown = req.body;
  const path = `${operation}.workflowIds`;
  if (!Array.isArray(body) || body.length === 0) {
    throw new ValidationError([{ path, message: 'WorkflowIds list cannot be null.' }]);
  }
  if (body.length > MAX_BULK_ITEMS) {
    throw new ValidationError([{ path, message: `Cannot process more than ${MAX_BULK_ITEMS} workflows. Please use multiple requests.` }]);
  }
  return body.map((v) => String(v));
}

function eachId<T>(ids: string[], op: (id: string) => T): BulkResult<T> {
  const out: BulkResult<T> = { bulkErrorResults: {}, bulkSuccessfulResults: [] };
  for (const id of ids) {
    try {
      out.bulkSuccessfulResults.push(op(id));
    } catch (e) {
      out.bulkErrorResults[id] = e instanceof Error ? e.message : String(e);
    }
  }
  return out;
}

export function bulkRoutes(engine: Engine): Router {
  const r = Router();
  const simple = (operation: string, op: (id: string, req: Request) => void) => (req: Request) =>
    eachId(workflowIds(req, operation), (id) => {
      op(id, req);
      return id;
    });

  const pause = simple('pauseWorkflow', (id) => wops.pauseWorkflow(engine, id));
  const resume = simple('resumeWorkflow', (id) => wops.resumeWorkflow(engine, id));
  const retry = simple('retry', (id) => wops.retryWorkflow(engine, id));
  const terminate = simple('terminate', (id, req) => wops.terminateWorkflow(engine, id, strParam(req.query.reason)));
  const remove = simple('deleteWorkflow', (id) => wops.removeWorkflow(engine, id));

  r.put('/pause', (req, res) => res.json(pause(req)));
  r.put('/resume', (req, res) => res.json(resume(req)));
  r.post('/retry', (req, res) => res.json(retry(req)));
  r.post('/terminate', (req, res) => res.json(terminate(req)));
  r.delete('/remove', (req, res) => res.json(remove(req)));

  r.post('/restart', (req, res) => {
    const latest = boolParam(req.query.useLatestDefinitions, false);
    res.json(simple('restart', (id) => wops.restartWorkflow(engine, id, latest))(req));
  });

  // Conductor terminates, then removes even when the terminate failed (e.g. already ended);
  // an id lands in both lists when one step works and the other does not.
  r.delete('/terminate-remove', (req, res) => {
    const ids = workflowIds(req, 'terminateRemove');
    const reason = strParam(req.query.reason);
    const out: BulkResult<string> = { bulkErrorResults: {}, bulkSuccessfulResults: [] };
    for (const id of ids) {
      try {
        wops.terminateWorkflow(engine, id, reason);
        out.bulkSuccessfulResults.push(id);
      } catch (e) {
        out.bulkErrorResults[id] = e instanceof Error ? e.message : String(e);
      }
      try {
        wops.removeWorkflow(engine, id);
      } catch (e) {
        out.bulkErrorResults[id] = e instanceof Error ? e.message : String(e);
      }
    }
    res.json(out);
  });

  r.post('/search', (req, res) => {
    const includeTasks = boolParam(req.query.includeTasks, true);
    res.json(eachId(workflowIds(req, 'searchWorkflow'), (id) => workflowToJson(engine.getWorkflow(id), includeTasks)));
  });

  return withMethodNotAllowed(r);
}

/** Health, version and misc endpoints (HealthCheckResource, VersionResource, AdminResource). */
import { Router } from 'express';
import type { Engine } from '../../runtime/engine';
import { taskToJson } from '../../core/serialize';
import { intParam } from '../validate';
import { withMethodNotAllowed } from '../errors';

export const BATON_VERSION = '0.1.0';

export function healthBody(engine: Engine): Record<string, unknown> {
  let healthy = true;
  const results: unknown[] = [];
  try {
    engine.store.nextSweepDue();
  } catch (e) {
    healthy = false;
    results.push({ name: 'sqlite', healthy: false, details: { error: String((e as Error).message) } });
  }
  return { healthy, healthResults: results, suppressedHealthResults: [] };
}

export function healthRoutes(engine: Engine): Router {
  const r = Router();
  r.get('/health', (_req, res) => {
    const body = healthBody(engine);
    res.status(body.healthy ? 200 : 503).json(body);
  });
  return withMethodNotAllowed(r);
}

export function miscRoutes(engine: Engine): Router {
  const r = Router();
  r.get('/version', (_req, res) => res.type('text/plain').send(BATON_VERSION));
  r.get('/admin/config', (_req, res) => res.json({ 'baton.version': BATON_VERSION, 'conductor.db.type': 'sqlite' }));
  r.get('/admin/task/:taskType', (req, res) => {
    const start = intParam(req.query.start, 'start', 0)!;
    const count = intParam(req.query.count, 'count', 100)!;
    const ids = engine.store.queuedTaskIds(req.params.taskType, start + count).slice(start);
    res.json(ids.map((id) => engine.store.getTask(id)).filter(Boolean).map((t) => taskToJson(t!)));
  });
  r.post('/admin/sweep/requeue/:workflowId', (req, res) => {
    const wf = engine.store.loadWorkflow(req.params.workflowId);
    if (wf) engine.tx(() => engine.store.setSweep(wf.workflowId, engine.clock.now()));
    engine.sweep();
    res.type('text/plain').send(`${Boolean(wf)}.${req.params.workflowId}`);
  });
  return withMethodNotAllowed(r);
}

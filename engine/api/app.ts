/**
 * The HTTP server: Conductor's REST API under /api, health, metrics, and the inspection UI at /.
 * Thin: each route validates, calls the engine and serialises; errors go through the one mapper.
 */
import express from 'express';
import type { Engine } from '../runtime/engine';
import type { MetadataService } from '../runtime/metadata';
import type { Metrics } from '../observability/metrics';
import { metadataRoutes } from './routes/metadata';
import { workflowRoutes } from './routes/workflow';
import { bulkRoutes } from './routes/bulk';
import { taskRoutes } from './routes/tasks';
import { eventRoutes } from './routes/event';
import { healthRoutes, miscRoutes } from './routes/health';
import { schedulerRoutes } from './routes/scheduler';
import { apiNotFound, errorHandler, type ErrorLogger } from './errors';
import { requireToken, tokenRoutes, type AuthConfig } from './auth';
import type { Scheduler } from '../runtime/scheduler';
import { uiRoutes, type UiOptions } from './ui';

export interface ApiOptions {
  engine: Engine;
  metadata: MetadataService;
  env: Record<string, string | undefined>;
  bodyLimit?: string;
  metrics?: Metrics;
  log?: ErrorLogger;
  /** Absent: /api/scheduler answers 404, as a Conductor without the scheduler module. */
  scheduler?: Scheduler;
  /** Absent: no auth, and /api/token answers 404 (Conductor OSS). */
  auth?: AuthConfig;
  /** The UI at / (default: the built-in one; `false`: none). */
  ui?: UiOptions | false;
}

export function createApiServer(o: ApiOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (o.metrics) app.use(o.metrics.http);
  // strict:false: the SDK posts task logs as a bare JSON string
  app.use(express.json({ limit: o.bodyLimit ?? '5mb', strict: false, type: ['application/json', 'application/*+json'] }));
  app.use(express.text({ limit: o.bodyLimit ?? '5mb', type: 'text/*' }));

  if (o.auth) {
    app.use('/api/token', tokenRoutes(o.auth, o.engine.clock));
    app.use('/api', requireToken(o.auth, o.engine.clock));
  }
  app.use(healthRoutes(o.engine));
  app.use('/api', healthRoutes(o.engine));
  if (o.metrics) {
    const registry = o.metrics.registry;
    app.get('/metrics', async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    });
  }
  app.use('/api/metadata', metadataRoutes(o.engine, o.metadata));
  // before /api/workflow, whose /:id/pause would otherwise take /bulk/pause
  app.use('/api/workflow/bulk', bulkRoutes(o.engine));
  app.use('/api/workflow', workflowRoutes(o.engine, o.env));
  app.use('/api/tasks', taskRoutes(o.engine));
  app.use('/api/event', eventRoutes(o.engine));
  if (o.scheduler) app.use('/api/scheduler', schedulerRoutes(o.scheduler));
  app.use('/api', miscRoutes(o.engine));
  app.use('/api', apiNotFound);
  // after the /api 404: no /api path ever answers with the page
  if (o.ui !== false) app.use(uiRoutes(o.ui ?? {}));
  app.use(apiNotFound);
  app.use(errorHandler(o.log));
  return app;
}

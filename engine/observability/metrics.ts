/**
 * Prometheus metrics (prom-client), fed by engine events and the HTTP layer. Metric names are
 * the contract with prometheus/ alert rules and grafana/ dashboards: keep them stable.
 */
import client from 'prom-client';
import type { RequestHandler } from 'express';
import type { EventBus } from '../runtime/event-bus';
import type { Store } from '../ports/store';

export interface Metrics {
  registry: client.Registry;
  http: RequestHandler;
}

export function createMetrics(bus: EventBus, store: Store, now: () => number = Date.now): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'baton_' });

  const started = new client.Counter({ name: 'baton_workflows_started_total', help: 'Workflows started', labelNames: ['workflow'], registers: [registry] });
  const ended = new client.Counter({ name: 'baton_workflows_ended_total', help: 'Workflows ended, by final status', labelNames: ['workflow', 'status'], registers: [registry] });
  const duration = new client.Histogram({
    name: 'baton_workflow_duration_seconds', help: 'Workflow run time from start to end', labelNames: ['workflow', 'status'],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14400], registers: [registry],
  });
  const taskEnded = new client.Counter({ name: 'baton_tasks_ended_total', help: 'Task attempts ended, by type and status', labelNames: ['task_type', 'status'], registers: [registry] });
  const taskExec = new client.Histogram({
    name: 'baton_task_execution_seconds', help: 'Task execution time from poll to result', labelNames: ['task_type'],
    buckets: [0.005, 0.05, 0.25, 1, 5, 30, 120, 600, 3600], registers: [registry],
  });
  const queueWait = new client.Histogram({
    name: 'baton_task_queue_wait_seconds', help: 'Time a task waited in its queue before a worker polled it', labelNames: ['task_type'],
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2, 10, 60, 600], registers: [registry],
  });
  const polled = new client.Counter({ name: 'baton_tasks_polled_total', help: 'Tasks handed to workers', labelNames: ['task_type'], registers: [registry] });
  const timedOut = new client.Counter({ name: 'baton_tasks_timed_out_total', help: 'Task timeouts by kind', labelNames: ['task_type', 'kind'], registers: [registry] });
  new client.Gauge({
    name: 'baton_task_queue_depth', help: 'Tasks waiting in each queue', labelNames: ['queue'], registers: [registry],
    collect() {
      this.reset();
      for (const [q, n] of Object.entries(store.queueSizes())) this.set({ queue: q }, n);
    },
  });
  new client.Gauge({
    name: 'baton_workflows_running', help: 'Workflows RUNNING or PAUSED', labelNames: ['workflow'], registers: [registry],
    collect() {
      this.reset();
      for (const r of store.runningByName()) this.set({ workflow: r.name }, r.count);
    },
  });
  new client.Gauge({
    name: 'baton_workflow_oldest_running_seconds', help: 'Age of the oldest RUNNING or PAUSED workflow of each name', labelNames: ['workflow'], registers: [registry],
    collect() {
      this.reset();
      const t = now();
      for (const r of store.runningByName()) this.set({ workflow: r.name }, Math.max(0, (t - r.oldestCreateTime) / 1000));
    },
  });
  const httpReqs = new client.Counter({ name: 'baton_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const httpDur = new client.Histogram({
    name: 'baton_http_request_duration_seconds', help: 'HTTP request latency', labelNames: ['method', 'route'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry],
  });

  bus.on('workflow:started', (e) => started.inc({ workflow: e.name }));
  bus.on('workflow:ended', (e) => {
    ended.inc({ workflow: e.name, status: e.status });
    duration.observe({ workflow: e.name, status: e.status }, e.durationMs / 1000);
  });
  bus.on('task:ended', (e) => {
    taskEnded.inc({ task_type: e.taskType, status: e.status });
    if (e.durationMs > 0) taskExec.observe({ task_type: e.taskType }, e.durationMs / 1000);
  });
  bus.on('task:polled', (e) => {
    polled.inc({ task_type: e.taskType });
    queueWait.observe({ task_type: e.taskType }, Math.max(0, e.queueWaitMs) / 1000);
  });
  bus.on('task:timedOut', (e) => timedOut.inc({ task_type: e.taskType, kind: e.kind }));

  const http: RequestHandler = (req, res, next) => {
    const t0 = process.hrtime.bigint();
    res.on('finish', () => {
      // route templates, not raw paths, keep label cardinality bounded
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : req.path.startsWith('/api') ? 'unmatched' : req.path;
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      httpReqs.inc({ method: req.method, route, status: String(res.statusCode) });
      httpDur.observe({ method: req.method, route }, secs);
    });
    next();
  };
  return { registry, http };
}

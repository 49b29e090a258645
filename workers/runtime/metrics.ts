/**
 * The worker process's Prometheus metrics (its own prom-client registry) and the small HTTP
 * server that exposes them with a health check. Names start with baton_worker_ so dashboards and
 * alert rules can tell them from the engine's.
 */
import http from 'node:http';
import client from 'prom-client';

export interface WorkerMetrics {
  registry: client.Registry;
  taskStarted(taskType: string): void;
  /** outcome: COMPLETED | FAILED | FAILED_WITH_TERMINAL_ERROR | IN_PROGRESS; code: the error code or "" */
  taskEnded(taskType: string, outcome: string, code: string, seconds: number): void;
  /** A gauge a worker sets (names must start with baton_; labels fixed by the first call or the declaration). */
  setGauge(name: string, help: string, labels: Record<string, string>, value: number): void;
  /** Register a gauge before its first value, so scrapes and rules see the family. */
  declareGauge(name: string, help: string, labelNames: string[]): void;
}

export function createWorkerMetrics(): WorkerMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const tasks = new client.Counter({ name: 'baton_worker_tasks_total', help: 'Tasks executed by this worker process, by outcome and error code', labelNames: ['task_type', 'outcome', 'code'], registers: [registry] });
  const duration = new client.Histogram({
    name: 'baton_worker_task_duration_seconds', help: 'Time a worker spent on one task', labelNames: ['task_type', 'outcome'],
    buckets: [0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600], registers: [registry],
  });
  const inFlight = new client.Gauge({ name: 'baton_worker_tasks_in_flight', help: 'Tasks running in this worker process', labelNames: ['task_type'], registers: [registry] });
  const gauges = new Map<string, client.Gauge>();
  const gauge = (name: string, help: string, labelNames: string[]) => {
    if (!/^baton_[a-z0-9_]+$/.test(name)) throw new Error(`gauge name ${name} must match baton_[a-z0-9_]+`);
    let g = gauges.get(name);
    if (!g) gauges.set(name, (g = new client.Gauge({ name, help, labelNames: [...labelNames].sort(), registers: [registry] })));
    return g;
  };
  return {
    registry,
    setGauge: (name, help, labels, value) => gauge(name, help, Object.keys(labels)).set(labels, value),
    declareGauge: (name, help, labelNames) => void gauge(name, help, labelNames),
    taskStarted: (t) => inFlight.inc({ task_type: t }),
    taskEnded(t, outcome, code, seconds) {
      inFlight.dec({ task_type: t });
      tasks.inc({ task_type: t, outcome, code });
      duration.observe({ task_type: t, outcome }, seconds);
    },
  };
}

/** GET /metrics and GET /health on host:port; resolves with the bound port. */
export function serveMetrics(m: WorkerMetrics, host: string, port: number, healthy: () => boolean): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      void m.registry.metrics().then((text) => res.writeHead(200, { 'Content-Type': m.registry.contentType }).end(text));
    } else if (req.method === 'GET' && req.url === '/health') {
      const ok = healthy();
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ healthy: ok }));
    } else res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 404, message: 'not found' }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address() as { port: number };
      resolve({ port: addr.port, close: () => new Promise<void>((r) => server.close(() => r())) });
    });
  });
}

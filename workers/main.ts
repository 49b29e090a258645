/**
 * `npm run workers`: run Baton's task workers on the official SDK's TaskManager against
 * CONDUCTOR_SERVER_URL (Baton's engine or Conductor OSS). WORKERS=compile,test picks a group, so
 * PM2 can run CPU-heavy workers in their own process. SIGINT/SIGTERM: stop polling, let running
 * tasks finish (up to WORKER_SHUTDOWN_GRACE_MS), abort the rest (they report a retryable failure).
 */
import 'dotenv/config';
import { loadWorkerConfig, WorkerConfigError } from './runtime/config';
import { createWorkerLogger } from './runtime/logger';
import { startWorkers } from './runtime/run';
import { createWorkerMetrics, serveMetrics } from './runtime/metrics';
import { selectWorkers } from './index';

async function main(): Promise<void> {
  let config;
  let defs;
  try {
    config = loadWorkerConfig(process.env);
    defs = selectWorkers(config.WORKERS);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(e instanceof WorkerConfigError ? 78 : 64);
  }
  const log = createWorkerLogger(config.LOG_LEVEL);
  const metrics = createWorkerMetrics();
  const running = await startWorkers(defs, config, process.env, log, metrics);
  let stopping = false;
  const exporter =
    config.WORKER_METRICS_PORT === 'off' ? undefined : await serveMetrics(metrics, config.WORKER_METRICS_HOST, config.WORKER_METRICS_PORT, () => !stopping);
  log.info('workers polling', { server: config.CONDUCTOR_SERVER_URL, taskTypes: defs.map((d) => d.taskType), pid: process.pid, metricsPort: exporter?.port });
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping workers', { signal: sig });
    const grace = Number(process.env.WORKER_SHUTDOWN_GRACE_MS ?? 10_000);
    void running.stop(grace).then(async () => {
      await exporter?.close();
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

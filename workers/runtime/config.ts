/** The worker processes' configuration (env / .env), validated at start. */
import { z } from 'zod';

const positiveInt = z.coerce.number().int().min(1);

export const WorkerConfigSchema = z.object({
  CONDUCTOR_SERVER_URL: z.string().url().default('http://localhost:8080/api'),
  CONDUCTOR_AUTH_KEY: z.string().optional(),
  CONDUCTOR_AUTH_SECRET: z.string().optional(),
  /** Content-addressed artifact store. */
  ARTIFACT_STORAGE_PATH: z.string().min(1).default('./data/artifacts'),
  /** Scratch directories of running tasks (checkouts, builds). */
  WORKSPACE_PATH: z.string().min(1).default('./data/workspace'),
  /** Which workers this process runs: comma-separated task types, or all. */
  WORKERS: z.string().default('all'),
  WORKER_ID: z.string().optional(),
  WORKER_POLL_INTERVAL_MS: positiveInt.optional(),
  /** Task domain to poll (Conductor task-to-domain routing). */
  WORKER_DOMAIN: z.string().optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  /** /metrics and /health of this worker process; 0 = an ephemeral port, off = none. */
  WORKER_METRICS_PORT: z.union([z.literal('off'), z.coerce.number().int().min(0).max(65535)]).default(9464),
  WORKER_METRICS_HOST: z.string().default('127.0.0.1'),
});

export type WorkerConfig = z.infer<typeof WorkerConfigSchema>;

export class WorkerConfigError extends Error {}

export function loadWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  const r = WorkerConfigSchema.safeParse(env);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`);
    throw new WorkerConfigError(`Invalid worker configuration:\n${lines.join('\n')}`);
  }
  if (Boolean(r.data.CONDUCTOR_AUTH_KEY) !== Boolean(r.data.CONDUCTOR_AUTH_SECRET)) {
    throw new WorkerConfigError('Invalid worker configuration:\n  set both CONDUCTOR_AUTH_KEY and CONDUCTOR_AUTH_SECRET, or neither');
  }
  return r.data;
}

/** Per-worker override: WORKER_<TASK_TYPE>_CONCURRENCY / _POLL_INTERVAL_MS. */
export function perWorker(env: Record<string, string | undefined>, taskType: string, prop: 'CONCURRENCY' | 'POLL_INTERVAL_MS'): number | undefined {
  const key = `WORKER_${taskType.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${prop}`;
  const raw = env[key];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new WorkerConfigError(`Invalid worker configuration:\n  ${key}: must be a positive integer (got ${JSON.stringify(raw)})`);
  return n;
}

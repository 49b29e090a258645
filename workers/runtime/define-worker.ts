/**
 * What a worker file exports: its task type, an input schema, and one async function. The
 * runtime (run.ts) turns this into an SDK worker; the function never sees Conductor's wire types.
 */
import type { z } from 'zod';
import type { ArtifactStore } from './artifacts';
import type { ExecOptions, ExecResult } from './exec';

export interface TaskCtx {
  taskId: string;
  workflowId: string;
  /** 0 on the first attempt. */
  retryCount: number;
  pollCount: number;
  /** A line (or lines) for the Conductor task log; secrets are redacted. */
  log(text: string): void;
  /** Fires when the task's response timeout is near, or the worker is shutting down. */
  signal: AbortSignal;
  /** Run a command: output streams into the task log, killed with its process group on abort. */
  exec(command: string, args: readonly string[], o?: Omit<ExecOptions, 'signal' | 'onLine'>): Promise<ExecResult>;
  artifacts: ArtifactStore;
  /** A secret by its environment variable name (redacted from logs and output from then on). */
  secret(name: string): string;
  /** Like secret(), but undefined when unset. */
  optionalSecret(name: string | undefined): string | undefined;
  /** A scratch directory for this task under WORKSPACE_PATH (created on first use). */
  workspace(): Promise<string>;
  /** The output this task reported the last time it was IN_PROGRESS (resumable state). */
  previousOutput: Record<string, unknown>;
  /** The worker process's environment (for paths and defaults, not for secrets). */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Set a gauge on the worker process's /metrics (created on first use; a no-op without an
   * exporter). For results worth alerting on, e.g. baton_eval_delta_pp.
   */
  gauge(name: string, help: string, labels: Record<string, string>, value: number): void;
}

/** Return this from run() to report IN_PROGRESS and be called again later (long jobs). */
export class InProgress {
  constructor(
    readonly callbackAfterSeconds: number,
    readonly state: Record<string, unknown> = {},
  ) {}
}

export interface WorkerDefinition<S extends z.ZodTypeAny = z.ZodTypeAny> {
  /** The Conductor task type (taskDefName) this worker polls. */
  taskType: string;
  description: string;
  input: S;
  /** Tasks of this type run at once in one process (overridable by env). @default 1 */
  concurrency?: number;
  /** Poll interval in ms (overridable by env). @default 200 */
  pollIntervalMs?: number;
  run(input: z.output<S>, ctx: TaskCtx): Promise<Record<string, unknown> | InProgress>;
  /** Gauges this worker sets with ctx.gauge, declared so /metrics shows them from the start. */
  gauges?: { name: string; help: string; labelNames: string[] }[];
}

export function defineWorker<S extends z.ZodTypeAny>(def: WorkerDefinition<S>): WorkerDefinition<S> {
  return def;
}

/**
 * Starting the planned workflows of a delivery, exactly once. The plan is in SQLite before the
 * first start (deliveries.ts); each start carries the delivery id as its idempotency key with
 * RETURN_EXISTING, so re-issuing it after a crash or a transient error returns the run that
 * already exists (Baton and Orkes enforce the key; Conductor OSS accepts it without enforcing,
 * where the SQLite record alone prevents a second start).
 */
import { orkesConductorClient, WorkflowExecutor } from '@io-orkes/conductor-javascript';
import type winston from 'winston';
import type { WebhookConfig } from './config';
import type { Delivery, DeliveryStore, StoredStart } from './deliveries';
import type { WebhookMetrics } from './metrics';
import type { PlannedStart } from './routing';

/** The two calls the webhook server makes on a Conductor server. */
export interface ConductorPort {
  start(p: PlannedStart): Promise<string>;
  /** Status and reason of a run. */
  workflow(id: string): Promise<{ status: string; reasonForIncompletion?: string }>;
}

/** A call to Conductor failed; `transient` when trying again later may work (network, 5xx, 429). */
export class ConductorError extends Error {
  constructor(message: string, readonly transient: boolean, readonly status?: number) {
    super(message);
  }
}

class HttpStatusError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function classify(e: unknown): ConductorError {
  const trace = (e as { _trace?: unknown })._trace;
  const message = e instanceof Error ? e.message : String(e);
  if (trace instanceof HttpStatusError) return new ConductorError(message, trace.status >= 500 || trace.status === 429, trace.status);
  return new ConductorError(message, true); // no answer: refused, reset, timed out
}

/** The official SDK's WorkflowExecutor against CONDUCTOR_SERVER_URL (Baton or Conductor). */
export async function sdkConductor(cfg: WebhookConfig['conductor'], requestTimeoutMs = 5000): Promise<ConductorPort> {
  const client = await orkesConductorClient({ serverUrl: cfg.serverUrl, keyId: cfg.keyId, keySecret: cfg.keySecret, requestTimeoutMs, useEnvVars: false });
  // the SDK keeps only the message of an HTTP error; keep the status, to tell 4xx from 5xx
  client.interceptors.error.use((error: unknown, response: Response) => {
    const body = error as { message?: unknown } | string | undefined;
    const text = typeof body === 'string' ? body : typeof body?.message === 'string' ? body.message : JSON.stringify(body);
    return new HttpStatusError(response.status, text || `HTTP ${response.status}`);
  });
  const executor = new WorkflowExecutor(client);
  return {
    async start(p) {
      try {
        return await executor.startWorkflow({
          name: p.name,
          version: p.version,
          input: p.input,
          correlationId: p.correlationId,
          idempotencyKey: p.idempotencyKey,
          idempotencyStrategy: 'RETURN_EXISTING',
        });
      } catch (e) {
        throw classify(e);
      }
    },
    async workflow(id) {
      try {
        const w = await executor.getWorkflow(id, false);
        return { status: String(w.status), reasonForIncompletion: w.reasonForIncompletion };
      } catch (e) {
        throw classify(e);
      }
    },
  };
}

export interface StartOutcome {
  delivery: Delivery;
  /** Workflow ids of the started runs, in plan order. */
  workflowIds: string[];
  errors: { route: string; error: string; retrying: boolean }[];
}

export interface StarterDeps {
  store: DeliveryStore;
  conductor: ConductorPort;
  metrics: WebhookMetrics;
  log: winston.Logger;
  now: () => number;
  /** A status report is recorded with each start (GitHub token set and a commit sha known). */
  reportStatuses: boolean;
  /** Called after a start recorded a status report. */
  onStarted?: () => void;
  /** Transient failures are retried this many times, with backoff. @default 12 */
  maxAttempts?: number;
}

/** Backoff of transient start failures: 2 s, 4 s, … capped at 5 min. */
export const retryDelayMs = (attempt: number) => Math.min(2000 * 2 ** Math.max(0, attempt - 1), 300_000);

export function outcomeOf(d: Delivery): StartOutcome {
  return {
    delivery: d,
    workflowIds: d.starts.filter((s) => s.workflowId).map((s) => s.workflowId!),
    errors: d.starts.filter((s) => s.state !== 'started' && s.error).map((s) => ({ route: s.route, error: s.error!, retrying: s.state === 'planned' })),
  };
}

/**
 * Runs the planned starts of deliveries; one run per delivery at a time (a redelivery arriving
 * while the first is being started waits for the same result).
 */
export function createStarter(deps: StarterDeps) {
  const inFlight = new Map<string, Promise<StartOutcome>>();
  const maxAttempts = deps.maxAttempts ?? 12;

  async function startOne(d: Delivery, s: StoredStart): Promise<void> {
    const log = deps.log.child({ deliveryId: d.id, route: s.route, workflow: s.name });
    const t0 = performance.now();
    try {
      const id = await deps.conductor.start(s);
      deps.metrics.startLatency.observe({ workflow: s.name, outcome: 'started' }, (performance.now() - t0) / 1000);
      const report = deps.reportStatuses && s.status ? { workflowId: id, workflowName: s.name, ...s.status, nextAt: deps.now() } : null;
      deps.store.started(d.id, s.seq, id, report);
      log.info('workflow started', { workflowId: id, correlationId: s.correlationId, idempotencyKey: s.idempotencyKey, attempt: s.attempts + 1 });
      if (report) deps.onStarted?.();
    } catch (e) {
      const err = e instanceof ConductorError ? e : new ConductorError(String(e), true);
      deps.metrics.startLatency.observe({ workflow: s.name, outcome: err.transient ? 'retrying' : 'failed' }, (performance.now() - t0) / 1000);
      const retry = err.transient && s.attempts + 1 < maxAttempts;
      const retryAt = retry ? deps.now() + retryDelayMs(s.attempts + 1) : null;
      deps.store.startFailed(d.id, s.seq, err.message, retryAt);
      log.log(retry ? 'warn' : 'error', retry ? 'workflow start failed; retrying' : 'workflow start failed', {
        error: err.message, httpStatus: err.status, attempt: s.attempts + 1, retryAt: retryAt ? new Date(retryAt).toISOString() : undefined,
      });
    }
  }

  async function run(id: string): Promise<StartOutcome> {
    const d = deps.store.get(id);
    if (!d) throw new Error(`unknown delivery ${id}`);
    for (const s of d.starts) if (s.state === 'planned') await startOne(d, s);
    return outcomeOf(deps.store.get(id)!);
  }

  /** Issues the planned starts of a recorded delivery (again); resolves when each was tried once. */
  function process(id: string): Promise<StartOutcome> {
    const running = inFlight.get(id);
    if (running) return running;
    const p = run(id).finally(() => inFlight.delete(id));
    inFlight.set(id, p);
    return p;
  }

  /** Retries deliveries whose planned starts are due (after a crash: every unfinished one). */
  async function resumeDue(): Promise<number> {
    const due = deps.store.dueDeliveries(deps.now()).filter((id) => !inFlight.has(id));
    for (const id of due) {
      deps.log.info('resuming delivery', { deliveryId: id });
      await process(id);
    }
    return due.length;
  }

  /** Resolves when no delivery is being started (before closing the store). */
  async function idle(): Promise<void> {
    while (inFlight.size) await Promise.allSettled([...inFlight.values()]);
  }

  return { process, resumeDue, idle };
}

export type Starter = ReturnType<typeof createStarter>;

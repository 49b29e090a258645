/**
 * The webhook server: express routes, and the background loop that retries starts and reports
 * commit statuses. `createWebhookServer` wires the parts; main.ts and the tests call it.
 *
 * One delivery, in order: rate limit (429) → content type (415) → body within the limit (413)
 * → signature over the raw bytes (401) → headers (400) → JSON (400) → ping / event not routed
 * (200) → payload shape (400) → known delivery id (200 duplicate, same workflow ids) → routes
 * (200 ignored when none fires) → plan recorded in SQLite → workflows started (202 with their ids;
 * 502 when a start failed; 202 "processing" when starting takes longer than the answer budget).
 */
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type winston from 'winston';
import type { WebhookConfig } from './config';
import { createStatusReporter, octokitStatuses, type CommitStatusApi, type StatusReporter } from './commit-status';
import { DeliveryStore, type Delivery } from './deliveries';
import { createWebhookMetrics, type Outcome } from './metrics';
import { createRateLimiter } from './rate-limit';
import { describeEvent, PayloadError, routeEvent, ROUTED_EVENTS, type RoutedEvent, type Triggers } from './routing';
import { createStarter, outcomeOf, type ConductorPort, type StartOutcome } from './start-workflows';
import { createVerifier, isDeliveryId, isGitHubEvent } from './verify';

export interface WebhookServerDeps {
  config: WebhookConfig;
  triggers: Triggers;
  log: winston.Logger;
  conductor: ConductorPort;
  /** Commit statuses; default @octokit/rest when GITHUB_TOKEN is set, none otherwise. */
  github?: CommitStatusApi;
  now?: () => number;
  /** Period of the background loop (retries, status polls). @default 1000 */
  tickMs?: number;
  /** Status polling backoff, see commit-status.ts. */
  pollMinMs?: number;
  pollMaxMs?: number;
  /** Longest wait for the starts before answering 202 "processing" (GitHub allows 10 s). @default 8000 */
  responseBudgetMs?: number;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const PATHS = ['/webhook/github', '/webhook/github/push'];
/** Finished deliveries are kept 30 days (GitHub redelivers for 3), then forgotten. */
const RETENTION_MS = 30 * 86_400_000;
const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

export function createWebhookServer(deps: WebhookServerDeps) {
  const { config, triggers, log } = deps;
  const now = deps.now ?? Date.now;
  const store = new DeliveryStore(config.dbPath);
  const metrics = createWebhookMetrics({ pendingStarts: () => store.counts().pendingStarts, pendingReports: () => store.counts().pendingReports });
  const verify = createVerifier(config.secret);
  const github = deps.github ?? (config.github ? octokitStatuses(config.github.token, config.github.apiUrl, log) : undefined);
  const reporter: StatusReporter | null = github
    ? createStatusReporter({ store, conductor: deps.conductor, github, uiUrl: config.uiUrl, metrics, log, now, pollMinMs: deps.pollMinMs, pollMaxMs: deps.pollMaxMs })
    : null;
  let kicked: Promise<void> | undefined;
  const kickReporter = () => {
    kicked = reporter?.tick().catch((e) => void log.error('status reporting failed', { error: String(e) }));
  };
  const starter = createStarter({ store, conductor: deps.conductor, metrics, log, now, reportStatuses: reporter !== null, onStarted: kickReporter });
  const limiter = config.rateLimitPerMinute > 0 ? createRateLimiter(config.rateLimitPerMinute, now) : null;
  const budgetMs = deps.responseBudgetMs ?? 8000;

  const eventLabel = (req: Request) => {
    const e = req.get('x-github-event');
    return e && isGitHubEvent(e) ? e : 'unknown';
  };

  const rateLimit: RequestHandler = (req, _res, next) => {
    const r = limiter?.take(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    if (r && !r.ok) {
      _res.setHeader('Retry-After', String(r.retryAfterSeconds));
      return next(new HttpError(429, `rate limit of ${config.rateLimitPerMinute} requests per minute exceeded`));
    }
    next();
  };

  const contentType: RequestHandler = (req, _res, next) => {
    const ct = req.get('content-type');
    if (!ct || !JSON_TYPE.test(ct)) {
      return next(new HttpError(415, `content type must be application/json (got ${ct ? JSON.stringify(ct.slice(0, 80)) : 'none'}); set "Content type: application/json" in the GitHub webhook`));
    }
    next();
  };

  /** Waits for the starts up to the budget; undefined when it ran out (the starts go on). */
  async function withinBudget(p: Promise<StartOutcome>): Promise<StartOutcome | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), budgetMs)));
    try {
      return await Promise.race([p, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  const summary = (d: Delivery) => d.starts.map((s) => ({ route: s.route, workflow: s.name, version: s.version, workflowId: s.workflowId, state: s.state, error: s.error ?? undefined }));

  async function start(id: string, event: RoutedEvent, repeat: boolean, res: Response, done: (o: Outcome, extra?: object) => void): Promise<void> {
    const outcome = await withinBudget(starter.process(id));
    if (!outcome) {
      const d = store.get(id)!;
      res.status(202).json({ deliveryId: id, event, status: 'processing', workflowIds: outcomeOf(d).workflowIds, starts: summary(d) });
      return done('processing');
    }
    const body = { deliveryId: id, event, workflowIds: outcome.workflowIds, starts: summary(outcome.delivery) };
    if (outcome.errors.length) {
      res.status(502).json({ ...body, status: 'failed', errors: outcome.errors });
      return done('failed', { errors: outcome.errors });
    }
    if (repeat) {
      res.status(200).json({ ...body, status: 'duplicate' });
      return done('duplicate', { workflowIds: outcome.workflowIds });
    }
    res.status(202).json({ ...body, status: 'started' });
    done('started', { workflowIds: outcome.workflowIds });
  }

  /** A delivery id seen before: the same workflow ids, after retrying any start that failed. */
  function again(known: Delivery, event: RoutedEvent, res: Response, done: (o: Outcome, extra?: object) => void): Promise<void> {
    const complete = known.starts.every((s) => s.state === 'started');
    if (!complete) store.replan(known.id, now());
    return start(known.id, event, complete, res, done);
  }

  const receive: RequestHandler = async (req, res, next) => {
    const t0 = now();
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const event = req.get('x-github-event');
    const deliveryId = req.get('x-github-delivery');
    const reqLog = log.child({ deliveryId, event });
    const done = (outcome: Outcome, extra: object = {}) => {
      metrics.deliveries.inc({ event: eventLabel(req), outcome });
      reqLog.log(outcome === 'failed' ? 'warn' : 'info', 'delivery handled', { outcome, status: res.statusCode, bytes: raw.length, ms: now() - t0, ...extra });
    };
    try {
      const sig = await verify(raw, req.get('x-hub-signature-256'));
      if (sig !== 'ok') {
        metrics.signatureFailures.inc({ reason: sig });
        throw new HttpError(401, sig === 'missing' ? 'X-Hub-Signature-256 is missing' : `X-Hub-Signature-256 does not match (${sig})`);
      }
      if (!event) throw new HttpError(400, 'X-GitHub-Event is missing');
      if (!isGitHubEvent(event)) throw new HttpError(400, `X-GitHub-Event ${JSON.stringify(event.slice(0, 60))} is not a GitHub webhook event`);
      if (!isDeliveryId(deliveryId)) throw new HttpError(400, 'X-GitHub-Delivery is missing or not an id');
      let payload: unknown;
      try {
        payload = JSON.parse(raw.toString('utf8'));
      } catch (e) {
        throw new HttpError(400, `body is not JSON: ${(e as Error).message}`);
      }
      if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw new HttpError(400, 'body is not a JSON object');

      if (event === 'ping') {
        const p = payload as { zen?: string; hook_id?: number };
        res.status(200).json({ deliveryId, event, status: 'pong', zen: p.zen, hookId: p.hook_id });
        return done('ping');
      }
      if (!(ROUTED_EVENTS as readonly string[]).includes(event)) {
        res.status(200).json({ deliveryId, event, status: 'ignored', reason: `event ${event} is not routed (routed: ${ROUTED_EVENTS.join(', ')})` });
        return done('ignored');
      }
      const routed = event as RoutedEvent;
      let described;
      try {
        described = describeEvent(routed, payload, deliveryId);
      } catch (e) {
        if (e instanceof PayloadError) throw new HttpError(400, e.message);
        throw e;
      }
      if ('ignored' in described) {
        res.status(200).json({ deliveryId, event, status: 'ignored', reason: described.ignored });
        return done('ignored', { reason: described.ignored });
      }
      // a delivery seen before is never routed again: its recorded plan is (re)issued
      const known = store.get(deliveryId);
      if (known) return await again(known, routed, res, done);
      const { starts, skipped } = routeEvent(triggers, described.context, payload);
      if (!starts.length) {
        res.status(200).json({ deliveryId, event, status: 'ignored', reason: 'no route matched', skipped });
        return done('ignored', { reason: 'no route matched', skipped });
      }
      const claimed = store.claim(deliveryId, routed, described.context.repository, starts, now());
      if (!claimed.fresh) return await again(claimed.delivery, routed, res, done);
      await start(deliveryId, routed, false, res, done);
    } catch (e) {
      next(e);
    }
  };

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const e = err as { status?: number; statusCode?: number; type?: string; message?: string; expose?: boolean };
    let status = e instanceof HttpError ? e.status : (e.status ?? e.statusCode ?? 500);
    let message = e.message ?? 'error';
    if (e.type === 'entity.too.large') message = `body larger than ${config.bodyLimit}`;
    else if (e.type === 'request.aborted') message = 'request body cut short';
    else if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported') status = 415;
    else if (!(e instanceof HttpError) && status < 500 && !e.expose) message = 'bad request';
    if (PATHS.includes(req.path)) metrics.deliveries.inc({ event: eventLabel(req), outcome: status >= 500 ? 'failed' : 'rejected' });
    if (status >= 500) {
      log.error('webhook request failed', { deliveryId: req.get('x-github-delivery'), event: req.get('x-github-event'), error: e instanceof Error ? e.stack : String(err) });
      message = 'internal error';
    } else {
      metrics.rejected.inc({ code: String(status) });
      log.warn('webhook request rejected', { deliveryId: req.get('x-github-delivery'), event: req.get('x-github-event'), ip: req.ip, status, reason: message });
    }
    if (res.headersSent) return;
    res.status(status).json({ error: message });
  };

  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', ...store.counts(), commitStatuses: reporter !== null });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  app.post(PATHS, rateLimit, contentType, express.raw({ type: () => true, limit: config.bodyLimit }), receive);
  app.use(onError);

  // the background loop: due retries of starts, then a step of every due status report
  let timer: NodeJS.Timeout | undefined;
  let looping: Promise<void> | undefined;
  let stopped = false;
  let prunedAt = 0;
  const loop = async () => {
    try {
      await starter.resumeDue();
      await reporter?.tick();
      if (now() - prunedAt > 3_600_000) {
        prunedAt = now();
        const n = store.prune(now() - RETENTION_MS);
        if (n) log.info('old deliveries pruned', { deliveries: n });
      }
    } catch (e) {
      log.error('background loop failed', { error: String(e) });
    }
    if (!stopped) timer = setTimeout(() => (looping = loop()), deps.tickMs ?? 1000);
  };

  let server: Server | undefined;
  return {
    app,
    store,
    metrics,
    /** Starts the background loop (resuming what a previous process left) and listens. */
    async listen(port = config.port, host = config.host): Promise<number> {
      looping = loop();
      server = createServer(app);
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, host, () => resolve());
      });
      return (server.address() as AddressInfo).port;
    },
    /** Runs the background loop once (tests drive it without timers). */
    tick: async () => {
      await starter.resumeDue();
      await reporter?.tick();
    },
    async close(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await looping;
      await starter.idle();
      await kicked;
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      store.close();
    },
  };
}

export type WebhookServer = ReturnType<typeof createWebhookServer>;

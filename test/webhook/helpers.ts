/** Shared set-up of the webhook tests: a test secret, signed requests, an in-memory Conductor. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import winston from 'winston';
import { createWebhookServer, type WebhookServer, type WebhookServerDeps } from '../../webhook-server/app';
import { loadWebhookConfig } from '../../webhook-server/config';
import { parseTriggers, type PlannedStart } from '../../webhook-server/routing';
import { ConductorError, type ConductorPort } from '../../webhook-server/start-workflows';
import { sign } from '../../webhook-server/verify';

export const SECRET = "It's a Secret to Everybody";

export const silentLog = () => winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });

/** Conductor in memory: records every start call, honours idempotency keys like Baton. */
export class FakeConductor implements ConductorPort {
  calls: PlannedStart[] = [];
  runs = new Map<string, { start: PlannedStart; status: string; reason?: string }>();
  private byKey = new Map<string, string>();
  private failures: ConductorError[] = [];
  private n = 0;

  /** The next start calls throw these, in order. */
  failNext(...errors: ConductorError[]): void {
    this.failures.push(...errors);
  }

  async start(p: PlannedStart): Promise<string> {
    this.calls.push(p);
    const f = this.failures.shift();
    if (f) throw f;
    const prior = this.byKey.get(p.idempotencyKey);
    if (prior) return prior;
    const id = `wf-${++this.n}`;
    this.byKey.set(p.idempotencyKey, id);
    this.runs.set(id, { start: p, status: 'RUNNING' });
    return id;
  }

  async workflow(id: string): Promise<{ status: string; reasonForIncompletion?: string }> {
    const r = this.runs.get(id);
    if (!r) throw new ConductorError(`no workflow ${id}`, false, 404);
    return { status: r.status, reasonForIncompletion: r.reason };
  }

  end(id: string, status: string, reason?: string): void {
    this.runs.get(id)!.status = status;
    this.runs.get(id)!.reason = reason;
  }

  /** Workflows that exist (a repeated idempotent call is not a second one). */
  get started(): number {
    return this.runs.size;
  }
}

export const TEST_TRIGGERS = {
  routes: [
    {
      name: 'firmware',
      repository: 'acme/firmware',
      branches: ['main', 'release/**'],
      tags: ['v*'],
      paths: ['src/**', 'include/**', '!src/docs/**'],
      workflow: { name: 'firmware_ci_cd', version: 1 },
      input: { repo: '${repo}', branch: '${branch}', commit_sha: '${sha}', repo_url: '${clone_url}', pusher: '${pusher}', files: '${changed_files}', device_ip: '10.0.0.7' },
    },
  ],
};

export interface TestServer {
  server: WebhookServer;
  conductor: FakeConductor;
  dir: string;
  /** A POST of `payload` signed with the test secret (override any header). */
  post(payload: unknown, o?: { event?: string; delivery?: string; headers?: Record<string, string>; path?: string; raw?: string }): Promise<request.Response>;
  close(): Promise<void>;
}

let seq = 0;
export const newDeliveryId = () => `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`;

export async function testServer(o: { triggers?: unknown; env?: Record<string, string>; conductor?: ConductorPort; dir?: string } & Partial<Omit<WebhookServerDeps, 'config' | 'triggers' | 'conductor'>> = {}): Promise<TestServer> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'baton-webhook-'));
  const config = loadWebhookConfig({ GITHUB_WEBHOOK_SECRET: SECRET, WEBHOOK_DB: join(dir, 'webhook.db'), WEBHOOK_RATE_LIMIT_PER_MINUTE: '0', ...(o.env ?? {}) });
  // a FakeConductor unless the test brings its own port
  const conductor = (o.conductor ?? new FakeConductor()) as FakeConductor;
  const server = createWebhookServer({ log: silentLog(), pollMinMs: 0, ...o, config, triggers: parseTriggers(o.triggers ?? TEST_TRIGGERS, 'test'), conductor });
  return {
    server,
    conductor,
    dir,
    async post(payload, p = {}) {
      const body = p.raw ?? JSON.stringify(payload);
      return request(server.app)
        .post(p.path ?? '/webhook/github')
        .set({
          'content-type': 'application/json',
          'x-github-event': p.event ?? 'push',
          'x-github-delivery': p.delivery ?? newDeliveryId(),
          'x-hub-signature-256': await sign(SECRET, body),
          ...(p.headers ?? {}),
        })
        .send(body);
    },
    async close() {
      await server.close();
      if (!o.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A push to acme/firmware shaped as GitHub sends it (only the fields that matter here vary). */
export function pushPayload(o: { ref?: string; after?: string; before?: string; files?: string[]; deleted?: boolean; repo?: string } = {}) {
  const full = o.repo ?? 'acme/firmware';
  const after = o.after ?? 'a'.repeat(40);
  return {
    ref: o.ref ?? 'refs/heads/main',
    before: o.before ?? 'b'.repeat(40),
    after: o.deleted ? '0'.repeat(40) : after,
    created: false,
    deleted: o.deleted ?? false,
    forced: false,
    base_ref: null,
    compare: `https://github.com/${full}/compare/x...y`,
    commits: [{ id: after, message: 'change', added: [], removed: [], modified: o.files ?? ['src/main.c'] }],
    head_commit: { id: after, message: 'change', added: [], removed: [], modified: o.files ?? ['src/main.c'] },
    repository: { name: full.split('/')[1], full_name: full, clone_url: `https://github.com/${full}.git`, ssh_url: `git@github.com:${full}.git`, html_url: `https://github.com/${full}` },
    pusher: { name: 'ada', email: 'ada@example.com' },
    sender: { login: 'ada' },
  };
}

/**
 * The webhook server's configuration: one schema, parsed once at start from the environment
 * (and `.env` via dotenv in main.ts) into a frozen object. Nothing else here reads process.env.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseTriggers, TriggersError, type Triggers } from './routing';

const port = z.coerce.number().int().min(0).max(65535);
const url = z.string().url();

/** The variables, each with its default (a test checks .env.example against these). */
export const WebhookConfigFields = z.object({
  /** TCP port of the webhook endpoint. @default 3000 (the seed runbook's) */
  WEBHOOK_PORT: port.default(3000),
  /** Interface to bind. @default 127.0.0.1 (0.0.0.0, or a reverse proxy, to receive from GitHub) */
  WEBHOOK_HOST: z.string().min(1).default('127.0.0.1'),
  /** The secret entered in GitHub's webhook settings; deliveries not signed with it answer 401. */
  GITHUB_WEBHOOK_SECRET: z.string({ required_error: 'required: the secret set in the GitHub webhook' }).min(1, 'must not be empty'),
  /** Routing file: which events start which workflows. @default ./webhook-server/triggers.json */
  WEBHOOK_TRIGGERS: z.string().min(1).default('./webhook-server/triggers.json'),
  /** SQLite file of deliveries and pending commit statuses (WAL). @default ./data/webhook.db */
  WEBHOOK_DB: z.string().min(1).default('./data/webhook.db'),
  /** Largest accepted delivery (GitHub caps payloads at 25 MB). @default 25mb */
  WEBHOOK_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'a size such as 512kb or 25mb').default('25mb'),
  /** Requests per minute per source IP before 429; 0 turns the limit off. @default 120 */
  WEBHOOK_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(120),
  /** winston level. @default info */
  WEBHOOK_LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
  /** The Conductor server workflows are started on (Baton or Conductor OSS). */
  CONDUCTOR_SERVER_URL: url.default('http://localhost:8080/api'),
  /** Orkes-style key and secret, when the server wants a token. */
  CONDUCTOR_AUTH_KEY: z.string().optional(),
  CONDUCTOR_AUTH_SECRET: z.string().optional(),
  /** Token with `repo:status` (classic) or "Commit statuses: write" (fine-grained); unset = no statuses. */
  GITHUB_TOKEN: z.string().optional(),
  /** GitHub REST API root (GitHub Enterprise: https://HOST/api/v3). @default https://api.github.com */
  GITHUB_API_URL: url.default('https://api.github.com'),
  /** Where people open a run: a status links to BATON_UI_URL/execution/{workflowId}. @default http://localhost:8080 */
  BATON_UI_URL: url.default('http://localhost:8080'),
});

export type WebhookConfig = Readonly<{
  port: number;
  host: string;
  secret: string;
  triggersPath: string;
  dbPath: string;
  bodyLimit: string;
  rateLimitPerMinute: number;
  logLevel: string;
  conductor: Readonly<{ serverUrl: string; keyId?: string; keySecret?: string }>;
  /** Commit statuses back to GitHub; undefined when GITHUB_TOKEN is unset. */
  github?: Readonly<{ token: string; apiUrl: string }>;
  uiUrl: string;
}>;

export class ConfigError extends Error {}

const SECRET = /SECRET|TOKEN/;

export function loadWebhookConfig(env: Record<string, string | undefined>): WebhookConfig {
  const r = WebhookConfigFields.safeParse(env);
  const issues = r.success ? [] : r.error.issues.map((i) => ({ key: String(i.path[0]), message: i.message }));
  if (r.success && Boolean(r.data.CONDUCTOR_AUTH_KEY) !== Boolean(r.data.CONDUCTOR_AUTH_SECRET)) {
    issues.push({ key: r.data.CONDUCTOR_AUTH_KEY ? 'CONDUCTOR_AUTH_SECRET' : 'CONDUCTOR_AUTH_KEY', message: 'set both CONDUCTOR_AUTH_KEY and CONDUCTOR_AUTH_SECRET, or neither' });
  }
  if (!r.success || issues.length) {
    const shown = (k: string) => (SECRET.test(k) && env[k] ? '"<redacted>"' : JSON.stringify(env[k]));
    throw new ConfigError(`Invalid webhook server configuration:\n${issues.map((i) => `  ${i.key}: ${i.message} (got ${shown(i.key)})`).join('\n')}`);
  }
  const c = r.data;
  const trim = (u: string) => u.replace(/\/+$/, '');
  return Object.freeze({
    port: c.WEBHOOK_PORT,
    host: c.WEBHOOK_HOST,
    secret: c.GITHUB_WEBHOOK_SECRET,
    triggersPath: c.WEBHOOK_TRIGGERS,
    dbPath: c.WEBHOOK_DB,
    bodyLimit: c.WEBHOOK_BODY_LIMIT,
    rateLimitPerMinute: c.WEBHOOK_RATE_LIMIT_PER_MINUTE,
    logLevel: c.WEBHOOK_LOG_LEVEL,
    conductor: Object.freeze({ serverUrl: trim(c.CONDUCTOR_SERVER_URL), keyId: c.CONDUCTOR_AUTH_KEY || undefined, keySecret: c.CONDUCTOR_AUTH_SECRET || undefined }),
    github: c.GITHUB_TOKEN ? Object.freeze({ token: c.GITHUB_TOKEN, apiUrl: trim(c.GITHUB_API_URL) }) : undefined,
    uiUrl: trim(c.BATON_UI_URL),
  });
}

/**
 * Reads and validates the triggers file; a TriggersError names the file and the field.
 * @example loadTriggersFile('./webhook-server/triggers.json')
 */
export function loadTriggersFile(path: string): Triggers {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TriggersError(`Cannot read triggers file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (set WEBHOOK_TRIGGERS)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TriggersError(`Invalid triggers file ${path}: not JSON: ${(e as Error).message}`);
  }
  return parseTriggers(json, path);
}

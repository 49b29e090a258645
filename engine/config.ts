/**
 * Engine configuration: one schema, parsed once at boot from the environment (and `.env` via
 * dotenv) into a frozen object. Nothing else in the engine reads process.env.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** The variables, each with its default (the test checks .env.example against these). */
export const ConfigFields = z.object({
  /** TCP port of the Conductor API. @default 8080 */
  BATON_PORT: port.default(8080),
  /** Interface to bind. @default 127.0.0.1 (set 0.0.0.0 to serve the LAN) */
  BATON_HOST: z.string().min(1).default('127.0.0.1'),
  /** SQLite database file. @default ./data/baton.db */
  BATON_DB: z.string().min(1).default('./data/baton.db'),
  /** winston level. @default info */
  BATON_LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
  /** Largest accepted request body. @default 5mb */
  BATON_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'a size such as 512kb or 5mb').default('5mb'),
  /** Task definitions registered at start-up (every *.json file). @default ./taskdefs */
  BATON_TASKDEFS_DIR: z.string().default('./taskdefs'),
  /** Workflow definitions registered at start-up (every *.json file). @default ./workflows */
  BATON_WORKFLOWS_DIR: z.string().default('./workflows'),
  /** Wall-clock budget of one script evaluation (INLINE, SWITCH, DO_WHILE), ms. @default 4000 (Conductor's 4 s) */
  BATON_SCRIPT_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(4000),
  /** Heap cap of one script evaluation, MiB. @default 32 */
  BATON_SCRIPT_MEMORY_MB: z.coerce.number().int().min(1).max(4096).default(32),
  /** Require ownerEmail on definitions, as Conductor's core default does. @default false */
  BATON_OWNER_EMAIL_MANDATORY: bool.default('false'),
  /** Run workflow schedules (/api/scheduler). @default true */
  BATON_SCHEDULER_ENABLED: bool.default('true'),
  /** Every *.json (a WorkflowSchedule or an array) is created at start when missing. @default ./schedules */
  BATON_SCHEDULES_DIR: z.string().default('./schedules'),
  /** Key id and secret for /api/token; both set = every /api call needs X-Authorization. */
  BATON_AUTH_KEY_ID: z.string().optional(),
  BATON_AUTH_KEY_SECRET: z.string().optional(),
  /** Lifetime of a token from /api/token, seconds. @default 3600 */
  BATON_AUTH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(7 * 86_400).default(3600),
  /** The UI at /: unset = the built-in one; a directory = that single-page app's build instead
   * (e.g. a Conductor UI build); `off` = no UI. @default unset */
  BATON_UI_DIR: z.string().optional(),
});

export const ConfigSchema = ConfigFields.superRefine((c, ctx) => {
  const id = c.BATON_AUTH_KEY_ID ?? '';
  const secret = c.BATON_AUTH_KEY_SECRET ?? '';
  if ((id === '') !== (secret === '')) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: [id ? 'BATON_AUTH_KEY_SECRET' : 'BATON_AUTH_KEY_ID'], message: 'set both BATON_AUTH_KEY_ID and BATON_AUTH_KEY_SECRET, or neither' });
  }
  if (secret !== '' && secret.length < 16) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['BATON_AUTH_KEY_SECRET'], message: 'must be at least 16 characters' });
  const ui = c.BATON_UI_DIR ?? '';
  if (ui !== '' && ui !== 'off' && !existsSync(join(ui, 'index.html'))) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['BATON_UI_DIR'], message: 'must be a directory holding index.html, or off' });
  }
});

export type Config = Readonly<{
  port: number;
  host: string;
  dbPath: string;
  logLevel: string;
  bodyLimit: string;
  taskDefsDir: string;
  workflowsDir: string;
  ownerEmailMandatory: boolean;
  scriptTimeoutMs: number;
  scriptMemoryBytes: number;
  schedulerEnabled: boolean;
  schedulesDir: string;
  /** Key id and secret for /api/token, when auth is on. */
  auth?: Readonly<{ keyId: string; keySecret: string; tokenTtlSeconds: number }>;
  /** The UI at /: the built-in one, another app's build directory, or none. */
  ui: Readonly<{ dir?: string }> | false;
  /** The environment `${NAME}` expressions may read (Conductor exposes the server's env). */
  env: Readonly<Record<string, string | undefined>>;
}>;

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const r = ConfigSchema.safeParse(env);
  if (!r.success) {
    const shown = (k: string) => (/SECRET/.test(k) && env[k] ? '"<redacted>"' : JSON.stringify(env[k]));
    const lines = r.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message} (got ${shown(String(i.path[0]))})`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = r.data;
  return Object.freeze({
    port: c.BATON_PORT,
    host: c.BATON_HOST,
    dbPath: c.BATON_DB,
    logLevel: c.BATON_LOG_LEVEL,
    bodyLimit: c.BATON_BODY_LIMIT,
    taskDefsDir: c.BATON_TASKDEFS_DIR,
    workflowsDir: c.BATON_WORKFLOWS_DIR,
    ownerEmailMandatory: c.BATON_OWNER_EMAIL_MANDATORY,
    scriptTimeoutMs: c.BATON_SCRIPT_TIMEOUT_MS,
    scriptMemoryBytes: c.BATON_SCRIPT_MEMORY_MB * 1024 * 1024,
    schedulerEnabled: c.BATON_SCHEDULER_ENABLED,
    schedulesDir: c.BATON_SCHEDULES_DIR,
    auth: c.BATON_AUTH_KEY_ID && c.BATON_AUTH_KEY_SECRET
      ? Object.freeze({ keyId: c.BATON_AUTH_KEY_ID, keySecret: c.BATON_AUTH_KEY_SECRET, tokenTtlSeconds: c.BATON_AUTH_TOKEN_TTL_SECONDS })
      : undefined,
    ui: c.BATON_UI_DIR === 'off' ? false : Object.freeze(c.BATON_UI_DIR ? { dir: c.BATON_UI_DIR } : {}),
    env: Object.freeze({ ...env }),
  });
}

#!/usr/bin/env node
/**
 * `baton`: thin command line over the Conductor REST API (Baton's engine or Conductor OSS, at
 * CONDUCTOR_SERVER_URL). Every command is a few HTTP calls; nothing here knows the engine.
 *
 *   baton register [DIR...]                 POST taskdefs/*.json, PUT workflows/*.json (default dirs)
 *   baton start NAME [--input JSON|@FILE] [--version N] [--correlation-id ID] [--watch]
 *   baton status ID [--watch]               one line per task, refreshed until the run ends
 *   baton logs TASK_ID [--follow]           a task's log lines
 *   baton export [--out FILE]               task defs, workflow defs (all versions), event handlers, schedules
 *   baton import FILE                       the same back (backup/restore)
 */
import 'dotenv/config';
import { readFileSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** Read per call, so one process (a test) can talk to several servers. */
const server = () => (process.env.CONDUCTOR_SERVER_URL || 'http://localhost:8080/api').replace(/\/+$/, '');
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED']);

export class CliError extends Error {}

const tokens = new Map<string, string>();
async function call<T = unknown>(method: string, path: string, body?: unknown, okStatuses: number[] = []): Promise<T> {
  let token = tokens.get(server());
  if (!token && process.env.CONDUCTOR_AUTH_KEY && process.env.CONDUCTOR_AUTH_SECRET) {
    const r = await fetch(`${server()}/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ keyId: process.env.CONDUCTOR_AUTH_KEY, keySecret: process.env.CONDUCTOR_AUTH_SECRET }) });
    if (!r.ok) throw new CliError(`POST /token: ${r.status} ${await r.text()}`);
    token = ((await r.json()) as { token: string }).token;
    tokens.set(server(), token);
  }
  let res: Response;
  try {
    res = await fetch(`${server()}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(token ? { 'X-Authorization': token } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new CliError(`cannot reach ${server()} (${(e as Error).cause ?? (e as Error).message}); is the server running? (CONDUCTOR_SERVER_URL)`);
  }
  const text = await res.text();
  if (!res.ok && !okStatuses.includes(res.status)) {
    let msg = text;
    try {
      const j = JSON.parse(text) as { message?: string; validationErrors?: { path: string; message: string }[] };
      msg = [j.message, ...(j.validationErrors ?? []).map((v) => `  ${v.path}: ${v.message}`)].filter(Boolean).join('\n');
    } catch {
      /* not JSON */
    }
    throw new CliError(`${method} ${path}: ${res.status}\n${msg}`);
  }
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as T; // ids come back as text/plain
  }
}

const jsonFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      try {
        return { file: join(dir, f), json: JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown };
      } catch (e) {
        throw new CliError(`${join(dir, f)}: not JSON (${(e as Error).message})`);
      }
    });

async function register(dirs: string[]): Promise<string> {
  const [taskDir, wfDir] = dirs.length ? dirs : ['taskdefs', 'workflows'];
  const taskDefs = taskDir ? jsonFiles(taskDir).flatMap((f) => (Array.isArray(f.json) ? f.json : [f.json])) : [];
  const workflows = wfDir ? jsonFiles(wfDir).map((f) => f.json) : [];
  if (taskDefs.length) await call('POST', '/metadata/taskdefs', taskDefs);
  if (workflows.length) await call('PUT', '/metadata/workflow', workflows);
  return `registered ${taskDefs.length} task definitions, ${workflows.length} workflows on ${server()}`;
}

function parseInput(raw: string | undefined): unknown {
  if (raw === undefined) return {};
  const text = raw.startsWith('@') ? readFileSync(raw.slice(1), 'utf8') : raw;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new CliError(`--input is not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CliError('--input must be a JSON object');
  return v;
}

interface Wf {
  status: string;
  workflowName?: string;
  workflowId: string;
  reasonForIncompletion?: string;
  output?: unknown;
  tasks?: { referenceTaskName: string; taskType: string; status: string; retryCount?: number; startTime?: number; endTime?: number; updateTime?: number; reasonForIncompletion?: string }[];
}

/** One line per task: ref, type, status, duration, retry, reason. */
export function progressLines(wf: Wf, now = Date.now()): string[] {
  const lines = [`${wf.workflowName ?? ''} ${wf.workflowId} ${wf.status}${wf.reasonForIncompletion ? `: ${wf.reasonForIncompletion}` : ''}`];
  for (const t of wf.tasks ?? []) {
    const ran = t.startTime ? ((t.endTime || now) - t.startTime) / 1000 : 0;
    const retry = t.retryCount ? ` retry ${t.retryCount}` : '';
    lines.push(`  ${t.referenceTaskName.padEnd(20)} ${t.taskType.padEnd(16)} ${t.status.padEnd(26)} ${ran ? `${ran.toFixed(1)}s` : ''}${retry}${t.reasonForIncompletion ? `  ${t.reasonForIncompletion}` : ''}`);
  }
  return lines;
}

async function status(id: string, watch: boolean, out: (s: string) => void): Promise<Wf> {
  let printed = 0;
  for (;;) {
    const wf = await call<Wf>('GET', `/workflow/${encodeURIComponent(id)}?includeTasks=true`);
    const lines = progressLines(wf);
    if (watch && process.stdout.isTTY && printed) process.stdout.write(`\x1b[${printed}A\x1b[J`);
    out(lines.join('\n'));
    printed = lines.length;
    if (!watch || TERMINAL.has(wf.status)) return wf;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function logs(taskId: string, follow: boolean, out: (s: string) => void): Promise<void> {
  let shown = 0;
  for (;;) {
    const entries = await call<{ log: string; createdTime: number }[]>('GET', `/tasks/${encodeURIComponent(taskId)}/log`);
    for (const e of entries.slice(shown)) out(`${new Date(e.createdTime).toISOString()} ${e.log}`);
    shown = entries.length;
    if (!follow) return;
    const task = await call<{ status: string }>('GET', `/tasks/${encodeURIComponent(taskId)}`);
    if (!['SCHEDULED', 'IN_PROGRESS'].includes(task.status)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface Backup {
  kind: 'baton-definitions';
  server: string;
  exportedAt: string;
  taskDefs: unknown[];
  workflowDefs: unknown[];
  eventHandlers: unknown[];
  schedules: unknown[];
}

async function exportDefs(): Promise<Backup> {
  const [taskDefs, workflowDefs, eventHandlers] = await Promise.all([
    call<unknown[]>('GET', '/metadata/taskdefs'),
    call<unknown[]>('GET', '/metadata/workflow'),
    call<unknown[]>('GET', '/event'),
  ]);
  // a server without the scheduler module answers 404: nothing to back up there
  const schedules = (await call<unknown[] | undefined>('GET', '/scheduler/schedules', undefined, [404])) ?? [];
  return { kind: 'baton-definitions', server: server(), exportedAt: new Date().toISOString(), taskDefs, workflowDefs, eventHandlers: eventHandlers ?? [], schedules: Array.isArray(schedules) ? schedules : [] };
}

async function importDefs(file: string): Promise<string> {
  let b: Backup;
  try {
    b = JSON.parse(readFileSync(file, 'utf8')) as Backup;
  } catch (e) {
    throw new CliError(`${file}: ${(e as Error).message}`);
  }
  if (b?.kind !== 'baton-definitions') throw new CliError(`${file}: not a backup written by \`baton export\``);
  if (b.taskDefs.length) await call('POST', '/metadata/taskdefs', b.taskDefs);
  if (b.workflowDefs.length) await call('PUT', '/metadata/workflow', b.workflowDefs);
  for (const h of b.eventHandlers) {
    const name = (h as { name: string }).name;
    // update when it exists, add otherwise
    const exists = ((await call<{ name: string }[]>('GET', '/event')) ?? []).some((x) => x.name === name);
    await call(exists ? 'PUT' : 'POST', '/event', h);
  }
  for (const s of b.schedules) await call('POST', '/scheduler/schedules', s);
  return `imported ${b.taskDefs.length} task definitions, ${b.workflowDefs.length} workflow versions, ${b.eventHandlers.length} event handlers, ${b.schedules.length} schedules into ${server()}`;
}

export async function main(argv: string[], out: (s: string) => void = console.log): Promise<number> {
  const [cmd, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { input: { type: 'string' }, version: { type: 'string' }, 'correlation-id': { type: 'string' }, watch: { type: 'boolean' }, follow: { type: 'boolean' }, out: { type: 'string' } },
  });
  switch (cmd) {
    case 'register':
      for (const d of positionals) if (!statSync(d, { throwIfNoEntry: false })?.isDirectory()) throw new CliError(`${d}: not a directory`);
      out(await register(positionals));
      return 0;
    case 'start': {
      const name = positionals[0];
      if (!name) throw new CliError('usage: baton start NAME [--input JSON|@FILE] [--version N] [--correlation-id ID] [--watch]');
      const version = values.version === undefined ? undefined : Number(values.version);
      if (version !== undefined && !Number.isInteger(version)) throw new CliError('--version must be an integer');
      const id = await call<string>('POST', '/workflow', { name, version, input: parseInput(values.input), correlationId: values['correlation-id'] });
      out(String(id));
      if (!values.watch) return 0;
      const wf = await status(String(id), true, out);
      return wf.status === 'COMPLETED' ? 0 : 1;
    }
    case 'status': {
      if (!positionals[0]) throw new CliError('usage: baton status WORKFLOW_ID [--watch]');
      const wf = await status(positionals[0], Boolean(values.watch), out);
      return TERMINAL.has(wf.status) && wf.status !== 'COMPLETED' ? 1 : 0;
    }
    case 'logs':
      if (!positionals[0]) throw new CliError('usage: baton logs TASK_ID [--follow]');
      await logs(positionals[0], Boolean(values.follow), out);
      return 0;
    case 'export': {
      const b = await exportDefs();
      const text = `${JSON.stringify(b, null, 2)}\n`;
      if (values.out) {
        writeFileSync(values.out, text);
        out(`exported ${b.taskDefs.length} task definitions, ${b.workflowDefs.length} workflow versions, ${b.eventHandlers.length} event handlers, ${b.schedules.length} schedules to ${values.out}`);
      } else out(text.trimEnd());
      return 0;
    }
    case 'import':
      if (!positionals[0]) throw new CliError('usage: baton import FILE');
      out(await importDefs(positionals[0]));
      return 0;
    default:
      throw new CliError(`usage: baton register|start|status|logs|export|import … (see scripts/baton.ts)${cmd ? `\nunknown command: ${cmd}` : ''}`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof CliError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? (e as Error).message : e);
      process.exit(e instanceof CliError ? 2 : 1);
    },
  );
}

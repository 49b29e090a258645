/**
 * Workflow schedules (Conductor OSS scheduler module): the WorkflowSchedule shape, its
 * validation, when it next runs and what it starts. Pure: time comes in as arguments.
 *
 * Cron expressions are Spring's: six fields (second minute hour day-of-month month
 * day-of-week) or a macro such as @daily, evaluated in the schedule's zoneId.
 */
import { CronExpressionParser } from 'cron-parser';
import type { FieldViolation } from './errors';
import type { JsonMap } from './model';

export interface CronSchedule {
  cronExpression: string;
  zoneId?: string;
}

export interface WorkflowSchedule {
  name: string;
  cronExpression?: string;
  cronSchedules?: CronSchedule[];
  runCatchupScheduleInstances: boolean;
  paused: boolean;
  pausedReason?: string;
  startWorkflowRequest: JsonMap & { name: string };
  zoneId: string;
  scheduleStartTime?: number;
  scheduleEndTime?: number;
  createTime?: number;
  updatedTime?: number;
  createdBy?: string;
  updatedBy?: string;
  description?: string;
  nextRunTime?: number;
}

export type ScheduleExecutionState = 'POLLED' | 'FAILED' | 'EXECUTED';

/** WorkflowScheduleExecutionModel: one firing of a schedule. */
export interface ScheduleExecution {
  executionId: string;
  scheduleName: string;
  scheduledTime: number;
  executionTime: number;
  workflowName: string;
  workflowId?: string;
  reason?: string;
  stackTrace?: string;
  startWorkflowRequest: JsonMap;
  state: ScheduleExecutionState;
  zoneId: string;
}

const MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** A Spring cron expression's problem, or undefined when it parses. */
export function cronProblem(expr: string, zoneId = 'UTC'): string | undefined {
  const trimmed = expr.trim();
  if (!MACROS.has(trimmed.toLowerCase())) {
    const fields = trimmed.split(/\s+/).filter(Boolean).length;
    if (fields !== 6) return `Cron expression must consist of 6 fields (found ${fields} in "${expr}")`;
  }
  try {
    CronExpressionParser.parse(trimmed, { tz: zoneId, currentDate: new Date(0) });
    return undefined;
  } catch (e) {
    return `Invalid cron expression "${expr}": ${(e as Error).message}`;
  }
}

export function isZoneId(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The first time strictly after `after` that `expr` matches in `zoneId`. */
export function nextCronTime(expr: string, zoneId: string, after: number): number | undefined {
  try {
    return CronExpressionParser.parse(expr.trim(), { tz: zoneId, currentDate: new Date(after) }).next().getTime();
  } catch {
    return undefined; // past the last match (cron-parser throws when it runs out)
  }
}

/** The crons a schedule runs on: its cronSchedules list when not empty, else cronExpression/zoneId. */
export function effectiveCrons(s: WorkflowSchedule): Required<CronSchedule>[] {
  if (s.cronSchedules && s.cronSchedules.length > 0) return s.cronSchedules.map((c) => ({ cronExpression: c.cronExpression, zoneId: c.zoneId ?? 'UTC' }));
  return s.cronExpression ? [{ cronExpression: s.cronExpression, zoneId: s.zoneId ?? 'UTC' }] : [];
}

/**
 * When the schedule next runs, as Conductor's computeNextSchedule: catch-up schedules run every
 * instance after the last one (even in the past); others skip to the first after now. Bounded by
 * scheduleStartTime/scheduleEndTime; undefined when it never runs again.
 */
export function nextRunTime(s: WorkflowSchedule, now: number, lastExpected: number): { at: number; cron: string; zoneId: string } | undefined {
  let best: { at: number; cron: string; zoneId: string } | undefined;
  for (const c of effectiveCrons(s)) {
    let at: number | undefined;
    if (s.runCatchupScheduleInstances) at = nextCronTime(c.cronExpression, c.zoneId, lastExpected);
    else if (s.scheduleStartTime !== undefined && now < s.scheduleStartTime - 500) at = nextCronTime(c.cronExpression, c.zoneId, s.scheduleStartTime - 500);
    else {
      at = nextCronTime(c.cronExpression, c.zoneId, Math.max(now, lastExpected));
      if (at !== undefined && s.scheduleEndTime !== undefined && at > s.scheduleEndTime) at = undefined;
    }
    if (at !== undefined && (!best || at < best.at)) best = { at, cron: c.cronExpression, zoneId: c.zoneId };
  }
  return best;
}

const isObj = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);
const optInt = (v: unknown) => v === undefined || v === null || Number.isInteger(v);

/** Validate a SaveScheduleRequest body; violations name `saveSchedule.<field>`. */
export function scheduleViolations(body: unknown): FieldViolation[] {
  const p = 'saveSchedule';
  if (!isObj(body)) return [{ path: p, message: 'WorkflowSchedule must be a JSON object' }];
  const v: FieldViolation[] = [];
  if (typeof body.name !== 'string' || body.name.trim() === '') v.push({ path: `${p}.name`, message: 'Schedule name cannot be null or empty' });
  else if (!/^[A-Za-z0-9_.\-]+$/.test(body.name)) v.push({ path: `${p}.name`, message: 'Schedule name may contain only letters, digits, _, . and -', invalidValue: body.name });
  const zone = body.zoneId === undefined || body.zoneId === null ? 'UTC' : body.zoneId;
  if (typeof zone !== 'string' || !isZoneId(zone)) v.push({ path: `${p}.zoneId`, message: `Unknown time zone: ${String(zone)}`, invalidValue: zone });
  const list = body.cronSchedules;
  if (list !== undefined && list !== null && !Array.isArray(list)) v.push({ path: `${p}.cronSchedules`, message: 'cronSchedules must be a list' });
  const entries = Array.isArray(list) ? list : [];
  entries.forEach((c, i) => {
    const at = `${p}.cronSchedules[${i}]`;
    if (!isObj(c) || typeof c.cronExpression !== 'string') return void v.push({ path: `${at}.cronExpression`, message: 'cronExpression cannot be empty' });
    const z = c.zoneId ?? 'UTC';
    if (typeof z !== 'string' || !isZoneId(z)) return void v.push({ path: `${at}.zoneId`, message: `Unknown time zone: ${String(z)}`, invalidValue: z });
    const bad = cronProblem(c.cronExpression, z);
    if (bad) v.push({ path: `${at}.cronExpression`, message: bad, invalidValue: c.cronExpression });
  });
  if (entries.length === 0) {
    if (typeof body.cronExpression !== 'string' || body.cronExpression.trim() === '') v.push({ path: `${p}.cronExpression`, message: 'cronExpression cannot be empty' });
    else if (typeof zone === 'string' && isZoneId(zone)) {
      const bad = cronProblem(body.cronExpression, zone);
      if (bad) v.push({ path: `${p}.cronExpression`, message: bad, invalidValue: body.cronExpression });
    }
  }
  const swr = body.startWorkflowRequest;
  if (!isObj(swr)) v.push({ path: `${p}.startWorkflowRequest`, message: 'startWorkflowRequest cannot be null' });
  else if (typeof swr.name !== 'string' || swr.name === '') v.push({ path: `${p}.startWorkflowRequest.name`, message: 'Workflow name cannot be null or empty' });
  for (const k of ['scheduleStartTime', 'scheduleEndTime'] as const) if (!optInt(body[k])) v.push({ path: `${p}.${k}`, message: `${k} must be epoch milliseconds`, invalidValue: body[k] });
  for (const k of ['runCatchupScheduleInstances', 'paused'] as const) {
    if (body[k] !== undefined && body[k] !== null && typeof body[k] !== 'boolean') v.push({ path: `${p}.${k}`, message: `${k} must be a boolean`, invalidValue: body[k] });
  }
  for (const k of ['description', 'pausedReason'] as const) {
    if (body[k] !== undefined && body[k] !== null && typeof body[k] !== 'string') v.push({ path: `${p}.${k}`, message: `${k} must be a string`, invalidValue: body[k] });
  }
  return v;
}

/** The schedule as stored, from a validated body (server-owned fields come from `prior`). */
export function toSchedule(body: JsonMap, now: number, prior?: WorkflowSchedule): WorkflowSchedule {
  const s: WorkflowSchedule = {
    name: body.name as string,
    cronExpression: typeof body.cronExpression === 'string' ? body.cronExpression : undefined,
    cronSchedules: Array.isArray(body.cronSchedules) ? (body.cronSchedules as CronSchedule[]).map((c) => ({ cronExpression: c.cronExpression, zoneId: c.zoneId ?? 'UTC' })) : [],
    runCatchupScheduleInstances: body.runCatchupScheduleInstances === true,
    paused: body.paused === true,
    pausedReason: typeof body.pausedReason === 'string' ? body.pausedReason : undefined,
    startWorkflowRequest: body.startWorkflowRequest as WorkflowSchedule['startWorkflowRequest'],
    zoneId: typeof body.zoneId === 'string' ? body.zoneId : 'UTC',
    scheduleStartTime: typeof body.scheduleStartTime === 'number' ? body.scheduleStartTime : undefined,
    scheduleEndTime: typeof body.scheduleEndTime === 'number' ? body.scheduleEndTime : undefined,
    createTime: prior?.createTime ?? now,
    createdBy: prior?.createdBy ?? (typeof body.createdBy === 'string' ? body.createdBy : undefined),
    updatedTime: now,
    updatedBy: typeof body.updatedBy === 'string' ? body.updatedBy : undefined,
    description: typeof body.description === 'string' ? body.description : undefined,
  };
  return s;
}

/** The StartWorkflowRequest a firing sends: the schedule's, plus the `_scheduled…` inputs Conductor adds. */
export function scheduledStartRequest(s: WorkflowSchedule, e: ScheduleExecution, cronWithZone: string): JsonMap {
  const base = s.startWorkflowRequest;
  const input = isObj(base.input) ? { ...base.input } : {};
  Object.assign(input, {
    _startedByScheduler: s.name,
    _scheduledTime: e.scheduledTime,
    _executedTime: e.executionTime,
    _executionId: e.executionId,
    _schedulerCron: cronWithZone,
  });
  const out: JsonMap = { name: base.name, input };
  for (const k of ['version', 'correlationId', 'priority', 'taskToDomain', 'workflowDef', 'idempotencyKey', 'idempotencyStrategy'] as const) {
    if (base[k] !== undefined && base[k] !== null) out[k] = base[k];
  }
  if (s.createdBy) out.createdBy = s.createdBy;
  return out;
}

/** The `query` of /scheduler/search/executions, as Conductor's SchedulerSearchQuery reads it. */
export function parseExecutionQuery(query: string | undefined): {
  scheduleNames: string[];
  states: string[];
  scheduledAfter?: number;
  scheduledBefore?: number;
  workflowName?: string;
  executionId?: string;
} {
  const q = { scheduleNames: [] as string[], states: [] as string[] } as ReturnType<typeof parseExecutionQuery>;
  if (!query) return q;
  const csv = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
  const time = (s: string, clause: string) => {
    const n = Number(s.trim());
    if (!Number.isFinite(n)) throw new Error(`Invalid time in query clause: ${clause}`);
    return n;
  };
  for (const raw of query.split(/\s+AND\s+/)) {
    const c = raw.trim();
    if (!c) continue;
    if (c.startsWith('scheduleName IN (') && c.endsWith(')')) q.scheduleNames.push(...csv(c.slice(17, -1)));
    else if (c.startsWith('state IN (') && c.endsWith(')')) q.states.push(...csv(c.slice(10, -1)));
    else if (c.startsWith('scheduledTime>')) q.scheduledAfter = time(c.slice(14), c);
    else if (c.startsWith('scheduledTime<')) q.scheduledBefore = time(c.slice(14), c);
    else if (c.startsWith('workflowName=')) q.workflowName = c.slice(13).trim();
    else if (c.startsWith('executionId=')) q.executionId = c.slice(12).trim();
    else q.scheduleNames.push(c); // Conductor reads any other clause as a schedule name
  }
  return q;
}

/**
 * WAIT (WaitTaskMapper + Wait): created IN_PROGRESS with a deadline from `duration`
 * (`10s`, `5 minutes`, `1d 2h 3m 4s`) or `until` (`yyyy-MM-dd HH:mm`, `yyyy-MM-dd HH:mm z`,
 * `yyyy-MM-dd`), kept in `waitUntil`; the sweeper wakes the workflow then (`wakeAt`) and the
 * decide completes it. With neither input it waits until a task update ends it.
 *
 * Time zone choice: Conductor parses `until` without a zone in the JVM's default zone; Baton
 * always reads it as UTC (the zone Conductor servers normally run in), so the result never
 * depends on the host. Parsing is lenient like Apache DateUtils (month 13 rolls into next year).
 */
import type { TaskModel } from '../model';
import type { SystemTask } from './system-task';
import { finishTask, newSystemTask } from './common';

const DURATION =
  /^\s*(?:(\d+)\s*(?:days?|d))?\s*(?:(\d+)\s*(?:hours?|hrs?|h))?\s*(?:(\d+)\s*(?:minutes?|mins?|m))?\s*(?:(\d+)\s*(?:seconds?|secs?|s))?\s*$/i;

/** Seconds of a Conductor duration string, or null when it does not parse. */
export function parseDurationSeconds(text: string): number | null {
  const m = DURATION.exec(text);
  if (!m) return null;
  const n = (g: string | undefined) => (g === undefined ? 0 : Number(g));
  return n(m[1]) * 86400 + (n(m[2]) * 60 + n(m[3])) * 60 + n(m[4]);
}

const ZONES: Record<string, number> = {
  UTC: 0, GMT: 0, UT: 0, Z: 0,
  EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420,
  CET: 60, CEST: 120, EET: 120, EEST: 180, BST: 60, IST: 330, JST: 540,
};

/** Offset of a zone at a UTC wall time, in minutes east of UTC; null when unknown. */
function zoneOffsetMinutes(zone: string, wallUtc: number): number | null {
  const upper = zone.toUpperCase();
  if (upper in ZONES) return ZONES[upper];
  const off = /^(?:GMT|UTC)?([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(zone);
  if (off) {
    const minutes = Number(off[2]) * 60 + Number(off[3] ?? 0);
    return off[1] === '-' ? -minutes : minutes;
  }
  try {
    // IANA ids (Europe/Paris): the zone's offset at that instant, via Intl.
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(wallUtc);
    const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? '';
    if (name === 'GMT') return 0;
    const m = /^GMT([+-])(\d{2}):(\d{2})$/.exec(name);
    if (m) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  } catch {
    // not a zone Intl knows
  }
  return null;
}

const UNTIL = /^\s*(\d+)-(\d+)-(\d+)(?:\s+(\d+):(\d+)(?:\s+(\S+))?)?\s*$/;

/** Epoch ms of a Conductor `until` string, or null when it does not parse. */
export function parseUntil(text: string): number | null {
  const m = UNTIL.exec(text);
  if (!m) return null;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0));
  if (Number.isNaN(wall)) return null;
  if (m[6] === undefined) return wall;
  const offset = zoneOffsetMinutes(m[6], wall);
  return offset === null ? null : wall - offset * 60_000;
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Conductor's callbackAfterSeconds for a WAIT without a deadline (Integer.MAX_VALUE). */
const FOREVER = 2147483647;

/** Sets the deadline (or the failure) of a fresh WAIT instance. */
function applyWaitInput(task: TaskModel, now: number): void {
  const duration = str(task.inputData.duration);
  const until = str(task.inputData.until);
  const fail = (reason: string) => {
    task.status = 'FAILED_WITH_TERMINAL_ERROR';
    task.reasonForIncompletion = reason;
    task.endTime = now;
  };
  if (duration.trim() !== '' && until.trim() !== '') return fail("Both 'duration' and 'until' specified. Please provide only one input");
  if (duration.trim() !== '') {
    const seconds = parseDurationSeconds(duration);
    if (seconds === null) return fail(`Not valid duration: ${duration}`);
    task.waitUntil = now + seconds * 1000;
    task.callbackAfterSeconds = seconds;
  } else if (until.trim() !== '') {
    const at = parseUntil(until);
    if (at === null) return fail(`Invalid/Unsupported Wait Until format.  Provided: ${until}`);
    task.waitUntil = at;
    task.callbackAfterSeconds = Math.max(0, Math.trunc((at - now) / 1000));
  } else {
    task.callbackAfterSeconds = FOREVER;
  }
}

export const waitTask: SystemTask = {
  schedule(node, ctx, opts) {
    const task = newSystemTask(node, ctx, { ...opts, status: 'IN_PROGRESS', taskType: 'WAIT' });
    applyWaitInput(task, ctx.deps.now);
    return [task];
  },
  execute(task, ctx) {
    if (task.waitUntil === undefined || ctx.deps.now < task.waitUntil) return false;
    return finishTask(task, ctx, 'COMPLETED');
  },
  wakeAt: (task) => task.waitUntil ?? null,
  externallyCompleted: true,
};

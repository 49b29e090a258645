/**
 * The workflow scheduler: keeps each armed schedule's next run time in the store and one timer
 * for the earliest. A firing starts the workflow, records the execution and arms the next run
 * in a single transaction, so a crash either did all three or none: a restart fires a missed
 * run once (every missed instance when runCatchupScheduleInstances), never twice.
 */
import type { Engine, StartWorkflowRequest } from './engine';
import type { Timers, TimerHandle } from './timers';
import type { JsonMap } from '../core/model';
import { NotFoundError, ValidationError } from '../core/errors';
import {
  cronProblem,
  effectiveCrons,
  nextCronTime,
  nextRunTime,
  scheduledStartRequest,
  scheduleViolations,
  toSchedule,
  type ScheduleExecution,
  type WorkflowSchedule,
} from '../core/schedule';
import type { ScheduleSearch } from '../ports/schedule-store';

/** Firings handled per timer tick; more due ones fire on the next, immediate, tick. */
const BATCH = 50;

export interface SchedulerLog {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
}

export interface SchedulerOptions {
  /** Validates and normalises a schedule's StartWorkflowRequest (throws ValidationError). */
  toStartRequest: (m: JsonMap, pathPrefix: string) => StartWorkflowRequest;
  log?: SchedulerLog;
}

export class Scheduler {
  private timer?: { at: number; handle: TimerHandle };
  private adminPaused = false;
  private stopped = true;

  constructor(
    private readonly engine: Engine,
    private readonly timers: Timers,
    private readonly opts: SchedulerOptions,
  ) {}

  private get store() {
    return this.engine.store.schedules;
  }
  private now(): number {
    return this.engine.clock.now();
  }

  start(): void {
    this.stopped = false;
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.handle.cancel();
    this.timer = undefined;
  }

  // ---- CRUD ------------------------------------------------------------------------------------

  save(body: unknown): WorkflowSchedule {
    const v = scheduleViolations(body);
    if (v.length) throw new ValidationError(v);
    const b = body as JsonMap;
    this.opts.toStartRequest(b.startWorkflowRequest as JsonMap, 'saveSchedule.startWorkflowRequest');
    const saved = this.engine.tx(() => {
      const now = this.now();
      const s = toSchedule(b, now, this.store.getSchedule(b.name as string));
      const next = s.paused ? undefined : nextRunTime(s, now, now)?.at;
      this.store.putSchedule(s, next);
      return { ...s, nextRunTime: next };
    });
    this.arm();
    return saved;
  }

  get(name: string): WorkflowSchedule {
    const s = this.store.getSchedule(name);
    if (!s) throw new NotFoundError(`Schedule '${name}' not found`);
    return s;
  }

  list(workflowName?: string): WorkflowSchedule[] {
    return this.store.listSchedules(workflowName);
  }

  search(q: Parameters<Engine['store']['schedules']['searchSchedules']>[0]) {
    return this.store.searchSchedules(q);
  }

  /** Deleting an unknown schedule is not an error (as Conductor). */
  delete(name: string): void {
    this.engine.tx(() => this.store.deleteSchedule(name));
    this.arm();
  }

  pause(name: string, reason?: string): void {
    this.engine.tx(() => {
      const s = this.get(name);
      this.store.putSchedule({ ...s, paused: true, pausedReason: reason, updatedTime: this.now() }, undefined);
    });
    this.arm();
  }

  /** Conductor answers 404 for a schedule that exists but is not paused, too. */
  resume(name: string): void {
    this.engine.tx(() => {
      const s = this.store.getSchedule(name);
      if (!s || !s.paused) throw new NotFoundError(`Schedule '${name}' not found`);
      const now = this.now();
      const resumed: WorkflowSchedule = { ...s, paused: false, pausedReason: undefined, updatedTime: now };
      this.store.putSchedule(resumed, nextRunTime(resumed, now, now)?.at);
    });
    this.arm();
  }

  /** Admin switch: stop or restart all firing on this server (schedules keep their state). */
  pauseAll(paused: boolean): void {
    this.adminPaused = paused;
    if (paused) {
      this.timer?.handle.cancel();
      this.timer = undefined;
    } else this.arm();
  }

  /** Up to min(limit, 5) next run times of a cron expression, in UTC, as Conductor. */
  nextFew(cronExpression: string, startTime: number | undefined, endTime: number | undefined, limit: number): number[] {
    const bad = cronProblem(cronExpression);
    if (bad) throw new ValidationError([{ path: 'getNextFewSchedules.cronExpression', message: bad, invalidValue: cronExpression }]);
    const probe: WorkflowSchedule = {
      name: '_probe', cronExpression, cronSchedules: [], zoneId: 'UTC', runCatchupScheduleInstances: false, paused: false,
      startWorkflowRequest: { name: '_probe' }, scheduleStartTime: startTime, scheduleEndTime: endTime,
    };
    const out: number[] = [];
    let now = this.now();
    for (let i = 0; i < Math.min(5, limit); i++) {
      const next = nextRunTime(probe, now, now);
      if (!next) break;
      out.push(next.at);
      now = next.at;
    }
    return out;
  }

  searchExecutions(q: ScheduleSearch) {
    return this.store.searchScheduleExecutions(q);
  }

  // ---- firing ----------------------------------------------------------------------------------

  /** Fire every due schedule now (the timer calls this; tests may too). Returns how many fired. */
  runDue(): number {
    let fired = 0;
    for (;;) {
      const names = this.store.dueSchedules(this.now(), BATCH);
      for (const name of names) if (this.fire(name)) fired++;
      if (names.length < BATCH) return fired;
    }
  }

  private fire(name: string): boolean {
    const s = this.store.getSchedule(name);
    const now = this.now();
    if (!s || s.paused || s.nextRunTime === undefined || s.nextRunTime > now) return false;
    const due = s.nextRunTime;
    const cron = effectiveCrons(s).find((c) => nextCronTime(c.cronExpression, c.zoneId, due - 1) === due) ?? effectiveCrons(s)[0];
    const exec: ScheduleExecution = {
      executionId: this.engine.newId(),
      scheduleName: s.name,
      scheduledTime: due,
      executionTime: now,
      workflowName: s.startWorkflowRequest.name,
      startWorkflowRequest: s.startWorkflowRequest,
      state: 'POLLED',
      zoneId: cron?.zoneId ?? 'UTC',
    };
    const advance = () => this.store.setNextRunTime(s.name, nextRunTime(s, now, due)?.at);
    const request = scheduledStartRequest(s, exec, cron ? `${cron.cronExpression} ${cron.zoneId}` : '');
    try {
      this.engine.tx(() => {
        const workflowId = this.engine.startInTx(this.opts.toStartRequest(request, 'startWorkflow.startWorkflowRequest'));
        this.store.putScheduleExecution({ ...exec, workflowId, state: 'EXECUTED' });
        advance();
      });
      this.opts.log?.info('schedule fired', { schedule: s.name, scheduledTime: due });
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      this.engine.tx(() => {
        this.store.putScheduleExecution({ ...exec, state: 'FAILED', reason: err.message.slice(0, 999), stackTrace: (err.stack ?? err.message).slice(0, 2000) });
        advance();
      });
      this.opts.log?.warn('schedule failed to start its workflow', { schedule: s.name, scheduledTime: due, error: err.message });
    }
    return true;
  }

  /** Keep one timer, at the earliest armed next run time (not sooner than `minDelayMs`). */
  private arm(minDelayMs = 0): void {
    if (this.stopped || this.adminPaused) return;
    const next = this.store.nextScheduleDue();
    if (next === undefined) {
      this.timer?.handle.cancel();
      this.timer = undefined;
      return;
    }
    if (this.timer && this.timer.at === next) return;
    this.timer?.handle.cancel();
    const handle = this.timers.after(Math.max(minDelayMs, next - this.now()), () => {
      this.timer = undefined;
      try {
        this.runDue();
        this.arm();
      } catch (e) {
        // e.g. the database is busy: try again in a second rather than spin
        this.opts.log?.warn('scheduler tick failed', { error: (e as Error).message });
        this.arm(1000);
      }
    });
    this.timer = { at: next, handle };
  }
}

/** Schedules and their execution records in SQLite, on the store's own connection. */
import type Database from 'better-sqlite3';
import type { ScheduleExecution, WorkflowSchedule } from '../../core/schedule';
import type { ScheduleSearch, ScheduleStore } from '../../ports/schedule-store';

type Row = Record<string, unknown>;

const SORT_COLUMNS: Record<string, string> = {
  scheduledTime: 'scheduled_time',
  executionTime: 'execution_time',
  scheduleName: 'schedule_name',
  workflowName: 'workflow_name',
  state: 'state',
};

export class SqliteScheduleStore implements ScheduleStore {
  private readonly st: Record<string, Database.Statement>;

  constructor(private readonly db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.st = {
      put: p(`INSERT INTO schedules (name, workflow_name, paused, next_run_time, json) VALUES (?, ?, ?, ?, ?)
              ON CONFLICT(name) DO UPDATE SET workflow_name = excluded.workflow_name, paused = excluded.paused,
              next_run_time = excluded.next_run_time, json = excluded.json`),
      get: p('SELECT json, next_run_time FROM schedules WHERE name = ?'),
      all: p('SELECT json, next_run_time FROM schedules ORDER BY name'),
      byWorkflow: p('SELECT json, next_run_time FROM schedules WHERE workflow_name = ? ORDER BY name'),
      del: p('DELETE FROM schedules WHERE name = ?'),
      setNext: p('UPDATE schedules SET next_run_time = ? WHERE name = ?'),
      due: p('SELECT name FROM schedules WHERE next_run_time IS NOT NULL AND next_run_time <= ? ORDER BY next_run_time, name LIMIT ?'),
      nextDue: p('SELECT MIN(next_run_time) AS t FROM schedules WHERE next_run_time IS NOT NULL'),
      putExec: p(`INSERT INTO schedule_executions (execution_id, schedule_name, workflow_name, state, scheduled_time, execution_time, json)
                  VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(execution_id) DO UPDATE SET state = excluded.state, json = excluded.json`),
    };
  }

  private static read(r: Row): WorkflowSchedule {
    const s = JSON.parse(r.json as string) as WorkflowSchedule;
    if (r.next_run_time !== null && r.next_run_time !== undefined) s.nextRunTime = r.next_run_time as number;
    return s;
  }

  putSchedule(s: WorkflowSchedule, nextRunTime: number | undefined): void {
    const { nextRunTime: _drop, ...stored } = s;
    this.st.put.run(s.name, s.startWorkflowRequest.name, s.paused ? 1 : 0, nextRunTime ?? null, JSON.stringify(stored));
  }
  getSchedule(name: string): WorkflowSchedule | undefined {
    const r = this.st.get.get(name) as Row | undefined;
    return r ? SqliteScheduleStore.read(r) : undefined;
  }
  listSchedules(workflowName?: string): WorkflowSchedule[] {
    const rows = (workflowName ? this.st.byWorkflow.all(workflowName) : this.st.all.all()) as Row[];
    return rows.map(SqliteScheduleStore.read);
  }
  searchSchedules(q: { workflowName?: string; nameLike?: string; paused?: boolean; freeText?: string; start: number; size: number }): { totalHits: number; results: WorkflowSchedule[] } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.workflowName) (where.push('workflow_name = ?'), args.push(q.workflowName));
    if (q.nameLike) (where.push("name LIKE ? ESCAPE '\\'"), args.push(`%${escapeLike(q.nameLike)}%`));
    if (q.paused !== undefined) (where.push('paused = ?'), args.push(q.paused ? 1 : 0));
    if (q.freeText && q.freeText !== '*') (where.push("json LIKE ? ESCAPE '\\'"), args.push(`%${escapeLike(q.freeText)}%`));
    const w = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS c FROM schedules${w}`).get(...args) as Row).c as number;
    const rows = this.db.prepare(`SELECT json, next_run_time FROM schedules${w} ORDER BY name LIMIT ? OFFSET ?`).all(...args, q.size, q.start) as Row[];
    return { totalHits: total, results: rows.map(SqliteScheduleStore.read) };
  }
  deleteSchedule(name: string): boolean {
    return this.st.del.run(name).changes > 0;
  }
  setNextRunTime(name: string, at: number | undefined): void {
    this.st.setNext.run(at ?? null, name);
  }
  dueSchedules(now: number, limit: number): string[] {
    return (this.st.due.all(now, limit) as Row[]).map((r) => r.name as string);
  }
  nextScheduleDue(): number | undefined {
    const t = (this.st.nextDue.get() as Row).t;
    return t === null || t === undefined ? undefined : (t as number);
  }
  putScheduleExecution(e: ScheduleExecution): void {
    this.st.putExec.run(e.executionId, e.scheduleName, e.workflowName, e.state, e.scheduledTime, e.executionTime, JSON.stringify(e));
  }
  searchScheduleExecutions(q: ScheduleSearch): { totalHits: number; results: ScheduleExecution[] } {
    const where: string[] = [];
    const args: unknown[] = [];
    const inList = (col: string, vals: readonly string[]) => {
      where.push(`${col} IN (${vals.map(() => '?').join(',')})`);
      args.push(...vals);
    };
    if (q.scheduleNames?.length) inList('schedule_name', q.scheduleNames);
    if (q.states?.length) inList('state', q.states);
    if (q.scheduledAfter !== undefined) (where.push('scheduled_time > ?'), args.push(q.scheduledAfter));
    if (q.scheduledBefore !== undefined) (where.push('scheduled_time < ?'), args.push(q.scheduledBefore));
    if (q.workflowName) (where.push("workflow_name LIKE ? ESCAPE '\\'"), args.push(`%${escapeLike(q.workflowName)}%`));
    if (q.executionId) (where.push('execution_id = ?'), args.push(q.executionId));
    const w = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    const order = (q.sort?.length ? q.sort : [['scheduledTime', 'DESC'] as [string, 'ASC' | 'DESC']])
      .map(([f, d]) => `${SORT_COLUMNS[f] ?? 'scheduled_time'} ${d === 'ASC' ? 'ASC' : 'DESC'}`)
      .join(', ');
    const total = (this.db.prepare(`SELECT COUNT(*) AS c FROM schedule_executions${w}`).get(...args) as Row).c as number;
    const rows = this.db.prepare(`SELECT json FROM schedule_executions${w} ORDER BY ${order}, n LIMIT ? OFFSET ?`).all(...args, q.size, q.start) as Row[];
    return { totalHits: total, results: rows.map((r) => JSON.parse(r.json as string) as ScheduleExecution) };
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

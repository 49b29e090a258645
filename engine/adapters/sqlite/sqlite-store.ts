/**
 * The SQLite store (better-sqlite3, WAL). Executions are one row per workflow plus one row per
 * task, each holding its JSON; indexed columns serve lookups and queue pops. The store remembers
 * the JSON it loaded per execution so a save writes only the rows that changed.
 *
 * Executions loaded inside a transaction stay in a small write-through cache: this process is
 * the database's only writer (exclusive lock), so the cached object is exactly what was last
 * committed. A transaction that rolls back evicts every execution it touched. Reads outside a
 * transaction always parse a fresh copy, so callers may keep or change it freely.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TaskDef, TaskExecLog, TaskModel, WorkflowDef, WorkflowModel } from '../../core/model';
import type { QueuePush } from '../../core/outcome';
import type { PollDataRow, Store, WorkflowRowFilter } from '../../ports/store';
import { SCHEMA, SCHEMA_VERSION } from './schema';
import { SqliteScheduleStore } from './schedule-store';
import type { EventHandler } from '../../core/event-handler';
import { isTerminalTask } from '../../core/status';
import { isWorkerTaskType } from '../../core/defaults';

/** What a task looked like when last loaded or saved. */
interface TaskSnap {
  /** Its JSON without `workflowTask` (the definition node never changes after creation). */
  light: string;
  /** Fields every change of a finished task touches (status, updateTime, retried, executed, …). */
  sig: string;
  input: unknown;
  output: unknown;
}

interface Snapshot {
  /** Workflow JSON without `input`, which is compared by identity (it is replaced, never edited). */
  wfLight: string;
  input: unknown;
  /** The definition object and its JSON (replaced on restart with latest definitions, never edited). */
  def: unknown;
  defJson: string;
  tasks: Map<string, TaskSnap>;
}

/** How many executions the write-through cache keeps. */
const HOT_LIMIT = 64;

/** A task's JSON without its (immutable) definition node: what a save compares. */
function lightJson(t: TaskModel): string {
  const { workflowTask: _node, ...rest } = t;
  return JSON.stringify(rest);
}

const signature = (t: TaskModel): string =>
  `${t.status}|${t.updateTime}|${t.retried}|${t.executed}|${t.seq}|${t.retryCount}|${t.iteration}|${t.endTime}|${t.pollCount}|${t.callbackAfterSeconds}|${t.workerId ?? ''}|${t.subWorkflowId ?? ''}`;

const taskSnap = (t: TaskModel, light = lightJson(t)): TaskSnap => ({ light, sig: signature(t), input: t.inputData, output: t.outputData });

/**
 * True when a task certainly did not change since `snap`: a finished task, or a worker task,
 * whose status, timestamps and flags are the same and whose input/output are the very same
 * objects (nothing edits their data in place; only running system tasks such as DO_WHILE do).
 * Everything else is compared by its JSON.
 */
function unchanged(t: TaskModel, snap: TaskSnap | undefined): { same: boolean; light?: string } {
  if (!snap) return { same: false };
  const settled = isTerminalTask(t.status) || isWorkerTaskType(t.workflowTask?.type ?? 'SIMPLE');
  if (settled && snap.input === t.inputData && snap.output === t.outputData && snap.sig === signature(t)) return { same: true };
  const light = lightJson(t);
  return { same: light === snap.light, light };
}

function workflowLight(wf: WorkflowModel): string {
  const { tasks: _t, workflowDefinition: _d, input: _i, ...state } = wf;
  return JSON.stringify(state);
}

type Row = Record<string, unknown>;

export interface SqliteStoreOptions {
  /** File path, or ':memory:' for tests. */
  path: string;
  /** Hold an exclusive lock so a second engine cannot open the same file. */
  exclusive?: boolean;
}

export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly snaps = new WeakMap<WorkflowModel, Snapshot>();
  /** Executions loaded or saved inside transactions, by id, least recently used first. */
  private readonly hot = new Map<string, WorkflowModel>();
  /** Ids the current transaction loaded or wrote through the cache (evicted on rollback). */
  private readonly touched = new Set<string>();
  private readonly st: Record<string, Database.Statement>;
  readonly schedules: SqliteScheduleStore;

  constructor(opts: SqliteStoreOptions) {
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    this.db = new Database(opts.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    if (opts.exclusive) this.db.pragma('locking_mode = EXCLUSIVE');
    this.db.exec(SCHEMA);
    const v = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('schema_version') as Row | undefined;
    if (!v) this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
    else if (Number(v.value) > SCHEMA_VERSION) throw new Error(`database schema version ${v.value} is newer than this engine (${SCHEMA_VERSION})`);
    this.schedules = new SqliteScheduleStore(this.db);
    const p = (sql: string) => this.db.prepare(sql);
    this.st = {
      putTaskDef: p('INSERT INTO task_defs (name, json) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET json = excluded.json'),
      getTaskDef: p('SELECT json FROM task_defs WHERE name = ?'),
      listTaskDefs: p('SELECT json FROM task_defs ORDER BY name'),
      delTaskDef: p('DELETE FROM task_defs WHERE name = ?'),
      putWfDef: p('INSERT INTO workflow_defs (name, version, json) VALUES (?, ?, ?) ON CONFLICT(name, version) DO UPDATE SET json = excluded.json'),
      getWfDef: p('SELECT json FROM workflow_defs WHERE name = ? AND version = ?'),
      getWfDefLatest: p('SELECT json FROM workflow_defs WHERE name = ? ORDER BY version DESC LIMIT 1'),
      listWfDefs: p('SELECT json FROM workflow_defs ORDER BY name, version'),
      delWfDef: p('DELETE FROM workflow_defs WHERE name = ? AND version = ?'),
      getWf: p('SELECT json, def_json FROM workflows WHERE workflow_id = ?'),
      getWfHeader: p('SELECT json FROM workflows WHERE workflow_id = ?'),
      getWfTasks: p('SELECT json FROM tasks WHERE workflow_id = ? ORDER BY seq'),
      insWf: p(`INSERT INTO workflows (workflow_id, name, version, status, correlation_id, parent_workflow_id, idempotency_key, create_time, update_time, end_time, json, def_json)
                VALUES (@id, @name, @version, @status, @corr, @parent, @idem, @create, @update, @end, @json, @def)
                ON CONFLICT(workflow_id) DO UPDATE SET name=excluded.name, version=excluded.version, status=excluded.status,
                  correlation_id=excluded.correlation_id, parent_workflow_id=excluded.parent_workflow_id, idempotency_key=excluded.idempotency_key,
                  create_time=excluded.create_time, update_time=excluded.update_time, end_time=excluded.end_time, json=excluded.json, def_json=excluded.def_json`),
      delWf: p('DELETE FROM workflows WHERE workflow_id = ?'),
      delWfTasks: p('DELETE FROM tasks WHERE workflow_id = ?'),
      upTask: p(`INSERT INTO tasks (task_id, workflow_id, seq, def_name, task_type, status, start_time, json)
                 VALUES (@id, @wf, @seq, @def, @type, @status, @start, @json)
                 ON CONFLICT(task_id) DO UPDATE SET seq=excluded.seq, status=excluded.status, start_time=excluded.start_time, json=excluded.json`),
      delTask: p('DELETE FROM tasks WHERE task_id = ?'),
      getTask: p('SELECT json FROM tasks WHERE task_id = ?'),
      idem: p('SELECT workflow_id, status FROM workflows WHERE idempotency_key = ? ORDER BY create_time DESC LIMIT 1'),
      allIds: p('SELECT workflow_id FROM workflows ORDER BY create_time DESC'),
      running: p("SELECT workflow_id FROM workflows WHERE status IN ('RUNNING', 'PAUSED')"),
      runningByName: p("SELECT name, COUNT(*) AS n, MIN(create_time) AS oldest FROM workflows WHERE status IN ('RUNNING', 'PAUSED') GROUP BY name"),
      qPush: p('INSERT INTO queue (task_id, queue_name, priority, due_at) VALUES (?, ?, ?, ?) ON CONFLICT(task_id) DO UPDATE SET queue_name=excluded.queue_name, priority=excluded.priority, due_at=excluded.due_at'),
      qDel: p('DELETE FROM queue WHERE task_id = ?'),
      qPeek: p('SELECT task_id FROM queue WHERE queue_name = ? AND due_at <= ? ORDER BY priority DESC, due_at, n LIMIT ?'),
      qNext: p('SELECT MIN(due_at) AS d FROM queue WHERE queue_name = ? AND due_at > ?'),
      qSizes: p('SELECT queue_name, COUNT(*) AS c FROM queue GROUP BY queue_name ORDER BY queue_name'),
      qSize: p('SELECT COUNT(*) AS c FROM queue WHERE queue_name = ?'),
      qByType: p("SELECT task_id FROM queue WHERE queue_name = ? OR queue_name LIKE '%:' || ? ORDER BY due_at LIMIT ?"),
      swSet: p('INSERT INTO sweeps (workflow_id, due_at) VALUES (?, ?) ON CONFLICT(workflow_id) DO UPDATE SET due_at = excluded.due_at'),
      swGet: p('SELECT due_at FROM sweeps WHERE workflow_id = ?'),
      swDel: p('DELETE FROM sweeps WHERE workflow_id = ?'),
      swDue: p('SELECT workflow_id FROM sweeps WHERE due_at <= ? ORDER BY due_at LIMIT ?'),
      swNext: p('SELECT MIN(due_at) AS d FROM sweeps'),
      logIns: p('INSERT INTO task_logs (task_id, log, created_time) VALUES (?, ?, ?)'),
      logGet: p('SELECT task_id, log, created_time FROM task_logs WHERE task_id = ? ORDER BY n'),
      logDelWf: p('DELETE FROM task_logs WHERE task_id IN (SELECT task_id FROM tasks WHERE workflow_id = ?)'),
      pollIns: p(`INSERT INTO poll_data (queue_name, domain, worker_id, last_poll_time) VALUES (?, ?, ?, ?)
                  ON CONFLICT(queue_name, domain) DO UPDATE SET worker_id = excluded.worker_id, last_poll_time = excluded.last_poll_time`),
      pollAll: p('SELECT * FROM poll_data ORDER BY queue_name, domain'),
      pollType: p('SELECT * FROM poll_data WHERE queue_name = ? ORDER BY domain'),
      inProgress: p("SELECT COUNT(*) AS c FROM tasks WHERE def_name = ? AND status = 'IN_PROGRESS'"),
      startedSince: p('SELECT COUNT(*) AS c FROM tasks WHERE def_name = ? AND start_time >= ?'),
    };
  }

  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    try {
      return this.db.transaction(fn).immediate();
    } catch (e) {
      for (const id of this.touched) this.hot.delete(id);
      throw e;
    } finally {
      this.touched.clear();
    }
  }

  private remember(wf: WorkflowModel): void {
    this.hot.delete(wf.workflowId);
    this.hot.set(wf.workflowId, wf);
    this.touched.add(wf.workflowId);
    while (this.hot.size > HOT_LIMIT) this.hot.delete(this.hot.keys().next().value as string);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  putTaskDef(def: TaskDef): void {
    this.st.putTaskDef.run(def.name, JSON.stringify(def));
  }
  getTaskDef(name: string): TaskDef | undefined {
    const r = this.st.getTaskDef.get(name) as Row | undefined;
    return r ? JSON.parse(r.json as string) : undefined;
  }
  listTaskDefs(): TaskDef[] {
    return (this.st.listTaskDefs.all() as Row[]).map((r) => JSON.parse(r.json as string));
  }
  deleteTaskDef(name: string): boolean {
    return this.st.delTaskDef.run(name).changes > 0;
  }

  putWorkflowDef(def: WorkflowDef): void {
    this.st.putWfDef.run(def.name, def.version ?? 1, JSON.stringify(def));
  }
  getWorkflowDef(name: string, version?: number): WorkflowDef | undefined {
    const r = (version === undefined ? this.st.getWfDefLatest.get(name) : this.st.getWfDef.get(name, version)) as Row | undefined;
    return r ? JSON.parse(r.json as string) : undefined;
  }
  listWorkflowDefs(): WorkflowDef[] {
    return (this.st.listWfDefs.all() as Row[]).map((r) => JSON.parse(r.json as string));
  }
  deleteWorkflowDef(name: string, version: number): boolean {
    return this.st.delWfDef.run(name, version).changes > 0;
  }

  loadWorkflow(id: string): WorkflowModel | undefined {
    const inTx = this.db.inTransaction;
    if (inTx) {
      const cached = this.hot.get(id);
      if (cached) {
        this.remember(cached);
        return cached;
      }
    }
    const r = this.st.getWf.get(id) as Row | undefined;
    if (!r) return undefined;
    const wf = JSON.parse(r.json as string) as WorkflowModel;
    wf.workflowDefinition = JSON.parse(r.def_json as string);
    const tasks = new Map<string, TaskSnap>();
    wf.tasks = (this.st.getWfTasks.all(id) as Row[]).map((tr) => {
      const t = JSON.parse(tr.json as string) as TaskModel;
      tasks.set(t.taskId, taskSnap(t));
      return t;
    });
    this.snaps.set(wf, { wfLight: workflowLight(wf), input: wf.input, def: wf.workflowDefinition, defJson: r.def_json as string, tasks });
    if (inTx) this.remember(wf);
    return wf;
  }

  workflowHeader(id: string): Omit<WorkflowModel, 'tasks' | 'workflowDefinition'> | undefined {
    const r = this.st.getWfHeader.get(id) as Row | undefined;
    return r ? JSON.parse(r.json as string) : undefined;
  }

  saveWorkflow(wf: WorkflowModel): void {
    const snap: Snapshot = this.snaps.get(wf) ?? { wfLight: '', input: undefined, def: undefined, defJson: '', tasks: new Map<string, TaskSnap>() };
    const { tasks, workflowDefinition } = wf;
    const wfLight = workflowLight(wf);
    const defJson = workflowDefinition === snap.def || (workflowDefinition === undefined && snap.defJson) ? snap.defJson : JSON.stringify(workflowDefinition);
    if (wfLight !== snap.wfLight || wf.input !== snap.input || defJson !== snap.defJson) {
      const { tasks: _t, workflowDefinition: _d, ...state } = wf;
      this.st.insWf.run({
        id: wf.workflowId, name: wf.workflowName, version: wf.workflowVersion, status: wf.status,
        corr: wf.correlationId ?? null, parent: wf.parentWorkflowId ?? null, idem: wf.idempotencyKey ?? null,
        create: wf.createTime, update: wf.updateTime, end: wf.endTime, json: JSON.stringify(state), def: defJson,
      });
    }
    const seen = new Set<string>();
    for (const t of tasks) {
      seen.add(t.taskId);
      const check = unchanged(t, snap.tasks.get(t.taskId));
      if (check.same) continue;
      this.writeTask(t, JSON.stringify(t));
      snap.tasks.set(t.taskId, taskSnap(t, check.light));
    }
    for (const id of [...snap.tasks.keys()]) {
      if (seen.has(id)) continue;
      this.st.delTask.run(id);
      this.st.qDel.run(id);
      snap.tasks.delete(id);
    }
    snap.wfLight = wfLight;
    snap.input = wf.input;
    snap.def = workflowDefinition ?? snap.def;
    snap.defJson = defJson;
    this.snaps.set(wf, snap);
    if (this.db.inTransaction) {
      const cached = this.hot.get(wf.workflowId);
      if (cached && cached !== wf) this.hot.delete(wf.workflowId);
      this.remember(wf);
    } else {
      this.hot.delete(wf.workflowId);
    }
  }

  private writeTask(t: TaskModel, json: string): void {
    this.st.upTask.run({ id: t.taskId, wf: t.workflowInstanceId, seq: t.seq, def: t.taskDefName, type: t.taskType, status: t.status, start: t.startTime, json });
  }

  deleteWorkflow(id: string): boolean {
    this.hot.delete(id);
    const ids = (this.st.getWfTasks.all(id) as Row[]).map((r) => (JSON.parse(r.json as string) as TaskModel).taskId);
    for (const t of ids) this.st.qDel.run(t);
    this.st.logDelWf.run(id);
    this.st.delWfTasks.run(id);
    this.st.swDel.run(id);
    return this.st.delWf.run(id).changes > 0;
  }

  getTask(taskId: string): TaskModel | undefined {
    const r = this.st.getTask.get(taskId) as Row | undefined;
    return r ? JSON.parse(r.json as string) : undefined;
  }

  /** Write one task changed outside a decide (poll, executor claim); the cached execution follows. */
  saveTask(task: TaskModel): void {
    this.writeTask(task, JSON.stringify(task));
    const wf = this.hot.get(task.workflowInstanceId);
    if (!wf) return;
    if (!this.db.inTransaction) {
      this.hot.delete(wf.workflowId);
      return;
    }
    const i = wf.tasks.findIndex((t) => t.taskId === task.taskId);
    if (i < 0) return;
    const copy = structuredClone(task);
    wf.tasks[i] = copy;
    this.snaps.get(wf)?.tasks.set(copy.taskId, taskSnap(copy));
    this.touched.add(wf.workflowId);
  }

  workflowIdByIdempotencyKey(key: string): { workflowId: string; status: string } | undefined {
    const r = this.st.idem.get(key) as Row | undefined;
    return r ? { workflowId: r.workflow_id as string, status: r.status as string } : undefined;
  }

  findWorkflowIds(f: WorkflowRowFilter, limit = 1_000_000): string[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.name !== undefined) (where.push('name = ?'), args.push(f.name));
    if (f.version !== undefined) (where.push('version = ?'), args.push(f.version));
    if (f.correlationId !== undefined) (where.push('correlation_id = ?'), args.push(f.correlationId));
    if (f.statuses?.length) (where.push(`status IN (${f.statuses.map(() => '?').join(',')})`), args.push(...f.statuses));
    if (f.startedAfter !== undefined) (where.push('create_time >= ?'), args.push(f.startedAfter));
    if (f.startedBefore !== undefined) (where.push('create_time <= ?'), args.push(f.startedBefore));
    const sql = `SELECT workflow_id FROM workflows ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY create_time DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, limit) as Row[]).map((r) => r.workflow_id as string);
  }

  allWorkflowIds(): string[] {
    return (this.st.allIds.all() as Row[]).map((r) => r.workflow_id as string);
  }

  runningWorkflowIds(): string[] {
    return (this.st.running.all() as Row[]).map((r) => r.workflow_id as string);
  }

  runningByName(): { name: string; count: number; oldestCreateTime: number }[] {
    return (this.st.runningByName.all() as Row[]).map((r) => ({ name: r.name as string, count: Number(r.n), oldestCreateTime: Number(r.oldest) }));
  }

  pushQueue(entries: QueuePush[]): void {
    for (const e of entries) this.st.qPush.run(e.taskId, e.queueName, e.priority, e.dueAt);
  }
  removeQueue(taskIds: string[]): void {
    for (const id of taskIds) this.st.qDel.run(id);
  }
  peekQueue(queueName: string, now: number, limit: number): string[] {
    return (this.st.qPeek.all(queueName, now, limit) as Row[]).map((r) => r.task_id as string);
  }
  nextQueueDue(queueName: string, now: number): number | undefined {
    const r = this.st.qNext.get(queueName, now) as Row;
    return r.d === null ? undefined : (r.d as number);
  }
  queueSizes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.st.qSizes.all() as Row[]) out[r.queue_name as string] = r.c as number;
    return out;
  }
  queueSize(queueName: string): number {
    return (this.st.qSize.get(queueName) as Row).c as number;
  }
  queuedTaskIds(taskType: string, limit: number): string[] {
    return (this.st.qByType.all(taskType, taskType, limit) as Row[]).map((r) => r.task_id as string);
  }

  setSweep(workflowId: string, dueAt: number | null): void {
    if (dueAt === null) this.st.swDel.run(workflowId);
    else this.st.swSet.run(workflowId, dueAt);
  }
  getSweep(workflowId: string): number | undefined {
    const r = this.st.swGet.get(workflowId) as Row | undefined;
    return r ? (r.due_at as number) : undefined;
  }
  dueSweeps(now: number, limit: number): string[] {
    return (this.st.swDue.all(now, limit) as Row[]).map((r) => r.workflow_id as string);
  }
  nextSweepDue(): number | undefined {
    const r = this.st.swNext.get() as Row;
    return r.d === null ? undefined : (r.d as number);
  }

  appendLogs(logs: TaskExecLog[]): void {
    for (const l of logs) this.st.logIns.run(l.taskId, l.log, l.createdTime);
  }
  getLogs(taskId: string): TaskExecLog[] {
    return (this.st.logGet.all(taskId) as Row[]).map((r) => ({ log: r.log as string, taskId: r.task_id as string, createdTime: r.created_time as number }));
  }

  recordPoll(row: PollDataRow): void {
    this.st.pollIns.run(row.queueName, row.domain ?? '', row.workerId ?? null, row.lastPollTime);
  }
  pollData(taskType?: string): PollDataRow[] {
    const rows = (taskType === undefined ? this.st.pollAll.all() : this.st.pollType.all(taskType)) as Row[];
    return rows.map((r) => ({
      queueName: r.queue_name as string,
      domain: (r.domain as string) || undefined,
      workerId: (r.worker_id as string) ?? undefined,
      lastPollTime: r.last_poll_time as number,
    }));
  }
  countInProgress(taskDefName: string): number {
    return (this.st.inProgress.get(taskDefName) as Row).c as number;
  }
  countStartedSince(taskDefName: string, since: number): number {
    return (this.st.startedSince.get(taskDefName, since) as Row).c as number;
  }

  // ---- event handlers (statements prepared on first use) ---------------------------------------
  private evSt?: Record<string, Database.Statement>;
  private ev(): Record<string, Database.Statement> {
    return (this.evSt ??= {
      put: this.db.prepare('INSERT INTO event_handlers (name, event, active, json) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET event = excluded.event, active = excluded.active, json = excluded.json'),
      get: this.db.prepare('SELECT json FROM event_handlers WHERE name = ?'),
      list: this.db.prepare('SELECT json FROM event_handlers ORDER BY name'),
      byEvent: this.db.prepare('SELECT json FROM event_handlers WHERE event = ? ORDER BY name'),
      byEventActive: this.db.prepare('SELECT json FROM event_handlers WHERE event = ? AND active = 1 ORDER BY name'),
      del: this.db.prepare('DELETE FROM event_handlers WHERE name = ?'),
    });
  }
  putEventHandler(handler: EventHandler): void {
    this.ev().put.run(handler.name, handler.event, handler.active ? 1 : 0, JSON.stringify(handler));
  }
  getEventHandler(name: string): EventHandler | undefined {
    const r = this.ev().get.get(name) as Row | undefined;
    return r ? (JSON.parse(r.json as string) as EventHandler) : undefined;
  }
  listEventHandlers(): EventHandler[] {
    return (this.ev().list.all() as Row[]).map((r) => JSON.parse(r.json as string) as EventHandler);
  }
  eventHandlersFor(event: string, activeOnly: boolean): EventHandler[] {
    return ((activeOnly ? this.ev().byEventActive : this.ev().byEvent).all(event) as Row[]).map((r) => JSON.parse(r.json as string) as EventHandler);
  }
  deleteEventHandler(name: string): boolean {
    return this.ev().del.run(name).changes > 0;
  }
}

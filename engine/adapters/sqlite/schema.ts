/** The SQLite schema. Bump SCHEMA_VERSION and add a migration step when it changes. */
export const SCHEMA_VERSION = 1;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS task_defs (name TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workflow_defs (
  name TEXT NOT NULL, version INTEGER NOT NULL, json TEXT NOT NULL,
  PRIMARY KEY (name, version));
CREATE TABLE IF NOT EXISTS workflows (
  workflow_id TEXT PRIMARY KEY,
  name TEXT NOT NULL, version INTEGER NOT NULL, status TEXT NOT NULL,
  correlation_id TEXT, parent_workflow_id TEXT, idempotency_key TEXT,
  create_time INTEGER NOT NULL, update_time INTEGER NOT NULL, end_time INTEGER NOT NULL,
  json TEXT NOT NULL, def_json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS workflows_name ON workflows (name, version, status);
CREATE INDEX IF NOT EXISTS workflows_status ON workflows (status);
CREATE INDEX IF NOT EXISTS workflows_corr ON workflows (correlation_id);
CREATE INDEX IF NOT EXISTS workflows_created ON workflows (create_time);
CREATE INDEX IF NOT EXISTS workflows_idem ON workflows (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS tasks (
  task_id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, seq INTEGER NOT NULL,
  def_name TEXT NOT NULL, task_type TEXT NOT NULL, status TEXT NOT NULL, start_time INTEGER NOT NULL,
  json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tasks_wf ON tasks (workflow_id, seq);
CREATE INDEX IF NOT EXISTS tasks_def_status ON tasks (def_name, status);
CREATE INDEX IF NOT EXISTS tasks_def_start ON tasks (def_name, start_time);
CREATE TABLE IF NOT EXISTS queue (
  n INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id TEXT NOT NULL UNIQUE, queue_name TEXT NOT NULL, priority INTEGER NOT NULL, due_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS queue_pop ON queue (queue_name, priority DESC, due_at, n);
CREATE INDEX IF NOT EXISTS queue_due ON queue (queue_name, due_at);
CREATE TABLE IF NOT EXISTS sweeps (workflow_id TEXT PRIMARY KEY, due_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sweeps_due ON sweeps (due_at);
CREATE TABLE IF NOT EXISTS task_logs (
  n INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL, log TEXT NOT NULL, created_time INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS task_logs_task ON task_logs (task_id, n);
CREATE TABLE IF NOT EXISTS poll_data (
  queue_name TEXT NOT NULL, domain TEXT NOT NULL, worker_id TEXT, last_poll_time INTEGER NOT NULL,
  PRIMARY KEY (queue_name, domain));
CREATE TABLE IF NOT EXISTS event_handlers (
  name TEXT PRIMARY KEY, event TEXT NOT NULL, active INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS event_handlers_event ON event_handlers (event, active);
CREATE TABLE IF NOT EXISTS schedules (
  name TEXT PRIMARY KEY, workflow_name TEXT NOT NULL, paused INTEGER NOT NULL, next_run_time INTEGER, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS schedules_next ON schedules (next_run_time) WHERE next_run_time IS NOT NULL;
CREATE TABLE IF NOT EXISTS schedule_executions (
  n INTEGER PRIMARY KEY AUTOINCREMENT, execution_id TEXT NOT NULL UNIQUE, schedule_name TEXT NOT NULL,
  workflow_name TEXT NOT NULL, state TEXT NOT NULL, scheduled_time INTEGER NOT NULL, execution_time INTEGER NOT NULL,
  json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS schedule_executions_sched ON schedule_executions (schedule_name, scheduled_time);
`;

/**
 * What the webhook server must not forget, in its own SQLite file (WAL): deliveries and the
 * workflow starts each one planned, and the commit statuses still to report.
 *
 * A start row goes through these states:
 *   planned  → started   the workflow id is recorded (with its status report, in one transaction)
 *   planned  → planned   a transient failure: attempts + 1, retried at next_attempt_at
 *   planned  → failed    Conductor refused it (4xx) or the attempts ran out
 *   failed   → planned   the same delivery arrives again (a manual redelivery retries)
 * A delivery is done when none of its starts is planned. The plan (requests with their
 * idempotency keys) is written before the first start, so a crash at any point is resumed by
 * re-issuing the same idempotent requests, never by routing again.
 *
 * A status report row: reported null → pending → final (success/failure/error), then done.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PlannedStart } from './routing';

export type StartState = 'planned' | 'started' | 'failed';

export interface StoredStart extends PlannedStart {
  seq: number;
  state: StartState;
  workflowId: string | null;
  error: string | null;
  attempts: number;
  nextAttemptAt: number;
}

export interface Delivery {
  id: string;
  event: string;
  repository: string;
  receivedAt: number;
  done: boolean;
  starts: StoredStart[];
}

export type CommitState = 'pending' | 'success' | 'failure' | 'error';

export interface StatusReport {
  workflowId: string;
  workflowName: string;
  repository: string;
  sha: string;
  context: string;
  /** Last state GitHub accepted, null before the first. */
  reported: CommitState | null;
  /** The state to report once the workflow ended; null while it runs. */
  final: CommitState | null;
  description: string | null;
  checks: number;
  failures: number;
  nextAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY,
  event TEXT NOT NULL,
  repository TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS starts (
  delivery_id TEXT NOT NULL REFERENCES deliveries(id),
  seq INTEGER NOT NULL,
  plan TEXT NOT NULL,
  state TEXT NOT NULL,
  workflow_id TEXT,
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  PRIMARY KEY (delivery_id, seq)
);
CREATE INDEX IF NOT EXISTS starts_due ON starts(state, next_attempt_at);
CREATE TABLE IF NOT EXISTS status_reports (
  workflow_id TEXT PRIMARY KEY,
  workflow_name TEXT NOT NULL,
  repository TEXT NOT NULL,
  sha TEXT NOT NULL,
  context TEXT NOT NULL,
  reported TEXT,
  final TEXT,
  description TEXT,
  checks INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  done INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS status_due ON status_reports(done, next_at);
`;

type StartRow = { delivery_id: string; seq: number; plan: string; state: StartState; workflow_id: string | null; error: string | null; attempts: number; next_attempt_at: number };
type ReportRow = {
  workflow_id: string; workflow_name: string; repository: string; sha: string; context: string; reported: CommitState | null;
  final: CommitState | null; description: string | null; checks: number; failures: number; next_at: number;
};

const toStart = (r: StartRow): StoredStart => ({
  ...(JSON.parse(r.plan) as PlannedStart), seq: r.seq, state: r.state, workflowId: r.workflow_id, error: r.error, attempts: r.attempts, nextAttemptAt: r.next_attempt_at,
});
const toReport = (r: ReportRow): StatusReport => ({
  workflowId: r.workflow_id, workflowName: r.workflow_name, repository: r.repository, sha: r.sha, context: r.context, reported: r.reported,
  final: r.final, description: r.description, checks: r.checks, failures: r.failures, nextAt: r.next_at,
});

export class DeliveryStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  get(id: string): Delivery | undefined {
    const d = this.db.prepare('SELECT id, event, repository, received_at, done FROM deliveries WHERE id = ?').get(id) as
      | { id: string; event: string; repository: string; received_at: number; done: number }
      | undefined;
    if (!d) return undefined;
    const starts = (this.db.prepare('SELECT * FROM starts WHERE delivery_id = ? ORDER BY seq').all(id) as StartRow[]).map(toStart);
    return { id: d.id, event: d.event, repository: d.repository, receivedAt: d.received_at, done: d.done === 1, starts };
  }

  /**
   * Records a new delivery with its plan, or returns the one already recorded under that id
   * (then `fresh` is false and the plan given is not used: a redelivery is never routed again).
   */
  claim(id: string, event: string, repository: string, plan: PlannedStart[], now: number): { fresh: boolean; delivery: Delivery } {
    return this.db.transaction(() => {
      const existing = this.get(id);
      if (existing) return { fresh: false, delivery: existing };
      this.db.prepare('INSERT INTO deliveries (id, event, repository, received_at, done) VALUES (?, ?, ?, ?, 0)').run(id, event, repository, now);
      const ins = this.db.prepare('INSERT INTO starts (delivery_id, seq, plan, state, next_attempt_at) VALUES (?, ?, ?, ?, ?)');
      plan.forEach((p, seq) => ins.run(id, seq, JSON.stringify(p), 'planned', now));
      return { fresh: true, delivery: this.get(id)! };
    })();
  }

  /** A redelivery retries the starts Conductor refused before. */
  replan(id: string, now: number): void {
    this.db.transaction(() => {
      const n = this.db.prepare("UPDATE starts SET state = 'planned', next_attempt_at = ?, attempts = 0 WHERE delivery_id = ? AND state = 'failed'").run(now, id).changes;
      if (n > 0) this.db.prepare('UPDATE deliveries SET done = 0 WHERE id = ?').run(id);
    })();
  }

  /** The workflow started: record its id and, when a status goes back to GitHub, the report to make. */
  started(id: string, seq: number, workflowId: string, report: Omit<StatusReport, 'reported' | 'final' | 'description' | 'checks' | 'failures'> | null): void {
    this.db.transaction(() => {
      this.db.prepare("UPDATE starts SET state = 'started', workflow_id = ?, error = NULL WHERE delivery_id = ? AND seq = ?").run(workflowId, id, seq);
      if (report) {
        this.db
          .prepare('INSERT OR IGNORE INTO status_reports (workflow_id, workflow_name, repository, sha, context, next_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(report.workflowId, report.workflowName, report.repository, report.sha, report.context, report.nextAt);
      }
      this.settle(id);
    })();
  }

  /** A start failed: retried at `retryAt`, or given up (state failed) when retryAt is null. */
  startFailed(id: string, seq: number, error: string, retryAt: number | null): void {
    this.db.transaction(() => {
      if (retryAt === null) this.db.prepare("UPDATE starts SET state = 'failed', error = ?, attempts = attempts + 1 WHERE delivery_id = ? AND seq = ?").run(error, id, seq);
      else this.db.prepare('UPDATE starts SET error = ?, attempts = attempts + 1, next_attempt_at = ? WHERE delivery_id = ? AND seq = ?').run(error, retryAt, id, seq);
      this.settle(id);
    })();
  }

  private settle(id: string): void {
    const open = this.db.prepare("SELECT COUNT(*) AS n FROM starts WHERE delivery_id = ? AND state = 'planned'").get(id) as { n: number };
    this.db.prepare('UPDATE deliveries SET done = ? WHERE id = ?').run(open.n === 0 ? 1 : 0, id);
  }

  /** Deliveries with a planned start due now (after a crash: all unfinished ones). */
  dueDeliveries(now: number, limit = 20): string[] {
    return (this.db.prepare("SELECT DISTINCT delivery_id FROM starts WHERE state = 'planned' AND next_attempt_at <= ? LIMIT ?").all(now, limit) as { delivery_id: string }[]).map(
      (r) => r.delivery_id,
    );
  }

  dueReports(now: number, limit = 50): StatusReport[] {
    return (this.db.prepare('SELECT * FROM status_reports WHERE done = 0 AND next_at <= ? ORDER BY next_at LIMIT ?').all(now, limit) as ReportRow[]).map(toReport);
  }

  report(workflowId: string): (StatusReport & { done: boolean }) | undefined {
    const r = this.db.prepare('SELECT * FROM status_reports WHERE workflow_id = ?').get(workflowId) as (ReportRow & { done: number }) | undefined;
    return r ? { ...toReport(r), done: r.done === 1 } : undefined;
  }

  updateReport(workflowId: string, patch: Partial<Pick<StatusReport, 'reported' | 'final' | 'description' | 'checks' | 'failures' | 'nextAt'>> & { done?: boolean }): void {
    const cols: Record<string, unknown> = {
      reported: patch.reported, final: patch.final, description: patch.description, checks: patch.checks, failures: patch.failures,
      next_at: patch.nextAt, done: patch.done === undefined ? undefined : patch.done ? 1 : 0,
    };
    const set = Object.entries(cols).filter(([, v]) => v !== undefined);
    if (!set.length) return;
    this.db.prepare(`UPDATE status_reports SET ${set.map(([k]) => `${k} = ?`).join(', ')} WHERE workflow_id = ?`).run(...set.map(([, v]) => v), workflowId);
  }

  /**
   * Forgets finished deliveries received before `before` (GitHub redelivers for 3 days) and
   * finished status reports of their workflows. Returns the number of deliveries removed.
   */
  prune(before: number): number {
    return this.db.transaction(() => {
      const old = "SELECT id FROM deliveries WHERE done = 1 AND received_at < ?";
      this.db.prepare(`DELETE FROM status_reports WHERE done = 1 AND workflow_id IN (SELECT workflow_id FROM starts WHERE delivery_id IN (${old}))`).run(before);
      this.db.prepare(`DELETE FROM starts WHERE delivery_id IN (${old})`).run(before);
      return this.db.prepare('DELETE FROM deliveries WHERE done = 1 AND received_at < ?').run(before).changes;
    })();
  }

  counts(): { pendingStarts: number; pendingReports: number } {
    const s = this.db.prepare("SELECT COUNT(*) AS n FROM starts WHERE state = 'planned'").get() as { n: number };
    const r = this.db.prepare('SELECT COUNT(*) AS n FROM status_reports WHERE done = 0').get() as { n: number };
    return { pendingStarts: s.n, pendingReports: r.n };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * A task's log: lines reach the Conductor task log (POST /api/tasks/{id}/log) while the task
 * runs, a few at a time, so a person watching the run sees progress. Secrets are redacted first.
 * The last lines are kept for the task's `logsTail` output. Shipping is best effort: a failed
 * POST loses those lines from the server's log, never the task.
 */
export interface LogSink {
  (taskId: string, line: string): Promise<void>;
}

const MAX_LINE = 4000;
const TAIL_LINES = 40;

export class TaskLog {
  private pending: string[] = [];
  private readonly tail: string[] = [];
  private chain: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly taskId: string,
    private readonly sink: LogSink,
    private readonly redact: (s: string) => string,
    private readonly flushEveryMs = 250,
    private readonly echo?: (line: string) => void,
  ) {}

  write(text: string): void {
    for (const raw of text.split(/\r?\n/)) {
      if (raw === '') continue;
      const line = this.redact(raw.length > MAX_LINE ? `${raw.slice(0, MAX_LINE)}…` : raw);
      this.pending.push(line);
      this.tail.push(line);
      if (this.tail.length > TAIL_LINES) this.tail.shift();
      this.echo?.(line);
    }
    if (this.pending.length && !this.timer) this.timer = setTimeout(() => void this.flush(), this.flushEveryMs);
  }

  /** The last lines, for outputs (already redacted). */
  tailText(): string {
    return this.tail.join('\n');
  }

  /** Ship what is pending; resolves when every line written so far has been sent (or failed). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length) {
      // one POST per flush keeps the order and the request count low
      this.chain = this.chain.then(() => this.sink(this.taskId, batch.join('\n')).catch(() => undefined));
    }
    return this.chain;
  }
}

/**
 * progress.jsonl: one JSON object per training step, appended by the training command and tailed
 * by lora_train (reference/worker-domain.md §4.3). The keys Baton reads are `step`, `loss`, `lr`
 * and optionally `max_steps`; Hugging Face's names (`learning_rate`, `train_loss`, `global_step`)
 * are accepted too, so a TrainerCallback can append its `logs` as they are. Python's json.dumps
 * writes NaN and Infinity bare (not JSON); those lines still parse, and mark the run diverged.
 */

export interface ProgressPoint {
  step: number;
  loss?: number;
  lr?: number;
  maxSteps?: number;
  /** loss was NaN or ±Infinity. */
  diverged: boolean;
}

export interface ProgressSummary {
  /** Progress lines with a step. */
  points: number;
  /** The highest step seen. */
  steps: number;
  maxSteps?: number;
  firstLoss?: number;
  finalLoss?: number;
  lr?: number;
  diverged: boolean;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A progress line, or undefined when it is not one (a stray print, an eval-only entry). */
export function parseProgressLine(line: string): ProgressPoint | undefined {
  let rec: unknown;
  try {
    rec = JSON.parse(line.replace(/:\s*(-?Infinity|NaN)\b/g, ':"$1"'));
  } catch {
    return undefined;
  }
  if (typeof rec !== 'object' || rec === null) return undefined;
  const r = rec as Record<string, unknown>;
  const step = num(r.step) ?? num(r.global_step);
  if (step === undefined) return undefined;
  const rawLoss = r.loss ?? r.train_loss;
  const diverged = rawLoss === 'NaN' || rawLoss === 'Infinity' || rawLoss === '-Infinity';
  return { step, loss: num(rawLoss), lr: num(r.lr) ?? num(r.learning_rate), maxSteps: num(r.max_steps), diverged };
}

/** The complete lines at the start of `buf` and how many bytes they take (a partial last line waits). */
export function completeLines(buf: Buffer): { lines: string[]; consumed: number } {
  const end = buf.lastIndexOf(0x0a);
  if (end < 0) return { lines: [], consumed: 0 };
  const lines = buf
    .subarray(0, end)
    .toString('utf8')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
  return { lines, consumed: end + 1 };
}

export function emptySummary(): ProgressSummary {
  return { points: 0, steps: 0, diverged: false };
}

/** Fold one more point into a summary (the summary is kept in the task's state between polls). */
export function addPoint(s: ProgressSummary, p: ProgressPoint): ProgressSummary {
  return {
    points: s.points + 1,
    steps: Math.max(s.steps, p.step),
    maxSteps: p.maxSteps ?? s.maxSteps,
    firstLoss: s.firstLoss ?? p.loss,
    finalLoss: p.loss ?? s.finalLoss,
    lr: p.lr ?? s.lr,
    diverged: s.diverged || p.diverged,
  };
}

export function summarize(text: string): ProgressSummary {
  let s = emptySummary();
  for (const line of text.split('\n')) {
    const p = parseProgressLine(line);
    if (p) s = addPoint(s, p);
  }
  return s;
}

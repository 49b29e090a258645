/**
 * Training datasets are JSONL, one example per line, in one of the formats LoRA launchers read
 * (reference/worker-domain.md §4.2): `{"text"}`, `{"prompt","completion"}` (strings or message
 * lists), alpaca `{"instruction","input"?,"output"}`, or `{"messages":[{role,content}…]}`.
 * Validation reports every bad line by number and keeps the good ones, so one stray line does
 * not cost a night's training; the caller decides what to do when none is good.
 */

export const DATASET_FORMATS = ['text', 'prompt_completion', 'alpaca', 'messages'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export interface BadLine {
  /** 1-based line number in the file. */
  line: number;
  reason: string;
}

export interface DatasetReport {
  /** The format of the valid lines (the given one, or the first valid line's). */
  format?: DatasetFormat;
  /** Non-blank lines read. */
  lines: number;
  valid: number;
  invalid: number;
  /** Valid lines dropped because an identical line came earlier. */
  duplicates: number;
  /** The first `maxReported` bad lines, in file order. */
  badLines: BadLine[];
}

export interface ValidatedDataset {
  report: DatasetReport;
  /** The valid, de-duplicated records. */
  records: Record<string, unknown>[];
  /** Those records as JSONL (each original line, newline-terminated): what training gets. */
  jsonl: string;
}

export interface ValidateOptions {
  /** @default auto (the first valid line decides) */
  format?: DatasetFormat | 'auto';
  /** Drop repeated identical lines. @default true */
  dedupe?: boolean;
  /** @default 50 */
  maxReported?: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown) => typeof v === 'string' && v.trim() !== '';
const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

/** Why a message list is unusable, or undefined when it is fine. */
function messagesProblem(v: unknown, field: string, needAssistantLast: boolean): string | undefined {
  if (!Array.isArray(v) || v.length === 0) return `${field} must be a non-empty array`;
  let prev = '';
  for (const [i, m] of v.entries()) {
    if (!isObj(m)) return `${field}[${i}] is not an object`;
    if (typeof m.role !== 'string' || !ROLES.has(m.role)) return `${field}[${i}].role must be one of system, user, assistant, tool`;
    if (typeof m.content !== 'string') return `${field}[${i}].content must be a string`;
    if ((m.role === 'user' || m.role === 'assistant') && m.role === prev) return `${field}[${i}]: two ${m.role} messages in a row`;
    if (m.role !== 'system') prev = m.role;
  }
  if (needAssistantLast && (v[v.length - 1] as { role: string }).role !== 'assistant') return `${field}: the last message must be the assistant's`;
  return undefined;
}

/** The format a record looks like (by its keys), before checking its values. */
export function detectFormat(rec: Record<string, unknown>): DatasetFormat | undefined {
  if ('messages' in rec) return 'messages';
  if ('prompt' in rec && 'completion' in rec) return 'prompt_completion';
  if ('instruction' in rec) return 'alpaca';
  if ('text' in rec) return 'text';
  return undefined;
}

/** Why a record is not a valid example of `format`, or undefined. */
export function recordProblem(rec: Record<string, unknown>, format: DatasetFormat): string | undefined {
  switch (format) {
    case 'text':
      return nonEmpty(rec.text) ? undefined : 'text must be a non-empty string';
    case 'prompt_completion':
      if (Array.isArray(rec.prompt) || Array.isArray(rec.completion)) {
        return messagesProblem(rec.prompt, 'prompt', false) ?? messagesProblem(rec.completion, 'completion', true);
      }
      if (!nonEmpty(rec.prompt)) return 'prompt must be a non-empty string';
      return nonEmpty(rec.completion) ? undefined : 'completion must be a non-empty string';
    case 'alpaca':
      if (!nonEmpty(rec.instruction)) return 'instruction must be a non-empty string';
      if (rec.input !== undefined && typeof rec.input !== 'string') return 'input must be a string';
      return nonEmpty(rec.output) ? undefined : 'output must be a non-empty string';
    case 'messages': {
      const p = messagesProblem(rec.messages, 'messages', true);
      if (p) return p;
      return (rec.messages as { role: string }[]).some((m) => m.role === 'user') ? undefined : 'messages has no user message';
    }
  }
}

/** Check every line; keep the valid ones (de-duplicated) and say which were not. */
export function validateJsonl(text: string, o: ValidateOptions = {}): ValidatedDataset {
  const maxReported = o.maxReported ?? 50;
  const dedupe = o.dedupe ?? true;
  let format: DatasetFormat | undefined = o.format && o.format !== 'auto' ? o.format : undefined;
  let formatLine = 0;
  const report: DatasetReport = { format, lines: 0, valid: 0, invalid: 0, duplicates: 0, badLines: [] };
  const records: Record<string, unknown>[] = [];
  const kept: string[] = [];
  const seen = new Set<string>();
  const bad = (line: number, reason: string) => {
    report.invalid += 1;
    if (report.badLines.length < maxReported) report.badLines.push({ line, reason });
  };

  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    report.lines += 1;
    const n = i + 1;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      bad(n, `not JSON: ${(e as Error).message}`);
      continue;
    }
    if (!isObj(rec)) {
      bad(n, 'not a JSON object');
      continue;
    }
    const looks = detectFormat(rec);
    if (!looks) {
      bad(n, 'no known format (text, prompt+completion, instruction+output, messages)');
      continue;
    }
    if (format && looks !== format) {
      bad(n, `a ${looks} record, but the dataset is ${format}${formatLine ? ` (from line ${formatLine})` : ''}`);
      continue;
    }
    const problem = recordProblem(rec, looks);
    if (problem) {
      bad(n, problem);
      continue;
    }
    if (!format) {
      format = looks;
      formatLine = n;
    }
    const key = line.trim();
    if (dedupe && seen.has(key)) {
      report.duplicates += 1;
      continue;
    }
    seen.add(key);
    report.valid += 1;
    records.push(rec);
    kept.push(`${key}\n`);
  }
  report.format = format;
  return { report, records, jsonl: kept.join('') };
}

/** "line 3: not JSON …; line 7: …" for messages and the task log. */
export function describeBadLines(r: DatasetReport, max = 5): string {
  const shown = r.badLines.slice(0, max).map((b) => `line ${b.line}: ${b.reason}`);
  const more = r.invalid > shown.length ? ` (and ${r.invalid - shown.length} more)` : '';
  return `${shown.join('; ')}${more}`;
}

/** The plain text of an example, for trainers that model text (the tiny trainer). */
export function recordText(rec: Record<string, unknown>): string {
  const msgs = (v: unknown) => (Array.isArray(v) ? v.map((m) => String((m as { content?: unknown }).content ?? '')).join('\n') : String(v ?? ''));
  switch (detectFormat(rec)) {
    case 'messages':
      return msgs(rec.messages);
    case 'prompt_completion':
      return `${msgs(rec.prompt)}\n${msgs(rec.completion)}`;
    case 'alpaca':
      return [rec.instruction, rec.input, rec.output].filter((s) => typeof s === 'string' && s !== '').join('\n');
    default:
      return String(rec.text ?? '');
  }
}

/**
 * Conductor's workflow/task search semantics as a pure module: parse the `query` and `sort`
 * parameters, build the WorkflowSummary / TaskSummary rows, filter, sort and page.
 *
 * The dialect is the one Conductor's default SQLite indexer accepts (clauses joined by ` AND `,
 * `name op value`), widened the way conductor-api.md §4.1 recommends: `!=` and `STARTS_WITH`
 * are accepted, `AND` is case-insensitive, quoted values may contain ` AND ` and commas, and the
 * UI field aliases (`workflowName`, `modifiedTime`, ...) are understood. Clauses on fields this
 * module does not know are ignored (they always match), exactly like the SQLite backend.
 *
 * No I/O, no clock: everything is a function of its arguments.
 */
import { javaToString } from './parameters';
import { BadRequestError } from './errors';
import type { TaskModel, WorkflowModel } from './model';

// ---------------------------------------------------------------------------------------------
// Errors and parameter validation
// ---------------------------------------------------------------------------------------------

/** An unparsable `query` clause. Conductor answers 400 `Incorrectly formatted query string: <clause>`. */
export class QueryError extends BadRequestError {
  constructor(readonly clause: string) {
    super(`Incorrectly formatted query string: ${clause}`);
  }
}

/** Conductor's @Max on the workflow search `size` parameter. */
export const MAX_SEARCH_SIZE = 5000;

/**
 * Checks the paging parameters. Returns the error message the API should answer 400 with, or null.
 * The size-limit message is Conductor's constraint message.
 */
export function validateSearchParams(p: { start?: number; size?: number }, maxSize = MAX_SEARCH_SIZE): string | null {
  const { start = 0, size = 100 } = p;
  if (typeof start !== 'number' || !Number.isInteger(start)) return `start must be an integer: ${String(start)}`;
  if (typeof size !== 'number' || !Number.isInteger(size)) return `size must be an integer: ${String(size)}`;
  if (start < 0) return `start must not be negative: ${start}`;
  if (size < 0) return `size must not be negative: ${size}`;
  if (size > maxSize) return `Cannot return more than ${maxSize} workflows. Please use pagination.`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// query parsing
// ---------------------------------------------------------------------------------------------

export interface Clause {
  field: string;
  op: '=' | '!=' | '>' | '<' | 'IN' | 'STARTS_WITH';
  values: string[];
}

/** Field names whose values are epoch-millisecond timestamps. */
const TIME_FIELDS = new Set(['startTime', 'endTime', 'updateTime', 'modifiedTime', 'scheduledTime', 'createTime']);

/** Splits on `AND` (case-insensitive, surrounded by whitespace) outside quotes and parentheses. */
function splitClauses(q: string): string[] {
  const parts: string[] = [];
  let quote: string | null = null;
  let depth = 0;
  let from = 0;
  for (let i = 0; i < q.length; i++) {
    const c = q[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && /\s/.test(c)) {
      const m = /^\s+AND\s+/i.exec(q.slice(i));
      if (m) {
        parts.push(q.slice(from, i));
        i += m[0].length - 1;
        from = i + 1;
      }
    }
  }
  parts.push(q.slice(from));
  return parts;
}

/**
 * Reads one quoted string starting at `s[at]` (a quote character); backslash escapes the next
 * character. Returns the text and the index after the closing quote, or null when unterminated.
 */
function readQuoted(s: string, at: number): { text: string; end: number } | null {
  const quote = s[at];
  let text = '';
  for (let i = at + 1; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      text += s[++i];
    } else if (c === quote) {
      return { text, end: i + 1 };
    } else {
      text += c;
    }
  }
  return null;
}

/** Unquoted text loses any stray quote or parenthesis characters (SQLite backend leniency). */
const stripLoose = (s: string): string => s.replace(/["'()]/g, '').trim();

/** Splits a list body (`a, "b,c", 'd'`) on commas outside quotes. Null when a quote is unterminated. */
function splitList(body: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = body.length;
  if (body.trim() === '') return [];
  for (;;) {
    while (i < n && /\s/.test(body[i])) i++;
    let item: string;
    if (i < n && (body[i] === '"' || body[i] === "'")) {
      const r = readQuoted(body, i);
      if (!r) return null;
      item = r.text;
      i = r.end;
      while (i < n && /\s/.test(body[i])) i++;
      if (i < n && body[i] !== ',') return null;
    } else {
      const comma = body.indexOf(',', i);
      const end = comma < 0 ? n : comma;
      item = stripLoose(body.slice(i, end));
      i = end;
    }
    out.push(item);
    if (i >= n) return out;
    i++; // skip the comma
  }
}

/** Turns the raw text after the operator into the clause's values; null when malformed. */
function parseValues(raw: string, op: Clause['op']): string[] | null {
  const v = raw.trim();
  if (v === '') return null;
  if (v.startsWith('(')) {
    if (!v.endsWith(')')) return null;
    return splitList(v.slice(1, -1));
  }
  if (v.startsWith('"') || v.startsWith("'")) {
    const r = readQuoted(v, 0);
    if (!r || v.slice(r.end).trim() !== '') {
      // IN "a","b" (a bare list of quoted items)
      if (op === 'IN') return splitList(v);
      return null;
    }
    return [r.text];
  }
  if (op === 'IN') return splitList(v);
  return [stripLoose(v)];
}

const CLAUSE_SYMBOL = /^([A-Za-z_][\w.]*)\s*(!=|=|>|<)\s*([\s\S]*)$/;
const CLAUSE_WORD = /^([A-Za-z_][\w.]*)\s+(IN|STARTS_WITH)(?=[\s("'])\s*([\s\S]*)$/i;

/** Epoch ms from a query value: an integer, or a date text Date.parse understands. NaN otherwise. */
export function toEpochMs(value: string): number {
  const v = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) return Date.parse(v);
  return NaN;
}

function parseClause(text: string): Clause {
  const t = text.trim();
  let m = CLAUSE_WORD.exec(t);
  let op: Clause['op'];
  if (m) {
    op = m[2].toUpperCase() as Clause['op'];
  } else {
    m = CLAUSE_SYMBOL.exec(t);
    if (!m) throw new QueryError(t);
    op = m[2] as Clause['op'];
    // `>=`, `<=`, `==`, `=!` ... are not operators of this dialect.
    if (/^[=<>!]/.test(m[3])) throw new QueryError(t);
  }
  const field = m[1];
  const values = parseValues(m[3], op);
  if (!values) throw new QueryError(t);
  if (TIME_FIELDS.has(field) && op !== 'STARTS_WITH') {
    for (const v of values) if (!v.includes('*') && Number.isNaN(toEpochMs(v))) throw new QueryError(t);
  }
  return { field, op, values };
}

/**
 * Parses the `query` parameter: clauses joined by ` AND ` (case-insensitive), each `name op value`
 * with op one of `=`, `!=`, `>`, `<`, `IN`, `STARTS_WITH`. Values may be bare, "double" or 'single'
 * quoted (backslash escapes), or a parenthesised list. Empty/undefined → [].
 */
export function parseQuery(q: string | undefined): Clause[] {
  if (q === undefined || q === null || q.trim() === '') return [];
  return splitClauses(q).map(parseClause);
}

// ---------------------------------------------------------------------------------------------
// sort parsing
// ---------------------------------------------------------------------------------------------

export interface SortKey {
  field: string;
  dir: 'ASC' | 'DESC';
}

/**
 * Parses the `sort` parameter: `field[:ASC|DESC]` items separated by `|`. A missing or invalid order
 * means ASC (the Elasticsearch backends' rule); fields not in `knownFields` are dropped.
 */
export function parseSort(s: string | undefined, knownFields: readonly string[]): SortKey[] {
  if (!s) return [];
  const keys: SortKey[] = [];
  for (const item of s.split('|')) {
    const text = item.trim();
    if (!text) continue;
    const colon = text.indexOf(':');
    const field = (colon < 0 ? text : text.slice(0, colon)).trim();
    const order = colon < 0 ? '' : text.slice(colon + 1).trim().toUpperCase();
    if (!knownFields.includes(field)) continue;
    keys.push({ field, dir: order === 'DESC' ? 'DESC' : 'ASC' });
  }
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Summaries
// ---------------------------------------------------------------------------------------------

/** Java `toString()` text of a value; the one implementation lives in parameters.ts. */
export const javaToStringLocal = javaToString;

/** `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` in UTC. */
export function isoTime(ms: number): string {
  const d = new Date(Number.isFinite(ms) ? ms : 0);
  return Number.isNaN(d.getTime()) ? new Date(0).toISOString() : d.toISOString();
}

/** Sets `key` only when the value is neither null nor undefined (Jackson NON_NULL). */
function put(o: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined && value !== null) o[key] = value;
}

/** WorkflowSummary JSON (conductor-api.md §2.7). */
export function toWorkflowSummary(wf: WorkflowModel): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const ended = wf.endTime > 0;
  o.workflowType = wf.workflowName;
  o.version = wf.workflowVersion;
  o.workflowId = wf.workflowId;
  put(o, 'correlationId', wf.correlationId);
  put(o, 'startTime', wf.createTime != null ? isoTime(wf.createTime) : undefined);
  put(o, 'updateTime', wf.updateTime != null ? isoTime(wf.updateTime) : undefined);
  if (ended) o.endTime = isoTime(wf.endTime);
  o.status = wf.status;
  put(o, 'input', wf.input != null ? javaToStringLocal(wf.input) : undefined);
  put(o, 'output', wf.output != null ? javaToStringLocal(wf.output) : undefined);
  put(o, 'reasonForIncompletion', wf.reasonForIncompletion);
  o.executionTime = ended ? wf.endTime - (wf.createTime ?? 0) : 0;
  put(o, 'event', wf.event);
  o.failedReferenceTaskNames = (wf.failedReferenceTaskNames ?? []).join(',');
  o.priority = wf.priority ?? 0;
  o.failedTaskNames = [...new Set(wf.failedTaskNames ?? [])];
  put(o, 'createdBy', wf.createdBy);
  o.taskToDomain = { ...(wf.taskToDomain ?? {}) };
  put(o, 'idempotencyKey', wf.idempotencyKey);
  o.parentWorkflowId = wf.parentWorkflowId ?? '';
  o.classifier = 'workflow';
  return o;
}

/**
 * Conductor's Task.getQueueWaitTime: start − scheduled, except for a task waiting on a callback,
 * whose wait is measured against the clock — pass `now` for that case (without it: 0).
 */
function queueWaitTime(t: TaskModel, now?: number): number {
  if (t.startTime > 0 && t.scheduledTime > 0) {
    if (t.updateTime > 0 && t.callbackAfterSeconds > 0) {
      if (now === undefined) return 0;
      return Math.max(0, now - (t.updateTime + t.callbackAfterSeconds * 1000));
    }
    return t.startTime - t.scheduledTime;
  }
  return 0;
}

/** TaskSummary JSON (conductor-api.md §2.7). `now` only matters for a task waiting on a callback. */
export function toTaskSummary(
  t: TaskModel,
  wf: Pick<WorkflowModel, 'workflowName' | 'correlationId'>,
  now?: number,
): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  o.workflowId = t.workflowInstanceId;
  put(o, 'workflowType', t.workflowType || wf.workflowName);
  put(o, 'correlationId', t.correlationId ?? wf.correlationId);
  o.scheduledTime = isoTime(t.scheduledTime);
  o.startTime = isoTime(t.startTime);
  o.updateTime = isoTime(t.updateTime);
  o.endTime = isoTime(t.endTime);
  o.status = t.status;
  put(o, 'reasonForIncompletion', t.reasonForIncompletion);
  o.executionTime = t.endTime > 0 ? t.endTime - t.startTime : 0;
  o.queueWaitTime = queueWaitTime(t, now);
  o.taskDefName = t.taskDefName;
  o.taskType = t.taskType;
  put(o, 'input', t.inputData != null ? javaToStringLocal(t.inputData) : undefined);
  put(o, 'output', t.outputData != null ? javaToStringLocal(t.outputData) : undefined);
  o.taskId = t.taskId;
  o.workflowPriority = t.workflowPriority ?? 0;
  put(o, 'domain', t.domain);
  return o;
}

// ---------------------------------------------------------------------------------------------
// Field access (shared by matching and sorting)
// ---------------------------------------------------------------------------------------------

/** A field's value: a string, a number (times are epoch ms), or null when absent. */
type FieldValue = string | number | null;

const blank = (s: string | undefined | null): string | null => (s === undefined || s === null ? null : s);

const WORKFLOW_GETTERS: Record<string, (wf: WorkflowModel) => FieldValue> = {
  workflowType: (wf) => wf.workflowName,
  workflowName: (wf) => wf.workflowName,
  workflowId: (wf) => wf.workflowId,
  correlationId: (wf) => blank(wf.correlationId),
  status: (wf) => wf.status,
  startTime: (wf) => wf.createTime,
  createTime: (wf) => wf.createTime,
  endTime: (wf) => (wf.endTime > 0 ? wf.endTime : null), // not indexed until the workflow ends
  updateTime: (wf) => wf.updateTime,
  modifiedTime: (wf) => wf.updateTime,
  version: (wf) => wf.workflowVersion,
  priority: (wf) => wf.priority,
  parentWorkflowId: (wf) => wf.parentWorkflowId ?? '',
  idempotencyKey: (wf) => blank(wf.idempotencyKey),
  classifier: () => 'workflow',
};

/** Fields workflow search understands (for `query` and `sort`). */
export const WORKFLOW_FIELDS: readonly string[] = Object.keys(WORKFLOW_GETTERS);

type TaskCtx = { t: TaskModel; wf: Pick<WorkflowModel, 'workflowName' | 'correlationId'> };

const TASK_GETTERS: Record<string, (c: TaskCtx) => FieldValue> = {
  taskId: ({ t }) => t.taskId,
  taskType: ({ t }) => t.taskType,
  taskDefName: ({ t }) => t.taskDefName,
  referenceTaskName: ({ t }) => t.referenceTaskName,
  status: ({ t }) => t.status,
  workflowId: ({ t }) => t.workflowInstanceId,
  workflowInstanceId: ({ t }) => t.workflowInstanceId,
  workflowType: ({ t, wf }) => t.workflowType || wf.workflowName,
  workflowName: ({ t, wf }) => t.workflowType || wf.workflowName,
  correlationId: ({ t, wf }) => blank(t.correlationId ?? wf.correlationId),
  startTime: ({ t }) => t.startTime,
  endTime: ({ t }) => t.endTime,
  updateTime: ({ t }) => t.updateTime,
  modifiedTime: ({ t }) => t.updateTime,
  scheduledTime: ({ t }) => t.scheduledTime,
};

/** Fields task search understands (for `query` and `sort`). */
export const TASK_FIELDS: readonly string[] = Object.keys(TASK_GETTERS);

/** The value a workflow search/sort sees for `field`; undefined for an unknown field. */
export function workflowFieldValue(wf: WorkflowModel, field: string): FieldValue | undefined {
  const g = Object.prototype.hasOwnProperty.call(WORKFLOW_GETTERS, field) ? WORKFLOW_GETTERS[field] : undefined;
  return g ? g(wf) : undefined;
}

/** The value a task search/sort sees for `field`; undefined for an unknown field. */
export function taskFieldValue(
  t: TaskModel,
  wf: Pick<WorkflowModel, 'workflowName' | 'correlationId'>,
  field: string,
): FieldValue | undefined {
  const g = Object.prototype.hasOwnProperty.call(TASK_GETTERS, field) ? TASK_GETTERS[field] : undefined;
  return g ? g({ t, wf }) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `*` → any run of characters; anchored unless `anchored` is false; case-insensitive. */
function wildcard(pattern: string, anchored: boolean): RegExp {
  const body = pattern.split('*').map(escapeRegex).join('[\\s\\S]*');
  return new RegExp(anchored ? `^${body}$` : body, 'i');
}

function equalsValue(actual: string | number, expected: string, field: string): boolean {
  if (TIME_FIELDS.has(field) && typeof actual === 'number') {
    return expected.includes('*') ? wildcard(expected, true).test(String(actual)) : actual === toEpochMs(expected);
  }
  if (expected.includes('*')) return wildcard(expected, true).test(String(actual));
  if (typeof actual === 'number') {
    const n = Number(expected);
    return expected.trim() !== '' && !Number.isNaN(n) ? actual === n : String(actual) === expected;
  }
  if (field === 'classifier') return actual.toLowerCase() === expected.toLowerCase();
  return actual === expected;
}

/** -1 / 0 / 1 comparing the field value with a query value; NaN when not comparable. */
function compareValue(actual: string | number, expected: string, field: string): number {
  if (typeof actual === 'number') {
    const n = TIME_FIELDS.has(field) ? toEpochMs(expected) : expected.trim() === '' ? NaN : Number(expected);
    if (Number.isNaN(n)) return NaN;
    return actual < n ? -1 : actual > n ? 1 : 0;
  }
  return actual < expected ? -1 : actual > expected ? 1 : 0;
}

function matchClause(actual: FieldValue | undefined, c: Clause): boolean {
  if (actual === undefined) return true; // unknown field: ignored
  if (actual === null) return c.op === '!=';
  switch (c.op) {
    case '=':
    case 'IN':
      return c.values.some((v) => equalsValue(actual, v, c.field));
    case '!=':
      return !c.values.some((v) => equalsValue(actual, v, c.field));
    case '>':
      return c.values.length > 0 && compareValue(actual, c.values[0], c.field) > 0;
    case '<':
      return c.values.length > 0 && compareValue(actual, c.values[0], c.field) < 0;
    case 'STARTS_WITH':
      return c.values.some((v) => String(actual).startsWith(v));
    default:
      return true;
  }
}

function matchFreeText(doc: () => string, freeText: string | undefined): boolean {
  if (freeText === undefined || freeText === null) return true;
  const ft = freeText.trim();
  if (ft === '' || ft === '*') return true;
  const hay = doc();
  return ft.includes('*') ? wildcard(ft, false).test(hay) : hay.toLowerCase().includes(ft.toLowerCase());
}

/**
 * Does the workflow match every clause and the free text? Unknown fields always match.
 * Free text (≠ `*`) is a case-insensitive substring of the indexed document: the summary JSON plus
 * the JSON of input and output.
 */
export function matchWorkflow(wf: WorkflowModel, clauses: Clause[], freeText?: string): boolean {
  for (const c of clauses) if (!matchClause(workflowFieldValue(wf, c.field), c)) return false;
  return matchFreeText(
    () =>
      JSON.stringify(toWorkflowSummary(wf)) +
      JSON.stringify({ input: wf.input ?? {}, output: wf.output ?? {}, variables: wf.variables ?? {} }),
    freeText,
  );
}

/** Task counterpart of matchWorkflow (document: TaskSummary JSON plus inputData/outputData JSON). */
export function matchTask(
  t: TaskModel,
  wf: Pick<WorkflowModel, 'workflowName' | 'correlationId'>,
  clauses: Clause[],
  freeText?: string,
): boolean {
  for (const c of clauses) if (!matchClause(taskFieldValue(t, wf, c.field), c)) return false;
  return matchFreeText(
    () =>
      JSON.stringify(toTaskSummary(t, wf)) +
      JSON.stringify({ referenceTaskName: t.referenceTaskName, inputData: t.inputData ?? {}, outputData: t.outputData ?? {} }),
    freeText,
  );
}

// ---------------------------------------------------------------------------------------------
// Sorting and paging
// ---------------------------------------------------------------------------------------------

/** Ascending order; null/undefined first (SQL NULLs sort lowest), numbers numerically, text by code unit. */
function compareAsc(a: unknown, b: unknown): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : an ? -1 : 1;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  const as = String(a);
  const bs = String(b);
  return as < bs ? -1 : as > bs ? 1 : 0;
}

/** Stable sort by the keys, then the page [start, start+size). totalHits counts every item. */
export function sortAndPage<T>(
  items: T[],
  keys: SortKey[],
  get: (item: T, field: string) => unknown,
  start: number,
  size: number,
): { totalHits: number; results: T[] } {
  let sorted = items;
  if (keys.length > 0) {
    const decorated = items.map((item, index) => ({ item, index, vals: keys.map((k) => get(item, k.field)) }));
    decorated.sort((x, y) => {
      for (let i = 0; i < keys.length; i++) {
        const c = compareAsc(x.vals[i], y.vals[i]);
        if (c !== 0) return keys[i].dir === 'DESC' ? -c : c;
      }
      return x.index - y.index;
    });
    sorted = decorated.map((d) => d.item);
  }
  const from = Math.max(0, Math.floor(start) || 0);
  const count = Math.max(0, Math.floor(size) || 0);
  return { totalHits: items.length, results: sorted.slice(from, from + count) };
}

// ---------------------------------------------------------------------------------------------
// Convenience: the whole search over in-memory executions
// ---------------------------------------------------------------------------------------------

export interface SearchParams {
  start?: number;
  size?: number;
  sort?: string;
  freeText?: string;
  query?: string;
}

/** Filters, sorts and pages workflows; returns the matching models (map them with toWorkflowSummary). */
export function searchWorkflows(workflows: WorkflowModel[], p: SearchParams): { totalHits: number; results: WorkflowModel[] } {
  const clauses = parseQuery(p.query);
  const keys = parseSort(p.sort, WORKFLOW_FIELDS);
  const hits = workflows.filter((wf) => matchWorkflow(wf, clauses, p.freeText));
  return sortAndPage(hits, keys, (wf, f) => workflowFieldValue(wf, f), p.start ?? 0, p.size ?? 100);
}

/** Filters, sorts and pages tasks (each with its workflow's name and correlation id). */
export function searchTasks<W extends Pick<WorkflowModel, 'workflowName' | 'correlationId'>>(
  tasks: { task: TaskModel; workflow: W }[],
  p: SearchParams,
): { totalHits: number; results: { task: TaskModel; workflow: W }[] } {
  const clauses = parseQuery(p.query);
  const keys = parseSort(p.sort, TASK_FIELDS);
  const hits = tasks.filter((e) => matchTask(e.task, e.workflow, clauses, p.freeText));
  return sortAndPage(hits, keys, (e, f) => taskFieldValue(e.task, e.workflow, f), p.start ?? 0, p.size ?? 100);
}

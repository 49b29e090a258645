/**
 * `${…}` input resolution — Conductor's `ParametersUtils.getTaskInputV2` (conductor-api.md §3.4).
 *
 * Pure: no I/O, no clock, no process.env (environment values are passed in).
 *
 * Expressions are Jayway-style JsonPaths evaluated against the document of {@link buildDocument}.
 * Definite paths (plain properties and single indexes, the vast majority) are walked directly and
 * only materialise the document entries they touch; indefinite paths (`[*]`, `..`, filters,
 * slices, unions) build the whole document once per call and go to jsonpath-plus with a path
 * string re-rendered from our own tokens. Parsed template strings and compiled paths are cached.
 * Nothing in the workflow is copied except the values that end up in the result.
 */
import { JSONPath } from 'jsonpath-plus';
import type { JsonMap, TaskModel, WorkflowModel } from './model';

export interface ResolveOptions {
  /** value for ${CPEWF_TASK_ID}: id of the task being created */
  taskId?: string;
  /** env lookup for bare ${NAME} and workflow.env.NAME (CONDUCTOR_ENV_NAME); injected, never process.env */
  env?: Record<string, string | undefined>;
  /** TaskDef.inputTemplate: keys absent from the input are added before resolution; top-level keys resolving to null are refilled from it (raw) */
  inputTemplate?: JsonMap;
}

const SECRETS_PREFIX = 'workflow.secrets.';
const ENV_PREFIX = 'workflow.env.';
const ENV_VAR_PREFIX = 'CONDUCTOR_ENV_';
const SECRET_VAR_PREFIX = 'CONDUCTOR_SECRET_';
/** Names Conductor always treats as "system parameters" (EnvUtils.SystemParameters). */
const SYSTEM_PARAMS = new Set(['CPEWF_TASK_ID', 'NETFLIX_ENV', 'NETFLIX_STACK']);
const LOOP_SUFFIX = /__\d+$/;
const CACHE_LIMIT = 5000;

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Assigns without tripping over a `__proto__` key. */
function setKey(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** Deep copy of JSON-like data (plain objects and arrays; everything else by value/reference). */
function cloneJson<T>(v: T): T {
  if (Array.isArray(v)) return v.map(cloneJson) as unknown as T;
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) setKey(out, k, cloneJson(v[k]));
    return out as T;
  }
  return v;
}

function boundedSet<K, V>(cache: Map<K, V>, k: K, v: V): V {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(k, v);
  return v;
}

// ---------------------------------------------------------------------------------------------
// The document
// ---------------------------------------------------------------------------------------------

function taskEntry(t: TaskModel): JsonMap {
  const e: JsonMap = {
    input: t.inputData ?? {},
    output: t.outputData ?? {},
    taskType: t.taskType ?? null,
  };
  if (t.status != null) e.status = t.status;
  e.referenceTaskName = t.referenceTaskName;
  e.retryCount = t.retryCount ?? 0;
  e.correlationId = t.correlationId ?? null;
  e.pollCount = t.pollCount ?? 0;
  e.taskDefName = t.taskDefName ?? null;
  e.scheduledTime = t.scheduledTime ?? 0;
  e.startTime = t.startTime ?? 0;
  e.endTime = t.endTime ?? 0;
  e.workflowInstanceId = t.workflowInstanceId ?? null;
  e.taskId = t.taskId ?? null;
  e.reasonForIncompletion = t.reasonForIncompletion ?? null;
  e.callbackAfterSeconds = t.callbackAfterSeconds ?? 0;
  e.workerId = t.workerId ?? null;
  e.iteration = t.iteration ?? 0;
  return e;
}

/** The key a task is published under: loop-iteration tasks (`ref__N`, iteration > 0) lose the suffix. */
function documentKey(t: TaskModel): string {
  const ref = t.referenceTaskName;
  return (t.iteration ?? 0) > 0 && LOOP_SUFFIX.test(ref) ? ref.replace(LOOP_SUFFIX, '') : ref;
}

/**
 * Task entries by published key: the latest attempt per ref (last in `seq` order, like
 * WorkflowModel.getTaskByRefName); loop refs lose their `__N` and the highest iteration wins.
 */
function indexTasks(tasks: TaskModel[] | undefined): Map<string, TaskModel> {
  const index = new Map<string, TaskModel>();
  for (const t of tasks ?? []) {
    const ref = t.referenceTaskName;
    if (ref == null) continue;
    const key = documentKey(t);
    if (key === 'workflow') continue;
    if (key !== ref) {
      const prev = index.get(key);
      if (prev && (prev.iteration ?? 0) > (t.iteration ?? 0)) continue;
    }
    index.set(key, t);
  }
  return index;
}

function workflowEntry(wf: WorkflowModel): JsonMap {
  return {
    input: wf.input ?? {},
    output: wf.output ?? {},
    status: wf.status ?? null,
    workflowId: wf.workflowId ?? null,
    parentWorkflowId: wf.parentWorkflowId ?? null,
    parentWorkflowTaskId: wf.parentWorkflowTaskId ?? null,
    workflowType: wf.workflowName ?? null,
    version: wf.workflowVersion ?? null,
    correlationId: wf.correlationId ?? null,
    reasonForIncompletion: wf.reasonForIncompletion ?? null,
    schemaVersion: wf.workflowDefinition?.schemaVersion ?? 2,
    variables: wf.variables ?? {},
  };
}

const MISSING: unique symbol = Symbol('missing');

/**
 * Where expressions read from. `get` serves the top-level entries (what definite paths need) and
 * `full` the whole document (for indefinite paths); a workflow source builds both lazily, so a
 * template that only reads `workflow.input.x` and `t1.output.y` never materialises other tasks.
 */
interface Source {
  get(key: string): unknown;
  full(): unknown;
}

function plainSource(doc: unknown): Source {
  return {
    get: (key) => (isPlainObject(doc) && hasOwn(doc, key) && doc[key] !== undefined ? doc[key] : MISSING),
    full: () => doc,
  };
}

class WorkflowSource implements Source {
  private wfEntry?: JsonMap;
  private index?: Map<string, TaskModel>;
  private readonly entries = new Map<string, JsonMap>();
  private doc?: JsonMap;

  constructor(private readonly wf: WorkflowModel) {}

  get(key: string): unknown {
    if (key === 'workflow') return this.workflow();
    const t = this.tasks().get(key);
    return t ? this.entry(key, t) : MISSING;
  }

  full(): JsonMap {
    if (!this.doc) {
      const doc: JsonMap = { workflow: this.workflow() };
      for (const [key, t] of this.tasks()) setKey(doc, key, this.entry(key, t));
      this.doc = doc;
    }
    return this.doc;
  }

  private workflow(): JsonMap {
    return (this.wfEntry ??= workflowEntry(this.wf));
  }

  private tasks(): Map<string, TaskModel> {
    return (this.index ??= indexTasks(this.wf.tasks));
  }

  private entry(key: string, t: TaskModel): JsonMap {
    let e = this.entries.get(key);
    if (!e) this.entries.set(key, (e = taskEntry(t)));
    return e;
  }
}

/** The JsonPath document: { workflow: {...}, <taskRef>: {...} } per §3.4 (latest attempt per ref; refs in loops keyed without the __N suffix, highest iteration wins). */
export function buildDocument(wf: WorkflowModel): JsonMap {
  return new WorkflowSource(wf).full();
}

// ---------------------------------------------------------------------------------------------
// Java-style text
// ---------------------------------------------------------------------------------------------

/** Java's Double.toString for a finite number (shortest round-trip digits). */
function javaDouble(n: number): string {
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(n);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(n);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mant, exp] = n.toExponential().split('e');
  return `${mant.includes('.') ? mant : `${mant}.0`}E${exp.startsWith('+') ? exp.slice(1) : exp}`;
}

/**
 * Integral values print as plain digits, as Java's Integer/Long/BigInteger would (JSON.stringify
 * writes integers below 1e21 as digits and Jackson reads those back as integral types); the rest
 * as Double.toString.
 */
function javaNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return Number.isSafeInteger(n) ? String(n === 0 ? 0 : n) : BigInt(n).toString();
  return javaDouble(n);
}

/** Java-style toString used for embedded interpolation: {a=1, b=[1, 2]}, null -> "null". Exported because search summaries need it. */
export function javaToString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return javaNumber(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => (x === v ? '(this Collection)' : javaToString(x))).join(', ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .map((k) => `${k}=${o[k] === v ? '(this Map)' : javaToString(o[k])}`)
      .join(', ')}}`;
  }
  return String(v);
}

/** json-smart's string escaping with its default (NO_COMPRESS → "protect 4 web") style. */
function jsonSmartEscape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const c = s.charCodeAt(i);
    switch (ch) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '\b': out += '\\b'; break;
      case '\f': out += '\\f'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      case '/': out += '\\/'; break;
      default:
        if (c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0x2000 && c <= 0x20ff)) out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
        else out += ch;
    }
  }
  return out;
}

/**
 * `JSONArray.toString()` of json-smart: Jayway collects indefinite-path results into one, so an
 * embedded `${list[*].x}` prints as compact JSON (`["a","b"]`), not Java's `[a, b]`.
 */
function jsonSmartString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return `"${jsonSmartEscape(v)}"`;
  if (typeof v === 'number') return Number.isFinite(v) ? javaNumber(v) : 'null';
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(jsonSmartString).join(',')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .map((k) => `"${jsonSmartEscape(k)}":${jsonSmartString(o[k])}`)
      .join(',')}}`;
  }
  return `"${jsonSmartEscape(String(v))}"`;
}

// ---------------------------------------------------------------------------------------------
// JsonPath compilation
// ---------------------------------------------------------------------------------------------

type Token =
  | { t: 'prop'; names: string[] }
  | { t: 'index'; idx: number[] }
  | { t: 'slice'; raw: string }
  | { t: 'wild' }
  | { t: 'scan' }
  | { t: 'filter'; raw: string };

interface CompiledPath {
  valid: boolean;
  tokens: Token[];
  /** every token is a single property or a single index */
  definite: boolean;
  /** definite prefix followed by a multi-property leaf (`['a','b']` → merged map) */
  mergeLeaf: boolean;
  /** tail function name (`length()` …) */
  fn?: string;
  /** the jsonpath-plus rendering for indefinite paths; null when it cannot be represented */
  jp?: string | null;
}

const INVALID: CompiledPath = { valid: false, tokens: [], definite: true, mergeLeaf: false };
const compiledCache = new Map<string, CompiledPath>();

/** Index of the `]` closing the bracket opened at `open`, honouring quotes and nested ()/[]. */
function closingBracket(p: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let i = open + 1; i < p.length; i++) {
    const c = p[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ']') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** `'a'`, `"b", 'c'` → names; null when malformed. */
function parseQuotedList(s: string): string[] | null {
  const names: string[] = [];
  let i = 0;
  const skipWs = (): void => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  for (;;) {
    skipWs();
    const q = s[i];
    if (q !== "'" && q !== '"') return null;
    let name = '';
    i++;
    for (;;) {
      if (i >= s.length) return null;
      const c = s[i];
      if (c === '\\' && i + 1 < s.length) {
        name += s[i + 1];
        i += 2;
        continue;
      }
      if (c === q) break;
      name += c;
      i++;
    }
    i++;
    names.push(name);
    skipWs();
    if (i >= s.length) return names;
    if (s[i] !== ',') return null;
    i++;
  }
}

function parseBracket(content: string): Token | null {
  const c = content.trim();
  if (c === '*') return { t: 'wild' };
  if (c.startsWith('?')) return { t: 'filter', raw: c };
  if (c.startsWith("'") || c.startsWith('"')) {
    const names = parseQuotedList(c);
    return names && names.length > 0 ? { t: 'prop', names } : null;
  }
  if (/^-?\d+(\s*,\s*-?\d+)*$/.test(c)) return { t: 'index', idx: c.split(',').map((x) => Number(x.trim())) };
  if (/^(-?\d+)?\s*:\s*(-?\d+)?(\s*:\s*(-?\d+)?)?$/.test(c)) return { t: 'slice', raw: c.replace(/\s+/g, '') };
  return null;
}

/** Tokenises a `$`-rooted Jayway path. */
function tokenize(p: string): { tokens: Token[]; fn?: string } | null {
  const tokens: Token[] = [];
  const n = p.length;
  let i = 1;
  const readName = (): { name: string; end: number } => {
    let j = i;
    while (j < n && p[j] !== '.' && p[j] !== '[' && p[j] !== '(' && p[j] !== ' ') j++;
    return { name: p.slice(i, j), end: j };
  };
  while (i < n) {
    const c = p[i];
    if (c === '.') {
      if (p[i + 1] === '.') {
        tokens.push({ t: 'scan' });
        i += 2;
        if (p[i] === '[') continue;
      } else {
        i++;
        if (i >= n || p[i] === '.') return null;
        if (p[i] === '[') continue;
      }
      const { name, end } = readName();
      if (!name) return null;
      if (p[end] === ' ') return null;
      if (p[end] === '(') {
        // tail function: name() must end the path
        const close = p.indexOf(')', end);
        if (close !== n - 1 || p.slice(end + 1, close).trim() !== '') return null;
        if (tokens.length > 0 && tokens[tokens.length - 1].t === 'scan') return null;
        return { tokens, fn: name };
      }
      tokens.push(name === '*' ? { t: 'wild' } : { t: 'prop', names: [name] });
      i = end;
    } else if (c === '[') {
      const close = closingBracket(p, i);
      if (close < 0) return null;
      const tok = parseBracket(p.slice(i + 1, close));
      if (!tok) return null;
      tokens.push(tok);
      i = close + 1;
    } else {
      return null;
    }
  }
  return { tokens };
}

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const UNSAFE_FOR_JP = /['"\];^#()@%,\\]/;

/** Replaces root references (`$.x`, `$['x']`) in a filter with jsonpath-plus' `@root`, outside quotes. */
function rewriteFilterRoot(raw: string): string {
  let out = '';
  let quote = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (quote) {
      out += c;
      if (c === '\\' && i + 1 < raw.length) out += raw[++i];
      else if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    if (c === '$' && !/[\w@$]/.test(raw[i - 1] ?? '') && (raw[i + 1] === '.' || raw[i + 1] === '[')) out += '@root';
    else out += c;
  }
  return out;
}

function renderForJsonPathPlus(tokens: Token[]): string | null {
  let s = '$';
  for (let k = 0; k < tokens.length; k++) {
    const tok = tokens[k];
    const afterScan = k > 0 && tokens[k - 1].t === 'scan';
    switch (tok.t) {
      case 'scan':
        s += '..';
        break;
      case 'wild':
        s += afterScan ? '*' : '[*]';
        break;
      case 'prop':
        if (tok.names.some((nm) => nm === '' || UNSAFE_FOR_JP.test(nm))) return null;
        if (tok.names.length > 1) s += `[${tok.names.join(',')}]`;
        else if (PLAIN_NAME.test(tok.names[0])) s += afterScan ? tok.names[0] : `.${tok.names[0]}`;
        else s += `['${tok.names[0]}']`;
        break;
      case 'index':
        s += `[${tok.idx.join(',')}]`;
        break;
      case 'slice':
        s += `[${tok.raw}]`;
        break;
      case 'filter':
        s += `[${rewriteFilterRoot(tok.raw)}]`;
        break;
    }
  }
  return s;
}

function compilePath(raw: string): CompiledPath {
  const cached = compiledCache.get(raw);
  if (cached) return cached;
  let p = raw.trim();
  if (!p) return boundedSet(compiledCache, raw, INVALID);
  if (p[0] === '@') p = `$${p.slice(1)}`;
  else if (p[0] !== '$') p = `$.${p}`;
  const parsed = tokenize(p);
  if (!parsed) return boundedSet(compiledCache, raw, INVALID);
  const { tokens, fn } = parsed;
  const simple = (tok: Token): boolean => (tok.t === 'prop' && tok.names.length === 1) || (tok.t === 'index' && tok.idx.length === 1);
  const definite = tokens.every(simple);
  const last = tokens[tokens.length - 1];
  const mergeLeaf = !definite && last?.t === 'prop' && tokens.slice(0, -1).every(simple);
  const compiled: CompiledPath = { valid: true, tokens, definite, mergeLeaf, fn };
  if (!definite && !mergeLeaf) compiled.jp = renderForJsonPathPlus(tokens);
  return boundedSet(compiledCache, raw, compiled);
}

// ---------------------------------------------------------------------------------------------
// JsonPath evaluation
// ---------------------------------------------------------------------------------------------

type Found = unknown;

/** Walks definite tokens [from, to) starting at `cur`. */
function walkFrom(cur: unknown, tokens: Token[], from: number, to: number): Found {
  for (let k = from; k < to; k++) {
    const tok = tokens[k];
    if (tok.t === 'prop') {
      const name = tok.names[0];
      if (!isPlainObject(cur) || !hasOwn(cur, name)) return MISSING;
      cur = cur[name];
    } else if (tok.t === 'index') {
      if (!Array.isArray(cur)) return MISSING;
      const i = tok.idx[0] < 0 ? cur.length + tok.idx[0] : tok.idx[0];
      if (i < 0 || i >= cur.length) return MISSING;
      cur = cur[i];
    } else {
      return MISSING;
    }
    if (cur === undefined) return MISSING;
  }
  return cur;
}

/** Walks the first `count` (definite) tokens from the document root. */
function walk(src: Source, tokens: Token[], count: number): Found {
  if (count === 0) return src.full();
  const first = tokens[0];
  if (first.t === 'prop') {
    const top = src.get(first.names[0]);
    return top === MISSING ? MISSING : walkFrom(top, tokens, 1, count);
  }
  return walkFrom(src.full(), tokens, 0, count);
}

function numbersOf(v: unknown): number[] {
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : [];
}

/** Jayway's tail functions (the ones without parameters). */
function applyFunction(fn: string, input: unknown): unknown {
  switch (fn) {
    case 'length':
      if (Array.isArray(input) || typeof input === 'string') return input.length;
      if (isPlainObject(input)) return Object.keys(input).length;
      return null;
    case 'keys':
      return isPlainObject(input) ? Object.keys(input) : null;
    case 'first':
      return Array.isArray(input) && input.length > 0 ? input[0] : null;
    case 'last':
      return Array.isArray(input) && input.length > 0 ? input[input.length - 1] : null;
    case 'sum':
    case 'min':
    case 'max':
    case 'avg':
    case 'stddev': {
      const nums = numbersOf(input);
      if (nums.length === 0) return null;
      if (fn === 'min') return Math.min(...nums);
      if (fn === 'max') return Math.max(...nums);
      const sum = nums.reduce((a, b) => a + b, 0);
      if (fn === 'sum') return sum;
      const mean = sum / nums.length;
      if (fn === 'avg') return mean;
      return Math.sqrt(nums.reduce((a, b) => a + b * b, 0) / nums.length - mean * mean);
    }
    default:
      return null;
  }
}

interface Evaluated {
  value: unknown;
  /** the value is Jayway's collected result list of an indefinite path */
  list: boolean;
}

function evaluateCompiled(c: CompiledPath, src: Source): Evaluated {
  if (!c.valid) return { value: null, list: false };
  let base: Found;
  let list = false;
  if (c.definite) {
    base = walk(src, c.tokens, c.tokens.length);
  } else if (c.mergeLeaf) {
    const parent = walk(src, c.tokens, c.tokens.length - 1);
    const leaf = c.tokens[c.tokens.length - 1] as { t: 'prop'; names: string[] };
    if (!isPlainObject(parent)) base = MISSING;
    else {
      const merged: Record<string, unknown> = {};
      for (const nm of leaf.names) if (hasOwn(parent, nm) && parent[nm] !== undefined) setKey(merged, nm, parent[nm]);
      base = merged;
    }
  } else {
    list = true;
    base = [];
    const doc = c.jp ? src.full() : null;
    if (c.jp && doc !== null && typeof doc === 'object') {
      try {
        const r = JSONPath({ path: c.jp, json: doc as object, wrap: true, eval: 'safe', ignoreEvalErrors: true }) as unknown;
        if (Array.isArray(r)) base = r.map((x) => (x === undefined ? null : x));
      } catch {
        base = [];
      }
    }
  }
  if (c.fn) {
    if (base === MISSING) return { value: null, list: false };
    const r = applyFunction(c.fn, base);
    return { value: r === undefined ? null : r, list: false };
  }
  return { value: base === MISSING ? null : base, list };
}

/**
 * Evaluates one JsonPath (Jayway dialect, `$` optional) against a document; missing → null,
 * indefinite paths → a list (empty when nothing matches). Never throws; the result is not copied.
 */
export function evaluatePath(path: string, doc: unknown): unknown {
  return evaluateCompiled(compilePath(path), plainSource(doc)).value;
}

// ---------------------------------------------------------------------------------------------
// Template strings
// ---------------------------------------------------------------------------------------------

interface Expr {
  start: number;
  end: number;
  /** the text between `${` and the balancing `}` */
  body: string;
}

const scanCache = new Map<string, Expr[]>();

/** Finds the `${…}` expressions (balanced braces, not preceded by `$`) of a string, left to right. */
function scanExpressions(s: string): Expr[] {
  const cached = scanCache.get(s);
  if (cached) return cached;
  const out: Expr[] = [];
  let from = 0;
  for (;;) {
    const i = s.indexOf('${', from);
    if (i < 0) break;
    if (i > 0 && s[i - 1] === '$') {
      from = i + 1;
      continue;
    }
    let depth = 1;
    let j = i + 2;
    for (; j < s.length; j++) {
      const c = s[j];
      if (c === '{') depth++;
      else if (c === '}' && --depth === 0) break;
    }
    if (j >= s.length) {
      // unbalanced: not an expression here; a later `${` may still be one
      from = i + 1;
      continue;
    }
    out.push({ start: i, end: j + 1, body: s.slice(i + 2, j) });
    from = j + 1;
  }
  return boundedSet(scanCache, s, out);
}

interface Ctx {
  src: Source;
  taskId?: string;
  env?: Record<string, string | undefined>;
}

function envValue(env: Ctx['env'], name: string): string | undefined {
  if (!env || !hasOwn(env, name)) return undefined;
  const v = env[name];
  return typeof v === 'string' ? v : undefined;
}

/** `NAME` or `NAME.json.path` of a JSON-valued variable. */
function resolveNamedValue(value: string | undefined, rest: string | undefined): unknown {
  if (value === undefined) return null;
  if (rest === undefined) return value;
  try {
    return evaluatePath(rest, JSON.parse(value));
  } catch {
    return null;
  }
}

function splitNameAndPath(ref: string): [string, string | undefined] {
  const dot = ref.indexOf('.');
  return dot < 0 ? [ref, undefined] : [ref.slice(0, dot), ref.slice(dot + 1)];
}

interface Replacement extends Evaluated {
  start: number;
  end: number;
}

const unescape = (s: string): string => (s.includes('$${') ? s.split('$${').join('${') : s);

function resolveString(s: string, ctx: Ctx, depth: number): unknown {
  if (!s.includes('${')) return s;
  const exprs = scanExpressions(s);
  const reps: Replacement[] = [];
  for (const e of exprs) {
    let path = e.body;
    if (path.includes('${')) path = String(resolveString(path, ctx, depth + 1));
    if (path.trim() === '') {
      reps.push({ start: e.start, end: e.end, value: '', list: false });
    } else if (path.startsWith(SECRETS_PREFIX)) {
      // deferred: the literal stays in the stored input (see substituteSecrets)
      reps.push({ start: e.start, end: e.end, value: s.slice(e.start, e.end), list: false });
    } else if (path.startsWith(ENV_PREFIX)) {
      const [name, rest] = splitNameAndPath(path.slice(ENV_PREFIX.length));
      const value = resolveNamedValue(envValue(ctx.env, ENV_VAR_PREFIX + name), rest);
      reps.push({ start: e.start, end: e.end, value, list: false });
    } else if (SYSTEM_PARAMS.has(path) || envValue(ctx.env, path) !== undefined) {
      const value = path === 'CPEWF_TASK_ID' ? ctx.taskId : envValue(ctx.env, path);
      // Conductor leaves the expression text in place when the system parameter has no value
      if (value != null) reps.push({ start: e.start, end: e.end, value, list: false });
    } else {
      const r = evaluateCompiled(compilePath(path), ctx.src);
      reps.push({ start: e.start, end: e.end, ...r });
    }
  }
  if (depth === 0 && reps.length === 1 && reps[0].start === 0 && reps[0].end === s.length) return cloneJson(reps[0].value);
  let out = '';
  let pos = 0;
  for (const r of reps) {
    out += s.slice(pos, r.start) + (r.list ? jsonSmartString(r.value) : javaToString(r.value));
    pos = r.end;
  }
  out += s.slice(pos);
  return unescape(out);
}

function resolveValue(v: unknown, ctx: Ctx): unknown {
  if (typeof v === 'string') return resolveString(v, ctx, 0);
  if (Array.isArray(v)) return v.map((x) => resolveValue(x, ctx));
  if (isPlainObject(v)) return resolveMap(v, ctx);
  return v;
}

function resolveMap(m: Record<string, unknown>, ctx: Ctx): JsonMap {
  const out: JsonMap = {};
  for (const k of Object.keys(m)) setKey(out, k, resolveValue(m[k], ctx));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/** Resolve a template map (deep-copied; keys never evaluated) against the workflow. */
export function resolveParameters(template: JsonMap | undefined, wf: WorkflowModel, opts: ResolveOptions = {}): JsonMap {
  return resolveWith(template, new WorkflowSource(wf), opts);
}

/** Same but against an arbitrary document (used later for event payloads). */
export function resolveAgainst(template: JsonMap | undefined, doc: JsonMap, opts: ResolveOptions = {}): JsonMap {
  return resolveWith(template, plainSource(doc), opts);
}

function resolveWith(template: JsonMap | undefined, src: Source, opts: ResolveOptions): JsonMap {
  const ctx: Ctx = { src, taskId: opts.taskId, env: opts.env };
  const tpl = opts.inputTemplate;
  let input: Record<string, unknown> = template ?? {};
  if (tpl) {
    // Map.putIfAbsent: absent keys and keys mapped to null take the template's value
    input = { ...input };
    for (const k of Object.keys(tpl)) if (input[k] === null || input[k] === undefined) setKey(input, k, tpl[k]);
  }
  const out = resolveMap(input, ctx);
  if (tpl) {
    for (const k of Object.keys(out)) {
      if (out[k] === null || out[k] === undefined) setKey(out, k, hasOwn(tpl, k) && tpl[k] !== undefined ? cloneJson(tpl[k]) : null);
    }
  }
  return out;
}

/**
 * Substitutes `${workflow.secrets.NAME[.jsonpath]}` from env `CONDUCTOR_SECRET_NAME` in a copy of
 * `input` (done when a task is handed out, never persisted). Whole-string references keep the
 * value's type; embedded ones interpolate (missing → empty text). Input is not mutated.
 */
export function substituteSecrets(input: JsonMap, env: Record<string, string | undefined> | undefined): JsonMap {
  const pattern = /\$\{workflow\.secrets\.([^}]+)\}/g;
  const resolveRef = (ref: string): unknown => {
    const [name, rest] = splitNameAndPath(ref);
    return resolveNamedValue(envValue(env, SECRET_VAR_PREFIX + name), rest);
  };
  const sub = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('${workflow.secrets.')) return v;
      const whole = /^\$\{workflow\.secrets\.([^}]+)\}$/.exec(v);
      if (whole) return cloneJson(resolveRef(whole[1]));
      return v.replace(pattern, (_m, ref: string) => {
        const r = resolveRef(ref);
        return r == null ? '' : javaToString(r);
      });
    }
    if (Array.isArray(v)) return v.map(sub);
    if (isPlainObject(v)) {
      const o: JsonMap = {};
      for (const k of Object.keys(v)) setKey(o, k, sub(v[k]));
      return o;
    }
    return v;
  };
  return sub(input) as JsonMap;
}

/**
 * Registration-time validation of Conductor metadata (conductor-api.md §6.3, §0.1, §2.1–2.3).
 *
 * Conductor runs bean validation on `POST/PUT /api/metadata/workflow`, `/api/metadata/taskdefs`
 * and on inline definitions in a StartWorkflowRequest, and answers 400 with one
 * `validationErrors[]` entry per violation. These functions return that list instead of
 * throwing; the API layer wraps a non-empty list in a `ValidationError`.
 *
 * Message texts are Conductor's own (clients and tests match on them, typos included). Where
 * Conductor would fail deserialisation instead (a number for `tasks`, a bad enum value), it
 * answers 500 with a Jackson message; Baton reports a violation with a plain message instead.
 *
 * Deliberately NOT checked here, because Conductor accepts them at registration:
 * SIMPLE tasks without a registered TaskDef (§6.1), unknown task types, FORK→JOIN adjacency,
 * JOIN `joinOn` refs. `lintWorkflowDef` reports those for callers that want a strict mode.
 *
 * Violation paths follow the method-validation property paths: field constraints use the field
 * (`<prefix>.tasks[0].name`), class-level constraints use the object (`<prefix>` for reference
 * uniqueness and `${…}` checks, `<prefix>.tasks[0]` for the per-type rules). `invalidValue` is
 * only set for scalar values, as Conductor does.
 *
 * Pure: no I/O, no process.env; the caller passes env names, registered defs and a script
 * checker in.
 */
import type { JqEngine, ScriptEngine } from '../ports/sandbox';
import type { TaskDef, WorkflowDef } from './model';

export interface Violation {
  path: string;
  message: string;
  invalidValue?: unknown;
}

export interface WorkflowDefValidationOptions {
  /** Path of the definition in the request, e.g. `registerWorkflowDef.workflowDef`. @default 'workflowDef' */
  pathPrefix?: string;
  /** Names that count as server env vars / system properties for a bare `${NAME}`. */
  env?: Record<string, string | undefined>;
  /** `conductor.app.ownerEmailMandatory`. @default false (the shipped server setting) */
  ownerEmailMandatory?: boolean;
  /**
   * The registered TaskDef for a task name, consulted where Conductor asks its MetadataDAO:
   * an `inputTemplate` carrying `http_request` / `kafka_request` / `queryExpression` satisfies
   * HTTP / KAFKA_PUBLISH / JSON_JQ_TRANSFORM nodes that have no embedded `taskDefinition`.
   */
  getTaskDef?: (name: string) => TaskDef | undefined;
  /**
   * Well-formedness check for JavaScript (DECISION caseExpression, SWITCH javascript
   * expression); returns an error text, or undefined when the script is fine. Without it,
   * scripts are not checked (this module never evaluates user code).
   */
  checkScript?: (script: string) => string | undefined;
}

export interface TaskDefValidationOptions {
  /** Path of the definition in the request, e.g. `registerTaskDef.taskDefinitions[0]`. @default 'taskDef' */
  pathPrefix?: string;
  /** `conductor.app.ownerEmailMandatory`. @default false */
  ownerEmailMandatory?: boolean;
}

// ---------------------------------------------------------------------------------------------
// small helpers

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const present = (v: unknown): boolean => v !== undefined && v !== null;
const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
/** `String.format("%s", x)` of a Java String field: null prints as "null". */
const javaText = (v: unknown): string => (v === undefined || v === null ? 'null' : String(v));

function push(out: Violation[], path: string, message: string, value?: unknown): void {
  const v: Violation = { path, message };
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') v.invalidValue = value;
  out.push(v);
}

type Kind = 'string' | 'integer' | 'boolean' | 'object' | 'array' | 'string[]';

const KIND_TEXT: Record<Kind, string> = {
  string: 'a string',
  integer: 'an integer',
  boolean: 'a boolean',
  object: 'a JSON object',
  array: 'an array',
  'string[]': 'an array of strings',
};

function hasKind(v: unknown, kind: Kind): boolean {
  switch (kind) {
    case 'string': return typeof v === 'string';
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'boolean': return typeof v === 'boolean';
    case 'object': return isObj(v);
    case 'array': return Array.isArray(v);
    case 'string[]': return Array.isArray(v) && v.every((e) => typeof e === 'string');
  }
}

/**
 * Type-checks the listed fields (null counts as absent, as Jackson accepts null everywhere).
 * Returns the names of the fields with the wrong JSON type, so later rules can skip them.
 */
function checkKinds(o: Obj, fields: Record<string, Kind>, owner: string, base: string, out: Violation[]): Set<string> {
  const bad = new Set<string>();
  for (const [field, kind] of Object.entries(fields)) {
    const v = o[field];
    if (!present(v) || hasKind(v, kind)) continue;
    bad.add(field);
    push(out, `${base}.${field}`, `${owner} ${field} must be ${KIND_TEXT[kind]}`, v);
  }
  return bad;
}

function checkEnum(o: Obj, field: string, allowed: readonly string[], owner: string, base: string, out: Violation[]): void {
  const v = o[field];
  if (!present(v) || (typeof v === 'string' && allowed.includes(v))) return;
  push(out, `${base}.${field}`, `${owner} ${field} must be one of ${allowed.join(', ')}`, v);
}

/** A required, non-empty string field (`@NotEmpty`); a non-string gets a type message instead. */
function checkRequiredName(v: unknown, path: string, emptyMessage: string, typeMessage: string, out: Violation[]): void {
  if (v === undefined || v === null || v === '') push(out, path, emptyMessage, v);
  else if (typeof v !== 'string') push(out, path, typeMessage, v);
}

// ---------------------------------------------------------------------------------------------
// TaskDef

const TASK_DEF_FIELDS: Record<string, Kind> = {
  description: 'string',
  retryCount: 'integer',
  timeoutSeconds: 'integer',
  inputKeys: 'string[]',
  outputKeys: 'string[]',
  runtimeMetadata: 'string[]',
  retryDelaySeconds: 'integer',
  responseTimeoutSeconds: 'integer',
  concurrentExecLimit: 'integer',
  inputTemplate: 'object',
  rateLimitPerFrequency: 'integer',
  rateLimitFrequencyInSeconds: 'integer',
  isolationGroupId: 'string',
  executionNameSpace: 'string',
  ownerEmail: 'string',
  pollTimeoutSeconds: 'integer',
  backoffScaleFactor: 'integer',
  maxRetryDelaySeconds: 'integer',
  backoffJitterMs: 'integer',
  baseType: 'string',
  totalTimeoutSeconds: 'integer',
  taskStatusListenerEnabled: 'boolean',
  inputSchema: 'object',
  outputSchema: 'object',
  enforceSchema: 'boolean',
  metadata: 'object',
  version: 'integer',
  ownerApp: 'string',
  createTime: 'integer',
  updateTime: 'integer',
  createdBy: 'string',
  updatedBy: 'string',
};

const TIMEOUT_POLICIES = ['RETRY', 'TIME_OUT_WF', 'ALERT_ONLY'] as const;
const RETRY_LOGICS = ['FIXED', 'EXPONENTIAL_BACKOFF', 'LINEAR_BACKOFF'] as const;

/** JSON-shape checks only (types and enums): what deserialisation would enforce. */
function checkTaskDefShape(d: Obj, base: string, out: Violation[]): Set<string> {
  const bad = checkKinds(d, TASK_DEF_FIELDS, 'TaskDef', base, out);
  checkEnum(d, 'timeoutPolicy', TIMEOUT_POLICIES, 'TaskDef', base, out);
  checkEnum(d, 'retryLogic', RETRY_LOGICS, 'TaskDef', base, out);
  return bad;
}

/** Validate a task definition as POST/PUT /api/metadata/taskdefs would; pathPrefix e.g. 'registerTaskDef.taskDefinitions[0]'. */
export function validateTaskDef(def: unknown, opts: TaskDefValidationOptions = {}): Violation[] {
  const base = opts.pathPrefix ?? 'taskDef';
  const out: Violation[] = [];
  if (!isObj(def)) {
    push(out, base, def === undefined || def === null ? 'TaskDef cannot be null' : 'TaskDef must be a JSON object', def);
    return out;
  }
  checkRequiredName(def.name, `${base}.name`, 'TaskDef name cannot be null or empty', 'TaskDef name must be a string', out);
  const bad = checkTaskDefShape(def, base, out);
  const int = (field: string): number | undefined => {
    const v = def[field];
    return !bad.has(field) && typeof v === 'number' ? v : undefined;
  };

  // Field constraints. `{value}` in Conductor's templates is the annotation's bound, not the
  // rejected value, hence "retryCount: 0 must be >= 0" for retryCount -1.
  const min = (field: string, bound: number, message: string) => {
    const v = int(field);
    if (v !== undefined && v < bound) push(out, `${base}.${field}`, message, v);
  };
  min('retryCount', 0, 'TaskDef retryCount: 0 must be >= 0');
  const rt = int('responseTimeoutSeconds');
  if (rt !== undefined && rt < 1) push(out, `${base}.responseTimeoutSeconds`, `TaskDef responseTimeoutSeconds: ${rt} should be minimum 1 second`, rt);
  min('pollTimeoutSeconds', 0, 'TaskDef pollTimeoutSeconds: 0 must be >= 0');
  min('backoffScaleFactor', 1, 'Backoff scale factor. Applicable for LINEAR_BACKOFF');
  min('maxRetryDelaySeconds', 0, 'TaskDef maxRetryDelaySeconds: 0 must be >= 0');
  min('backoffJitterMs', 0, 'TaskDef backoffJitterMs: 0 must be >= 0');
  min('totalTimeoutSeconds', 0, 'TaskDef totalTimeoutSeconds: 0 must be >= 0');

  // Class-level TaskTimeoutConstraint, with the defaults an omitted field deserialises to.
  const name = javaText(def.name);
  const timeout = int('timeoutSeconds') ?? 0;
  const response = rt ?? 3600;
  const total = int('totalTimeoutSeconds') ?? 0;
  if (timeout > 0 && response > timeout) {
    push(out, base, `TaskDef: ${name} responseTimeoutSeconds: ${response} must be less than timeoutSeconds: ${timeout}`);
  }
  if (timeout > 0 && total > 0 && timeout > total) {
    push(out, base, `TaskDef: ${name} timeoutSeconds: ${timeout} must be less than or equal to totalTimeoutSeconds: ${total}`);
  }

  if (opts.ownerEmailMandatory && (def.ownerEmail === undefined || def.ownerEmail === null || def.ownerEmail === '')) {
    push(out, `${base}.ownerEmail`, 'ownerEmail cannot be empty', def.ownerEmail);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// WorkflowDef

const WORKFLOW_DEF_FIELDS: Record<string, Kind> = {
  description: 'string',
  version: 'integer',
  inputParameters: 'string[]',
  outputParameters: 'object',
  failureWorkflow: 'string',
  failureWorkflowVersion: 'integer',
  schemaVersion: 'integer',
  restartable: 'boolean',
  workflowStatusListenerEnabled: 'boolean',
  workflowStatusListenerSink: 'string',
  ownerEmail: 'string',
  timeoutSeconds: 'integer',
  variables: 'object',
  inputTemplate: 'object',
  rateLimitConfig: 'object',
  inputSchema: 'object',
  outputSchema: 'object',
  enforceSchema: 'boolean',
  metadata: 'object',
  cacheConfig: 'object',
  maskedFields: 'string[]',
  ownerApp: 'string',
  createTime: 'integer',
  updateTime: 'integer',
  createdBy: 'string',
  updatedBy: 'string',
};

const WORKFLOW_TASK_FIELDS: Record<string, Kind> = {
  description: 'string',
  type: 'string',
  inputParameters: 'object',
  dynamicTaskNameParam: 'string',
  caseValueParam: 'string',
  caseExpression: 'string',
  scriptExpression: 'string',
  decisionCases: 'object',
  dynamicForkJoinTasksParam: 'string',
  dynamicForkTasksParam: 'string',
  dynamicForkTasksInputParamName: 'string',
  defaultCase: 'array',
  forkTasks: 'array',
  startDelay: 'integer',
  subWorkflowParam: 'object',
  joinOn: 'string[]',
  sink: 'string',
  optional: 'boolean',
  taskDefinition: 'object',
  rateLimited: 'boolean',
  defaultExclusiveJoinTask: 'string[]',
  asyncComplete: 'boolean',
  loopCondition: 'string',
  loopOver: 'array',
  retryCount: 'integer',
  evaluatorType: 'string',
  expression: 'string',
  onStateChange: 'object',
  joinStatus: 'string',
  cacheConfig: 'object',
  permissive: 'boolean',
  metadata: 'object',
};

/** Conductor's `SystemParameters`: always resolvable as bare `${NAME}`. */
const SYSTEM_PARAMETERS = new Set(['CPEWF_TASK_ID', 'NETFLIX_ENV', 'NETFLIX_STACK']);
const TERMINATION_STATUSES = new Set(['COMPLETED', 'FAILED', 'TERMINATED']);

interface WalkContext {
  out: Violation[];
  opts: WorkflowDefValidationOptions;
  /** Every well-formed task node in definition order (depth first), for the uniqueness check. */
  nodes: Obj[];
}

/** Validate a workflow definition as POST/PUT /api/metadata/workflow would. `pathPrefix` e.g. 'registerWorkflowDef.workflowDef' or 'startWorkflow.startWorkflowRequest.workflowDef'. `env` = names that count as known env vars for bare ${NAME}. */
export function validateWorkflowDef(def: unknown, opts: WorkflowDefValidationOptions = {}): Violation[] {
  const base = opts.pathPrefix ?? 'workflowDef';
  const out: Violation[] = [];
  if (!isObj(def)) {
    push(out, base, def === undefined || def === null ? 'WorkflowDef cannot be null' : 'WorkflowDef must be a JSON object', def);
    return out;
  }
  checkRequiredName(def.name, `${base}.name`, 'WorkflowDef name cannot be null or empty', 'WorkflowDef name must be a string', out);
  const bad = checkKinds(def, WORKFLOW_DEF_FIELDS, 'WorkflowDef', base, out);
  checkEnum(def, 'timeoutPolicy', ['TIME_OUT_WF', 'ALERT_ONLY'], 'WorkflowDef', base, out);
  if (!bad.has('schemaVersion') && typeof def.schemaVersion === 'number' && def.schemaVersion !== 2) {
    push(out, `${base}.schemaVersion`, 'workflowDef schemaVersion: 2 is only supported', def.schemaVersion);
  }
  if (opts.ownerEmailMandatory && (def.ownerEmail === undefined || def.ownerEmail === null || def.ownerEmail === '')) {
    push(out, `${base}.ownerEmail`, 'ownerEmail cannot be empty', def.ownerEmail);
  }

  const tasks = def.tasks;
  if (tasks === null) {
    push(out, `${base}.tasks`, 'must not be null');
    push(out, `${base}.tasks`, 'WorkflowTask list cannot be empty');
    return out;
  }
  if (tasks === undefined || (Array.isArray(tasks) && tasks.length === 0)) {
    push(out, `${base}.tasks`, 'WorkflowTask list cannot be empty');
    return out;
  }
  if (!Array.isArray(tasks)) {
    push(out, `${base}.tasks`, 'WorkflowDef tasks must be an array', tasks);
    return out;
  }

  const ctx: WalkContext = { out, opts, nodes: [] };
  validateTaskList(tasks, `${base}.tasks`, ctx);

  // TaskReferenceNameUniqueConstraint: unique across the whole nested tree.
  const seen = new Set<string>();
  for (const node of ctx.nodes) {
    const ref = node.taskReferenceName;
    if (typeof ref !== 'string' || ref === '') continue;
    if (seen.has(ref)) {
      push(out, base, `taskReferenceName: ${ref} should be unique across tasks for a given workflowDefinition: ${javaText(def.name)}`);
    } else {
      seen.add(ref);
    }
  }

  // `${…}` references in the inputParameters of top-level tasks only; refs may be nested tasks.
  for (const t of tasks) {
    if (!isObj(t) || !isObj(t.inputParameters)) continue;
    for (const message of checkInputParameters(t.inputParameters, javaText(t.name), seen, opts.env ?? {})) push(out, base, message);
  }
  return out;
}

function validateTaskList(list: unknown[], listPath: string, ctx: WalkContext): void {
  list.forEach((t, i) => {
    const path = `${listPath}[${i}]`;
    if (!isObj(t)) {
      push(ctx.out, path, t === undefined || t === null ? 'WorkflowTask cannot be null' : 'WorkflowTask must be a JSON object', t);
      return;
    }
    validateTask(t, path, ctx);
  });
}

function validateTask(t: Obj, path: string, ctx: WalkContext): void {
  const { out } = ctx;
  ctx.nodes.push(t);
  checkRequiredName(t.name, `${path}.name`, 'WorkflowTask name cannot be empty or null', 'WorkflowTask name must be a string', out);
  checkRequiredName(
    t.taskReferenceName,
    `${path}.taskReferenceName`,
    'WorkflowTask taskReferenceName name cannot be empty or null',
    'WorkflowTask taskReferenceName must be a string',
    out,
  );
  const bad = checkKinds(t, WORKFLOW_TASK_FIELDS, 'WorkflowTask', path, out);
  checkEnum(t, 'joinMode', ['SYNC', 'ASYNC'], 'WorkflowTask', path, out);
  if (!bad.has('startDelay') && typeof t.startDelay === 'number' && t.startDelay < 0) {
    push(out, `${path}.startDelay`, 'must be greater than or equal to 0', t.startDelay);
  }
  if (!bad.has('taskDefinition') && isObj(t.taskDefinition)) checkTaskDefShape(t.taskDefinition, `${path}.taskDefinition`, out);
  if (!bad.has('subWorkflowParam') && isObj(t.subWorkflowParam)) checkSubWorkflowParamShape(t.subWorkflowParam, `${path}.subWorkflowParam`, out);

  if (!bad.has('type')) {
    const type = nonEmptyString(t.type) ? t.type : 'SIMPLE';
    checkTypeRules(t, type, bad, path, ctx);
  }

  // Children (Conductor cascades into decisionCases, defaultCase, forkTasks and loopOver).
  if (!bad.has('decisionCases') && isObj(t.decisionCases)) {
    for (const [key, branch] of Object.entries(t.decisionCases)) {
      const branchPath = `${path}.decisionCases[${key}]`;
      if (branch === null) continue;
      if (!Array.isArray(branch)) push(out, branchPath, 'WorkflowTask decisionCases values must be arrays of tasks', branch);
      else validateTaskList(branch, branchPath, ctx);
    }
  }
  if (!bad.has('defaultCase') && Array.isArray(t.defaultCase)) validateTaskList(t.defaultCase, `${path}.defaultCase`, ctx);
  if (!bad.has('forkTasks') && Array.isArray(t.forkTasks)) {
    t.forkTasks.forEach((branch, b) => {
      const branchPath = `${path}.forkTasks[${b}]`;
      if (branch === null) return;
      if (!Array.isArray(branch)) push(out, branchPath, 'WorkflowTask forkTasks must be an array of task arrays', branch);
      else validateTaskList(branch, branchPath, ctx);
    });
  }
  if (!bad.has('loopOver') && Array.isArray(t.loopOver)) validateTaskList(t.loopOver, `${path}.loopOver`, ctx);
}

function checkSubWorkflowParamShape(p: Obj, base: string, out: Violation[]): void {
  if (present(p.name) && typeof p.name !== 'string') push(out, `${base}.name`, 'SubWorkflowParams name must be a string', p.name);
  const wd = p.workflowDefinition;
  if (present(wd) && !isObj(wd) && !(typeof wd === 'string' && wd.startsWith('${') && wd.endsWith('}'))) {
    push(out, `${base}.workflowDefinition`, 'SubWorkflowParams workflowDefinition must be a WorkflowDef object or a ${...} expression', wd);
  }
  if (present(p.taskToDomain) && !isObj(p.taskToDomain)) push(out, `${base}.taskToDomain`, 'SubWorkflowParams taskToDomain must be a JSON object', p.taskToDomain);
}

/** WorkflowTaskTypeConstraint: the per-type required parameters. Unknown types have none. */
function checkTypeRules(t: Obj, type: string, bad: Set<string>, path: string, ctx: WalkContext): void {
  const { out, opts } = ctx;
  const name = javaText(t.name);
  const input: Obj = isObj(t.inputParameters) ? t.inputParameters : {};
  const fail = (message: string) => push(out, path, message);
  const required = (field: string) => fail(`${field} field is required for taskType: ${type} taskName: ${name}`);
  const inTemplate = (key: string) => templateHas(t, key, opts);
  const checkScript = (script: unknown) => {
    if (typeof script !== 'string' || !opts.checkScript) return;
    const error = opts.checkScript(script);
    if (error !== undefined) fail(`Expression is not well formatted: ${error}, taskType: ${type} taskName ${name}`);
  };
  const checkCases = () => {
    if (bad.has('decisionCases')) return;
    if (t.decisionCases === null) required('decisionCases');
    else if (!isObj(t.decisionCases) || Object.keys(t.decisionCases).length === 0) {
      fail(`decisionCases should have atleast one task for taskType: ${type} taskName: ${name}`);
    }
  };

  switch (type) {
    case 'EVENT':
      if (!present(t.sink)) required('sink');
      break;
    case 'DECISION':
      if (!present(t.caseValueParam) && !present(t.caseExpression)) required('caseValueParam or caseExpression');
      checkCases();
      checkScript(t.caseExpression);
      break;
    case 'SWITCH':
      if (!present(t.evaluatorType)) required('evaluatorType');
      else if (!present(t.expression)) required('expression');
      checkCases();
      if (t.evaluatorType === 'javascript') checkScript(t.expression);
      break;
    case 'DYNAMIC':
      if (!present(t.dynamicTaskNameParam)) required('dynamicTaskNameParam');
      break;
    case 'FORK_JOIN_DYNAMIC': {
      const legacy = present(t.dynamicForkJoinTasksParam);
      if (legacy && (present(t.dynamicForkTasksParam) || present(t.dynamicForkTasksInputParamName))) {
        fail(`dynamicForkJoinTasksParam or combination of dynamicForkTasksInputParamName and dynamicForkTasksParam cam be used for taskType: ${type} taskName: ${name}`);
        break;
      }
      if (legacy || present(input.forkTaskInputs)) break;
      if (!present(t.dynamicForkTasksParam)) required('dynamicForkTasksParam');
      if (!present(t.dynamicForkTasksInputParamName)) required('dynamicForkTasksInputParamName');
      break;
    }
    case 'HTTP':
      if (!('http_request' in input) && !('uri' in input) && !('method' in input) && !inTemplate('http_request')) {
        required('inputParameters.http_request');
      }
      break;
    case 'FORK_JOIN':
      if (!bad.has('forkTasks') && (!Array.isArray(t.forkTasks) || t.forkTasks.length === 0)) {
        fail(`forkTasks should have atleast one task for taskType: ${type} taskName: ${name}`);
      }
      break;
    case 'TERMINATE': {
      if (t.optional === true) fail(`terminate task cannot be optional, taskName: ${name}`);
      const status = input.terminationStatus;
      if (typeof status !== 'string' || !TERMINATION_STATUSES.has(status)) {
        fail(`terminate task must have an terminationStatus parameter and must be set to COMPLETED or FAILED, taskName: ${name}`);
      }
      break;
    }
    case 'KAFKA_PUBLISH':
      if (!('kafka_request' in input) && !inTemplate('kafka_request')) required('inputParameters.kafka_request');
      break;
    case 'DO_WHILE': {
      // List iteration (`items` / `inputParameters._items`) makes the condition optional.
      const iteratesList = present(t.items) || present(input._items);
      if (!present(t.loopCondition) && !iteratesList) required('loopCondition');
      if (!bad.has('loopOver') && (!Array.isArray(t.loopOver) || t.loopOver.length === 0)) required('loopOver');
      break;
    }
    case 'SUB_WORKFLOW':
      if (!present(t.subWorkflowParam)) required('subWorkflowParam');
      break;
    case 'JSON_JQ_TRANSFORM':
      if (!('queryExpression' in input) && !inTemplate('queryExpression')) required('inputParameters.queryExpression');
      break;
    case 'WAIT':
      checkWaitInput(input, fail);
      break;
    default:
      break; // SIMPLE and every other type string (worker / user-defined types) have no rules
  }
}

/** Conductor reads the embedded taskDefinition if there is one, else the registered def. */
function templateHas(t: Obj, key: string, opts: WorkflowDefValidationOptions): boolean {
  let def: unknown = t.taskDefinition;
  if (!isObj(def) && typeof t.name === 'string' && opts.getTaskDef) def = opts.getTaskDef(t.name);
  return isObj(def) && isObj(def.inputTemplate) && key in def.inputTemplate;
}

// --- WAIT: literal `duration` / `until` must parse -------------------------------------------

/** `10s`, `5 minutes`, `1d 2h 3m 4s`: each unit at most once, in d-h-m-s order. */
const DURATION = /^\s*(?:\d+\s*(?:days?|d))?\s*(?:\d+\s*(?:hours?|hrs?|h))?\s*(?:\d+\s*(?:minutes?|mins?|m))?\s*(?:\d+\s*(?:seconds?|secs?|s))?\s*$/i;
/** `yyyy-MM-dd`, `yyyy-MM-dd HH:mm`, `yyyy-MM-dd HH:mm z` (lenient, as Java parses them). */
const UNTIL = /^\d+-\d{1,2}-\d{1,2}(?: \d{1,2}:\d{1,2}(?: \S+)?)?$/;

function waitText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function checkWaitInput(input: Obj, fail: (message: string) => void): void {
  const duration = waitText(input.duration);
  const until = waitText(input.until);
  const given = (s: string) => s.trim() !== '';
  if (given(duration) && given(until)) fail("Both 'duration' and 'until' specified. Please provide only one input");
  // Conductor's own texts, trailing spaces included.
  if (given(duration) && !duration.startsWith('${')) {
    if (!DURATION.test(duration)) fail('Either date or duration is passed as null ');
  } else if (given(until) && !until.startsWith('${')) {
    if (!UNTIL.test(until)) fail('Unable to parse date ');
  }
}

// --- `${…}` references in inputParameters ----------------------------------------------------

/**
 * The `${…}` pieces of a string as Conductor's validator sees them: the value is cut before
 * every `${` not preceded by `$` and after every `}`, and each piece that starts with `${` and
 * ends with `}` is an expression. (`$${…}` escapes are skipped; only the innermost part of a
 * nested expression is a complete piece.)
 */
function expressionPieces(value: string): string[] {
  const cuts: number[] = [0];
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '$' && value[i + 1] === '{' && value[i - 1] !== '$') cuts.push(i);
    if (value[i] === '}') cuts.push(i + 1);
  }
  cuts.push(value.length);
  const sorted = [...new Set(cuts)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let k = 0; k + 1 < sorted.length; k++) {
    const piece = value.slice(sorted[k], sorted[k + 1]);
    if (piece.length >= 3 && piece.startsWith('${') && piece.endsWith('}')) out.push(piece.slice(2, -1));
  }
  return out;
}

/** Rejects what Jayway JsonPath cannot compile: blank paths, a trailing `.`, unbalanced brackets or quotes. */
function compilesAsJsonPath(path: string): boolean {
  const p = path.trim();
  if (p === '' || p.endsWith('.')) return false;
  let square = 0;
  let round = 0;
  let quote: string | undefined;
  for (const ch of p) {
    if (quote) {
      if (ch === quote) quote = undefined;
      continue;
    }
    if ((ch === "'" || ch === '"') && (square > 0 || round > 0)) quote = ch;
    else if (ch === '[') square++;
    else if (ch === ']') square--;
    else if (ch === '(') round++;
    else if (ch === ')') round--;
    if (square < 0 || round < 0) return false;
  }
  return quote === undefined && square === 0 && round === 0;
}

/** First path segment, after a leading `$` / `$.` and bracket notation (`$['t1'].output` → `t1`). */
function rootSegment(path: string): string {
  let p = path.trim();
  if (p.startsWith('$')) p = p.slice(1);
  if (p.startsWith('.')) p = p.slice(1);
  if (p.startsWith('[')) {
    const m = /^\[\s*(['"])(.*?)\1\s*\]/.exec(p);
    return m ? m[2] : '';
  }
  return (/^[^.[]*/.exec(p)?.[0] ?? '').trim();
}

function checkInputParameters(input: Obj, taskName: string, refs: Set<string>, env: Record<string, string | undefined>): string[] {
  const errors: string[] = [];
  const checkString = (key: string, value: string) => {
    for (const expr of expressionPieces(value)) {
      if (!compilesAsJsonPath(expr)) {
        errors.push(`key: ${key} input parameter value: ${expr} is not valid`);
        continue;
      }
      if (SYSTEM_PARAMETERS.has(expr) || (Object.prototype.hasOwnProperty.call(env, expr) && env[expr] !== undefined)) continue;
      const root = rootSegment(expr);
      if (root === '' || root === 'workflow' || refs.has(root)) continue;
      errors.push(`taskReferenceName: ${root} for given task: ${taskName} input value: ${key} of input parameter: ${value} is not defined in workflow definition.`);
    }
  };
  const walkList = (key: string, list: unknown[]) => {
    for (const v of list) {
      if (typeof v === 'string') checkString(key, v);
      else if (isObj(v)) walkMap(v);
      else if (Array.isArray(v)) walkList(key, v);
    }
  };
  const walkMap = (m: Obj) => {
    for (const [key, v] of Object.entries(m)) {
      if (typeof v === 'string') checkString(key, v);
      else if (isObj(v)) walkMap(v);
      else if (Array.isArray(v)) walkList(key, v);
    }
  };
  walkMap(input);
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Strict lint (opt-in; NOT applied at registration)

const typeOf = (t: Obj): string => (nonEmptyString(t.type) ? t.type : 'SIMPLE');

/** Calls `visit` for every task list in the tree (top level, decision cases, default case, fork branches, loop body). */
function forEachTaskList(list: unknown, listPath: string, visit: (list: unknown[], listPath: string) => void): void {
  if (!Array.isArray(list)) return;
  visit(list, listPath);
  list.forEach((t, i) => {
    if (!isObj(t)) return;
    const path = `${listPath}[${i}]`;
    if (isObj(t.decisionCases)) for (const [key, branch] of Object.entries(t.decisionCases)) forEachTaskList(branch, `${path}.decisionCases[${key}]`, visit);
    forEachTaskList(t.defaultCase, `${path}.defaultCase`, visit);
    if (Array.isArray(t.forkTasks)) t.forkTasks.forEach((branch, b) => forEachTaskList(branch, `${path}.forkTasks[${b}]`, visit));
    forEachTaskList(t.loopOver, `${path}.loopOver`, visit);
  });
}

/** Opt-in strict lint (NOT used at registration, Conductor does not reject these): FORK_JOIN not followed by a JOIN, JOIN joinOn refs that don't exist, SUB_WORKFLOW without name or inline def, SIMPLE task with no registered TaskDef (given a set of known task def names). */
export interface LintOptions {
  /** Workflow names that exist (registered or among the files checked): SUB_WORKFLOW names are checked against them. */
  knownWorkflows?: Set<string>;
  /** JavaScript syntax check: INLINE expressions and DO_WHILE loop conditions. */
  scripts?: Pick<ScriptEngine, 'syntaxError'>;
  /** jq compile check: literal JSON_JQ_TRANSFORM queryExpressions. */
  jq?: Pick<JqEngine, 'compileError'>;
}

const literal = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '' && !v.includes('${');

export function lintWorkflowDef(def: WorkflowDef, knownTaskDefs: Set<string>, opts: LintOptions = {}): Violation[] {
  const out: Violation[] = [];
  const root: unknown = def;
  if (!isObj(root) || !Array.isArray(root.tasks)) return out;

  const refs = new Set<string>();
  forEachTaskList(root.tasks, 'workflowDef.tasks', (list) => {
    for (const t of list) if (isObj(t) && typeof t.taskReferenceName === 'string') refs.add(t.taskReferenceName);
  });

  forEachTaskList(root.tasks, 'workflowDef.tasks', (list, listPath) => {
    list.forEach((t, i) => {
      if (!isObj(t)) return;
      const path = `${listPath}[${i}]`;
      const type = typeOf(t);
      const ref = javaText(t.taskReferenceName);
      const next = list[i + 1];
      const nextIsJoin = isObj(next) && typeOf(next) === 'JOIN';
      if ((type === 'FORK_JOIN' || type === 'FORK_JOIN_DYNAMIC') && !nextIsJoin) {
        push(out, path, `${type} task ${ref} is not directly followed by a JOIN task; the workflow would fail when it reaches it`);
      }
      if ((type === 'JOIN' || type === 'EXCLUSIVE_JOIN') && Array.isArray(t.joinOn)) {
        t.joinOn.forEach((on, k) => {
          if (typeof on !== 'string' || !refs.has(on)) {
            push(out, `${path}.joinOn[${k}]`, `${type} task ${ref} joins on ${javaText(on)}, which is not a taskReferenceName in this workflow definition`, on);
          }
        });
      }
      if (type === 'SUB_WORKFLOW') {
        const p = t.subWorkflowParam;
        if (!isObj(p) || (!nonEmptyString(p.name) && !present(p.workflowDefinition))) {
          push(out, `${path}.subWorkflowParam`, `SUB_WORKFLOW task ${ref} has neither subWorkflowParam.name nor subWorkflowParam.workflowDefinition`);
        }
      }
      const input: Obj = isObj(t.inputParameters) ? t.inputParameters : {};
      if (type === 'SUB_WORKFLOW' && opts.knownWorkflows && isObj(t.subWorkflowParam)) {
        const name = t.subWorkflowParam.name;
        if (literal(name) && !present(t.subWorkflowParam.workflowDefinition) && !opts.knownWorkflows.has(name)) {
          push(out, `${path}.subWorkflowParam.name`, `SUB_WORKFLOW task ${ref} starts workflow ${name}, which is not defined`, name);
        }
      }
      if (type === 'INLINE' && opts.scripts && literal(input.expression) && (input.evaluatorType ?? 'javascript') !== 'value-param') {
        const error = opts.scripts.syntaxError(input.expression);
        if (error) push(out, `${path}.inputParameters.expression`, `INLINE task ${ref}: the script does not parse: ${error}`);
      }
      if (type === 'DO_WHILE' && opts.scripts && literal(t.loopCondition)) {
        const error = opts.scripts.syntaxError(t.loopCondition);
        if (error) push(out, `${path}.loopCondition`, `DO_WHILE task ${ref}: the loop condition does not parse: ${error}`);
      }
      if (type === 'JSON_JQ_TRANSFORM' && opts.jq && literal(input.queryExpression)) {
        const error = opts.jq.compileError(input.queryExpression);
        if (error) push(out, `${path}.inputParameters.queryExpression`, `JSON_JQ_TRANSFORM task ${ref}: the jq query does not compile: ${error}`);
      }
      if (type === 'SIMPLE' && nonEmptyString(t.name) && !isObj(t.taskDefinition) && !knownTaskDefs.has(t.name)) {
        push(
          out,
          `${path}.name`,
          `SIMPLE task ${t.name} has no registered TaskDef; the ad-hoc default applies (retryCount 3, retryDelaySeconds 60, responseTimeoutSeconds 3600)`,
          t.name,
        );
      }
    });
  });
  return out;
}

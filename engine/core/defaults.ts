/**
 * Conductor's defaults for definitions: what a freshly deserialised TaskDef / WorkflowTask /
 * WorkflowDef carries when a field is omitted (conductor-api.md §2.1–2.3, §6.1).
 */
import type { TaskDef, WorkflowDef, WorkflowTask } from './model';

/** Types that are executed by the engine itself; every other type string is a worker task. */
export const SYSTEM_TASK_TYPES = new Set([
  'DECISION', 'SWITCH', 'FORK_JOIN', 'FORK_JOIN_DYNAMIC', 'JOIN', 'EXCLUSIVE_JOIN', 'DO_WHILE',
  'SUB_WORKFLOW', 'START_WORKFLOW', 'EVENT', 'WAIT', 'HUMAN', 'USER_DEFINED', 'INLINE', 'LAMBDA',
  'SET_VARIABLE', 'TERMINATE', 'JSON_JQ_TRANSFORM', 'HTTP', 'NOOP', 'KAFKA_PUBLISH', 'FORK', 'DYNAMIC',
]);

export const taskTypeOf = (t: WorkflowTask): string => (t.type ?? 'SIMPLE') || 'SIMPLE';
export const isWorkerTaskType = (type: string): boolean => type === 'SIMPLE' || !SYSTEM_TASK_TYPES.has(type);

/** A TaskDef with every defaulted field filled in, as Conductor serialises it. */
export function withTaskDefDefaults(def: TaskDef): TaskDef {
  return {
    retryCount: 3,
    timeoutSeconds: 0,
    inputKeys: [],
    outputKeys: [],
    runtimeMetadata: [],
    timeoutPolicy: 'TIME_OUT_WF',
    retryLogic: 'FIXED',
    retryDelaySeconds: 60,
    responseTimeoutSeconds: 3600,
    inputTemplate: {},
    rateLimitPerFrequency: 0,
    rateLimitFrequencyInSeconds: 1,
    backoffScaleFactor: 1,
    maxRetryDelaySeconds: 0,
    backoffJitterMs: 0,
    totalTimeoutSeconds: 0,
    taskStatusListenerEnabled: true,
    enforceSchema: false,
    ...stripNulls(def),
  };
}

/**
 * The ad-hoc definition Conductor supplies at workflow start for a task with no registered
 * TaskDef: plain defaults for worker tasks; retryCount 0 and no response timeout otherwise.
 */
export function adHocTaskDef(name: string, type: string): TaskDef {
  const def = withTaskDefDefaults({ name });
  if (!isWorkerTaskType(type)) {
    def.retryCount = 0;
    def.responseTimeoutSeconds = 0;
  }
  return def;
}

/** A WorkflowTask node with Conductor's serialised defaults (nested lists recursively). */
export function withWorkflowTaskDefaults(t: WorkflowTask): WorkflowTask {
  const out: WorkflowTask = {
    inputParameters: {},
    type: 'SIMPLE',
    decisionCases: {},
    defaultCase: [],
    forkTasks: [],
    startDelay: 0,
    joinOn: [],
    optional: false,
    defaultExclusiveJoinTask: [],
    asyncComplete: false,
    loopOver: [],
    onStateChange: {},
    permissive: false,
    metadata: {},
    ...stripNulls(t),
  } as WorkflowTask;
  if (out.decisionCases) {
    const cases: Record<string, WorkflowTask[]> = {};
    for (const [k, list] of Object.entries(out.decisionCases)) cases[k] = (list ?? []).map(withWorkflowTaskDefaults);
    out.decisionCases = cases;
  }
  if (Array.isArray(out.defaultCase)) out.defaultCase = out.defaultCase.map(withWorkflowTaskDefaults);
  if (Array.isArray(out.forkTasks)) out.forkTasks = out.forkTasks.map((b) => (b ?? []).map(withWorkflowTaskDefaults));
  if (Array.isArray(out.loopOver)) out.loopOver = out.loopOver.map(withWorkflowTaskDefaults);
  if (out.taskDefinition) out.taskDefinition = withTaskDefDefaults(out.taskDefinition);
  return out;
}

/** A WorkflowDef with Conductor's serialised defaults. Unknown fields are kept verbatim. */
export function withWorkflowDefDefaults(d: WorkflowDef): WorkflowDef {
  return {
    ...stripNulls(d),
    version: d.version ?? 1,
    tasks: (d.tasks ?? []).map(withWorkflowTaskDefaults),
    inputParameters: d.inputParameters ?? [],
    outputParameters: d.outputParameters ?? {},
    schemaVersion: 2,
    restartable: d.restartable ?? true,
    workflowStatusListenerEnabled: d.workflowStatusListenerEnabled ?? false,
    timeoutPolicy: d.timeoutPolicy ?? 'ALERT_ONLY',
    timeoutSeconds: d.timeoutSeconds ?? 0,
    variables: d.variables ?? {},
    inputTemplate: d.inputTemplate ?? {},
    enforceSchema: d.enforceSchema ?? true,
    metadata: d.metadata ?? {},
    maskedFields: d.maskedFields ?? [],
  };
}

/** Java beans omit null fields on output; drop them so defaults apply. */
function stripNulls<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v;
  return out as T;
}

/** Every WorkflowTask in a definition tree, depth first, in definition order. */
export function allWorkflowTasks(tasks: WorkflowTask[] | undefined): WorkflowTask[] {
  const out: WorkflowTask[] = [];
  const walk = (list: WorkflowTask[] | undefined) => {
    for (const t of list ?? []) {
      out.push(t);
      for (const c of Object.values(t.decisionCases ?? {})) walk(c);
      walk(t.defaultCase);
      for (const b of t.forkTasks ?? []) walk(b);
      walk(t.loopOver);
    }
  };
  walk(tasks);
  return out;
}

import { lintWorkflowDef, validateTaskDef, validateWorkflowDef, type Violation } from '../../engine/core/validation';
import type { WorkflowDef } from '../../engine/core/model';

const P = 'registerWorkflowDef.workflowDef';

const simple = (ref: string, extra: Record<string, unknown> = {}) => ({ name: ref, taskReferenceName: ref, type: 'SIMPLE', ...extra });
const wf = (tasks: unknown[], extra: Record<string, unknown> = {}) => ({ name: 'wf', version: 1, tasks, ...extra });
const messages = (vs: Violation[]) => vs.map((v) => v.message);
const validate = (def: unknown, opts: Parameters<typeof validateWorkflowDef>[1] = {}) => validateWorkflowDef(def, { pathPrefix: P, ...opts });

describe('validateWorkflowDef — the definition itself', () => {
  test('a minimal valid definition has no violations', () => {
    expect(validate(wf([simple('t1')]))).toEqual([]);
  });

  test('a SIMPLE task without a registered task def is accepted', () => {
    expect(validate(wf([{ name: 'never_registered', taskReferenceName: 'x' }]))).toEqual([]);
  });

  test('unknown task types are accepted', () => {
    const def = wf([
      { name: 'chat', taskReferenceName: 'chat', type: 'LLM_CHAT_COMPLETE', inputParameters: { prompt: '${workflow.input.q}' } },
      { name: 'custom', taskReferenceName: 'custom', type: 'MY_OWN_TYPE' },
    ]);
    expect(validate(def)).toEqual([]);
  });

  test('a missing name is reported at <prefix>.name with Conductor\'s message', () => {
    expect(validate({ tasks: [simple('t1')] })).toEqual([{ path: `${P}.name`, message: 'WorkflowDef name cannot be null or empty' }]);
  });

  test('an empty name is reported with the empty string as invalidValue', () => {
    expect(validate(wf([simple('t1')], { name: '' }))).toEqual([
      { path: `${P}.name`, message: 'WorkflowDef name cannot be null or empty', invalidValue: '' },
    ]);
  });

  test('missing or empty tasks are reported as an empty task list', () => {
    expect(validate({ name: 'wf' })).toEqual([{ path: `${P}.tasks`, message: 'WorkflowTask list cannot be empty' }]);
    expect(messages(validate(wf([])))).toEqual(['WorkflowTask list cannot be empty']);
  });

  test('null tasks are reported as both null and empty', () => {
    expect(messages(validate(wf([], { tasks: null })))).toEqual(['must not be null', 'WorkflowTask list cannot be empty']);
  });

  test('schemaVersion other than 2 is rejected, 2 is accepted', () => {
    expect(validate(wf([simple('t1')], { schemaVersion: 1 }))).toEqual([
      { path: `${P}.schemaVersion`, message: 'workflowDef schemaVersion: 2 is only supported', invalidValue: 1 },
    ]);
    expect(validate(wf([simple('t1')], { schemaVersion: 2 }))).toEqual([]);
  });

  test('ownerEmail is required only when ownerEmailMandatory is set', () => {
    const def = wf([simple('t1')]);
    expect(validate(def)).toEqual([]);
    expect(validate(def, { ownerEmailMandatory: true })).toEqual([{ path: `${P}.ownerEmail`, message: 'ownerEmail cannot be empty' }]);
    expect(validate({ ...def, ownerEmail: 'a@b.c' }, { ownerEmailMandatory: true })).toEqual([]);
  });

  test('the path prefix defaults to workflowDef and follows the caller (start request inline def)', () => {
    expect(validateWorkflowDef({ tasks: [simple('t')] })[0].path).toBe('workflowDef.name');
    const prefix = 'startWorkflow.startWorkflowRequest.workflowDef';
    expect(validateWorkflowDef({ tasks: [simple('t')] }, { pathPrefix: prefix })[0].path).toBe(`${prefix}.name`);
  });

  test('a bad workflow timeoutPolicy is a violation', () => {
    expect(validate(wf([simple('t1')], { timeoutPolicy: 'RETRY' }))).toEqual([
      { path: `${P}.timeoutPolicy`, message: 'WorkflowDef timeoutPolicy must be one of TIME_OUT_WF, ALERT_ONLY', invalidValue: 'RETRY' },
    ]);
  });
});

describe('validateWorkflowDef — wrong JSON types give violations, never exceptions', () => {
  test.each([null, undefined, 42, 'wf', [], true])('a body of %p is reported, not thrown', (body) => {
    const vs = validate(body);
    expect(vs).toHaveLength(1);
    expect(vs[0].path).toBe(P);
  });

  test('a numeric name is a type violation', () => {
    expect(validate(wf([simple('t1')], { name: 7 }))).toEqual([{ path: `${P}.name`, message: 'WorkflowDef name must be a string', invalidValue: 7 }]);
  });

  test('tasks that are not an array are a type violation', () => {
    expect(validate(wf([], { tasks: { a: 1 } }))).toEqual([{ path: `${P}.tasks`, message: 'WorkflowDef tasks must be an array' }]);
    expect(validate(wf([], { tasks: 'abc' }))).toEqual([{ path: `${P}.tasks`, message: 'WorkflowDef tasks must be an array', invalidValue: 'abc' }]);
  });

  test('task entries that are not objects are reported at their index', () => {
    expect(validate(wf([null, 5, simple('ok')]))).toEqual([
      { path: `${P}.tasks[0]`, message: 'WorkflowTask cannot be null' },
      { path: `${P}.tasks[1]`, message: 'WorkflowTask must be a JSON object', invalidValue: 5 },
    ]);
  });

  test('wrongly typed definition and task fields are reported by path', () => {
    const def = wf([simple('t1', { optional: 'yes', inputParameters: [1], startDelay: 'soon', retryCount: 1.5, joinOn: [1] })], {
      version: '2',
      restartable: 'no',
      inputParameters: 'x',
    });
    expect(validate(def)).toEqual([
      { path: `${P}.version`, message: 'WorkflowDef version must be an integer', invalidValue: '2' },
      { path: `${P}.inputParameters`, message: 'WorkflowDef inputParameters must be an array of strings', invalidValue: 'x' },
      { path: `${P}.restartable`, message: 'WorkflowDef restartable must be a boolean', invalidValue: 'no' },
      { path: `${P}.tasks[0].inputParameters`, message: 'WorkflowTask inputParameters must be a JSON object' },
      { path: `${P}.tasks[0].startDelay`, message: 'WorkflowTask startDelay must be an integer', invalidValue: 'soon' },
      { path: `${P}.tasks[0].joinOn`, message: 'WorkflowTask joinOn must be an array of strings' },
      { path: `${P}.tasks[0].optional`, message: 'WorkflowTask optional must be a boolean', invalidValue: 'yes' },
      { path: `${P}.tasks[0].retryCount`, message: 'WorkflowTask retryCount must be an integer', invalidValue: 1.5 },
    ]);
  });

  test('null fields count as absent', () => {
    const def = wf([simple('t1', { description: null, inputParameters: null, startDelay: null })], { description: null, version: null });
    expect(validate(def)).toEqual([]);
  });

  test('wrongly typed nested containers are reported, not thrown', () => {
    const def = wf([
      { name: 'sw', taskReferenceName: 'sw', type: 'SWITCH', evaluatorType: 'value-param', expression: 'x', decisionCases: { a: 'nope' } },
      { name: 'f', taskReferenceName: 'f', type: 'FORK_JOIN', forkTasks: ['nope'] },
      { name: 'j', taskReferenceName: 'j', type: 'JOIN' },
      { name: 'd', taskReferenceName: 'd', type: 'DO_WHILE', loopCondition: 'false', loopOver: 'nope' },
    ]);
    expect(validate(def)).toEqual([
      { path: `${P}.tasks[0].decisionCases[a]`, message: 'WorkflowTask decisionCases values must be arrays of tasks', invalidValue: 'nope' },
      { path: `${P}.tasks[1].forkTasks[0]`, message: 'WorkflowTask forkTasks must be an array of task arrays', invalidValue: 'nope' },
      { path: `${P}.tasks[3].loopOver`, message: 'WorkflowTask loopOver must be an array', invalidValue: 'nope' },
    ]);
  });

  test('an embedded taskDefinition is type-checked', () => {
    const def = wf([simple('t1', { taskDefinition: { name: 't1', retryCount: 'three', retryLogic: 'SOMETIMES' } })]);
    expect(validate(def)).toEqual([
      { path: `${P}.tasks[0].taskDefinition.retryCount`, message: 'TaskDef retryCount must be an integer', invalidValue: 'three' },
      {
        path: `${P}.tasks[0].taskDefinition.retryLogic`,
        message: 'TaskDef retryLogic must be one of FIXED, EXPONENTIAL_BACKOFF, LINEAR_BACKOFF',
        invalidValue: 'SOMETIMES',
      },
    ]);
  });
});

describe('validateWorkflowDef — every task node', () => {
  test('a task without name or taskReferenceName is reported field by field', () => {
    expect(validate(wf([{ type: 'SIMPLE' }]))).toEqual([
      { path: `${P}.tasks[0].name`, message: 'WorkflowTask name cannot be empty or null' },
      { path: `${P}.tasks[0].taskReferenceName`, message: 'WorkflowTask taskReferenceName name cannot be empty or null' },
    ]);
  });

  test('nested tasks are checked in decision cases, default case, fork branches and loop bodies', () => {
    const def = wf([
      {
        name: 'sw', taskReferenceName: 'sw', type: 'SWITCH', evaluatorType: 'value-param', expression: 'k',
        decisionCases: { a: [{ name: 'a1' }] },
        defaultCase: [{ taskReferenceName: 'd1' }],
      },
      { name: 'f', taskReferenceName: 'f', type: 'FORK_JOIN', forkTasks: [[simple('b1')], [{ name: '', taskReferenceName: 'b2' }]] },
      { name: 'j', taskReferenceName: 'j', type: 'JOIN', joinOn: ['b1', 'b2'] },
      { name: 'loop', taskReferenceName: 'loop', type: 'DO_WHILE', loopCondition: 'false', loopOver: [{ name: 'l1', taskReferenceName: '' }] },
    ]);
    expect(validate(def).map((v) => v.path)).toEqual([
      `${P}.tasks[0].decisionCases[a][0].taskReferenceName`,
      `${P}.tasks[0].defaultCase[0].name`,
      `${P}.tasks[1].forkTasks[1][0].name`,
      `${P}.tasks[3].loopOver[0].taskReferenceName`,
    ]);
  });

  test('a negative startDelay is rejected, zero is accepted', () => {
    expect(validate(wf([simple('t1', { startDelay: -1 })]))).toEqual([
      { path: `${P}.tasks[0].startDelay`, message: 'must be greater than or equal to 0', invalidValue: -1 },
    ]);
    expect(validate(wf([simple('t1', { startDelay: 0 })]))).toEqual([]);
  });

  test('duplicate taskReferenceNames at the top level are reported', () => {
    expect(validate(wf([simple('t1'), simple('t1')]))).toEqual([
      { path: P, message: 'taskReferenceName: t1 should be unique across tasks for a given workflowDefinition: wf' },
    ]);
  });

  test('duplicate taskReferenceNames across nested branches are reported', () => {
    const def = wf([
      simple('dup'),
      { name: 'f', taskReferenceName: 'f', type: 'FORK_JOIN', forkTasks: [[simple('x')], [simple('y')]] },
      { name: 'j', taskReferenceName: 'j', type: 'JOIN', joinOn: ['x', 'y'] },
      { name: 'loop', taskReferenceName: 'loop', type: 'DO_WHILE', loopCondition: 'false', loopOver: [simple('x')] },
      { name: 'sw', taskReferenceName: 'sw', type: 'SWITCH', evaluatorType: 'value-param', expression: 'k', decisionCases: { a: [simple('dup')] } },
    ]);
    expect(messages(validate(def))).toEqual([
      'taskReferenceName: x should be unique across tasks for a given workflowDefinition: wf',
      'taskReferenceName: dup should be unique across tasks for a given workflowDefinition: wf',
    ]);
  });
});

describe('validateWorkflowDef — per-type requirements', () => {
  const one = (task: Record<string, unknown>, opts: Parameters<typeof validateWorkflowDef>[1] = {}) =>
    validate(wf([{ name: 'n', taskReferenceName: 'r', ...task }]), opts);

  test('EVENT needs a sink', () => {
    expect(one({ type: 'EVENT' })).toEqual([{ path: `${P}.tasks[0]`, message: 'sink field is required for taskType: EVENT taskName: n' }]);
    expect(one({ type: 'EVENT', sink: 'conductor' })).toEqual([]);
  });

  test('DECISION needs caseValueParam or caseExpression and at least one case', () => {
    expect(messages(one({ type: 'DECISION' }))).toEqual([
      'caseValueParam or caseExpression field is required for taskType: DECISION taskName: n',
      'decisionCases should have atleast one task for taskType: DECISION taskName: n',
    ]);
    expect(one({ type: 'DECISION', caseValueParam: 'p', decisionCases: { a: [simple('a')] } })).toEqual([]);
  });

  test('SWITCH needs evaluatorType, expression and at least one case', () => {
    expect(messages(one({ type: 'SWITCH' }))).toEqual([
      'evaluatorType field is required for taskType: SWITCH taskName: n',
      'decisionCases should have atleast one task for taskType: SWITCH taskName: n',
    ]);
    expect(messages(one({ type: 'SWITCH', evaluatorType: 'javascript', decisionCases: null }))).toEqual([
      'expression field is required for taskType: SWITCH taskName: n',
      'decisionCases field is required for taskType: SWITCH taskName: n',
    ]);
    expect(one({ type: 'SWITCH', evaluatorType: 'value-param', expression: 'k', decisionCases: { a: [simple('a')] } })).toEqual([]);
  });

  test('a SWITCH javascript expression is checked with the caller\'s script checker', () => {
    const checkScript = (s: string) => (s.includes('((') ? 'Unexpected token' : undefined);
    const task = { type: 'SWITCH', evaluatorType: 'javascript', expression: '((', decisionCases: { a: [simple('a')] } };
    expect(messages(one(task, { checkScript }))).toEqual(['Expression is not well formatted: Unexpected token, taskType: SWITCH taskName n']);
    expect(one(task)).toEqual([]); // no checker: not evaluated here
    expect(one({ ...task, evaluatorType: 'value-param' }, { checkScript })).toEqual([]);
  });

  test('DYNAMIC needs dynamicTaskNameParam', () => {
    expect(messages(one({ type: 'DYNAMIC' }))).toEqual(['dynamicTaskNameParam field is required for taskType: DYNAMIC taskName: n']);
    expect(one({ type: 'DYNAMIC', dynamicTaskNameParam: 'taskToRun' })).toEqual([]);
  });

  test('FORK_JOIN_DYNAMIC needs forkTaskInputs, both dynamic params, or the legacy param — not mixed', () => {
    expect(messages(one({ type: 'FORK_JOIN_DYNAMIC' }))).toEqual([
      'dynamicForkTasksParam field is required for taskType: FORK_JOIN_DYNAMIC taskName: n',
      'dynamicForkTasksInputParamName field is required for taskType: FORK_JOIN_DYNAMIC taskName: n',
    ]);
    expect(one({ type: 'FORK_JOIN_DYNAMIC', dynamicForkTasksParam: 't', dynamicForkTasksInputParamName: 'i' })).toEqual([]);
    expect(one({ type: 'FORK_JOIN_DYNAMIC', inputParameters: { forkTaskInputs: [] } })).toEqual([]);
    expect(one({ type: 'FORK_JOIN_DYNAMIC', dynamicForkJoinTasksParam: 'legacy' })).toEqual([]);
    expect(messages(one({ type: 'FORK_JOIN_DYNAMIC', dynamicForkJoinTasksParam: 'legacy', dynamicForkTasksParam: 't' }))).toEqual([
      'dynamicForkJoinTasksParam or combination of dynamicForkTasksInputParamName and dynamicForkTasksParam cam be used for taskType: FORK_JOIN_DYNAMIC taskName: n',
    ]);
  });

  test('HTTP needs http_request, uri/method, or a def inputTemplate with http_request', () => {
    expect(messages(one({ type: 'HTTP' }))).toEqual(['inputParameters.http_request field is required for taskType: HTTP taskName: n']);
    expect(one({ type: 'HTTP', inputParameters: { http_request: { uri: 'http://x', method: 'GET' } } })).toEqual([]);
    expect(one({ type: 'HTTP', inputParameters: { uri: 'http://x', method: 'GET' } })).toEqual([]);
    expect(one({ type: 'HTTP', taskDefinition: { name: 'n', inputTemplate: { http_request: {} } } })).toEqual([]);
    const getTaskDef = (name: string) => (name === 'n' ? { name, inputTemplate: { http_request: {} } } : undefined);
    expect(one({ type: 'HTTP' }, { getTaskDef })).toEqual([]);
  });

  test('FORK_JOIN needs at least one fork branch', () => {
    expect(messages(one({ type: 'FORK_JOIN' }))).toEqual(['forkTasks should have atleast one task for taskType: FORK_JOIN taskName: n']);
    expect(messages(one({ type: 'FORK_JOIN', forkTasks: [] }))).toEqual(['forkTasks should have atleast one task for taskType: FORK_JOIN taskName: n']);
  });

  test('TERMINATE cannot be optional and needs a valid literal terminationStatus', () => {
    expect(messages(one({ type: 'TERMINATE', optional: true }))).toEqual([
      'terminate task cannot be optional, taskName: n',
      'terminate task must have an terminationStatus parameter and must be set to COMPLETED or FAILED, taskName: n',
    ]);
    expect(messages(one({ type: 'TERMINATE', inputParameters: { terminationStatus: 'DONE' } }))).toHaveLength(1);
    for (const s of ['COMPLETED', 'FAILED', 'TERMINATED']) expect(one({ type: 'TERMINATE', inputParameters: { terminationStatus: s } })).toEqual([]);
  });

  test('KAFKA_PUBLISH needs kafka_request', () => {
    expect(messages(one({ type: 'KAFKA_PUBLISH' }))).toEqual(['inputParameters.kafka_request field is required for taskType: KAFKA_PUBLISH taskName: n']);
    expect(one({ type: 'KAFKA_PUBLISH', inputParameters: { kafka_request: {} } })).toEqual([]);
  });

  test('DO_WHILE needs loopCondition and a non-empty loopOver', () => {
    expect(messages(one({ type: 'DO_WHILE' }))).toEqual([
      'loopCondition field is required for taskType: DO_WHILE taskName: n',
      'loopOver field is required for taskType: DO_WHILE taskName: n',
    ]);
    expect(one({ type: 'DO_WHILE', loopCondition: 'false', loopOver: [simple('in')] })).toEqual([]);
  });

  test('DO_WHILE iterating over items does not need a loopCondition', () => {
    expect(one({ type: 'DO_WHILE', items: '${workflow.input.list}', loopOver: [simple('in')] })).toEqual([]);
  });

  test('SUB_WORKFLOW needs subWorkflowParam', () => {
    expect(messages(one({ type: 'SUB_WORKFLOW' }))).toEqual(['subWorkflowParam field is required for taskType: SUB_WORKFLOW taskName: n']);
    expect(one({ type: 'SUB_WORKFLOW', subWorkflowParam: { name: 'child' } })).toEqual([]);
  });

  test('SUB_WORKFLOW workflowDefinition must be an object or a ${...} string', () => {
    expect(one({ type: 'SUB_WORKFLOW', subWorkflowParam: { workflowDefinition: '${workflow.input.def}' } })).toEqual([]);
    expect(one({ type: 'SUB_WORKFLOW', subWorkflowParam: { workflowDefinition: 'child' } })).toEqual([
      {
        path: `${P}.tasks[0].subWorkflowParam.workflowDefinition`,
        message: 'SubWorkflowParams workflowDefinition must be a WorkflowDef object or a ${...} expression',
        invalidValue: 'child',
      },
    ]);
  });

  test('JSON_JQ_TRANSFORM needs queryExpression in the input or the def template', () => {
    expect(messages(one({ type: 'JSON_JQ_TRANSFORM' }))).toEqual([
      'inputParameters.queryExpression field is required for taskType: JSON_JQ_TRANSFORM taskName: n',
    ]);
    expect(one({ type: 'JSON_JQ_TRANSFORM', inputParameters: { queryExpression: '.a' } })).toEqual([]);
    expect(one({ type: 'JSON_JQ_TRANSFORM', taskDefinition: { name: 'n', inputTemplate: { queryExpression: '.a' } } })).toEqual([]);
  });

  test('WAIT cannot have both duration and until', () => {
    expect(messages(one({ type: 'WAIT', inputParameters: { duration: '10s', until: '2030-01-01 10:00' } }))).toEqual([
      "Both 'duration' and 'until' specified. Please provide only one input",
    ]);
  });

  test('WAIT literal durations and dates must parse; expressions are not checked', () => {
    for (const duration of ['10s', '5 minutes', '1d 2h 3m 4s', '2 hrs', '30 secs']) expect(one({ type: 'WAIT', inputParameters: { duration } })).toEqual([]);
    for (const until of ['2030-01-01', '2030-01-01 10:00', '2030-01-01 10:00 UTC']) expect(one({ type: 'WAIT', inputParameters: { until } })).toEqual([]);
    expect(messages(one({ type: 'WAIT', inputParameters: { duration: 'ten seconds' } }))).toEqual(['Either date or duration is passed as null ']);
    expect(messages(one({ type: 'WAIT', inputParameters: { until: 'tomorrow' } }))).toEqual(['Unable to parse date ']);
    expect(one({ type: 'WAIT', inputParameters: { duration: '${workflow.input.d}' } })).toEqual([]);
    expect(one({ type: 'WAIT' })).toEqual([]);
  });

  test('type rules apply to nested tasks too', () => {
    const def = wf([{ name: 'f', taskReferenceName: 'f', type: 'FORK_JOIN', forkTasks: [[{ name: 'e', taskReferenceName: 'e', type: 'EVENT' }]] }, { name: 'j', taskReferenceName: 'j', type: 'JOIN' }]);
    expect(validate(def)).toEqual([{ path: `${P}.tasks[0].forkTasks[0][0]`, message: 'sink field is required for taskType: EVENT taskName: e' }]);
  });
});

describe('validateWorkflowDef — ${...} references in top-level inputParameters', () => {
  const notDefined = (ref: string, task: string, key: string, value: string) =>
    `taskReferenceName: ${ref} for given task: ${task} input value: ${key} of input parameter: ${value} is not defined in workflow definition.`;

  test('references to workflow.* and to existing task refs (nested included) are accepted', () => {
    const def = wf([
      { name: 'f', taskReferenceName: 'f', type: 'FORK_JOIN', forkTasks: [[simple('inner')]] },
      { name: 'j', taskReferenceName: 'j', type: 'JOIN', joinOn: ['inner'] },
      simple('t2', { inputParameters: { a: '${workflow.input.x}', b: 'id ${inner.output.id} of ${f.input}', c: { d: ['${$.inner.output}', "${$['inner'].output}"] } } }),
    ]);
    expect(validate(def)).toEqual([]);
  });

  test('a reference to a missing task ref is rejected with Conductor\'s message', () => {
    const def = wf([simple('t1', { inputParameters: { p: 'x ${nope.output.a}' } })]);
    expect(validate(def)).toEqual([{ path: P, message: notDefined('nope', 't1', 'p', 'x ${nope.output.a}') }]);
  });

  test('nested maps and lists report the innermost key', () => {
    const def = wf([simple('t1', { inputParameters: { outer: { inner: ['${ghost.output}'] } } })]);
    expect(messages(validate(def))).toEqual([notDefined('ghost', 't1', 'inner', '${ghost.output}')]);
  });

  test('bare special names and known env names are accepted; unknown bare names are rejected', () => {
    const input = { a: '${CPEWF_TASK_ID}', b: '${NETFLIX_ENV}', c: '${NETFLIX_STACK}', d: '${STACK2}' };
    expect(validate(wf([simple('t1', { inputParameters: input })]), { env: { STACK2: 'x' } })).toEqual([]);
    expect(messages(validate(wf([simple('t1', { inputParameters: input })])))).toEqual([notDefined('STACK2', 't1', 'd', '${STACK2}')]);
  });

  test('only top-level tasks have their inputParameters checked', () => {
    const def = wf([
      { name: 'f', taskReferenceName: 'f', type: 'FORK_JOIN', forkTasks: [[simple('inner', { inputParameters: { p: '${ghost.output}' } })]] },
      { name: 'j', taskReferenceName: 'j', type: 'JOIN' },
    ]);
    expect(validate(def)).toEqual([]);
  });

  test('paths that cannot compile as JsonPath are rejected', () => {
    const def = wf([simple('t1', { inputParameters: { a: '${workflow.input.}', b: '${}', c: "${workflow.input['x}" } })]);
    expect(messages(validate(def))).toEqual([
      'key: a input parameter value: workflow.input. is not valid',
      'key: b input parameter value:  is not valid',
      "key: c input parameter value: workflow.input['x is not valid",
    ]);
  });

  test('$${...} escapes are not references', () => {
    expect(validate(wf([simple('t1', { inputParameters: { a: '$${ghost.output}' } })]))).toEqual([]);
  });
});

describe('validateTaskDef', () => {
  const T = 'registerTaskDef.taskDefinitions[0]';
  const vt = (def: unknown, opts: Parameters<typeof validateTaskDef>[1] = {}) => validateTaskDef(def, { pathPrefix: T, ...opts });

  test('a minimal task def is valid', () => {
    expect(vt({ name: 'task1' })).toEqual([]);
  });

  test('a missing or empty name is rejected', () => {
    expect(vt({})).toEqual([{ path: `${T}.name`, message: 'TaskDef name cannot be null or empty' }]);
    expect(vt({ name: '' })).toEqual([{ path: `${T}.name`, message: 'TaskDef name cannot be null or empty', invalidValue: '' }]);
  });

  test('a negative retryCount is rejected with Conductor\'s (bound-quoting) message', () => {
    expect(vt({ name: 't', retryCount: -1 })).toEqual([{ path: `${T}.retryCount`, message: 'TaskDef retryCount: 0 must be >= 0', invalidValue: -1 }]);
  });

  test('responseTimeoutSeconds above timeoutSeconds is rejected when timeoutSeconds > 0', () => {
    expect(vt({ name: 'task1', timeoutSeconds: 1000, responseTimeoutSeconds: 1001 })).toEqual([
      { path: T, message: 'TaskDef: task1 responseTimeoutSeconds: 1001 must be less than timeoutSeconds: 1000' },
    ]);
    expect(vt({ name: 'task1', timeoutSeconds: 500, responseTimeoutSeconds: 500 })).toEqual([]);
    expect(vt({ name: 'task1', timeoutSeconds: 0, responseTimeoutSeconds: 9999 })).toEqual([]);
  });

  test('the default responseTimeoutSeconds (3600) counts against a short timeoutSeconds', () => {
    expect(messages(vt({ name: 'task1', timeoutSeconds: 60 }))).toEqual(['TaskDef: task1 responseTimeoutSeconds: 3600 must be less than timeoutSeconds: 60']);
  });

  test('responseTimeoutSeconds must be at least 1', () => {
    expect(vt({ name: 't', responseTimeoutSeconds: 0 })).toEqual([
      { path: `${T}.responseTimeoutSeconds`, message: 'TaskDef responseTimeoutSeconds: 0 should be minimum 1 second', invalidValue: 0 },
    ]);
  });

  test('timeoutSeconds above totalTimeoutSeconds is rejected when both > 0', () => {
    expect(vt({ name: 'test-task', timeoutSeconds: 1000, totalTimeoutSeconds: 900, responseTimeoutSeconds: 1 })).toEqual([
      { path: T, message: 'TaskDef: test-task timeoutSeconds: 1000 must be less than or equal to totalTimeoutSeconds: 900' },
    ]);
    expect(vt({ name: 't', timeoutSeconds: 1000, totalTimeoutSeconds: 0, responseTimeoutSeconds: 1 })).toEqual([]);
  });

  test('bounded numeric fields are checked', () => {
    const vs = vt({ name: 't', pollTimeoutSeconds: -1, backoffScaleFactor: 0, maxRetryDelaySeconds: -1, backoffJitterMs: -1, totalTimeoutSeconds: -1 });
    expect(vs).toEqual([
      { path: `${T}.pollTimeoutSeconds`, message: 'TaskDef pollTimeoutSeconds: 0 must be >= 0', invalidValue: -1 },
      { path: `${T}.backoffScaleFactor`, message: 'Backoff scale factor. Applicable for LINEAR_BACKOFF', invalidValue: 0 },
      { path: `${T}.maxRetryDelaySeconds`, message: 'TaskDef maxRetryDelaySeconds: 0 must be >= 0', invalidValue: -1 },
      { path: `${T}.backoffJitterMs`, message: 'TaskDef backoffJitterMs: 0 must be >= 0', invalidValue: -1 },
      { path: `${T}.totalTimeoutSeconds`, message: 'TaskDef totalTimeoutSeconds: 0 must be >= 0', invalidValue: -1 },
    ]);
  });

  test('unknown retryLogic and timeoutPolicy values are violations', () => {
    expect(vt({ name: 't', retryLogic: 'RANDOM', timeoutPolicy: 'PANIC' })).toEqual([
      { path: `${T}.timeoutPolicy`, message: 'TaskDef timeoutPolicy must be one of RETRY, TIME_OUT_WF, ALERT_ONLY', invalidValue: 'PANIC' },
      { path: `${T}.retryLogic`, message: 'TaskDef retryLogic must be one of FIXED, EXPONENTIAL_BACKOFF, LINEAR_BACKOFF', invalidValue: 'RANDOM' },
    ]);
    expect(vt({ name: 't', retryLogic: 'EXPONENTIAL_BACKOFF', timeoutPolicy: 'RETRY' })).toEqual([]);
  });

  test('ownerEmail is required only when mandatory', () => {
    expect(vt({ name: 't' }, { ownerEmailMandatory: true })).toEqual([{ path: `${T}.ownerEmail`, message: 'ownerEmail cannot be empty' }]);
    expect(vt({ name: 't', ownerEmail: 'o@x.y' }, { ownerEmailMandatory: true })).toEqual([]);
  });

  test('wrong JSON types give violations, never exceptions', () => {
    expect(vt(null)).toEqual([{ path: T, message: 'TaskDef cannot be null' }]);
    expect(vt([1])).toEqual([{ path: T, message: 'TaskDef must be a JSON object' }]);
    expect(vt({ name: 3, retryCount: 'x', timeoutSeconds: '10', inputKeys: 'a', inputTemplate: [] })).toEqual([
      { path: `${T}.name`, message: 'TaskDef name must be a string', invalidValue: 3 },
      { path: `${T}.retryCount`, message: 'TaskDef retryCount must be an integer', invalidValue: 'x' },
      { path: `${T}.timeoutSeconds`, message: 'TaskDef timeoutSeconds must be an integer', invalidValue: '10' },
      { path: `${T}.inputKeys`, message: 'TaskDef inputKeys must be an array of strings', invalidValue: 'a' },
      { path: `${T}.inputTemplate`, message: 'TaskDef inputTemplate must be a JSON object' },
    ]);
  });

  test('the path prefix defaults to taskDef', () => {
    expect(validateTaskDef({})[0].path).toBe('taskDef.name');
  });
});

describe('lintWorkflowDef (opt-in strict checks)', () => {
  const def = (tasks: unknown[]) => ({ name: 'wf', tasks }) as unknown as WorkflowDef;

  test('a clean definition has no findings', () => {
    const d = def([
      { name: 'f', taskReferenceName: 'f', type: 'FORK_JOIN', forkTasks: [[simple('a')], [simple('b')]] },
      { name: 'j', taskReferenceName: 'j', type: 'JOIN', joinOn: ['a', 'b'] },
    ]);
    expect(lintWorkflowDef(d, new Set(['a', 'b']))).toEqual([]);
  });

  test('a FORK_JOIN not directly followed by a JOIN is reported', () => {
    const d = def([{ name: 'f', taskReferenceName: 'f', type: 'FORK_JOIN', forkTasks: [[simple('a')]] }, simple('after')]);
    expect(lintWorkflowDef(d, new Set(['a', 'after']))).toEqual([
      { path: 'workflowDef.tasks[0]', message: 'FORK_JOIN task f is not directly followed by a JOIN task; the workflow would fail when it reaches it' },
    ]);
  });

  test('JOIN joinOn refs that do not exist are reported', () => {
    const d = def([
      { name: 'f', taskReferenceName: 'f', type: 'FORK_JOIN', forkTasks: [[simple('a')]] },
      { name: 'j', taskReferenceName: 'j', type: 'JOIN', joinOn: ['a', 'zzz'] },
    ]);
    expect(lintWorkflowDef(d, new Set(['a']))).toEqual([
      {
        path: 'workflowDef.tasks[1].joinOn[1]',
        message: 'JOIN task j joins on zzz, which is not a taskReferenceName in this workflow definition',
        invalidValue: 'zzz',
      },
    ]);
  });

  test('a SUB_WORKFLOW with neither a name nor an inline definition is reported', () => {
    const d = def([
      { name: 's1', taskReferenceName: 's1', type: 'SUB_WORKFLOW', subWorkflowParam: { version: 1 } },
      { name: 's2', taskReferenceName: 's2', type: 'SUB_WORKFLOW', subWorkflowParam: { workflowDefinition: { name: 'c', tasks: [] } } },
      { name: 's3', taskReferenceName: 's3', type: 'SUB_WORKFLOW', subWorkflowParam: { name: 'child' } },
    ]);
    expect(lintWorkflowDef(d, new Set())).toEqual([
      { path: 'workflowDef.tasks[0].subWorkflowParam', message: 'SUB_WORKFLOW task s1 has neither subWorkflowParam.name nor subWorkflowParam.workflowDefinition' },
    ]);
  });

  test('SIMPLE tasks without a registered or embedded TaskDef are reported, at any depth', () => {
    const d = def([
      simple('known'),
      simple('embedded', { taskDefinition: { name: 'embedded' } }),
      { name: 'loop', taskReferenceName: 'loop', type: 'DO_WHILE', loopCondition: 'false', loopOver: [{ name: 'unknown', taskReferenceName: 'u' }] },
    ]);
    const vs = lintWorkflowDef(d, new Set(['known']));
    expect(vs.map((v) => v.path)).toEqual(['workflowDef.tasks[2].loopOver[0].name']);
    expect(vs[0].message).toMatch(/^SIMPLE task unknown has no registered TaskDef/);
  });

  test('malformed input is tolerated', () => {
    expect(lintWorkflowDef(null as unknown as WorkflowDef, new Set())).toEqual([]);
    expect(lintWorkflowDef(def([null, 3, { type: 'JOIN', joinOn: 'x' }]), new Set())).toEqual([]);
  });
});

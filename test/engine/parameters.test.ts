import {
  buildDocument,
  evaluatePath,
  javaToString,
  resolveAgainst,
  resolveParameters,
  substituteSecrets,
} from '../../engine/core/parameters';
import type { JsonMap, TaskModel, WorkflowModel } from '../../engine/core/model';

const T0 = 1_700_000_000_000;
let seq = 0;

function task(ref: string, over: Partial<TaskModel> = {}): TaskModel {
  seq++;
  return {
    taskId: `task-${ref}-${seq}`,
    taskType: 'SIMPLE',
    taskDefName: ref,
    referenceTaskName: ref,
    workflowInstanceId: 'wf-1',
    workflowType: 'order_flow',
    status: 'COMPLETED',
    inputData: {},
    outputData: {},
    seq,
    retryCount: 0,
    pollCount: 1,
    scheduledTime: T0 + seq,
    startTime: T0 + seq + 1,
    endTime: T0 + seq + 2,
    updateTime: T0 + seq + 2,
    firstScheduledTime: T0 + seq,
    startDelayInSeconds: 0,
    callbackAfterSeconds: 0,
    responseTimeoutSeconds: 3600,
    retried: false,
    executed: true,
    workflowPriority: 0,
    iteration: 0,
    rateLimitPerFrequency: 0,
    rateLimitFrequencyInSeconds: 1,
    workflowTask: { name: ref, taskReferenceName: ref, type: 'SIMPLE' },
    ...over,
  };
}

function workflow(over: Partial<WorkflowModel> = {}): WorkflowModel {
  return {
    workflowId: 'wf-1',
    workflowName: 'order_flow',
    workflowVersion: 3,
    status: 'RUNNING',
    input: {},
    output: {},
    variables: {},
    priority: 0,
    taskToDomain: {},
    createTime: T0,
    updateTime: T0,
    endTime: 0,
    lastRetriedTime: 0,
    failedReferenceTaskNames: [],
    failedTaskNames: [],
    workflowDefinition: { name: 'order_flow', version: 3, schemaVersion: 2, tasks: [] },
    tasks: [],
    ...over,
  };
}

/** Resolves a single template value against a workflow. */
function one(value: unknown, wf: WorkflowModel = workflow(), opts = {}): unknown {
  return resolveParameters({ v: value }, wf, opts).v;
}

describe('buildDocument', () => {
  test('exposes the workflow fields under "workflow" with Conductor names', () => {
    const wf = workflow({
      input: { a: 1 },
      output: { o: 2 },
      variables: { v: 3 },
      correlationId: 'corr',
      parentWorkflowId: 'parent',
      parentWorkflowTaskId: 'ptask',
      reasonForIncompletion: 'why',
    });
    expect(buildDocument(wf).workflow).toEqual({
      input: { a: 1 },
      output: { o: 2 },
      status: 'RUNNING',
      workflowId: 'wf-1',
      parentWorkflowId: 'parent',
      parentWorkflowTaskId: 'ptask',
      workflowType: 'order_flow',
      version: 3,
      correlationId: 'corr',
      reasonForIncompletion: 'why',
      schemaVersion: 2,
      variables: { v: 3 },
    });
  });

  test('absent optional workflow fields are present as null and schemaVersion defaults to 2', () => {
    const wf = workflow({ workflowDefinition: { name: 'x', tasks: [] } });
    const w = buildDocument(wf).workflow as JsonMap;
    expect(w.correlationId).toBeNull();
    expect(w.parentWorkflowId).toBeNull();
    expect(w.reasonForIncompletion).toBeNull();
    expect(w.schemaVersion).toBe(2);
  });

  test('publishes each task under its ref with input/output and the task fields', () => {
    const t = task('t1', { inputData: { i: 1 }, outputData: { o: 2 }, workerId: 'w1', retryCount: 0, iteration: 0 });
    const doc = buildDocument(workflow({ tasks: [t] }));
    expect(doc.t1).toEqual({
      input: { i: 1 },
      output: { o: 2 },
      taskType: 'SIMPLE',
      status: 'COMPLETED',
      referenceTaskName: 't1',
      retryCount: 0,
      correlationId: null,
      pollCount: 1,
      taskDefName: 't1',
      scheduledTime: t.scheduledTime,
      startTime: t.startTime,
      endTime: t.endTime,
      workflowInstanceId: 'wf-1',
      taskId: t.taskId,
      reasonForIncompletion: null,
      callbackAfterSeconds: 0,
      workerId: 'w1',
      iteration: 0,
    });
  });

  test('the latest attempt of a retried task wins', () => {
    const a1 = task('t1', { status: 'FAILED', retried: true, outputData: { attempt: 1 } });
    const a2 = task('t1', { status: 'COMPLETED', retryCount: 1, retriedTaskId: a1.taskId, outputData: { attempt: 2 } });
    const doc = buildDocument(workflow({ tasks: [a1, a2] }));
    expect((doc.t1 as JsonMap).taskId).toBe(a2.taskId);
    expect((doc.t1 as JsonMap).retryCount).toBe(1);
  });

  test('loop tasks are keyed without the __N suffix and the highest iteration wins', () => {
    const loop = task('loop', { taskType: 'DO_WHILE', status: 'IN_PROGRESS', iteration: 2 });
    const i1 = task('t__1', { iteration: 1, outputData: { n: 1 } });
    const i2 = task('t__2', { iteration: 2, outputData: { n: 2 } });
    const doc = buildDocument(workflow({ tasks: [loop, i2, i1] }));
    expect(doc.t__1).toBeUndefined();
    expect(doc.t__2).toBeUndefined();
    expect((doc.t as JsonMap).output).toEqual({ n: 2 });
    expect((doc.t as JsonMap).referenceTaskName).toBe('t__2');
    expect((doc.loop as JsonMap).iteration).toBe(2);
  });

  test('a ref that merely looks like a loop ref is kept when the task is not in a loop', () => {
    const doc = buildDocument(workflow({ tasks: [task('odd__1', { iteration: 0 })] }));
    expect(doc.odd__1).toBeDefined();
  });

  test('does not copy the workflow data (references are shared)', () => {
    const wf = workflow({ input: { big: [1, 2, 3] } });
    expect((buildDocument(wf).workflow as JsonMap).input).toBe(wf.input);
  });
});

describe('resolveParameters: whole-value expressions', () => {
  const wf = workflow({
    input: { s: 'text', n: 42, f: 1.5, b: false, nul: null, obj: { a: 1, b: [1, 2] }, arr: [{ x: 1 }, { x: 2 }] },
  });

  test.each([
    ['${workflow.input.s}', 'text'],
    ['${workflow.input.n}', 42],
    ['${workflow.input.f}', 1.5],
    ['${workflow.input.b}', false],
    ['${workflow.input.nul}', null],
    ['${workflow.input.obj}', { a: 1, b: [1, 2] }],
    ['${workflow.input.arr}', [{ x: 1 }, { x: 2 }]],
  ])('%s keeps its type', (expr, expected) => {
    expect(one(expr, wf)).toEqual(expected);
  });

  test('a resolved object is a copy, not the workflow data itself', () => {
    const r = one('${workflow.input.obj}', wf) as JsonMap;
    expect(r).toEqual(wf.input.obj);
    expect(r).not.toBe(wf.input.obj);
    (r.b as number[]).push(3);
    expect(wf.input.obj).toEqual({ a: 1, b: [1, 2] });
  });

  test('missing paths resolve to null and never throw', () => {
    expect(one('${workflow.input.nope}', wf)).toBeNull();
    expect(one('${workflow.input.obj.a.deeper}', wf)).toBeNull();
    expect(one('${unknownTask.output.x}', wf)).toBeNull();
    expect(one('${workflow.input.arr[7].x}', wf)).toBeNull();
    expect(one('${workflow.input[[[}', wf)).toBeNull();
    expect(one('${workflow..}', wf)).toBeNull();
    expect(one('${workflow.input.has space}', wf)).toBeNull();
  });

  test('paths with and without a leading $ are equivalent', () => {
    expect(one('${$.workflow.input.s}', wf)).toBe('text');
    expect(one("${$['workflow']['input']['s']}", wf)).toBe('text');
    expect(one("${['workflow'].input.s}", wf)).toBe('text');
  });

  test('surrounding whitespace in the expression is ignored', () => {
    expect(one('${ workflow.input.n }', wf)).toBe(42);
  });

  test('array indexes, negative indexes and bracket notation work', () => {
    expect(one('${workflow.input.arr[1].x}', wf)).toBe(2);
    expect(one('${workflow.input.arr[-1].x}', wf)).toBe(2);
    expect(one("${workflow.input['obj']['b'][0]}", wf)).toBe(1);
    expect(one('${workflow.input["obj"].a}', wf)).toBe(1);
  });

  test('keys with hyphens, dots, spaces and quotes work in bracket notation', () => {
    const w = workflow({ input: { 'my-key': 1, 'a.b': 2, 'x y': 3, "it's": 4, 'a]b': 5 } });
    expect(one('${workflow.input.my-key}', w)).toBe(1);
    expect(one("${workflow.input['my-key']}", w)).toBe(1);
    expect(one("${workflow.input['a.b']}", w)).toBe(2);
    expect(one("${workflow.input['x y']}", w)).toBe(3);
    expect(one("${workflow.input['it\\'s']}", w)).toBe(4);
    expect(one('${workflow.input["it\'s"]}', w)).toBe(4);
    expect(one("${workflow.input['a]b']}", w)).toBe(5);
  });

  test('properties are not looked up on arrays, strings or the prototype', () => {
    expect(one('${workflow.input.arr.length}', wf)).toBeNull();
    expect(one('${workflow.input.s[0]}', wf)).toBeNull();
    expect(one('${workflow.input.constructor}', wf)).toBeNull();
    expect(one('${workflow.input.obj.toString}', wf)).toBeNull();
  });

  test('the whole document is reachable with $', () => {
    const r = one('${$}', wf) as JsonMap;
    expect(Object.keys(r)).toEqual(['workflow']);
  });

  test('bracket multi-property at the leaf yields a map of the present keys', () => {
    expect(one("${workflow.input.obj['a','zz']}", wf)).toEqual({ a: 1 });
  });
});

describe('resolveParameters: length() and other tail functions', () => {
  const wf = workflow({ input: { list: [3, 1, 2], obj: { a: 1, b: 2 }, s: 'hello', items: [{ p: 1 }, { p: 5 }] } });

  test('length() of a list, a map and a string', () => {
    expect(one('${workflow.input.list.length()}', wf)).toBe(3);
    expect(one('${workflow.input.obj.length()}', wf)).toBe(2);
    expect(one('${workflow.input.s.length()}', wf)).toBe(5);
  });

  test('length() of a missing value is null', () => {
    expect(one('${workflow.input.nope.length()}', wf)).toBeNull();
  });

  test('length() applies to the result list of an indefinite path', () => {
    expect(one('${workflow.input.items[*].p.length()}', wf)).toBe(2);
  });

  test('aggregate functions', () => {
    expect(one('${workflow.input.list.sum()}', wf)).toBe(6);
    expect(one('${workflow.input.list.min()}', wf)).toBe(1);
    expect(one('${workflow.input.list.max()}', wf)).toBe(3);
    expect(one('${workflow.input.list.avg()}', wf)).toBe(2);
    expect(one('${workflow.input.items[*].p.max()}', wf)).toBe(5);
    expect(one('${workflow.input.list.first()}', wf)).toBe(3);
    expect(one('${workflow.input.list.last()}', wf)).toBe(2);
    expect(one('${workflow.input.obj.keys()}', wf)).toEqual(['a', 'b']);
  });

  test('unknown functions resolve to null', () => {
    expect(one('${workflow.input.list.bogus()}', wf)).toBeNull();
  });

  test('length() can be embedded', () => {
    expect(one('count=${workflow.input.list.length()}', wf)).toBe('count=3');
  });
});

describe('resolveParameters: indefinite paths', () => {
  const wf = workflow({
    input: {
      items: [
        { id: 1, name: 'a', tags: ['x'] },
        { id: 2, tags: [] },
        { id: 3, name: 'c', tags: ['y', 'z'] },
      ],
      'my-list': [10, 20],
      limit: 1,
    },
  });

  test('[*] returns a list', () => {
    expect(one('${workflow.input.items[*].id}', wf)).toEqual([1, 2, 3]);
    expect(one("${workflow.input['my-list'][*]}", wf)).toEqual([10, 20]);
  });

  test('missing leaves are skipped in indefinite paths', () => {
    expect(one('${workflow.input.items[*].name}', wf)).toEqual(['a', 'c']);
  });

  test('no match yields an empty list, not null', () => {
    expect(one('${workflow.input.items[*].nope}', wf)).toEqual([]);
    expect(one('${workflow.input.nothing[*]}', wf)).toEqual([]);
    expect(one('${workflow.input.items[?(@.id > 99)]}', wf)).toEqual([]);
  });

  test('deep scan', () => {
    expect(one('${workflow.input..id}', wf)).toEqual([1, 2, 3]);
    expect(one("${workflow..['name']}", wf)).toEqual(['a', 'c']);
  });

  test('filters', () => {
    expect(one('${workflow.input.items[?(@.id >= 2)].id}', wf)).toEqual([2, 3]);
    expect(one("${workflow.input.items[?(@.name == 'c')].id}", wf)).toEqual([3]);
    expect(one('${workflow.input.items[?(@.id > $.workflow.input.limit)].id}', wf)).toEqual([2, 3]);
    expect(one('${workflow.input.items[?(@.missing.deeper == 1)]}', wf)).toEqual([]);
  });

  test('slices and index unions', () => {
    expect(one('${workflow.input.items[0:2].id}', wf)).toEqual([1, 2]);
    expect(one('${workflow.input.items[0,2].id}', wf)).toEqual([1, 3]);
    expect(one('${workflow.input.items[-1:].id}', wf)).toEqual([3]);
  });

  test('wildcard over a map', () => {
    expect(one('${workflow.input.items[0].*}', wf)).toEqual([1, 'a', ['x']]);
  });

  test('an indefinite result list embedded in text prints as compact JSON (json-smart JSONArray)', () => {
    expect(one('ids=${workflow.input.items[*].id}', wf)).toBe('ids=[1,2,3]');
    expect(one('names=${workflow.input.items[*].name}', wf)).toBe('names=["a","c"]');
  });
});

describe('resolveParameters: embedded interpolation', () => {
  const wf = workflow({
    input: { name: 'Ada', n: 7, f: 2.5, big: 12345678.5, tiny: 0.0001, t: true, nul: null, obj: { a: 1, b: [1, 2], c: { d: 'x' } }, list: ['p', 'q'], empty: {} },
  });

  test('strings are interpolated', () => {
    expect(one('Hello ${workflow.input.name}!', wf)).toBe('Hello Ada!');
  });

  test('several expressions in one string', () => {
    expect(one('${workflow.input.name}-${workflow.input.n}-${workflow.input.t}', wf)).toBe('Ada-7-true');
  });

  test('numbers use Java formatting: integral without decimals, doubles like Double.toString', () => {
    expect(one('n=${workflow.input.n}', wf)).toBe('n=7');
    expect(one('f=${workflow.input.f}', wf)).toBe('f=2.5');
    expect(one('big=${workflow.input.big}', wf)).toBe('big=1.23456785E7');
    expect(one('tiny=${workflow.input.tiny}', wf)).toBe('tiny=1.0E-4');
  });

  test('null and missing values print as "null"', () => {
    expect(one('v=${workflow.input.nul}', wf)).toBe('v=null');
    expect(one('v=${workflow.input.missing}', wf)).toBe('v=null');
  });

  test('maps and lists print Java-style', () => {
    expect(one('o=${workflow.input.obj}', wf)).toBe('o={a=1, b=[1, 2], c={d=x}}');
    expect(one('l=${workflow.input.list}', wf)).toBe('l=[p, q]');
    expect(one('e=${workflow.input.empty}', wf)).toBe('e={}');
  });

  test('a whole-value expression inside a list keeps its type; text around it does not', () => {
    expect(one(['${workflow.input.n}', 'x${workflow.input.n}'], wf)).toEqual([7, 'x7']);
  });
});

describe('resolveParameters: template structure', () => {
  const wf = workflow({ input: { a: 'A', n: 1 } });

  test('nested maps and lists are resolved recursively', () => {
    const r = resolveParameters(
      {
        top: '${workflow.input.a}',
        nested: { deeper: { v: '${workflow.input.n}', list: ['${workflow.input.a}', { k: '${workflow.input.n}' }, ['${workflow.input.a}']] } },
      },
      wf,
    );
    expect(r).toEqual({ top: 'A', nested: { deeper: { v: 1, list: ['A', { k: 1 }, ['A']] } } });
  });

  test('non-string values are kept as they are, including null', () => {
    expect(resolveParameters({ n: 5, b: true, z: null, f: 1.25 }, wf)).toEqual({ n: 5, b: true, z: null, f: 1.25 });
    expect('z' in resolveParameters({ z: null }, wf)).toBe(true);
  });

  test('keys are never evaluated', () => {
    expect(resolveParameters({ '${workflow.input.a}': 'x' }, wf)).toEqual({ '${workflow.input.a}': 'x' });
  });

  test('the template is not mutated', () => {
    const tpl = { a: '${workflow.input.a}', m: { l: ['${workflow.input.n}'] } };
    const copy = JSON.parse(JSON.stringify(tpl));
    const r = resolveParameters(tpl, wf);
    expect(tpl).toEqual(copy);
    expect(r.m).not.toBe(tpl.m);
  });

  test('an undefined template resolves to an empty map', () => {
    expect(resolveParameters(undefined, wf)).toEqual({});
  });

  test('strings without expressions are returned unchanged', () => {
    expect(resolveParameters({ s: 'plain {braces} $ and $x' }, wf)).toEqual({ s: 'plain {braces} $ and $x' });
  });

  test('a __proto__ key is kept as data', () => {
    const tpl = JSON.parse('{"__proto__": {"x": "${workflow.input.a}"}}') as JsonMap;
    const r = resolveParameters(tpl, wf);
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
    expect(Object.keys(r)).toEqual(['__proto__']);
  });
});

describe('resolveParameters: special syntax', () => {
  const wf = workflow({ input: { key: 'target', target: 'hit', name: 'Ada', idx: 1, list: ['a', 'b'] } });

  test('${} and blank expressions become the empty string', () => {
    expect(one('${}', wf)).toBe('');
    expect(one('${   }', wf)).toBe('');
    expect(one('a${}b', wf)).toBe('ab');
  });

  test('$${...} escapes to the literal ${...}', () => {
    expect(one('$${workflow.input.name}', wf)).toBe('${workflow.input.name}');
    expect(one('cost: $${workflow.input.name} for ${workflow.input.name}', wf)).toBe('cost: ${workflow.input.name} for Ada');
  });

  test('an escape does not stop an expression nested inside it', () => {
    expect(one('$${x.${workflow.input.name}}', wf)).toBe('${x.Ada}');
  });

  test('nested expressions are resolved inside-out', () => {
    expect(one('${workflow.input.${workflow.input.key}}', wf)).toBe('hit');
    expect(one('${workflow.input.list[${workflow.input.idx}]}', wf)).toBe('b');
    expect(one('v=${workflow.input.${workflow.input.key}}', wf)).toBe('v=hit');
  });

  test('a nested expression that resolves to nothing yields null', () => {
    expect(one('${workflow.input.${workflow.input.nope}}', wf)).toBeNull();
  });

  test('braces are balanced when finding the expression end', () => {
    expect(one('{"name": "${workflow.input.name}"}', wf)).toBe('{"name": "Ada"}');
    expect(one('${workflow.input.name}}', wf)).toBe('Ada}');
  });

  test('an unterminated expression is left as text', () => {
    expect(one('${workflow.input.name', wf)).toBe('${workflow.input.name');
    expect(one('${oops ${workflow.input.name}', wf)).toBe('${oops Ada');
  });
});

describe('resolveParameters: system parameters and environment', () => {
  const wf = workflow({ input: { a: 1 } });

  test('CPEWF_TASK_ID is the id of the task being created', () => {
    expect(one('${CPEWF_TASK_ID}', wf, { taskId: 'new-id' })).toBe('new-id');
    expect(one('id:${CPEWF_TASK_ID}', wf, { taskId: 'new-id' })).toBe('id:new-id');
  });

  test('CPEWF_TASK_ID without a task id stays literal (as in Conductor)', () => {
    expect(one('${CPEWF_TASK_ID}', wf)).toBe('${CPEWF_TASK_ID}');
  });

  test('NETFLIX_ENV and NETFLIX_STACK come from the injected env, literal when unset', () => {
    const env = { NETFLIX_ENV: 'prod', NETFLIX_STACK: 'blue' };
    expect(one('${NETFLIX_ENV}/${NETFLIX_STACK}', wf, { env })).toBe('prod/blue');
    expect(one('${NETFLIX_ENV}', wf, { env: {} })).toBe('${NETFLIX_ENV}');
  });

  test('any injected env name resolves as a bare ${NAME}', () => {
    expect(one('${STACK2}', wf, { env: { STACK2: 'test_stack' } })).toBe('test_stack');
    expect(one('s=${STACK2}', wf, { env: { STACK2: 'test_stack' } })).toBe('s=test_stack');
  });

  test('a bare name that is not in the env is a JsonPath (null when absent)', () => {
    expect(one('${STACK2}', wf, { env: {} })).toBeNull();
    expect(one('${STACK2}', wf, { env: { STACK2: undefined } })).toBeNull();
  });

  test('env values never leak in from process.env', () => {
    process.env.BATON_PARAMETERS_TEST_VAR = 'leak';
    try {
      expect(one('${BATON_PARAMETERS_TEST_VAR}', wf)).toBeNull();
    } finally {
      delete process.env.BATON_PARAMETERS_TEST_VAR;
    }
  });

  test('workflow.env.NAME reads CONDUCTOR_ENV_NAME eagerly', () => {
    const env = { CONDUCTOR_ENV_region: 'eu-west-1', CONDUCTOR_ENV_cfg: '{"db":{"host":"h","port":5432}}' };
    expect(one('${workflow.env.region}', wf, { env })).toBe('eu-west-1');
    expect(one('r=${workflow.env.region}', wf, { env })).toBe('r=eu-west-1');
    expect(one('${workflow.env.cfg.db.port}', wf, { env })).toBe(5432);
    expect(one('${workflow.env.cfg.db}', wf, { env })).toEqual({ host: 'h', port: 5432 });
  });

  test('workflow.env of an unset variable or a non-JSON value with a path is null', () => {
    const env = { CONDUCTOR_ENV_plain: 'not json' };
    expect(one('${workflow.env.nope}', wf, { env })).toBeNull();
    expect(one('${workflow.env.plain.x}', wf, { env })).toBeNull();
    expect(one('${workflow.env.region}', wf)).toBeNull();
  });

  test('workflow.secrets.NAME stays literal', () => {
    const env = { CONDUCTOR_SECRET_token: 's3cr3t' };
    expect(one('${workflow.secrets.token}', wf, { env })).toBe('${workflow.secrets.token}');
    expect(one('Bearer ${workflow.secrets.token}', wf, { env })).toBe('Bearer ${workflow.secrets.token}');
  });
});

describe('substituteSecrets', () => {
  const env = { CONDUCTOR_SECRET_token: 's3cr3t', CONDUCTOR_SECRET_json: '{"user":"u","n":3}' };

  test('replaces whole and embedded secret references in a copy', () => {
    const input = { a: '${workflow.secrets.token}', b: 'Bearer ${workflow.secrets.token}', c: ['${workflow.secrets.json.n}'], d: 1 };
    const r = substituteSecrets(input, env);
    expect(r).toEqual({ a: 's3cr3t', b: 'Bearer s3cr3t', c: [3], d: 1 });
    expect(input.a).toBe('${workflow.secrets.token}');
  });

  test('missing secrets become null (whole) or empty text (embedded)', () => {
    expect(substituteSecrets({ a: '${workflow.secrets.nope}', b: 'x${workflow.secrets.nope}y' }, env)).toEqual({ a: null, b: 'xy' });
  });
});

describe('resolveParameters: task references', () => {
  test('task input, output and fields are addressable by ref', () => {
    const t1 = task('t1', { inputData: { in: 'i' }, outputData: { op: 'out', nested: { list: [1, 2] } }, status: 'COMPLETED' });
    const wf = workflow({ tasks: [t1] });
    expect(one('${t1.output.op}', wf)).toBe('out');
    expect(one('${t1.input.in}', wf)).toBe('i');
    expect(one('${t1.output.nested.list[1]}', wf)).toBe(2);
    expect(one('${t1.status}', wf)).toBe('COMPLETED');
    expect(one('${t1.taskId}', wf)).toBe(t1.taskId);
    expect(one('${t1.output}', wf)).toEqual({ op: 'out', nested: { list: [1, 2] } });
  });

  test('after retries the latest attempt is used', () => {
    const a1 = task('t1', { status: 'FAILED', retried: true, outputData: { v: 'first' } });
    const a2 = task('t1', { status: 'COMPLETED', retryCount: 1, outputData: { v: 'second' } });
    const wf = workflow({ tasks: [a1, a2] });
    expect(one('${t1.output.v}', wf)).toBe('second');
    expect(one('${t1.retryCount}', wf)).toBe(1);
  });

  test('inside a loop ${t.output.x} is the most recent iteration', () => {
    const loop = task('loop', { taskType: 'DO_WHILE', status: 'IN_PROGRESS', iteration: 3 });
    const tasks = [loop, task('t__1', { iteration: 1, outputData: { x: 1 } }), task('t__2', { iteration: 2, outputData: { x: 2 } }), task('t__3', { iteration: 3, outputData: { x: 3 }, status: 'IN_PROGRESS' })];
    const wf = workflow({ tasks });
    expect(one('${t.output.x}', wf)).toBe(3);
    expect(one('${t__2.output.x}', wf)).toBeNull();
    expect(one("${loop['iteration']}", wf)).toBe(3);
    expect(one('${loop.iteration}', wf)).toBe(3);
  });

  test('indefinite paths see every task entry, loop refs included', () => {
    const a = task('a', { outputData: { v: 1 } });
    const loop = task('loop', { taskType: 'DO_WHILE', iteration: 2, outputData: {} });
    const wf = workflow({ tasks: [a, loop, task('t__1', { iteration: 1, outputData: { v: 2 } }), task('t__2', { iteration: 2, outputData: { v: 3 } })] });
    expect(one('${$..output.v}', wf)).toEqual([1, 3]);
    expect(one('${$.*.referenceTaskName}', wf)).toEqual(['a', 'loop', 't__2']);
  });

  test('a task named workflow cannot shadow the workflow entry', () => {
    const wf = workflow({ input: { a: 1 }, tasks: [task('workflow', { outputData: { a: 2 } })] });
    expect(one('${workflow.input.a}', wf)).toBe(1);
  });
});

describe('resolveParameters: inputTemplate', () => {
  const wf = workflow({ input: { a: 'A' } });

  test('template keys absent from the input are added and resolved', () => {
    const r = resolveParameters({ x: '${workflow.input.a}' }, wf, { inputTemplate: { y: 'fixed', z: '${workflow.input.a}' } });
    expect(r).toEqual({ x: 'A', y: 'fixed', z: 'A' });
  });

  test('input keys win over template keys', () => {
    const r = resolveParameters({ y: 'mine' }, wf, { inputTemplate: { y: 'template' } });
    expect(r).toEqual({ y: 'mine' });
  });

  test('a key mapped to null in the input takes the template value (Map.putIfAbsent)', () => {
    expect(resolveParameters({ y: null }, wf, { inputTemplate: { y: 'template' } })).toEqual({ y: 'template' });
  });

  test('top-level keys resolving to null are refilled from the template, raw', () => {
    const r = resolveParameters({ y: '${workflow.input.missing}', keep: '${workflow.input.missing}' }, wf, {
      inputTemplate: { y: '${workflow.input.a}' },
    });
    expect(r).toEqual({ y: '${workflow.input.a}', keep: null });
  });

  test('nested nulls are not refilled', () => {
    const r = resolveParameters({ m: { y: '${workflow.input.missing}' } }, wf, { inputTemplate: { y: 'template', m: {} } });
    expect(r).toEqual({ m: { y: null }, y: 'template' });
  });

  test('the template is not shared with the result', () => {
    const inputTemplate = { obj: { k: [1] } };
    const r = resolveParameters({}, wf, { inputTemplate });
    (r.obj as { k: number[] }).k.push(2);
    expect(inputTemplate.obj.k).toEqual([1]);
  });

  test('works with an undefined input map', () => {
    expect(resolveParameters(undefined, wf, { inputTemplate: { t: 1 } })).toEqual({ t: 1 });
  });
});

describe('SimpleWorkflowSpec example (§3.4)', () => {
  const t1 = task('t1', { taskId: 't1-id', outputData: { op: 'task1.done' } });
  const t2 = task('t2', { taskId: 't2-id', outputData: {} });
  const wf = workflow({ input: { param1: 'p1 value', param2: 'p2 value' }, tasks: [t1, t2] });

  test('task input: workflow input, task id and a null key', () => {
    const r = resolveParameters({ p1: '${workflow.input.param1}', p2: '${workflow.input.param2}', p3: '${CPEWF_TASK_ID}', someNullKey: null }, workflow({ input: wf.input }), {
      taskId: 'new-t1-id',
    });
    expect(r).toEqual({ p1: 'p1 value', p2: 'p2 value', p3: 'new-t1-id', someNullKey: null });
  });

  test('workflow output: o2 is null when t2 produced no uuid', () => {
    const r = resolveParameters({ o1: '${workflow.input.param1}', o2: '${t2.output.uuid}', o3: '${t1.output.op}' }, wf);
    expect(r).toEqual({ o1: 'p1 value', o2: null, o3: 'task1.done' });
  });
});

describe('resolveAgainst', () => {
  test('resolves against an arbitrary document such as an event payload', () => {
    const payload = { name: 'conductor', version: 2, externalId: '{"taskRefName":"t001"}', nested: { list: [{ id: 'x' }] } };
    const r = resolveAgainst(
      { k1: '${$.externalId}', k2: '${name}', k3: '${version}', k4: '${nested.list[0].id}', k5: '${nested.list[*].id}', k6: '${__json_externalId.taskRefName}' },
      payload,
    );
    expect(r).toEqual({ k1: '{"taskRefName":"t001"}', k2: 'conductor', k3: 2, k4: 'x', k5: ['x'], k6: null });
  });

  test('an array document can be indexed from the root', () => {
    const doc = [{ name: 'first' }] as unknown as JsonMap;
    expect(resolveAgainst({ a: '${$[0].name}', b: '${[0].name}' }, doc)).toEqual({ a: 'first', b: 'first' });
  });
});

describe('evaluatePath', () => {
  test('evaluates rooted and unrooted paths', () => {
    const doc = { a: { b: [1, 2] } };
    expect(evaluatePath('a.b[0]', doc)).toBe(1);
    expect(evaluatePath('$.a.b[*]', doc)).toEqual([1, 2]);
    expect(evaluatePath('$.x', doc)).toBeNull();
  });
});

describe('javaToString', () => {
  test('formats values like Java toString of Jackson-read data', () => {
    expect(javaToString({ a: 1, b: [1, 2] })).toBe('{a=1, b=[1, 2]}');
    expect(javaToString({ a: 'x', b: [1, 2.5], c: null, d: {} })).toBe('{a=x, b=[1, 2.5], c=null, d={}}');
    expect(javaToString(null)).toBe('null');
    expect(javaToString(undefined)).toBe('null');
    expect(javaToString([])).toBe('[]');
    expect(javaToString(true)).toBe('true');
    expect(javaToString(1)).toBe('1');
    expect(javaToString(-3)).toBe('-3');
    expect(javaToString(1.5)).toBe('1.5');
    expect(javaToString(0.0001)).toBe('1.0E-4');
    expect(javaToString(12345678.5)).toBe('1.23456785E7');
    expect(javaToString(2 ** 60)).toBe('1152921504606846976');
    expect(javaToString(1e20)).toBe('100000000000000000000');
    expect(javaToString(1e21)).toBe('1.0E21');
    expect(javaToString('plain')).toBe('plain');
  });
});

describe('caching', () => {
  test('repeated resolution of the same template against changing data gives fresh results', () => {
    const tpl = { v: '${t.output.x}', s: 'x=${t.output.x}' };
    const w1 = workflow({ tasks: [task('t', { outputData: { x: 1 } })] });
    const w2 = workflow({ tasks: [task('t', { outputData: { x: 2 } })] });
    expect(resolveParameters(tpl, w1)).toEqual({ v: 1, s: 'x=1' });
    expect(resolveParameters(tpl, w2)).toEqual({ v: 2, s: 'x=2' });
    expect(resolveParameters(tpl, w1)).toEqual({ v: 1, s: 'x=1' });
  });
});

import {
  MAX_SEARCH_SIZE,
  QueryError,
  TASK_FIELDS,
  WORKFLOW_FIELDS,
  javaToStringLocal,
  matchTask,
  matchWorkflow,
  parseQuery,
  parseSort,
  searchTasks,
  searchWorkflows,
  sortAndPage,
  taskFieldValue,
  toTaskSummary,
  toWorkflowSummary,
  validateSearchParams,
  workflowFieldValue,
} from '../../engine/core/search';
import { BadRequestError } from '../../engine/core/errors';
import type { TaskModel, WorkflowModel } from '../../engine/core/model';

const T0 = 1_700_000_000_000;

function wf(over: Partial<WorkflowModel> = {}): WorkflowModel {
  return {
    workflowId: 'wf-1',
    workflowName: 'order_flow',
    workflowVersion: 1,
    status: 'RUNNING',
    input: {},
    output: {},
    variables: {},
    priority: 0,
    taskToDomain: {},
    createTime: T0 + 1000,
    updateTime: T0 + 2000,
    endTime: 0,
    lastRetriedTime: 0,
    failedReferenceTaskNames: [],
    failedTaskNames: [],
    workflowDefinition: { name: 'order_flow', version: 1, tasks: [] },
    tasks: [],
    ...over,
  };
}

function task(over: Partial<TaskModel> = {}): TaskModel {
  return {
    taskId: 'task-1',
    taskType: 'SIMPLE',
    taskDefName: 'charge',
    referenceTaskName: 'charge_ref',
    workflowInstanceId: 'wf-1',
    workflowType: 'order_flow',
    status: 'SCHEDULED',
    inputData: {},
    outputData: {},
    seq: 1,
    retryCount: 0,
    pollCount: 0,
    scheduledTime: T0 + 100,
    startTime: 0,
    endTime: 0,
    updateTime: T0 + 100,
    firstScheduledTime: T0 + 100,
    startDelayInSeconds: 0,
    callbackAfterSeconds: 0,
    responseTimeoutSeconds: 3600,
    retried: false,
    executed: false,
    workflowPriority: 0,
    iteration: 0,
    rateLimitPerFrequency: 0,
    rateLimitFrequencyInSeconds: 0,
    workflowTask: { name: 'charge', taskReferenceName: 'charge_ref', type: 'SIMPLE' },
    ...over,
  };
}

const OWNER = { workflowName: 'order_flow', correlationId: 'corr-1' };

const matches = (w: WorkflowModel, q: string, freeText?: string) => matchWorkflow(w, parseQuery(q), freeText);

describe('parseQuery', () => {
  it('parses the legacy UI workflow query into three clauses', () => {
    expect(parseQuery('workflowType IN (a,b) AND status IN (RUNNING,FAILED) AND startTime>1700000000000')).toEqual([
      { field: 'workflowType', op: 'IN', values: ['a', 'b'] },
      { field: 'status', op: 'IN', values: ['RUNNING', 'FAILED'] },
      { field: 'startTime', op: '>', values: ['1700000000000'] },
    ]);
  });

  it('returns no clauses for an empty or missing query', () => {
    expect(parseQuery(undefined)).toEqual([]);
    expect(parseQuery('')).toEqual([]);
    expect(parseQuery('   ')).toEqual([]);
  });

  it('strips double and single quotes from values', () => {
    expect(parseQuery('workflowId="3f2a-11"')).toEqual([{ field: 'workflowId', op: '=', values: ['3f2a-11'] }]);
    expect(parseQuery("taskDefName='charge'")).toEqual([{ field: 'taskDefName', op: '=', values: ['charge'] }]);
    expect(parseQuery('correlationId IN ("a b", \'c\')')).toEqual([
      { field: 'correlationId', op: 'IN', values: ['a b', 'c'] },
    ]);
  });

  it('keeps AND and commas inside a quoted value', () => {
    expect(parseQuery('correlationId="x AND y,z" AND status=RUNNING')).toEqual([
      { field: 'correlationId', op: '=', values: ['x AND y,z'] },
      { field: 'status', op: '=', values: ['RUNNING'] },
    ]);
  });

  it('honours backslash escapes inside quotes', () => {
    expect(parseQuery('correlationId="say \\"hi\\""')[0].values).toEqual(['say "hi"']);
  });

  it('splits on AND case-insensitively and tolerates spacing around operators', () => {
    expect(parseQuery('status = RUNNING and version>1 And priority < 5')).toEqual([
      { field: 'status', op: '=', values: ['RUNNING'] },
      { field: 'version', op: '>', values: ['1'] },
      { field: 'priority', op: '<', values: ['5'] },
    ]);
  });

  it('accepts !=, STARTS_WITH and lower-case in', () => {
    expect(parseQuery('status!=COMPLETED AND workflowType STARTS_WITH "order_" AND taskType in (SIMPLE)')).toEqual([
      { field: 'status', op: '!=', values: ['COMPLETED'] },
      { field: 'workflowType', op: 'STARTS_WITH', values: ['order_'] },
      { field: 'taskType', op: 'IN', values: ['SIMPLE'] },
    ]);
  });

  it('reads parentWorkflowId="" as one empty value', () => {
    expect(parseQuery('parentWorkflowId=""')).toEqual([{ field: 'parentWorkflowId', op: '=', values: [''] }]);
  });

  it('throws QueryError naming the malformed clause', () => {
    expect(() => parseQuery('status IN (RUNNING) AND garbage')).toThrow(QueryError);
    expect(() => parseQuery('status IN (RUNNING) AND garbage')).toThrow('Incorrectly formatted query string: garbage');
  });

  it.each([
    ['no operator', 'workflowId'],
    ['missing value', 'workflowId='],
    ['>= is not an operator', 'startTime>=5'],
    ['unterminated quote', 'workflowId="abc'],
    ['unterminated list', 'status IN (RUNNING,FAILED'],
    ['text after a quoted value', 'workflowId="a" b'],
    ['non-numeric time', 'startTime>yesterday'],
    ['dangling AND', 'status=RUNNING AND '],
  ])('rejects %s', (_title, q) => {
    expect(() => parseQuery(q)).toThrow(QueryError);
  });

  it('QueryError is a 400 BadRequestError', () => {
    try {
      parseQuery('nope');
      throw new Error('no throw');
    } catch (e) {
      expect(e).toBeInstanceOf(BadRequestError);
      expect((e as BadRequestError).status).toBe(400);
    }
  });
});

describe('parseSort', () => {
  it('splits items on | and reads their direction', () => {
    expect(parseSort('startTime:DESC|workflowId:asc', WORKFLOW_FIELDS)).toEqual([
      { field: 'startTime', dir: 'DESC' },
      { field: 'workflowId', dir: 'ASC' },
    ]);
  });

  it('defaults a missing or invalid direction to ASC', () => {
    expect(parseSort('startTime|status:SIDEWAYS', WORKFLOW_FIELDS)).toEqual([
      { field: 'startTime', dir: 'ASC' },
      { field: 'status', dir: 'ASC' },
    ]);
  });

  it('drops unknown fields and treats commas as part of the item', () => {
    expect(parseSort('bogus:DESC|status:DESC', WORKFLOW_FIELDS)).toEqual([{ field: 'status', dir: 'DESC' }]);
    expect(parseSort('startTime:DESC,status:ASC', WORKFLOW_FIELDS)).toEqual([{ field: 'startTime', dir: 'ASC' }]);
    expect(parseSort(undefined, WORKFLOW_FIELDS)).toEqual([]);
    expect(parseSort('', WORKFLOW_FIELDS)).toEqual([]);
  });
});

describe('matchWorkflow', () => {
  const a = wf({ workflowId: 'a1', workflowName: 'a', status: 'RUNNING', createTime: T0 + 5 });
  const b = wf({ workflowId: 'b1', workflowName: 'b', status: 'FAILED', createTime: T0 + 10, endTime: T0 + 20 });
  const c = wf({ workflowId: 'c1', workflowName: 'c', status: 'RUNNING', createTime: T0 + 10 });
  const old = wf({ workflowId: 'a0', workflowName: 'a', status: 'RUNNING', createTime: T0 - 1 });
  const done = wf({ workflowId: 'a2', workflowName: 'a', status: 'COMPLETED', createTime: T0 + 5, endTime: T0 + 9 });

  it('applies the legacy UI query (types, statuses and a start-time floor)', () => {
    const q = 'workflowType IN (a,b) AND status IN (RUNNING,FAILED) AND startTime>1700000000000';
    expect([a, b, c, old, done].filter((w) => matches(w, q)).map((w) => w.workflowId)).toEqual(['a1', 'b1']);
  });

  it('compares times exclusively as epoch milliseconds', () => {
    expect(matches(a, `startTime>${T0 + 5}`)).toBe(false);
    expect(matches(a, `startTime>${T0 + 4}`)).toBe(true);
    expect(matches(a, `startTime<${T0 + 6}`)).toBe(true);
    expect(matches(a, `startTime=${T0 + 5}`)).toBe(true);
    expect(matches(a, `updateTime>${T0 + 1999} AND modifiedTime<${T0 + 2001}`)).toBe(true);
  });

  it('accepts ISO date text for time values', () => {
    expect(matches(a, 'startTime>2023-11-14T22:13:20.000Z')).toBe(true);
    expect(matches(a, 'startTime<2023-11-14T22:13:20.000Z')).toBe(false);
  });

  it('never matches endTime ranges on a running workflow', () => {
    expect(matches(a, 'endTime>0')).toBe(false);
    expect(matches(a, `endTime<${T0 * 2}`)).toBe(false);
    expect(matches(done, `endTime>${T0} AND endTime<${T0 + 10}`)).toBe(true);
  });

  it('matches workflowId="…" exactly and case-sensitively', () => {
    expect(matches(a, 'workflowId="a1"')).toBe(true);
    expect(matches(a, 'workflowId="A1"')).toBe(false);
    expect(matches(a, 'workflowId="a"')).toBe(false);
  });

  it('treats workflowName as an alias of workflowType', () => {
    expect(matches(a, "workflowName='a'")).toBe(true);
    expect(matches(a, "workflowName='b'")).toBe(false);
  });

  it('parentWorkflowId="" keeps only top-level workflows', () => {
    const child = wf({ workflowId: 'kid', parentWorkflowId: 'a1' });
    expect(matches(a, 'parentWorkflowId=""')).toBe(true);
    expect(matches(child, 'parentWorkflowId=""')).toBe(false);
    expect(matches(child, 'parentWorkflowId="a1"')).toBe(true);
  });

  it('ignores clauses on unknown fields', () => {
    expect(matches(a, 'referenceTaskName="whatever" AND foo IN (x) AND status=RUNNING')).toBe(true);
    expect(matches(a, 'foo=bar AND status=FAILED')).toBe(false);
  });

  it("'=' with * is a case-insensitive whole-value wildcard", () => {
    const w = wf({ correlationId: 'Order-42-EU' });
    expect(matches(w, 'correlationId=order-*')).toBe(true);
    expect(matches(w, 'correlationId="*42*"')).toBe(true);
    expect(matches(w, 'correlationId=*-us')).toBe(false);
    expect(matches(w, 'correlationId=order-42-eu')).toBe(false); // no * → exact
    expect(matches(w, 'workflowType=ORDER_*')).toBe(true);
  });

  it('handles !=, STARTS_WITH, version and priority', () => {
    const w = wf({ workflowVersion: 3, priority: 7, idempotencyKey: 'k-1', correlationId: 'c-9' });
    expect(matches(w, 'status!=COMPLETED')).toBe(true);
    expect(matches(w, 'status!=RUNNING')).toBe(false);
    expect(matches(w, 'workflowType STARTS_WITH order')).toBe(true);
    expect(matches(w, 'workflowType STARTS_WITH flow')).toBe(false);
    expect(matches(w, 'version=3 AND version>2 AND version<4')).toBe(true);
    expect(matches(w, 'version>3')).toBe(false);
    expect(matches(w, 'priority IN (6,7)')).toBe(true);
    expect(matches(w, 'idempotencyKey IN (k-1,k-2) AND correlationId IN (c-9)')).toBe(true);
    expect(matches(wf(), 'idempotencyKey IN (k-1)')).toBe(false);
    expect(matches(wf(), 'correlationId=x')).toBe(false);
    expect(matches(wf(), 'correlationId!=x')).toBe(true);
  });

  it('classifier=workflow matches every workflow, case-insensitively', () => {
    expect(matches(a, 'classifier=workflow')).toBe(true);
    expect(matches(a, 'classifier IN (WORKFLOW,agent)')).toBe(true);
    expect(matches(a, 'classifier=agent')).toBe(false);
  });

  it('freeText is a case-insensitive substring of the indexed document; * or empty matches all', () => {
    const w = wf({ input: { customer: 'Ada Lovelace', amount: 12 }, output: { receipt: 'R-77' } });
    expect(matchWorkflow(w, [], 'lovelace')).toBe(true);
    expect(matchWorkflow(w, [], 'r-77')).toBe(true);
    expect(matchWorkflow(w, [], 'customer=Ada')).toBe(true); // the Java toString text is indexed
    expect(matchWorkflow(w, [], '"amount":12')).toBe(true); // and so is the JSON
    expect(matchWorkflow(w, [], 'wf-1')).toBe(true);
    expect(matchWorkflow(w, [], 'babbage')).toBe(false);
    expect(matchWorkflow(w, [], '*')).toBe(true);
    expect(matchWorkflow(w, [], '')).toBe(true);
    expect(matchWorkflow(w, [], undefined)).toBe(true);
    expect(matchWorkflow(w, parseQuery('status=FAILED'), 'lovelace')).toBe(false);
  });
});

describe('matchTask', () => {
  const t = task({
    taskId: 't-9',
    taskType: 'HTTP',
    taskDefName: 'charge',
    referenceTaskName: 'charge_ref',
    status: 'IN_PROGRESS',
    startTime: T0 + 200,
    updateTime: T0 + 300,
    inputData: { uri: 'https://pay.example/charge' },
  });
  const m = (q: string, ft?: string) => matchTask(t, OWNER, parseQuery(q), ft);

  it('matches the UI task-search fields', () => {
    expect(m("taskDefName IN (charge,refund) AND taskType IN (HTTP) AND status IN (IN_PROGRESS)")).toBe(true);
    expect(m('taskId="t-9" AND referenceTaskName=\'charge_ref\'')).toBe(true);
    expect(m("workflowType IN (order_flow) AND workflowName='order_flow' AND workflowId=wf-1")).toBe(true);
    expect(m('taskType=SIMPLE')).toBe(false);
  });

  it('compares task times as epoch ms, unset times being 0', () => {
    expect(m(`updateTime>${T0 + 299} AND updateTime<${T0 + 301}`)).toBe(true);
    expect(m(`startTime>${T0}`)).toBe(true);
    expect(m(`scheduledTime=${T0 + 100}`)).toBe(true);
    expect(m('endTime<1')).toBe(true); // not ended: endTime is 0
    expect(m('endTime>0')).toBe(false);
  });

  it('falls back to the workflow for workflowType and correlationId', () => {
    const bare = task({ workflowType: '' });
    expect(matchTask(bare, OWNER, parseQuery('workflowType=order_flow AND correlationId=corr-1'))).toBe(true);
    expect(taskFieldValue(bare, OWNER, 'workflowName')).toBe('order_flow');
  });

  it('ignores unknown fields and searches free text in the task document', () => {
    expect(m('idempotencyKey=zzz AND status=IN_PROGRESS')).toBe(true);
    expect(m('', 'PAY.EXAMPLE')).toBe(true);
    expect(m('', 'charge_ref')).toBe(true);
    expect(m('', 'nowhere')).toBe(false);
  });
});

describe('sortAndPage', () => {
  const items = [
    { id: 'a', t: 3, s: 'RUNNING' },
    { id: 'b', t: 1, s: 'FAILED' },
    { id: 'c', t: 2, s: 'RUNNING' },
    { id: 'd', t: 1, s: 'RUNNING' },
    { id: 'e', t: null, s: 'FAILED' },
  ];
  const get = (i: (typeof items)[number], f: string) => (f === 'time' ? i.t : f === 'status' ? i.s : undefined);
  const ids = (r: { results: { id: string }[] }) => r.results.map((x) => x.id).join('');

  it('keeps input order without sort keys', () => {
    expect(ids(sortAndPage(items, [], get, 0, 100))).toBe('abcde');
  });

  it('sorts stably on several keys, nulls lowest', () => {
    expect(ids(sortAndPage(items, [{ field: 'time', dir: 'ASC' }], get, 0, 100))).toBe('ebdca');
    expect(ids(sortAndPage(items, [{ field: 'time', dir: 'DESC' }], get, 0, 100))).toBe('acbde');
    expect(
      ids(sortAndPage(items, [{ field: 'status', dir: 'DESC' }, { field: 'time', dir: 'DESC' }], get, 0, 100)),
    ).toBe('acdbe');
  });

  it('pages with start/size and reports totalHits over everything', () => {
    const keys = [{ field: 'time', dir: 'ASC' as const }];
    expect(sortAndPage(items, keys, get, 1, 2)).toEqual({ totalHits: 5, results: [items[1], items[3]] });
    expect(sortAndPage(items, keys, get, 4, 10).results.map((x) => x.id)).toEqual(['a']);
    expect(sortAndPage(items, keys, get, 10, 10)).toEqual({ totalHits: 5, results: [] });
    expect(sortAndPage(items, keys, get, 0, 0)).toEqual({ totalHits: 5, results: [] });
  });

  it('does not reorder the caller array', () => {
    const copy = [...items];
    sortAndPage(items, [{ field: 'time', dir: 'ASC' }], get, 0, 100);
    expect(items).toEqual(copy);
  });
});

describe('searchWorkflows / searchTasks', () => {
  const flows = [
    wf({ workflowId: 'w1', createTime: T0 + 1 }),
    wf({ workflowId: 'w2', createTime: T0 + 3, status: 'FAILED' }),
    wf({ workflowId: 'w3', createTime: T0 + 2 }),
    wf({ workflowId: 'w4', createTime: T0 + 4, parentWorkflowId: 'w1' }),
  ];

  it('filters, sorts by startTime:DESC and pages', () => {
    const r = searchWorkflows(flows, { query: 'parentWorkflowId=""', sort: 'startTime:DESC', start: 0, size: 2 });
    expect(r.totalHits).toBe(3);
    expect(r.results.map((w) => w.workflowId)).toEqual(['w2', 'w3']);
    const next = searchWorkflows(flows, { query: 'parentWorkflowId=""', sort: 'startTime:DESC', start: 2, size: 2 });
    expect(next.results.map((w) => w.workflowId)).toEqual(['w1']);
  });

  it('uses Conductor defaults (start 0, size 100, freeText *)', () => {
    expect(searchWorkflows(flows, {}).totalHits).toBe(4);
    expect(searchWorkflows(flows, { freeText: '*' }).results).toHaveLength(4);
  });

  it('searches tasks with their workflows', () => {
    const entries = [
      { task: task({ taskId: 'x', updateTime: 5 }), workflow: OWNER },
      { task: task({ taskId: 'y', updateTime: 9, taskType: 'HTTP' }), workflow: OWNER },
      { task: task({ taskId: 'z', updateTime: 7 }), workflow: OWNER },
    ];
    const r = searchTasks(entries, { query: 'taskType IN (SIMPLE,HTTP)', sort: 'updateTime:DESC' });
    expect(r.results.map((e) => e.task.taskId)).toEqual(['y', 'z', 'x']);
    expect(TASK_FIELDS).toContain('referenceTaskName');
  });

  it('exposes the values it sorts on', () => {
    expect(workflowFieldValue(flows[0], 'startTime')).toBe(T0 + 1);
    expect(workflowFieldValue(flows[0], 'endTime')).toBeNull();
    expect(workflowFieldValue(flows[0], 'nonsense')).toBeUndefined();
  });
});

describe('toWorkflowSummary', () => {
  it('builds the exact WorkflowSummary of a running top-level workflow', () => {
    const w = wf({ input: { a: 1, nested: { b: [1, 2], c: null } }, correlationId: 'corr-1' });
    expect(toWorkflowSummary(w)).toEqual({
      workflowType: 'order_flow',
      version: 1,
      workflowId: 'wf-1',
      correlationId: 'corr-1',
      startTime: '2023-11-14T22:13:21.000Z',
      updateTime: '2023-11-14T22:13:22.000Z',
      status: 'RUNNING',
      input: '{a=1, nested={b=[1, 2], c=null}}',
      output: '{}',
      executionTime: 0,
      failedReferenceTaskNames: '',
      priority: 0,
      failedTaskNames: [],
      taskToDomain: {},
      parentWorkflowId: '',
      classifier: 'workflow',
    });
  });

  it('builds the exact WorkflowSummary of a failed sub-workflow', () => {
    const w = wf({
      status: 'FAILED',
      endTime: T0 + 61_500,
      output: { err: 'boom', ok: false, ratio: 0.5 },
      reasonForIncompletion: 'task charge failed',
      failedReferenceTaskNames: ['charge_ref', 'ship_ref'],
      failedTaskNames: ['charge', 'ship'],
      parentWorkflowId: 'parent-7',
      priority: 5,
      createdBy: 'alice',
      idempotencyKey: 'idem-1',
      event: 'conductor:x',
      taskToDomain: { charge: 'blue' },
    });
    expect(toWorkflowSummary(w)).toEqual({
      workflowType: 'order_flow',
      version: 1,
      workflowId: 'wf-1',
      startTime: '2023-11-14T22:13:21.000Z',
      updateTime: '2023-11-14T22:13:22.000Z',
      endTime: '2023-11-14T22:14:21.500Z',
      status: 'FAILED',
      input: '{}',
      output: '{err=boom, ok=false, ratio=0.5}',
      reasonForIncompletion: 'task charge failed',
      executionTime: 60_500,
      event: 'conductor:x',
      failedReferenceTaskNames: 'charge_ref,ship_ref',
      priority: 5,
      failedTaskNames: ['charge', 'ship'],
      createdBy: 'alice',
      taskToDomain: { charge: 'blue' },
      idempotencyKey: 'idem-1',
      parentWorkflowId: 'parent-7',
      classifier: 'workflow',
    });
  });

  it('omits endTime while running and null-valued optional fields', () => {
    const s = toWorkflowSummary(wf());
    expect('endTime' in s).toBe(false);
    expect('correlationId' in s).toBe(false);
    expect('reasonForIncompletion' in s).toBe(false);
  });
});

describe('toTaskSummary', () => {
  it('builds the exact TaskSummary of a scheduled task (epoch 0 times as 1970)', () => {
    expect(toTaskSummary(task(), OWNER)).toEqual({
      workflowId: 'wf-1',
      workflowType: 'order_flow',
      correlationId: 'corr-1',
      scheduledTime: '2023-11-14T22:13:20.100Z',
      startTime: '1970-01-01T00:00:00.000Z',
      updateTime: '2023-11-14T22:13:20.100Z',
      endTime: '1970-01-01T00:00:00.000Z',
      status: 'SCHEDULED',
      executionTime: 0,
      queueWaitTime: 0,
      taskDefName: 'charge',
      taskType: 'SIMPLE',
      input: '{}',
      output: '{}',
      taskId: 'task-1',
      workflowPriority: 0,
    });
  });

  it('builds the exact TaskSummary of a completed task', () => {
    const t = task({
      status: 'COMPLETED',
      startTime: T0 + 400,
      endTime: T0 + 1400,
      updateTime: T0 + 1400,
      inputData: { n: 2, list: ['x', true] },
      outputData: { result: { ok: true } },
      reasonForIncompletion: 'n/a',
      domain: 'blue',
      workflowPriority: 3,
      correlationId: 'own-corr',
    });
    expect(toTaskSummary(t, OWNER)).toEqual({
      workflowId: 'wf-1',
      workflowType: 'order_flow',
      correlationId: 'own-corr',
      scheduledTime: '2023-11-14T22:13:20.100Z',
      startTime: '2023-11-14T22:13:20.400Z',
      updateTime: '2023-11-14T22:13:21.400Z',
      endTime: '2023-11-14T22:13:21.400Z',
      status: 'COMPLETED',
      reasonForIncompletion: 'n/a',
      executionTime: 1000,
      queueWaitTime: 300,
      taskDefName: 'charge',
      taskType: 'SIMPLE',
      input: '{n=2, list=[x, true]}',
      output: '{result={ok=true}}',
      taskId: 'task-1',
      workflowPriority: 3,
      domain: 'blue',
    });
  });

  it('measures a callback wait against the given clock only', () => {
    const t = task({ startTime: T0 + 200, updateTime: T0 + 1000, callbackAfterSeconds: 2 });
    expect(toTaskSummary(t, OWNER).queueWaitTime).toBe(0);
    expect(toTaskSummary(t, OWNER, T0 + 3500).queueWaitTime).toBe(500);
  });
});

describe('javaToStringLocal', () => {
  it('formats values the way Java toString does', () => {
    expect(javaToStringLocal({ a: 'x', b: [1, 2.5], c: null, d: {} })).toBe('{a=x, b=[1, 2.5], c=null, d={}}');
    expect(javaToStringLocal([])).toBe('[]');
    expect(javaToStringLocal(0.0001)).toBe('1.0E-4');
    expect(javaToStringLocal(12345678.5)).toBe('1.23456785E7');
    expect(javaToStringLocal(2 ** 60)).toBe('1152921504606846976');
    expect(javaToStringLocal(null)).toBe('null');
  });
});

describe('validateSearchParams', () => {
  it('accepts ordinary paging', () => {
    expect(validateSearchParams({ start: 0, size: 100 })).toBeNull();
    expect(validateSearchParams({ start: 40, size: MAX_SEARCH_SIZE })).toBeNull();
    expect(validateSearchParams({})).toBeNull();
  });

  it('rejects a size above 5000 with Conductor\'s message', () => {
    expect(validateSearchParams({ start: 0, size: 5001 })).toBe(
      'Cannot return more than 5000 workflows. Please use pagination.',
    );
  });

  it('rejects negative or non-integer start and size', () => {
    expect(validateSearchParams({ start: -1, size: 10 })).toMatch(/start/);
    expect(validateSearchParams({ start: 0, size: -5 })).toMatch(/size/);
    expect(validateSearchParams({ start: 1.5, size: 10 })).toMatch(/start/);
    expect(validateSearchParams({ start: 0, size: Number.NaN })).toMatch(/size/);
  });
});

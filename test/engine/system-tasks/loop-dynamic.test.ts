/**
 * DO_WHILE and FORK_JOIN_DYNAMIC through the pure decider with the real QuickJS sandbox
 * (conductor-api.md §3.9).
 */
import type { WorkflowDef, WorkflowTask } from '../../../engine/core/model';
import { loadSandbox, type Sandbox } from '../../../engine/adapters/sandbox';
import { startWorkflow, simple } from '../../helpers/core';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await loadSandbox({ timeoutMs: 500 });
});

const def = (tasks: WorkflowTask[]): WorkflowDef => ({ name: 'loop', version: 1, tasks });
const noRetry = ['body', 'b2', 'a', 'b', 'after', 'work', 'x1', 'x2', 'sub'].map((name) => ({ name, retryCount: 0 }));
const run = (d: WorkflowDef, input = {}) => {
  const h = startWorkflow(d, noRetry, input, { deps: { scripts: sandbox.scripts, jq: sandbox.jq } });
  h.decide();
  return h;
};
const refs = (h: ReturnType<typeof run>) => h.wf.tasks.map((t) => t.referenceTaskName);

const loop = (over: Partial<WorkflowTask> = {}): WorkflowTask => ({
  name: 'loop',
  taskReferenceName: 'loop',
  type: 'DO_WHILE',
  inputParameters: { value: '${workflow.input.n}' },
  loopCondition: "if ($.loop['iteration'] < $.value) { true; } else { false; }",
  loopOver: [simple('body', { inputParameters: { i: '${loop.output.iteration}' } }), simple('b2')],
  ...over,
});

describe('DO_WHILE', () => {
  test('runs N iterations with __N refs, output keyed by iteration, then continues after the loop', () => {
    const h = run(def([loop(), simple('after')]), { n: 3 });
    expect(refs(h)).toEqual(['loop', 'body__1']);
    expect(h.latest('body__1')).toMatchObject({ iteration: 1, inputData: { i: 1 } });
    for (let i = 1; i <= 3; i++) {
      h.complete(`body__${i}`, { n: i });
      h.complete(`b2__${i}`, { m: i * 10 });
    }
    expect(refs(h)).toEqual(['loop', 'body__1', 'b2__1', 'body__2', 'b2__2', 'body__3', 'b2__3', 'after']);
    expect(h.latest('body__2').inputData).toEqual({ i: 2 });
    const dw = h.latest('loop');
    expect(dw.status).toBe('COMPLETED');
    expect(dw.outputData).toEqual({ iteration: 3, '1': { body: { n: 1 }, b2: { m: 10 } }, '2': { body: { n: 2 }, b2: { m: 20 } }, '3': { body: { n: 3 }, b2: { m: 30 } } });
    expect(h.latest('after').iteration).toBe(0);
    h.complete('after');
    expect(h.wf.status).toBe('COMPLETED');
  });

  test('the body runs once even when the condition is false from the start', () => {
    const h = run(def([loop({ loopOver: [simple('body')] })]), { n: 0 });
    h.complete('body__1');
    expect(h.latest('loop')).toMatchObject({ status: 'COMPLETED', outputData: { iteration: 1 } });
    expect(h.wf.status).toBe('COMPLETED');
  });

  test('a SWITCH inside the loop: the iteration waits for the chosen branch and its successor', () => {
    const body: WorkflowTask[] = [
      { name: 'sw', taskReferenceName: 'sw', type: 'SWITCH', evaluatorType: 'javascript', expression: "$.i % 2 == 0 ? 'even' : 'odd'", inputParameters: { i: '${loop.output.iteration}' }, decisionCases: { even: [simple('a')], odd: [simple('b')] } },
      simple('after'),
    ];
    const h = run(def([loop({ loopOver: body })]), { n: 2 });
    expect(refs(h)).toEqual(['loop', 'sw__1', 'b__1']);
    h.complete('b__1');
    expect(refs(h)).toEqual(['loop', 'sw__1', 'b__1', 'after__1']);
    h.complete('after__1');
    expect(refs(h).slice(4)).toEqual(['sw__2', 'a__2']);
    h.complete('a__2');
    h.complete('after__2');
    expect(h.wf.status).toBe('COMPLETED');
    expect(h.latest('loop').outputData['2']).toEqual({ sw: { evaluationResult: ['even'], selectedCase: 'even' }, a: {}, after: {} });
  });

  test('a FORK inside the loop: JOIN refs carry the iteration and join on the iteration\'s tasks', () => {
    const body: WorkflowTask[] = [
      { name: 'f', taskReferenceName: 'f', type: 'FORK_JOIN', forkTasks: [[simple('x1')], [simple('x2')]] },
      { name: 'j', taskReferenceName: 'j', type: 'JOIN', joinOn: ['x1', 'x2'] },
    ];
    const h = run(def([loop({ loopOver: body })]), { n: 2 });
    expect(refs(h)).toEqual(['loop', 'f__1', 'x1__1', 'x2__1', 'j__1']);
    h.complete('x1__1', { v: 1 });
    h.complete('x2__1', { v: 2 });
    expect(h.latest('j__1')).toMatchObject({ status: 'COMPLETED', outputData: { x1__1: { v: 1 }, x2__1: { v: 2 } } });
    expect(refs(h).slice(5)).toEqual(['f__2', 'x1__2', 'x2__2', 'j__2']);
    h.complete('x1__2');
    h.complete('x2__2');
    expect(h.wf.status).toBe('COMPLETED');
  });

  test('keepLastN drops old iterations from the output and the task list', () => {
    const h = run(def([loop({ inputParameters: { value: '${workflow.input.n}', keepLastN: 1 }, loopOver: [simple('body')] })]), { n: 3 });
    for (let i = 1; i <= 3; i++) h.complete(`body__${i}`, { i });
    expect(refs(h)).toEqual(['loop', 'body__3']);
    expect(Object.keys(h.latest('loop').outputData).sort()).toEqual(['3', 'iteration']);
    expect(h.wf.status).toBe('COMPLETED');
  });

  test('items iterates a list with loopIndex/loopItem; an empty list completes at iteration 0', () => {
    const h = run(def([loop({ items: '${workflow.input.list}', loopCondition: undefined, loopOver: [simple('body', { inputParameters: { item: '${loop.output.loopItem}' } })] })]), { list: ['x', 'y'] });
    expect(h.latest('body__1').inputData).toEqual({ item: 'x' });
    h.complete('body__1');
    expect(h.latest('body__2').inputData).toEqual({ item: 'y' });
    h.complete('body__2');
    expect(h.latest('loop')).toMatchObject({ status: 'COMPLETED', outputData: { iteration: 2, loopIndex: 1, loopItem: 'y' } });
    const e = run(def([loop({ items: '${workflow.input.list}', loopCondition: undefined }), simple('after')]), { list: [] });
    expect(e.latest('loop')).toMatchObject({ status: 'COMPLETED', outputData: { iteration: 0 } });
    expect(refs(e)).toEqual(['loop', 'after']);
  });

  test('a body task failure without retries fails the workflow; the loop is cancelled', () => {
    const h = run(def([loop({ loopOver: [simple('body')] })]), { n: 3 });
    h.fail('body__1', 'bad');
    expect(h.wf.status).toBe('FAILED');
    expect(h.latest('loop').status).toBe('CANCELED');
  });

  test('a condition that throws fails the loop with FAILED_WITH_TERMINAL_ERROR', () => {
    const h = run(def([loop({ loopCondition: '$.nope.x > 1', loopOver: [simple('body')] })]), { n: 3 });
    h.complete('body__1');
    expect(h.latest('loop').status).toBe('FAILED_WITH_TERMINAL_ERROR');
    expect(h.latest('loop').reasonForIncompletion).toMatch(/^Unable to evaluate condition \$\.nope\.x > 1, exception /);
    expect(h.wf.status).toBe('FAILED');
  });

  test('500 iterations of a synchronous body complete in one decide', () => {
    const body: WorkflowTask = { name: 'noop', taskReferenceName: 'noop', type: 'SWITCH', evaluatorType: 'value-param', expression: 'x', decisionCases: {} };
    const h = run(def([loop({ loopOver: [body], loopCondition: '$.loop.iteration < 500' })]));
    expect(h.wf.status).toBe('COMPLETED');
    expect(h.latest('loop').outputData.iteration).toBe(500);
  });
});

const dynJoin: WorkflowTask = { name: 'join', taskReferenceName: 'join', type: 'JOIN' };

describe('FORK_JOIN_DYNAMIC', () => {
  test('dynamicForkTasksParam + dynamicForkTasksInputParamName', () => {
    const fork: WorkflowTask = {
      name: 'dyn',
      taskReferenceName: 'dyn',
      type: 'FORK_JOIN_DYNAMIC',
      dynamicForkTasksParam: 'tasks',
      dynamicForkTasksInputParamName: 'inputs',
      inputParameters: { tasks: '${workflow.input.tasks}', inputs: '${workflow.input.inputs}' },
    };
    const h = run(def([fork, dynJoin, simple('after')]), {
      tasks: [{ name: 'work', taskReferenceName: 'w1' }, { name: 'work', taskReferenceName: 'w2' }],
      inputs: { w1: { k: 1 }, w2: { k: 2 } },
    });
    expect(refs(h)).toEqual(['dyn', 'w1', 'w2', 'join']);
    expect(h.latest('dyn')).toMatchObject({ taskType: 'FORK', status: 'COMPLETED', inputData: { forkedTasks: ['w1', 'w2'] } });
    expect(h.latest('w1')).toMatchObject({ taskType: 'work', inputData: { k: 1 } });
    expect(h.latest('join').inputData.joinOn).toEqual(['w1', 'w2']);
    h.complete('w1', { r: 1 });
    h.complete('w2', { r: 2 });
    expect(h.latest('join').outputData).toEqual({ w1: { r: 1 }, w2: { r: 2 } });
    expect(refs(h).slice(-1)).toEqual(['after']);
  });

  test('forkTaskName + forkTaskInputs: refs _<name>_<i>, __index, non-map elements under input', () => {
    const fork: WorkflowTask = { name: 'dyn', taskReferenceName: 'dyn', type: 'FORK_JOIN_DYNAMIC', inputParameters: { forkTaskName: 'work', forkTaskInputs: [{ a: 1 }, 7] } };
    const h = run(def([fork, dynJoin]));
    expect(refs(h)).toEqual(['dyn', '_work_0', '_work_1', 'join']);
    expect(h.latest('_work_0').inputData).toEqual({ a: 1, __index: 0 });
    expect(h.latest('_work_1').inputData).toEqual({ input: 7, __index: 1 });
  });

  test('an empty fork list completes the JOIN with empty output', () => {
    const fork: WorkflowTask = { name: 'dyn', taskReferenceName: 'dyn', type: 'FORK_JOIN_DYNAMIC', inputParameters: { forkTaskName: 'work', forkTaskInputs: [] } };
    const h = run(def([fork, dynJoin]));
    expect(h.latest('join')).toMatchObject({ status: 'COMPLETED', outputData: {} });
    expect(h.wf.status).toBe('COMPLETED');
  });

  test('bad task list and non-map inputs fail the workflow with Conductor\'s reasons', () => {
    const fork = (inputs: unknown): WorkflowTask => ({ name: 'dyn', taskReferenceName: 'dyn', type: 'FORK_JOIN_DYNAMIC', dynamicForkTasksParam: 'tasks', dynamicForkTasksInputParamName: 'inputs', inputParameters: { tasks: [{ name: 'x' }], inputs } });
    const h = run(def([fork({}), dynJoin]));
    expect(h.wf.status).toBe('FAILED');
    expect(h.wf.reasonForIncompletion).toMatch(/^Input 'tasks' is invalid. Cannot deserialize a list of Workflow Tasks from/);
    const ok = { name: 'dyn', taskReferenceName: 'dyn', type: 'FORK_JOIN_DYNAMIC', dynamicForkTasksParam: 'tasks', dynamicForkTasksInputParamName: 'inputs', inputParameters: { tasks: [{ name: 'x', taskReferenceName: 'x' }], inputs: 5 } };
    const g = run(def([ok, dynJoin]));
    expect(g.wf.reasonForIncompletion).toBe('Input to the dynamically forked tasks is not a map -> expecting a map of K,V  but found 5');
  });

  test('1,000 branches fork and join', () => {
    const fork: WorkflowTask = { name: 'dyn', taskReferenceName: 'dyn', type: 'FORK_JOIN_DYNAMIC', inputParameters: { forkTaskName: 'work', forkTaskInputs: '${workflow.input.items}' } };
    const h = run(def([fork, dynJoin]), { items: Array.from({ length: 1000 }, (_, i) => ({ i })) });
    expect(h.wf.tasks).toHaveLength(1002);
    for (let i = 0; i < 1000; i++) h.complete(`_work_${i}`, { i });
    expect(h.wf.status).toBe('COMPLETED');
    expect(Object.keys(h.latest('join').outputData)).toHaveLength(1000);
  });
});

/**
 * SWITCH, DECISION, FORK_JOIN/JOIN and EXCLUSIVE_JOIN through the pure decider with the real
 * QuickJS sandbox (conductor-api.md §3.9).
 */
import type { WorkflowDef, WorkflowTask } from '../../../engine/core/model';
import { loadSandbox, type Sandbox } from '../../../engine/adapters/sandbox';
import { startWorkflow, simple } from '../../helpers/core';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await loadSandbox({ timeoutMs: 500 });
});

const def = (tasks: WorkflowTask[], over: Partial<WorkflowDef> = {}): WorkflowDef => ({ name: 'cf', version: 1, tasks, ...over });
/** Every worker task gets retryCount 0 so failures are final. */
const noRetry = ['a', 'a1', 'a2', 'b', 'b1', 'd1', 'after', 'tail', 'one', 't', 'x'].map((name) => ({ name, retryCount: 0 }));
const run = (d: WorkflowDef, input = {}) => {
  const h = startWorkflow(d, noRetry, input, { deps: { scripts: sandbox.scripts, jq: sandbox.jq } });
  h.decide();
  return h;
};
const refs = (h: ReturnType<typeof run>) => h.wf.tasks.map((t) => `${t.referenceTaskName}:${t.status}`);

const sw = (over: Partial<WorkflowTask>): WorkflowTask => ({
  name: 'sw',
  taskReferenceName: 'sw',
  type: 'SWITCH',
  evaluatorType: 'value-param',
  expression: 'kind',
  inputParameters: { kind: '${workflow.input.kind}' },
  decisionCases: { a: [simple('a1'), simple('a2')], b: [simple('b1')], empty: [] },
  defaultCase: [simple('d1')],
  ...over,
});

describe('SWITCH', () => {
  test('value-param picks the case, schedules its first task and completes with evaluationResult', () => {
    const h = run(def([sw({}), simple('after')]), { kind: 'a' });
    expect(refs(h)).toEqual(['sw:COMPLETED', 'a1:SCHEDULED']);
    expect(h.latest('sw')).toMatchObject({
      taskType: 'SWITCH',
      taskDefName: 'SWITCH',
      inputData: { kind: 'a', case: 'a', hasChildren: 'true' },
      outputData: { evaluationResult: ['a'], selectedCase: 'a' },
    });
    h.complete('a1');
    h.complete('a2');
    expect(refs(h)).toEqual(['sw:COMPLETED', 'a1:COMPLETED', 'a2:COMPLETED', 'after:SCHEDULED']);
    h.complete('after');
    expect(h.wf.status).toBe('COMPLETED');
  });

  test('no matching key runs defaultCase; an explicitly empty case runs nothing and continues', () => {
    const d = run(def([sw({}), simple('after')]), { kind: 'zzz' });
    expect(refs(d)).toEqual(['sw:COMPLETED', 'd1:SCHEDULED']);
    const e = run(def([sw({}), simple('after')]), { kind: 'empty' });
    expect(refs(e)).toEqual(['sw:COMPLETED', 'after:SCHEDULED']);
    expect(e.latest('sw').inputData.hasChildren).toBeUndefined();
  });

  test('no match and no default continues after the switch; at the end the workflow completes', () => {
    const h = run(def([sw({ defaultCase: [] })]), { kind: 'none' });
    expect(refs(h)).toEqual(['sw:COMPLETED']);
    expect(h.wf.status).toBe('COMPLETED');
  });

  test('javascript evaluator stringifies the result like Java', () => {
    const h = run(def([sw({ evaluatorType: 'javascript', expression: '$.kind.length > 3 ? 1 : true', decisionCases: { '1': [simple('one')], true: [simple('t')] } })]), { kind: 'long' });
    expect(h.latest('sw').outputData).toEqual({ evaluationResult: ['1'], selectedCase: '1' });
    expect(refs(h)).toEqual(['sw:COMPLETED', 'one:SCHEDULED']);
  });

  test('a script error fails the SWITCH (never retried) and the workflow', () => {
    const h = run(def([sw({ evaluatorType: 'javascript', expression: '$.nope.deeper' })]), {});
    expect(h.latest('sw').status).toBe('FAILED');
    expect(h.latest('sw').reasonForIncompletion).toMatch(/TypeError|undefined/);
    expect(h.wf.status).toBe('FAILED');
  });

  test('an unknown evaluatorType fails the workflow', () => {
    const h = run(def([sw({ evaluatorType: 'python' })]), {});
    expect(h.wf.status).toBe('FAILED');
    expect(h.wf.reasonForIncompletion).toBe('No evaluator registered for type: python');
  });
});

describe('DECISION (legacy)', () => {
  const dec = (over: Partial<WorkflowTask>): WorkflowTask => ({
    name: 'dec',
    taskReferenceName: 'dec',
    type: 'DECISION',
    caseValueParam: 'kind',
    inputParameters: { kind: '${workflow.input.kind}' },
    decisionCases: { a: [simple('a1')], empty: [] },
    defaultCase: [simple('d1')],
    ...over,
  });
  test('caseValueParam picks the case; caseOutput; an empty matched case falls back to default', () => {
    const h = run(def([dec({})]), { kind: 'a' });
    expect(refs(h)).toEqual(['dec:COMPLETED', 'a1:SCHEDULED']);
    expect(h.latest('dec')).toMatchObject({ taskType: 'DECISION', inputData: { case: 'a', hasChildren: 'true' }, outputData: { caseOutput: ['a'] } });
    const e = run(def([dec({})]), { kind: 'empty' });
    expect(refs(e)).toEqual(['dec:COMPLETED', 'd1:SCHEDULED']);
  });
  test('caseExpression runs as JavaScript', () => {
    const h = run(def([dec({ caseValueParam: undefined, caseExpression: "$.kind == 'x' ? 'a' : 'other'" })]), { kind: 'x' });
    expect(h.latest('dec').inputData.case).toBe('a');
  });
});

const fork = (branches: WorkflowTask[][], joinOn: string[]): WorkflowTask[] => [
  { name: 'fork', taskReferenceName: 'fork', type: 'FORK_JOIN', forkTasks: branches },
  { name: 'join', taskReferenceName: 'join', type: 'JOIN', joinOn },
];

describe('FORK_JOIN / JOIN', () => {
  test('schedules FORK, every branch head and the JOIN; the JOIN output is keyed by joinOn refs', () => {
    const h = run(def([...fork([[simple('a'), simple('a2')], [simple('b')]], ['a2', 'b']), simple('after')]));
    expect(refs(h)).toEqual(['fork:COMPLETED', 'a:SCHEDULED', 'b:SCHEDULED', 'join:IN_PROGRESS']);
    expect(h.latest('fork').taskType).toBe('FORK');
    expect(h.latest('join').inputData).toEqual({ joinOn: ['a2', 'b'] });
    h.complete('b', { vb: 1 });
    h.complete('a', { va: 1 });
    expect(h.latest('join').status).toBe('IN_PROGRESS');
    h.complete('a2', {});
    expect(h.latest('join')).toMatchObject({ status: 'COMPLETED', outputData: { b: { vb: 1 } } });
    expect(refs(h).slice(-1)).toEqual(['after:SCHEDULED']);
    h.complete('after');
    expect(h.wf.status).toBe('COMPLETED');
  });

  test('a failed non-optional branch fails the workflow at once and cancels the rest', () => {
    const h = run(def(fork([[simple('a')], [simple('b')]], ['a', 'b'])));
    h.fail('a', 'boom');
    expect(h.wf.status).toBe('FAILED');
    expect(h.latest('b').status).toBe('CANCELED');
    expect(h.latest('join').status).toBe('CANCELED');
  });

  test('an optional branch that fails ends COMPLETED_WITH_ERRORS and the JOIN too; the workflow completes', () => {
    const h = run(def(fork([[simple('a', { optional: true })], [simple('b')]], ['a', 'b'])));
    h.fail('a', 'flaky');
    h.complete('b');
    expect(h.latest('a').status).toBe('COMPLETED_WITH_ERRORS');
    expect(h.latest('join').status).toBe('COMPLETED_WITH_ERRORS');
    expect(h.latest('join').reasonForIncompletion).toMatch(/completed with errors$/);
    expect(h.wf.status).toBe('COMPLETED');
  });

  test('a permissive branch failure waits for the other branches, then the JOIN and the workflow fail', () => {
    const h = run(def(fork([[simple('a', { permissive: true })], [simple('b')]], ['a', 'b'])));
    h.fail('a', 'perm');
    expect(h.wf.status).toBe('RUNNING');
    expect(h.latest('join').status).toBe('IN_PROGRESS');
    h.complete('b');
    expect(h.latest('join')).toMatchObject({ status: 'FAILED', reasonForIncompletion: 'perm' });
    expect(h.wf.status).toBe('FAILED');
  });

  test('a fork not followed by a join fails the workflow with Conductor\'s reason', () => {
    const h = run(def([{ name: 'fork', taskReferenceName: 'fork', type: 'FORK_JOIN', forkTasks: [[simple('a')]] }, simple('x')]));
    expect(h.wf.status).toBe('FAILED');
    expect(h.wf.reasonForIncompletion).toBe('Fork task definition is not followed by a join task.  Check the blueprint');
  });

  test('a TERMINATE-free switch inside a fork branch ends at the JOIN', () => {
    const h = run(def(fork([[sw({}), simple('tail')], [simple('b')]], ['tail', 'b'])), { kind: 'b' });
    h.complete('b1');
    h.complete('b');
    expect(h.latest('join').status).toBe('IN_PROGRESS');
    h.complete('tail', { t: 1 });
    expect(h.latest('join').status).toBe('COMPLETED');
    expect(h.wf.status).toBe('COMPLETED');
  });
});

describe('EXCLUSIVE_JOIN', () => {
  test('completes with the output of the branch that ran', () => {
    const h = run(
      def([
        sw({ decisionCases: { a: [simple('a1')], b: [simple('b1')] }, defaultCase: [] }),
        { name: 'xj', taskReferenceName: 'xj', type: 'EXCLUSIVE_JOIN', joinOn: ['a1', 'b1'] },
      ]),
      { kind: 'b' },
    );
    h.complete('b1', { from: 'b' });
    expect(h.latest('xj')).toMatchObject({ taskType: 'EXCLUSIVE_JOIN', status: 'COMPLETED', outputData: { from: 'b' } });
    expect(h.wf.status).toBe('COMPLETED');
  });
});

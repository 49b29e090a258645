/** The UI's graph layout and execution → node states, without a browser. */
import { layoutWorkflow, type Layout, type LayoutNode, type WfTask } from '../../engine/ui/src/graph/layout';
import { dynamicForks, nodeStates, type TaskLike } from '../../engine/ui/src/graph/states';

const simple = (ref: string): WfTask => ({ name: ref, taskReferenceName: ref, type: 'SIMPLE' });
const node = (l: Layout, id: string): LayoutNode => {
  const n = l.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`no node ${id} in ${l.nodes.map((x) => x.id).join(', ')}`);
  return n;
};
const cx = (n: LayoutNode) => n.x + n.w / 2;
const edge = (l: Layout, from: string, to: string) => l.edges.find((e) => e.from === from && e.to === to);
const overlap = (a: LayoutNode, b: LayoutNode) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('layoutWorkflow', () => {
  test('a sequence stacks its tasks on one column between start and end, joined by edges', () => {
    const l = layoutWorkflow([simple('a'), simple('b')]);
    const [start, a, b, end] = ['__start', 'a', 'b', '__end'].map((id) => node(l, id));
    expect(new Set([start, a, b, end].map(cx)).size).toBe(1);
    expect(start.y < a.y && a.y + a.h < b.y && b.y + b.h < end.y).toBe(true);
    for (const [f, t] of [['__start', 'a'], ['a', 'b'], ['b', '__end']]) expect(edge(l, f, t)).toBeDefined();
    expect(l.height).toBeGreaterThanOrEqual(end.y + end.h);
    expect(l.height - (end.y + end.h)).toBeLessThan(40);
  });

  test('FORK_JOIN branches sit side by side under the fork and all flow into the JOIN', () => {
    const l = layoutWorkflow([
      { name: 'f', taskReferenceName: 'f', type: 'FORK_JOIN', forkTasks: [[simple('l1'), simple('l2')], [simple('r1')], [simple('m1')]] },
      { name: 'j', taskReferenceName: 'j', type: 'JOIN' },
    ]);
    const [l1, r1, m1, j, f] = ['l1', 'r1', 'm1', 'j', 'f'].map((id) => node(l, id));
    expect(l1.y).toBe(r1.y);
    expect(r1.y).toBe(m1.y);
    expect(cx(l1) < cx(r1) && cx(r1) < cx(m1)).toBe(true);
    expect(overlap(l1, r1) || overlap(r1, m1)).toBe(false);
    expect(j.y).toBeGreaterThan(node(l, 'l2').y + node(l, 'l2').h);
    expect(cx(j)).toBe(cx(f));
    for (const from of ['f']) for (const to of ['l1', 'r1', 'm1']) expect(edge(l, from, to)).toBeDefined();
    for (const from of ['l2', 'r1', 'm1']) expect(edge(l, from, 'j')?.points.at(-1)).toEqual([cx(j), j.y]);
  });

  test('SWITCH cases are labelled branches; an empty default passes straight to what follows', () => {
    const l = layoutWorkflow([
      { name: 's', taskReferenceName: 's', type: 'SWITCH', decisionCases: { yes: [simple('y')], no: [simple('n')] }, defaultCase: [] },
      simple('after'),
    ]);
    expect(edge(l, 's', 'y')?.label).toBe('yes');
    expect(edge(l, 's', 'n')?.label).toBe('no');
    const dflt = edge(l, 's', 'after');
    expect(dflt?.label).toBe('default');
    expect(dflt?.labelAt?.[1]).toBeLessThan(node(l, 'y').y);
    expect(edge(l, 'y', 'after')).toBeDefined();
  });

  test('DO_WHILE is a box around the loop node and its body, with a back edge', () => {
    const l = layoutWorkflow([{ name: 'loop', taskReferenceName: 'loop', type: 'DO_WHILE', loopOver: [simple('b1'), simple('b2')] }, simple('after')]);
    const box = node(l, 'loop:loop');
    expect(box.kind).toBe('loop');
    for (const id of ['loop', 'b1', 'b2']) {
      const n = node(l, id);
      expect(n.x >= box.x && n.x + n.w <= box.x + box.w && n.y >= box.y && n.y + n.h <= box.y + box.h).toBe(true);
    }
    expect(edge(l, 'loop', 'b1')).toBeDefined();
    expect(edge(l, 'loop:loop', 'loop')?.loop).toBe(true);
    expect(edge(l, 'loop:loop', 'after')).toBeDefined();
    expect(node(l, 'after').y).toBeGreaterThan(box.y + box.h);
  });

  test('FORK_JOIN_DYNAMIC shows a stand-in until the run says what it forked', () => {
    const def: WfTask[] = [{ name: 'd', taskReferenceName: 'd', type: 'FORK_JOIN_DYNAMIC' }, { name: 'j', taskReferenceName: 'j', type: 'JOIN' }];
    expect(layoutWorkflow(def).nodes.filter((n) => n.kind === 'placeholder')).toHaveLength(1);
    const l = layoutWorkflow(def, { dynamicForks: { d: [simple('x1'), simple('x2')] } });
    expect(l.nodes.filter((n) => n.kind === 'placeholder')).toHaveLength(0);
    expect(node(l, 'x1').y).toBe(node(l, 'x2').y);
    expect(edge(l, 'x2', 'j')).toBeDefined();
  });

  test('nothing follows a TERMINATE', () => {
    const l = layoutWorkflow([
      { name: 's', taskReferenceName: 's', type: 'SWITCH', decisionCases: { stop: [{ name: 't', taskReferenceName: 't', type: 'TERMINATE' }] }, defaultCase: [simple('go')] },
      simple('after'),
    ]);
    expect(l.edges.filter((e) => e.from === 't')).toHaveLength(0);
    expect(edge(l, 'go', 'after')).toBeDefined();
  });

  test('nested forks, switches and loops never overlap', () => {
    const l = layoutWorkflow([
      simple('a'),
      {
        name: 'f',
        taskReferenceName: 'f',
        type: 'FORK_JOIN',
        forkTasks: [
          [{ name: 'lp', taskReferenceName: 'lp', type: 'DO_WHILE', loopOver: [{ name: 's', taskReferenceName: 's', type: 'SWITCH', decisionCases: { a: [simple('s1'), simple('s2')] }, defaultCase: [simple('s3')] }] }],
          [{ name: 'sub', taskReferenceName: 'sub', type: 'SUB_WORKFLOW', subWorkflowParam: { name: 'child' } }],
          [],
        ],
      },
      { name: 'j', taskReferenceName: 'j', type: 'JOIN' },
    ]);
    const tasks = l.nodes.filter((n) => n.kind !== 'loop');
    for (let i = 0; i < tasks.length; i++) for (let k = i + 1; k < tasks.length; k++) expect([tasks[i].id, tasks[k].id, overlap(tasks[i], tasks[k])]).toEqual([tasks[i].id, tasks[k].id, false]);
    for (const n of l.nodes) expect(n.x >= 0 && n.y >= 0 && n.x + n.w <= l.width && n.y + n.h <= l.height).toBe(true);
  });
});

describe('nodeStates', () => {
  const t = (o: Partial<TaskLike> & { referenceTaskName: string; seq: number }): TaskLike => ({ taskId: `id${o.seq}`, taskType: 'SIMPLE', status: 'COMPLETED', ...o });

  test('a node shows its latest attempt; retries count as attempts', () => {
    const s = nodeStates([t({ referenceTaskName: 'w', seq: 1, status: 'FAILED' }), t({ referenceTaskName: 'w', seq: 2, status: 'SCHEDULED' })]);
    expect(s.get('w')).toEqual({ status: 'SCHEDULED', taskId: 'id2', attempts: 2 });
  });

  test('inside a loop: the latest iteration, and the DO_WHILE counts its iterations', () => {
    const s = nodeStates([
      t({ referenceTaskName: 'loop', seq: 1, taskType: 'DO_WHILE', status: 'IN_PROGRESS', iteration: 2, workflowTask: { taskReferenceName: 'loop', type: 'DO_WHILE' } }),
      t({ referenceTaskName: 'b__1', seq: 2, iteration: 1, workflowTask: { taskReferenceName: 'b' } }),
      t({ referenceTaskName: 'b__2', seq: 3, iteration: 2, status: 'FAILED', workflowTask: { taskReferenceName: 'b' } }),
      t({ referenceTaskName: 'b__2', seq: 4, iteration: 2, status: 'IN_PROGRESS', workflowTask: { taskReferenceName: 'b' } }),
    ]);
    expect(s.get('loop')).toMatchObject({ status: 'IN_PROGRESS', iterations: 2 });
    expect(s.get('b')).toEqual({ status: 'IN_PROGRESS', taskId: 'id4', attempts: 2 });
  });

  test('a SWITCH remembers its case, a SUB_WORKFLOW its child run', () => {
    const s = nodeStates([
      t({ referenceTaskName: 'sw', seq: 1, taskType: 'SWITCH', outputData: { selectedCase: 'yes' } }),
      t({ referenceTaskName: 'sub', seq: 2, taskType: 'SUB_WORKFLOW', subWorkflowId: 'child-1' }),
    ]);
    expect(s.get('sw')?.selectedCase).toBe('yes');
    expect(s.get('sub')?.subWorkflowId).toBe('child-1');
  });

  test('dynamicForks reads what a FORK_JOIN_DYNAMIC forked', () => {
    const forked = [{ name: 'x', taskReferenceName: 'x1' }];
    expect(dynamicForks([t({ referenceTaskName: 'd', seq: 1, taskType: 'FORK', inputData: { forkedTaskDefs: forked }, workflowTask: { taskReferenceName: 'd', type: 'FORK_JOIN_DYNAMIC' } })])).toEqual({ d: forked });
  });
});

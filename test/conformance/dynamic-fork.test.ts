/** FORK_JOIN_DYNAMIC: dynamicForkTasksParam + dynamicForkTasksInputParamName, forkTaskName/forkTaskInputs, empty list. */
import { shape, simple, task } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

describe('FORK_JOIN_DYNAMIC', () => {
  const c = useConductor();

  it('dynamicForkTasksParam + dynamicForkTasksInputParamName: one task per entry, joined on their refs', async () => {
    const { api } = c;
    const [w, after] = await workerDefs(api, 2);
    const { id } = await api.run(
      {
        tasks: [
          {
            name: 'dyn',
            taskReferenceName: 'dyn',
            type: 'FORK_JOIN_DYNAMIC',
            dynamicForkTasksParam: 'dynamicTasks',
            dynamicForkTasksInputParamName: 'dynamicTasksInput',
            inputParameters: { dynamicTasks: '${workflow.input.tasks}', dynamicTasksInput: '${workflow.input.inputs}' },
          },
          { name: 'join', taskReferenceName: 'join', type: 'JOIN' },
          simple('after', after, { joined: '${join.output}' }),
        ],
      },
      {
        tasks: [
          { name: w, taskReferenceName: 'x1', type: 'SIMPLE' },
          { name: w, taskReferenceName: 'x2', type: 'SIMPLE', inputParameters: { fixed: 'f' } },
        ],
        inputs: { x1: { n: 1 }, x2: { n: 2 } },
      },
    );
    let wf = await api.workflow(id);
    expect(shape(wf)).toEqual([
      ['dyn', 'FORK', 'COMPLETED'],
      ['x1', w, 'SCHEDULED'],
      ['x2', w, 'SCHEDULED'],
      ['join', 'JOIN', 'IN_PROGRESS'],
    ]);
    expect(task(wf, 'dyn').inputData.forkedTasks).toEqual(['x1', 'x2']);
    expect(task(wf, 'join').inputData.joinOn).toEqual(['x1', 'x2']);
    expect(task(wf, 'x1').inputData).toEqual({ n: 1 });
    expect(task(wf, 'x2').inputData).toEqual({ fixed: 'f', n: 2 });
    for (let i = 0; i < 2; i++) {
      const t = await api.pollUntil(w);
      await api.update(t, 'COMPLETED', { r: t.inputData.n * 10 });
    }
    const a = await api.pollUntil(after);
    expect(a.inputData.joined).toEqual({ x1: { r: 10 }, x2: { r: 20 } });
    await api.update(a, 'COMPLETED');
    wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
  }, T);

  it('forkTaskName + forkTaskInputs: generated refs _<name>_<i>, inputs get __index', async () => {
    const { api } = c;
    const [w] = await workerDefs(api, 1);
    const { id } = await api.run(
      {
        tasks: [
          { name: 'dyn', taskReferenceName: 'dyn', type: 'FORK_JOIN_DYNAMIC', inputParameters: { forkTaskName: w, forkTaskInputs: '${workflow.input.items}' } },
          { name: 'join', taskReferenceName: 'join', type: 'JOIN' },
        ],
      },
      { items: [{ v: 'a' }, { v: 'b' }, { v: 'c' }] },
    );
    let wf = await api.workflow(id);
    const refs = [0, 1, 2].map((i) => `_${w}_${i}`);
    expect(shape(wf)).toEqual([['dyn', 'FORK', 'COMPLETED'], ...refs.map((r) => [r, w, 'SCHEDULED']), ['join', 'JOIN', 'IN_PROGRESS']]);
    expect(refs.map((r) => task(wf, r).inputData)).toEqual([
      { v: 'a', __index: 0 },
      { v: 'b', __index: 1 },
      { v: 'c', __index: 2 },
    ]);
    expect(task(wf, 'join').inputData.joinOn).toEqual(refs);
    for (let i = 0; i < 3; i++) {
      const t = await api.pollUntil(w);
      await api.update(t, 'COMPLETED', { up: String(t.inputData.v).toUpperCase() });
    }
    wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(task(wf, 'join').outputData).toEqual({ [refs[0]]: { up: 'A' }, [refs[1]]: { up: 'B' }, [refs[2]]: { up: 'C' } });
  }, T);

  it('an empty fork list: the JOIN completes with an empty output and the workflow moves on', async () => {
    const { api } = c;
    const [after] = await workerDefs(api, 1);
    const { id } = await api.run(
      {
        tasks: [
          { name: 'dyn', taskReferenceName: 'dyn', type: 'FORK_JOIN_DYNAMIC', dynamicForkTasksParam: 'dt', dynamicForkTasksInputParamName: 'di', inputParameters: { dt: [], di: {} } },
          { name: 'join', taskReferenceName: 'join', type: 'JOIN' },
          simple('after', after),
        ],
      },
      {},
    );
    const wf = await api.waitFor(id, (w) => w.tasks.some((t) => t.referenceTaskName === 'after'));
    expect(shape(wf)).toEqual([
      ['dyn', 'FORK', 'COMPLETED'],
      ['join', 'JOIN', 'COMPLETED'],
      ['after', after, 'SCHEDULED'],
    ]);
    expect(task(wf, 'join').outputData).toEqual({});
  }, T);

  it('a dynamic fork not followed by a JOIN fails the workflow', async () => {
    const { api } = c;
    const [w] = await workerDefs(api, 1);
    // registration may reject this shape outright; if it is accepted, starting it must fail the workflow
    let id: string | undefined;
    try {
      ({ id } = await api.run({ tasks: [{ name: 'dyn', taskReferenceName: 'dyn', type: 'FORK_JOIN_DYNAMIC', inputParameters: { forkTaskName: w, forkTaskInputs: [{}] } }, simple('notjoin', w)] }));
    } catch (e) {
      expect(String(e)).toMatch(/-> 400/);
      return;
    }
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('FAILED');
    expect(wf.reasonForIncompletion).toBe('Dynamic join definition is not followed by a join task.  Check the workflow definition.');
  }, T);
});

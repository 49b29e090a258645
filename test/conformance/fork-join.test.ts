/** FORK_JOIN / JOIN: join output keyed by joinOn refs, failure, optional and permissive branches. */
import { shape, simple, task } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

describe('FORK_JOIN', () => {
  const c = useConductor();

  const forkDef = (a: string, b: string, after: string, aExtra: Record<string, unknown> = {}) => ({
    tasks: [
      { name: 'fork', taskReferenceName: 'fork', type: 'FORK_JOIN', inputParameters: {}, forkTasks: [[simple('a', a, {}, aExtra)], [simple('b1', b), simple('b2', b)]] },
      { name: 'join', taskReferenceName: 'join', type: 'JOIN', joinOn: ['a', 'b2'] },
      simple('after', after, { fromA: '${join.output.a.va}', fromB: '${b2.output.vb}' }),
    ],
  });

  it('schedules every branch with the FORK and JOIN; the JOIN output is keyed by joinOn refs', async () => {
    const { api } = c;
    const [a, b, after] = await workerDefs(api, 3);
    const { id } = await api.run(forkDef(a, b, after));
    let wf = await api.workflow(id);
    expect(shape(wf)).toEqual([
      ['fork', 'FORK', 'COMPLETED'],
      ['a', a, 'SCHEDULED'],
      ['b1', b, 'SCHEDULED'],
      ['join', 'JOIN', 'IN_PROGRESS'],
    ]);
    expect(task(wf, 'join').inputData.joinOn).toEqual(['a', 'b2']);
    await api.work(a, 'COMPLETED', { va: 1 });
    const b1 = await api.pollUntil(b);
    expect(b1.referenceTaskName).toBe('b1');
    await api.update(b1, 'COMPLETED', { vb1: 'x' });
    const b2 = await api.pollUntil(b);
    expect(b2.referenceTaskName).toBe('b2');
    await api.update(b2, 'COMPLETED', { vb: 2 });
    const t = await api.pollUntil(after);
    expect(t.inputData).toEqual({ fromA: 1, fromB: 2 });
    wf = await api.workflow(id);
    expect(task(wf, 'join').status).toBe('COMPLETED');
    expect(task(wf, 'join').outputData).toEqual({ a: { va: 1 }, b2: { vb: 2 } });
    await api.update(t, 'COMPLETED');
    wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
  }, T);

  it('a failed non-optional branch task fails the workflow and cancels the siblings and the JOIN', async () => {
    const { api } = c;
    const [a, b, after] = await workerDefs(api, 3);
    const { id } = await api.run(forkDef(a, b, after));
    await api.work(a, 'FAILED', {}, 'boom');
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('FAILED');
    expect(wf.reasonForIncompletion).toContain('boom');
    expect(shape(wf)).toEqual([
      ['fork', 'FORK', 'COMPLETED'],
      ['a', a, 'FAILED'],
      ['b1', b, 'CANCELED'],
      ['join', 'JOIN', 'CANCELED'],
    ]);
    expect(wf.failedReferenceTaskNames).toEqual(['a']);
  }, T);

  it('an optional failed branch task: COMPLETED_WITH_ERRORS, JOIN COMPLETED_WITH_ERRORS, workflow COMPLETED', async () => {
    const { api } = c;
    const [a, b, after] = await workerDefs(api, 3);
    const { id } = await api.run(forkDef(a, b, after, { optional: true }));
    await api.work(a, 'FAILED', {}, 'optional boom');
    await api.work(b, 'COMPLETED', { vb1: 1 });
    await api.work(b, 'COMPLETED', { vb: 2 });
    const t = await api.pollUntil(after);
    expect(t.inputData).toEqual({ fromA: null, fromB: 2 });
    let wf = await api.workflow(id);
    expect(task(wf, 'a').status).toBe('COMPLETED_WITH_ERRORS');
    expect(task(wf, 'join').status).toBe('COMPLETED_WITH_ERRORS');
    await api.update(t, 'COMPLETED');
    wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
  }, T);

  it('a permissive failed branch task lets the other branch finish, then the JOIN and the workflow fail', async () => {
    const { api } = c;
    const [a, b, after] = await workerDefs(api, 3);
    const { id } = await api.run(forkDef(a, b, after, { permissive: true }));
    await api.work(a, 'FAILED', {}, 'permissive boom');
    let wf = await api.workflow(id);
    expect(wf.status).toBe('RUNNING');
    expect(task(wf, 'a').status).toBe('FAILED');
    expect(task(wf, 'b1').status).toBe('SCHEDULED');
    await api.work(b, 'COMPLETED');
    await api.work(b, 'COMPLETED', { vb: 2 });
    wf = await api.waitForEnd(id);
    expect(wf.status).toBe('FAILED');
    expect(task(wf, 'join').status).toBe('FAILED');
    expect(task(wf, 'b2').status).toBe('COMPLETED');
    expect(wf.tasks.some((t) => t.referenceTaskName === 'after')).toBe(false);
  }, T);

  it('a branch not listed in joinOn does not block the JOIN', async () => {
    const { api } = c;
    const [a, b, after] = await workerDefs(api, 3);
    const { id } = await api.run({
      tasks: [
        { name: 'fork', taskReferenceName: 'fork', type: 'FORK_JOIN', forkTasks: [[simple('a', a)], [simple('b', b)]] },
        { name: 'join', taskReferenceName: 'join', type: 'JOIN', joinOn: ['a'] },
        simple('after', after),
      ],
    });
    await api.work(a, 'COMPLETED', { va: 1 });
    const wf = await api.waitFor(id, (w) => w.tasks.some((t) => t.referenceTaskName === 'after'));
    expect(task(wf, 'join').status).toBe('COMPLETED');
    expect(task(wf, 'join').outputData).toEqual({ a: { va: 1 } });
    expect(task(wf, 'b').status).toBe('SCHEDULED');
  }, T);
});

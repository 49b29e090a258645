/** Baseline (harness sanity): SIMPLE worker tasks via poll/update, empty poll, failure without retries. */
import { shape, simple, task, uniq } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

describe('SIMPLE (baseline)', () => {
  const c = useConductor();

  it('a worker task is polled, updated, and its output flows to the next task and the workflow output', async () => {
    const { api } = c;
    const [a, b] = await workerDefs(api, 2);
    expect(await api.poll(a)).toBeUndefined();
    const { id } = await api.run({ tasks: [simple('a', a, { x: '${workflow.input.x}' }), simple('b', b, { y: '${a.output.y}' })], outputParameters: { z: '${b.output.z}' } }, { x: 1 });
    const ta = await api.pollUntil(a);
    expect(ta.inputData).toEqual({ x: 1 });
    expect(ta.status).toBe('IN_PROGRESS');
    await api.update(ta, 'COMPLETED', { y: 2 });
    const tb = await api.pollUntil(b);
    expect(tb.inputData).toEqual({ y: 2 });
    await api.update(tb, 'COMPLETED', { z: 3 });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(wf.output).toEqual({ z: 3 });
    expect(shape(wf)).toEqual([
      ['a', a, 'COMPLETED'],
      ['b', b, 'COMPLETED'],
    ]);
    expect(task(wf, 'a').workerId).toBe('conformance-worker');
  }, T);

  it('a task without a registered def is accepted (ad-hoc def)', async () => {
    const { api } = c;
    const name = uniq('adhoc');
    const { id } = await api.run({ tasks: [simple('t', name)] });
    const t = await api.pollUntil(name);
    expect(t.workflowInstanceId).toBe(id);
    await api.update(t, 'COMPLETED');
    expect((await api.waitForEnd(id)).status).toBe('COMPLETED');
  }, T);

  it('a failed task with retryCount 0 fails the workflow with its reason', async () => {
    const { api } = c;
    const [a] = await workerDefs(api, 1);
    const { id } = await api.run({ tasks: [simple('a', a)] });
    await api.work(a, 'FAILED', {}, 'worker said no');
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('FAILED');
    expect(wf.reasonForIncompletion).toContain('worker said no');
    expect(wf.failedReferenceTaskNames).toEqual(['a']);
  }, T);

  it('an automatic retry keeps the failed attempt\'s reason on the new attempt; the retry API starts it clean', async () => {
    const { api } = c;
    const [auto] = await workerDefs(api, 1, { retryCount: 1, retryDelaySeconds: 0 });
    const a = await api.run({ tasks: [simple('t', auto)] });
    await api.work(auto, 'FAILED', {}, 'first try failed');
    const second = await api.waitForTask(a.id, 't', ['SCHEDULED']);
    expect(second.retryCount).toBe(1);
    expect(second.reasonForIncompletion).toBe('first try failed');

    const [manual] = await workerDefs(api, 1);
    const m = await api.run({ tasks: [simple('t', manual)] });
    await api.work(manual, 'FAILED', {}, 'boom');
    await api.waitForEnd(m.id);
    await api.ok('POST', `/workflow/${m.id}/retry`);
    const fresh = await api.waitForTask(m.id, 't', ['SCHEDULED']);
    expect(fresh.retryCount).toBe(1);
    expect(fresh.reasonForIncompletion ?? null).toBeNull();
    await api.work(manual, 'COMPLETED');
    expect((await api.waitForEnd(m.id)).status).toBe('COMPLETED');
  }, T);
});

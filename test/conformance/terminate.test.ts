/** TERMINATE: each terminationStatus, workflowOutput, terminationReason, inside a fork branch. */
import { shape, simple, task, uniq } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

describe('TERMINATE', () => {
  const c = useConductor();

  const term = (status: string, extra: Record<string, unknown> = {}) => ({
    name: 'term',
    taskReferenceName: 'term',
    type: 'TERMINATE',
    inputParameters: { terminationStatus: status, ...extra },
  });

  for (const status of ['COMPLETED', 'FAILED', 'TERMINATED']) {
    it(`terminationStatus ${status}: workflow ends ${status} with the workflowOutput and reason; later tasks never run`, async () => {
      const { api } = c;
      const [after] = await workerDefs(api, 1);
      const { id } = await api.run(
        { tasks: [term(status, { terminationReason: `because ${status}`, workflowOutput: { a: '${workflow.input.a}', fixed: 1 } }), simple('after', after)], outputParameters: { ignored: true } },
        { a: 'A' },
      );
      const wf = await api.waitForEnd(id);
      expect(wf.status).toBe(status);
      expect(wf.reasonForIncompletion).toBe(`because ${status}`);
      expect(wf.output).toEqual({ a: 'A', fixed: 1 });
      expect(shape(wf)).toEqual([['term', 'TERMINATE', 'COMPLETED']]);
      expect(task(wf, 'term').outputData).toEqual({ a: 'A', fixed: 1 });
      expect(await api.poll(after)).toBeUndefined();
    }, T);
  }

  it('without a reason: "Workflow is <STATUS> by TERMINATE task: <taskId>" and an empty output', async () => {
    const { api } = c;
    const { id } = await api.run({ tasks: [term('FAILED')], outputParameters: { x: 'y' } });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('FAILED');
    const t = task(wf, 'term');
    expect(wf.reasonForIncompletion).toBe(`Workflow is FAILED by TERMINATE task: ${t.taskId}`);
    expect(wf.output).toEqual({});
  }, T);

  it('registration rejects a TERMINATE without a valid terminationStatus (400)', async () => {
    const { api } = c;
    for (const bad of ['BOGUS', '${workflow.input.s}']) {
      const r = await api.req('PUT', '/metadata/workflow', [{ name: uniq('badterm'), version: 1, schemaVersion: 2, ownerEmail: 'conformance@example.com', timeoutSeconds: 0, tasks: [term(bad)] }]);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.text).validationErrors.map((e: { message: string }) => e.message)).toContain('terminate task must have an terminationStatus parameter and must be set to COMPLETED or FAILED, taskName: term');
    }
  }, T);

  it('a TERMINATE inside a fork branch ends the workflow and cancels the other branch and the JOIN', async () => {
    const { api } = c;
    const [w] = await workerDefs(api, 1);
    const { id } = await api.run({
      tasks: [
        { name: 'fork', taskReferenceName: 'fork', type: 'FORK_JOIN', forkTasks: [[simple('slow', w)], [term('COMPLETED', { workflowOutput: { from: 'branch' } })]] },
        { name: 'join', taskReferenceName: 'join', type: 'JOIN', joinOn: ['slow', 'term'] },
      ],
    });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(wf.output).toEqual({ from: 'branch' });
    expect(shape(wf)).toEqual([
      ['fork', 'FORK', 'COMPLETED'],
      ['slow', w, 'CANCELED'],
      ['term', 'TERMINATE', 'COMPLETED'],
      ['join', 'JOIN', 'CANCELED'],
    ]);
    expect(await api.poll(w)).toBeUndefined();
  }, T);
});

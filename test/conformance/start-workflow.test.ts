/** START_WORKFLOW: starts an independent workflow, returns output.workflowId, does not wait. */
import { shape, simple, task, uniq } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

describe('START_WORKFLOW', () => {
  const c = useConductor();

  it('returns output.workflowId and completes without waiting; the new workflow has no parent link', async () => {
    const { api } = c;
    const [w] = await workerDefs(api, 1);
    const target = await api.registerWorkflow({ name: uniq('started'), tasks: [simple('t', w, { v: '${workflow.input.v}' })] });
    const { id } = await api.run(
      { tasks: [{ name: 'sw', taskReferenceName: 'sw', type: 'START_WORKFLOW', inputParameters: { startWorkflow: { name: target, version: 1, input: { v: '${workflow.input.v}' } } } }], outputParameters: { started: '${sw.output.workflowId}' } },
      { v: 'vee' },
      { correlationId: 'corr-start' },
    );
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(shape(wf)).toEqual([['sw', 'START_WORKFLOW', 'COMPLETED']]);
    const childId = task(wf, 'sw').outputData.workflowId as string;
    expect(typeof childId).toBe('string');
    expect(wf.output).toEqual({ started: childId });
    const child = await api.workflow(childId);
    expect(child.workflowName).toBe(target);
    expect(child.status).toBe('RUNNING');
    expect(child.input).toEqual({ v: 'vee' });
    expect(child.parentWorkflowId ?? null).toBeNull();
    expect(child.correlationId).toBe('corr-start');
    const t = await api.pollUntil(w);
    expect(t.workflowInstanceId).toBe(childId);
    expect(t.inputData).toEqual({ v: 'vee' });
    await api.update(t, 'COMPLETED');
    expect((await api.waitForEnd(childId)).status).toBe('COMPLETED');
  }, T);

  it('missing startWorkflow input fails the task', async () => {
    const { api } = c;
    const { id } = await api.run({ tasks: [{ name: 'sw', taskReferenceName: 'sw', type: 'START_WORKFLOW', inputParameters: { other: 1 } }] });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('FAILED');
    expect(task(wf, 'sw').status).toBe('FAILED');
    expect(task(wf, 'sw').reasonForIncompletion).toContain("Missing 'startWorkflow' in input data.");
  }, T);
});

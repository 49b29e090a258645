/** SUB_WORKFLOW: by name+version, inline definition, output propagation, failure, terminate, retry. */
import { shape, simple, task, uniq } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

describe('SUB_WORKFLOW', () => {
  const c = useConductor();

  async function childDef(w: string): Promise<string> {
    return c.api.registerWorkflow({ name: uniq('child'), version: 2, tasks: [simple('c1', w, { x: '${workflow.input.x}' })], outputParameters: { got: '${c1.output.r}' } });
  }

  it('runs a registered child by name+version; the child output is merged into the task output', async () => {
    const { api } = c;
    const [w] = await workerDefs(api, 1);
    const child = await childDef(w);
    const { id } = await api.run(
      {
        tasks: [{ name: 'sub', taskReferenceName: 'sub', type: 'SUB_WORKFLOW', subWorkflowParam: { name: child, version: 2 }, inputParameters: { x: '${workflow.input.x}' } }],
        outputParameters: { fromChild: '${sub.output.got}' },
      },
      { x: 7 },
      { correlationId: 'corr-sub' },
    );
    let sub = await api.waitForTask(id, 'sub', ['IN_PROGRESS']);
    expect(sub.taskType).toBe('SUB_WORKFLOW');
    const childId = sub.subWorkflowId!;
    expect(childId).toBeTruthy();
    expect(sub.outputData.subWorkflowId).toBe(childId);
    let ch = await api.workflow(childId);
    expect(ch.workflowName).toBe(child);
    expect(ch.workflowVersion).toBe(2);
    expect(ch.parentWorkflowId).toBe(id);
    expect(ch.parentWorkflowTaskId).toBe(sub.taskId);
    expect(ch.correlationId).toBe('corr-sub');
    expect(ch.input).toEqual({ x: 7 });
    const t = await api.pollUntil(w);
    expect(t.inputData).toEqual({ x: 7 });
    await api.update(t, 'COMPLETED', { r: 'child-result' });
    ch = await api.waitForEnd(childId);
    expect(ch.status).toBe('COMPLETED');
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    sub = task(wf, 'sub');
    expect(sub.status).toBe('COMPLETED');
    expect(sub.outputData).toEqual({ subWorkflowId: childId, got: 'child-result' });
    expect(wf.output).toEqual({ fromChild: 'child-result' });
  }, T);

  it('runs an inline workflowDefinition', async () => {
    const { api } = c;
    const [w] = await workerDefs(api, 1);
    const inline = { name: uniq('inline_child'), version: 1, schemaVersion: 2, tasks: [simple('ic', w)], outputParameters: { y: '${ic.output.y}' } };
    const { id } = await api.run({ tasks: [{ name: 'sub', taskReferenceName: 'sub', type: 'SUB_WORKFLOW', subWorkflowParam: { name: inline.name, workflowDefinition: inline } }] });
    const sub = await api.waitForTask(id, 'sub', ['IN_PROGRESS']);
    await api.work(w, 'COMPLETED', { y: 'yy' });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(task(wf, 'sub').outputData).toEqual({ subWorkflowId: sub.subWorkflowId, y: 'yy' });
    const ch = await api.workflow(sub.subWorkflowId!);
    expect(ch.workflowName).toBe(inline.name);
    expect(ch.status).toBe('COMPLETED');
  }, T);

  it('a failed child fails the SUB_WORKFLOW task and the parent', async () => {
    const { api } = c;
    const [w] = await workerDefs(api, 1);
    const child = await childDef(w);
    const { id } = await api.run({ tasks: [{ name: 'sub', taskReferenceName: 'sub', type: 'SUB_WORKFLOW', subWorkflowParam: { name: child, version: 2 } }] });
    const sub0 = await api.waitForTask(id, 'sub', ['IN_PROGRESS']);
    await api.work(w, 'FAILED', {}, 'child broke');
    const ch = await api.waitForEnd(sub0.subWorkflowId!);
    expect(ch.status).toBe('FAILED');
    expect(ch.reasonForIncompletion).toContain('child broke');
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('FAILED');
    const sub = task(wf, 'sub');
    expect(sub.status).toBe('FAILED');
    expect(sub.reasonForIncompletion).toContain('child broke');
    expect(sub.reasonForIncompletion).toContain(sub0.subWorkflowId!);
  }, T);

  it('terminating the parent terminates the child', async () => {
    const { api } = c;
    const [w] = await workerDefs(api, 1);
    const child = await childDef(w);
    const { id } = await api.run({ tasks: [{ name: 'sub', taskReferenceName: 'sub', type: 'SUB_WORKFLOW', subWorkflowParam: { name: child, version: 2 } }] });
    const sub = await api.waitForTask(id, 'sub', ['IN_PROGRESS']);
    await api.waitForStatus(sub.subWorkflowId!, 'RUNNING');
    await api.terminate(id, 'stop it');
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('TERMINATED');
    expect(wf.reasonForIncompletion).toBe('stop it');
    expect(task(wf, 'sub').status).toBe('CANCELED');
    const ch = await api.waitForEnd(sub.subWorkflowId!);
    expect(ch.status).toBe('TERMINATED');
    expect(ch.reasonForIncompletion).toContain('Parent workflow has been terminated');
  }, T);

  it('retrying a failed parent starts a new child', async () => {
    const { api } = c;
    const [w] = await workerDefs(api, 1);
    const child = await childDef(w);
    const { id } = await api.run({ tasks: [{ name: 'sub', taskReferenceName: 'sub', type: 'SUB_WORKFLOW', subWorkflowParam: { name: child, version: 2 } }] });
    const first = await api.waitForTask(id, 'sub', ['IN_PROGRESS']);
    await api.work(w, 'FAILED', {}, 'first child failed');
    await api.waitForStatus(id, 'FAILED');
    await api.retry(id);
    const second = await api.waitFor(id, (wf) => wf.status === 'RUNNING' && wf.tasks.filter((t) => t.referenceTaskName === 'sub' && t.status === 'IN_PROGRESS' && !!t.subWorkflowId).length === 1);
    const subs = second.tasks.filter((t) => t.referenceTaskName === 'sub');
    expect(subs.map((t) => [t.status, t.retryCount])).toEqual([
      ['FAILED', 0],
      ['IN_PROGRESS', 1],
    ]);
    const newChild = subs[1].subWorkflowId!;
    expect(newChild).not.toBe(first.subWorkflowId);
    expect(subs[1].retriedTaskId).toBe(first.taskId);
    await api.work(w, 'COMPLETED', { r: 'second' });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect((await api.workflow(newChild)).status).toBe('COMPLETED');
    expect((await api.workflow(first.subWorkflowId!)).status).toBe('FAILED');
    expect(shape(wf).map((s) => s[2])).toEqual(['FAILED', 'COMPLETED']);
  }, T);
});

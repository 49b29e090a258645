/** START_WORKFLOW end to end: starts an independent workflow and completes with its id. */
import { startBaton, type TestBaton } from '../helpers/baton';
import type { WorkflowModel } from '../../engine/core/model';

describe('START_WORKFLOW task', () => {
  let b: TestBaton;
  let n = 0;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${b.url}/api${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return text;
  };
  const register = (name: string, tasks: unknown[], extra: Record<string, unknown> = {}) => api('POST', '/metadata/workflow', { name, version: 1, schemaVersion: 2, ownerEmail: 't@x.io', tasks, ...extra });
  const ended = async (id: string): Promise<WorkflowModel> => {
    const { wf, timedOut } = await b.baton.engine.waitFor(id, (w) => w.status !== 'RUNNING', 5000);
    expect(timedOut).toBe(false);
    return wf;
  };

  beforeAll(async () => {
    b = await startBaton();
    await api('POST', '/metadata/taskdefs', [{ name: 'sw_worker', retryCount: 0, responseTimeoutSeconds: 30, ownerEmail: 't@x.io' }]);
    await register('sw_target', [{ name: 'sw_worker', taskReferenceName: 't', type: 'SIMPLE', inputParameters: { v: '${workflow.input.v}' } }]);
  });
  afterAll(() => b.close());

  it('completes with output.workflowId; the child is independent and inherits correlationId', async () => {
    const name = `sw_src_${++n}`;
    await register(name, [{ name: 'sw', taskReferenceName: 'sw', type: 'START_WORKFLOW', inputParameters: { startWorkflow: { name: 'sw_target', input: { v: '${workflow.input.v}' } } } }], {
      outputParameters: { started: '${sw.output.workflowId}' },
    });
    const id = await api('POST', '/workflow', { name, input: { v: 'vee' }, correlationId: 'corr-start', taskToDomain: { other: 'd1' } });
    const wf = await ended(id);
    expect(wf.status).toBe('COMPLETED');
    expect(wf.tasks.map((t) => [t.referenceTaskName, t.taskType, t.status])).toEqual([['sw', 'START_WORKFLOW', 'COMPLETED']]);
    const childId = wf.tasks[0].outputData.workflowId as string;
    expect(wf.output).toEqual({ started: childId });
    const child = b.baton.engine.getWorkflow(childId);
    expect(child.workflowName).toBe('sw_target');
    expect(child.status).toBe('RUNNING');
    expect(child.input).toEqual({ v: 'vee' });
    expect(child.parentWorkflowId).toBeUndefined();
    expect(child.correlationId).toBe('corr-start');
    expect(child.taskToDomain).toEqual({ other: 'd1' });
    expect(child.tasks.map((t) => t.inputData)).toEqual([{ v: 'vee' }]);
  });

  it("missing 'startWorkflow' and an unknown workflow fail the task", async () => {
    const a = `sw_src_${++n}`;
    await register(a, [{ name: 'sw', taskReferenceName: 'sw', type: 'START_WORKFLOW', inputParameters: {} }]);
    const wa = await ended(await api('POST', `/workflow/${a}`, {}));
    expect(wa.status).toBe('FAILED');
    expect(wa.tasks[0].status).toBe('FAILED');
    expect(wa.tasks[0].reasonForIncompletion).toBe("Missing 'startWorkflow' in input data.");

    const c = `sw_src_${++n}`;
    await register(c, [{ name: 'sw', taskReferenceName: 'sw', type: 'START_WORKFLOW', inputParameters: { startWorkflow: { name: 'no_such_wf', version: 3 } } }]);
    const wc = await ended(await api('POST', `/workflow/${c}`, {}));
    expect(wc.status).toBe('FAILED');
    expect(wc.tasks[0].reasonForIncompletion).toContain('No such workflow defined. name=no_such_wf, version=3');
    expect(b.baton.engine.store.queueSize('START_WORKFLOW')).toBe(0);
  });
});

/**
 * Retrying, restarting or rerunning a failed child revives the parents waiting on it
 * (WorkflowExecutorOps.updateAndPushParents): the parent's SUB_WORKFLOW task goes back to
 * IN_PROGRESS, the parent to RUNNING, and both complete when the child does. An optional
 * SUB_WORKFLOW task leaves its parent alone.
 */
import { startBaton, type TestBaton } from '../helpers/baton';

let t: TestBaton;
const api = async (method: string, path: string, body?: unknown): Promise<any> => {
  const r = await fetch(`${t.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path} → ${r.status} ${text}`);
  return text && r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
};
const wf = (id: string) => t.baton.engine.getWorkflow(id);
const waitStatus = (id: string, status: string) => t.baton.engine.waitFor(id, (w) => w.status === status, 5000).then((r) => r.wf);

beforeAll(async () => {
  t = await startBaton();
  await api('POST', '/api/metadata/taskdefs', [{ name: 'rv_leaf', retryCount: 0 }]);
  await api('POST', '/api/metadata/workflow', { name: 'rv_child', version: 1, tasks: [{ name: 'rv_leaf', taskReferenceName: 'leaf' }] });
  for (const [name, optional] of [['rv_parent', false], ['rv_parent_opt', true]] as const) {
    await api('POST', '/api/metadata/workflow', {
      name,
      version: 1,
      tasks: [{ name: 'sub', taskReferenceName: 'sub', type: 'SUB_WORKFLOW', optional, subWorkflowParam: { name: 'rv_child', version: 1 } }],
    });
  }
});
afterAll(() => t.close());

async function failedChild(parentName: string): Promise<{ parentId: string; childId: string }> {
  const parentId = await api('POST', '/api/workflow', { name: parentName, input: {} });
  const running = await t.baton.engine.waitFor(parentId, (w) => Boolean(w.tasks[0]?.subWorkflowId), 5000);
  const childId = running.wf.tasks[0].subWorkflowId!;
  const [task] = await api('GET', '/api/tasks/poll/batch/rv_leaf?count=1&timeout=0');
  await api('POST', '/api/tasks', { workflowInstanceId: childId, taskId: task.taskId, status: 'FAILED', reasonForIncompletion: 'boom' });
  await waitStatus(childId, 'FAILED');
  return { parentId, childId };
}

async function completeLeaf(childId: string): Promise<void> {
  const [task] = await api('GET', '/api/tasks/poll/batch/rv_leaf?count=1&timeout=0');
  expect(task.workflowInstanceId).toBe(childId);
  await api('POST', '/api/tasks', { workflowInstanceId: childId, taskId: task.taskId, status: 'COMPLETED', outputData: { ok: 1 } });
}

test.each(['retry', 'restart', 'rerun'])('%s of the failed child revives the parent, which then completes', async (op) => {
  const { parentId, childId } = await failedChild('rv_parent');
  expect(wf(parentId).status).toBe('FAILED');
  if (op === 'rerun') await api('POST', `/api/workflow/${childId}/rerun`, {});
  else await api('POST', `/api/workflow/${childId}/${op}`);
  const parent = wf(parentId);
  expect(parent.status).toBe('RUNNING');
  expect(parent.reasonForIncompletion).toBeUndefined();
  expect(parent.tasks.map((x) => [x.referenceTaskName, x.status, x.subWorkflowId])).toEqual([['sub', 'IN_PROGRESS', childId]]);
  await completeLeaf(childId);
  const done = await waitStatus(parentId, 'COMPLETED');
  expect(done.tasks[0]).toMatchObject({ status: 'COMPLETED', outputData: { subWorkflowId: childId, ok: 1 } });
});

test('an optional SUB_WORKFLOW task: the parent completed on its own and stays COMPLETED', async () => {
  const { parentId, childId } = await failedChild('rv_parent_opt');
  expect(wf(parentId).status).toBe('COMPLETED');
  await api('POST', `/api/workflow/${childId}/retry`);
  expect(wf(parentId).status).toBe('COMPLETED');
  expect(wf(childId).status).toBe('RUNNING');
});

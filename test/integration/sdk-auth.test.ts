/** The official SDK with keyId/keySecret against Baton with auth on: it gets a token and works. */
import { orkesConductorClient, MetadataClient, WorkflowExecutor, TaskManager } from '@io-orkes/conductor-javascript';
import { startBaton, type TestBaton } from '../helpers/baton';
import { isTerminalWorkflow } from '../../engine/core/status';

const quiet = { info: () => undefined, error: () => undefined, debug: () => undefined, warn: () => undefined };

let t: TestBaton;
beforeAll(async () => {
  t = await startBaton({ env: { BATON_AUTH_KEY_ID: 'sdk-key', BATON_AUTH_KEY_SECRET: 'sdk-secret-0123456789' } });
});
afterAll(() => t.close());

test('a TaskManager worker with key and secret completes a workflow', async () => {
  const client = await orkesConductorClient({ serverUrl: t.url, keyId: 'sdk-key', keySecret: 'sdk-secret-0123456789' });
  await new MetadataClient(client).registerTask({ name: 'auth_task', retryCount: 0, timeoutSeconds: 60, responseTimeoutSeconds: 30 } as never);
  const exec = new WorkflowExecutor(client);
  await exec.registerWorkflow(true, { name: 'auth_wf', version: 1, tasks: [{ name: 'auth_task', taskReferenceName: 'a', type: 'SIMPLE' }] } as never);
  const m = new TaskManager(client, [{ taskDefName: 'auth_task', execute: async () => ({ status: 'COMPLETED', outputData: { ok: true } }) }], { logger: quiet, options: { pollInterval: 10 } });
  m.startPolling();
  try {
    const id = await exec.startWorkflow({ name: 'auth_wf', version: 1, input: {} });
    const { wf } = await t.baton.engine.waitFor(id, (w) => isTerminalWorkflow(w.status), 20_000);
    expect(wf.status).toBe('COMPLETED');
  } finally {
    await m.stopPolling();
  }
});

test('without credentials the same server refuses the call', async () => {
  const res = await fetch(`${t.url}/api/metadata/workflow`);
  expect(res.status).toBe(401);
  expect(((await res.json()) as { error: string }).error).toBe('INVALID_TOKEN');
});

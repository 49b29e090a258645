/**
 * The webhook server's Conductor adapter (the official SDK's WorkflowExecutor) against a real
 * Baton in-process: ids, idempotency keys, correlation ids, and how refusals are classified.
 */
import { startBaton, type TestBaton } from '../helpers/baton';
import { ConductorError, sdkConductor, type ConductorPort } from '../../webhook-server/start-workflows';
import type { PlannedStart } from '../../webhook-server/routing';
import { newDeliveryId, pushPayload, testServer } from './helpers';

let baton: TestBaton;
let conductor: ConductorPort;
const api = (path: string, init?: RequestInit) => fetch(`${baton.url}/api${path}`, { ...init, headers: { 'content-type': 'application/json' } });

beforeAll(async () => {
  baton = await startBaton();
  const def = { name: 'firmware_ci_cd', version: 1, schemaVersion: 2, tasks: [{ name: 'wait', taskReferenceName: 'wait', type: 'WAIT' }], ownerEmail: 'ci@example.com' };
  expect((await api('/metadata/workflow', { method: 'PUT', body: JSON.stringify([def]) })).status).toBe(200);
  conductor = await sdkConductor({ serverUrl: `${baton.url}/api` });
});
afterAll(() => baton.close());

const plan = (key: string, name = 'firmware_ci_cd'): PlannedStart => ({
  route: 'firmware', name, version: 1, input: { commit_sha: 'a'.repeat(40) }, correlationId: `acme/firmware@${'a'.repeat(40)}`, idempotencyKey: key, status: null,
});

test('a start returns the workflow id; the same idempotency key returns the same run', async () => {
  const id = await conductor.start(plan('k-1'));
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  expect(await conductor.start(plan('k-1'))).toBe(id);
  const wf = (await (await api(`/workflow/${id}`)).json()) as { correlationId: string; input: unknown; status: string };
  expect(wf).toMatchObject({ correlationId: `acme/firmware@${'a'.repeat(40)}`, input: { commit_sha: 'a'.repeat(40) }, status: 'RUNNING' });
  expect(await conductor.workflow(id)).toEqual({ status: 'RUNNING', reasonForIncompletion: undefined });
});

test('an unknown workflow is a permanent refusal carrying the HTTP status', async () => {
  const e = await conductor.start(plan('k-2', 'no_such_workflow')).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ConductorError);
  expect(e).toMatchObject({ transient: false, status: 404 });
  expect((e as Error).message).toMatch(/no_such_workflow/);
  await expect(conductor.workflow('00000000-0000-0000-0000-000000000000')).rejects.toMatchObject({ status: 404, transient: false });
});

test('a signed push through the server starts one run on Baton; redelivery finds it again', async () => {
  const t = await testServer({ conductor });
  try {
    const delivery = newDeliveryId();
    const first = await t.post(pushPayload({ after: 'e'.repeat(40) }), { delivery });
    expect(first.status).toBe(202);
    // as after a crash between a start and its record: issuing the recorded start again finds the same run
    const again = await conductor.start(t.server.store.get(delivery)!.starts[0]);
    expect(again).toBe(first.body.workflowIds[0]);
    const runs = (await (await api(`/workflow/firmware_ci_cd/correlated/${encodeURIComponent(`acme/firmware@${'e'.repeat(40)}`)}?includeClosed=true`)).json()) as unknown[];
    expect(runs).toHaveLength(1);
  } finally {
    await t.close();
  }
});

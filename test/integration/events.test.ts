/** Event handlers: /api/event CRUD and validation; EVENT tasks feeding start_workflow / complete_task / fail_task. */
import request from 'supertest';
import { startBaton, type TestBaton } from '../helpers/baton';
import type { WorkflowModel } from '../../engine/core/model';

describe('event handlers', () => {
  let b: TestBaton;
  let n = 0;
  const app = () => b.baton.app;
  const register = (name: string, tasks: unknown[], extra: Record<string, unknown> = {}) =>
    request(app()).post('/api/metadata/workflow').send({ name, version: 1, schemaVersion: 2, ownerEmail: 't@x.io', tasks, ...extra }).expect(200);
  const start = async (name: string, input: Record<string, unknown> = {}) => (await request(app()).post(`/api/workflow/${name}`).send(input).expect(200)).text;
  const until = async (id: string, done: (w: WorkflowModel) => boolean): Promise<WorkflowModel> => {
    const { wf, timedOut } = await b.baton.engine.waitFor(id, done, 5000);
    expect(timedOut).toBe(false);
    return wf;
  };
  const ended = (id: string) => until(id, (w) => w.status !== 'RUNNING');
  /** Re-read until `read` returns a non-empty list (handlers run right after the commit). */
  const poll = async (read: () => string[]): Promise<string[]> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const got = read();
      if (got.length || Date.now() > deadline) return got;
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const handler = (name: string, event: string, actions: unknown[], extra: Record<string, unknown> = {}) =>
    request(app()).post('/api/event').send({ name, event, actions, active: true, ...extra }).expect(200);

  beforeAll(async () => {
    b = await startBaton();
    await request(app()).post('/api/metadata/taskdefs').send([{ name: 'ev_worker', retryCount: 0, responseTimeoutSeconds: 30, ownerEmail: 't@x.io' }]).expect(200);
    await register('ev_target', [{ name: 'ev_worker', taskReferenceName: 't', type: 'SIMPLE' }]);
  });
  afterAll(() => b.close());

  it('CRUD: create, 409 on duplicate, list, by event (activeOnly), update, 404s, delete', async () => {
    const h = { name: 'crud_h', event: 'conductor:wf:ref', actions: [{ action: 'start_workflow', start_workflow: { name: 'ev_target' } }] };
    await request(app()).post('/api/event').send(h).expect(200);
    const dup = await request(app()).post('/api/event').send(h).expect(409);
    expect(dup.body.message).toBe('EventHandler with name crud_h already exists!');
    expect((await request(app()).get('/api/event').expect(200)).body).toEqual([{ ...h, active: false }]);
    expect((await request(app()).get('/api/event/conductor:wf:ref').expect(200)).body).toEqual([]);
    expect((await request(app()).get('/api/event/conductor:wf:ref?activeOnly=false').expect(200)).body).toHaveLength(1);
    await request(app()).put('/api/event').send({ ...h, active: true }).expect(200);
    expect((await request(app()).get('/api/event/conductor:wf:ref').expect(200)).body).toEqual([{ ...h, active: true }]);
    const missing = await request(app()).put('/api/event').send({ ...h, name: 'nope' }).expect(404);
    expect(missing.body.message).toBe('EventHandler with name nope not found!');
    await request(app()).delete('/api/event/crud_h').expect(200);
    await request(app()).delete('/api/event/crud_h').expect(404);
    expect((await request(app()).get('/api/event').expect(200)).body).toEqual([]);
  });

  it('validation: name, event, actions required; action names checked', async () => {
    const r = await request(app()).post('/api/event').send({ actions: [] }).expect(400);
    const paths = (r.body.validationErrors as Array<{ path: string; message: string }>).map((v) => [v.path, v.message]);
    expect(paths).toEqual([
      ['addEventHandler.eventHandler.name', 'Missing event handler name'],
      ['addEventHandler.eventHandler.event', 'Missing event location'],
      ['addEventHandler.eventHandler.actions', 'No actions specified. Please specify at-least one action'],
    ]);
    const bad = await request(app()).put('/api/event').send({ name: 'x', event: 'e', actions: [{ action: 'explode' }] }).expect(400);
    expect(bad.body.validationErrors[0].path).toBe('updateEventHandler.eventHandler.actions[0].action');
  });

  it('EVENT sink conductor → start_workflow handler starts a workflow from the payload', async () => {
    const name = `ev_src_${++n}`;
    await handler(`${name}_start`, `conductor:${name}:ev`, [{ action: 'start_workflow', start_workflow: { name: 'ev_target', version: 1, correlationId: '${workflowInstanceId}', input: { fromEvent: '${greeting}' } } }]);
    // a handler whose condition is false does nothing; an inactive one neither
    await handler(`${name}_skip`, `conductor:${name}:ev`, [{ action: 'start_workflow', start_workflow: { name: 'ev_target', correlationId: 'skipped' } }], { condition: "$.greeting == 'other'" });
    await handler(`${name}_cond`, `conductor:${name}:ev`, [{ action: 'start_workflow', start_workflow: { name: 'ev_target', correlationId: 'cond-ok' } }], { condition: "$.greeting == 'hi'" });
    await handler(`${name}_off`, `conductor:${name}:ev`, [{ action: 'start_workflow', start_workflow: { name: 'ev_target', correlationId: 'skipped' } }], { active: false });
    await register(name, [{ name: 'ev', taskReferenceName: 'ev', type: 'EVENT', sink: 'conductor', inputParameters: { greeting: '${workflow.input.g}' } }]);
    const id = await start(name, { g: 'hi' });
    const wf = await ended(id);
    expect(wf.status).toBe('COMPLETED');
    expect(wf.tasks[0].outputData).toEqual(
      expect.objectContaining({ greeting: 'hi', sink: 'conductor', workflowInstanceId: id, workflowType: name, workflowVersion: 1, event_produced: `conductor:${name}:ev` }),
    );
    const store = b.baton.engine.store;
    const started = await poll(() => store.findWorkflowIds({ name: 'ev_target', correlationId: id }));
    expect(await poll(() => store.findWorkflowIds({ name: 'ev_target', correlationId: 'cond-ok' }))).toHaveLength(1);
    expect(started).toHaveLength(1);
    const child = b.baton.engine.getWorkflow(started[0]);
    expect(child.input).toEqual({ fromEvent: 'hi', 'conductor.event.name': `conductor:${name}:ev`, 'conductor.event.messageId': expect.any(String) });
    expect(store.findWorkflowIds({ name: 'ev_target', correlationId: 'skipped' })).toEqual([]);
  });

  it('complete_task completes a WAIT of the publishing workflow; fail_task fails a SIMPLE task by id', async () => {
    const name = `ev_src_${++n}`;
    await handler(`${name}_done`, `conductor:${name}:approvals`, [
      { action: 'complete_task', complete_task: { workflowId: '${workflowInstanceId}', taskRefName: 'wt', output: { approved: '${verdict}' } } },
    ]);
    await register(name, [
      { name: 'ev', taskReferenceName: 'ev', type: 'EVENT', sink: 'conductor:approvals', inputParameters: { verdict: 'yes' } },
      { name: 'wt', taskReferenceName: 'wt', type: 'WAIT' },
    ], { outputParameters: { approved: '${wt.output.approved}' } });
    const wf = await ended(await start(name));
    expect(wf.status).toBe('COMPLETED');
    expect(wf.output).toEqual({ approved: 'yes' });
    expect(wf.tasks[1].outputData).toEqual(expect.objectContaining({ approved: 'yes', workflowId: wf.workflowId, taskRefName: 'wt', 'conductor.event.name': `conductor:${name}:approvals` }));

    // fail_task by taskId: the payload carries the id of a SIMPLE task of another workflow
    const victim = await start('ev_target');
    const vwf = await until(victim, (w) => w.tasks.length === 1);
    const name2 = `ev_src_${++n}`;
    await handler(`${name2}_fail`, `conductor:${name2}:ev`, [{ action: 'fail_task', fail_task: { taskId: '${target}', reasonForIncompletion: 'rejected by ${who}' } }]);
    await register(name2, [{ name: 'ev', taskReferenceName: 'ev', type: 'EVENT', sink: 'conductor', inputParameters: { target: '${workflow.input.t}', who: 'bob' } }]);
    await ended(await start(name2, { t: vwf.tasks[0].taskId }));
    const failed = await ended(victim);
    expect(failed.status).toBe('FAILED');
    expect(failed.tasks[0].status).toBe('FAILED');
    expect(failed.tasks[0].reasonForIncompletion).toBe('rejected by bob');
  });

  it('unsupported sinks fail the EVENT task naming the sink', async () => {
    const name = `ev_src_${++n}`;
    await register(name, [{ name: 'ev', taskReferenceName: 'ev', type: 'EVENT', sink: 'sqs:my-queue' }]);
    const wf = await ended(await start(name));
    expect(wf.status).toBe('FAILED');
    expect(wf.tasks[0].status).toBe('FAILED');
    expect(wf.tasks[0].reasonForIncompletion).toContain('sqs:my-queue');
  });
});

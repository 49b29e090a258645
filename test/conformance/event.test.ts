/**
 * EVENT with sink `conductor` + event handlers (start_workflow, complete_task).
 *
 * Conductor OSS listens on an event handler's queue only from its next periodic refresh of the
 * handler list (every 60 s, fixed delay); a message published before then waits in the queue and
 * is handled at that refresh. So both handlers are registered once, before the scenarios, and the
 * first effect of a handler may take up to a minute to show. A server that applies a handler at
 * once (Baton) passes the same scenarios in milliseconds.
 */
import { shape, simple, task, uniq, type Workflow } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

/** Upper bound for a new handler to take effect: Conductor's 60 s refresh plus a margin. */
const HANDLER_PICKUP_MS = 75_000;

describe('EVENT', () => {
  const c = useConductor();
  const handlers: string[] = [];
  const src = uniq('evsrc');
  const target = uniq('evtarget');
  const completing = uniq('evcomplete');

  async function handler(event: string, actions: unknown[]): Promise<void> {
    const name = uniq('handler');
    await c.api.ok('POST', '/event', { name, event, actions, active: true });
    handlers.push(name);
  }

  beforeAll(async () => {
    const [w] = await workerDefs(c.api, 1);
    await c.api.registerWorkflow({ name: target, tasks: [simple('t', w)] });
    await handler(`conductor:${src}:ev`, [{ action: 'start_workflow', start_workflow: { name: target, version: 1, correlationId: '${workflowInstanceId}', input: { fromEvent: '${greeting}' } } }]);
    await handler(`conductor:${completing}:ev`, [{ action: 'complete_task', complete_task: { workflowId: '${workflowInstanceId}', taskRefName: 'wt', output: { approved: '${verdict}' } } }]);
  });

  // jest runs afterAll hooks in declaration order, so a spawned server is already gone here;
  // the clean-up matters only on a shared external server
  afterAll(async () => {
    for (const h of handlers.splice(0)) await c.api.req('DELETE', `/event/${h}`).catch(() => undefined);
  });

  it('publishes to conductor:<workflow>:<ref>; a start_workflow handler starts a workflow from the payload', async () => {
    const { api } = c;
    await api.registerWorkflow({ name: src, tasks: [{ name: 'ev', taskReferenceName: 'ev', type: 'EVENT', sink: 'conductor', inputParameters: { greeting: '${workflow.input.g}' } }] });
    const id = await api.start({ name: src, version: 1, input: { g: 'hi' } });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(shape(wf)).toEqual([['ev', 'EVENT', 'COMPLETED']]);
    expect(task(wf, 'ev').outputData).toEqual(
      expect.objectContaining({ greeting: 'hi', workflowInstanceId: id, workflowType: src, workflowVersion: 1, event_produced: `conductor:${src}:ev` }),
    );
    let started: Workflow[] = [];
    const deadline = Date.now() + HANDLER_PICKUP_MS;
    while (!started.length && Date.now() < deadline) {
      started = await api.json<Workflow[]>('GET', `/workflow/${target}/correlated/${id}?includeClosed=true&includeTasks=false`);
      if (!started.length) await new Promise((r) => setTimeout(r, 100));
    }
    expect(started).toHaveLength(1);
    expect(started[0].input).toEqual(expect.objectContaining({ fromEvent: 'hi' }));
    expect(started[0].input['conductor.event.name']).toBe(`conductor:${src}:ev`);
  }, HANDLER_PICKUP_MS + T);

  it('a complete_task handler completes a WAIT task of the publishing workflow', async () => {
    const { api } = c;
    await api.registerWorkflow({
      name: completing,
      tasks: [
        { name: 'fork', taskReferenceName: 'fork', type: 'FORK_JOIN', forkTasks: [[{ name: 'wt', taskReferenceName: 'wt', type: 'WAIT' }], [{ name: 'ev', taskReferenceName: 'ev', type: 'EVENT', sink: 'conductor', inputParameters: { verdict: 'yes' } }]] },
        { name: 'join', taskReferenceName: 'join', type: 'JOIN', joinOn: ['wt', 'ev'] },
      ],
      outputParameters: { approved: '${wt.output.approved}' },
    });
    const id = await api.start({ name: completing, version: 1, input: {} });
    const wf = await api.waitForEnd(id, HANDLER_PICKUP_MS);
    expect(wf.status).toBe('COMPLETED');
    expect(wf.output).toEqual({ approved: 'yes' });
    const wt = task(wf, 'wt');
    expect(wt.status).toBe('COMPLETED');
    expect(wt.outputData).toEqual(expect.objectContaining({ approved: 'yes', workflowId: id, taskRefName: 'wt', 'conductor.event.name': `conductor:${completing}:ev` }));
  }, HANDLER_PICKUP_MS + T);

  it(
    'asyncComplete inside inputParameters is overwritten by the task-level field (default false): the EVENT task completes on publish',
    async () => {
      const { api } = c;
      const { id } = await api.run({ tasks: [{ name: 'ev', taskReferenceName: 'ev', type: 'EVENT', sink: `conductor:${uniq('nobody')}`, inputParameters: { asyncComplete: true } }] });
      const wf = await api.waitForEnd(id);
      expect(wf.status).toBe('COMPLETED');
      expect(task(wf, 'ev').status).toBe('COMPLETED');
      expect(task(wf, 'ev').inputData.asyncComplete).toBe(false);
    },
    T,
  );
});

/** EVENT with sink `conductor` + event handlers (start_workflow, complete_task). */
import { shape, simple, task, uniq, type Workflow } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

describe('EVENT', () => {
  const c = useConductor();
  const handlers: string[] = [];

  afterEach(async () => {
    for (const h of handlers.splice(0)) await c.api.req('DELETE', `/event/${h}`);
  });

  async function handler(event: string, actions: unknown[]): Promise<void> {
    const name = uniq('handler');
    await c.api.ok('POST', '/event', { name, event, actions, active: true });
    handlers.push(name);
  }

  it('publishes to conductor:<workflow>:<ref>; a start_workflow handler starts a workflow from the payload', async () => {
    const { api } = c;
    const [w] = await workerDefs(api, 1);
    const target = await api.registerWorkflow({ name: uniq('evtarget'), tasks: [simple('t', w)] });
    const name = uniq('evsrc');
    await handler(`conductor:${name}:ev`, [{ action: 'start_workflow', start_workflow: { name: target, version: 1, correlationId: '${workflowInstanceId}', input: { fromEvent: '${greeting}' } } }]);
    await api.registerWorkflow({ name, tasks: [{ name: 'ev', taskReferenceName: 'ev', type: 'EVENT', sink: 'conductor', inputParameters: { greeting: '${workflow.input.g}' } }] });
    const id = await api.start({ name, version: 1, input: { g: 'hi' } });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(shape(wf)).toEqual([['ev', 'EVENT', 'COMPLETED']]);
    expect(task(wf, 'ev').outputData).toEqual(
      expect.objectContaining({ greeting: 'hi', workflowInstanceId: id, workflowType: name, workflowVersion: 1, event_produced: `conductor:${name}:ev` }),
    );
    let started: Workflow[] = [];
    const deadline = Date.now() + 5000;
    while (!started.length && Date.now() < deadline) {
      started = await api.json<Workflow[]>('GET', `/workflow/${target}/correlated/${id}?includeClosed=true&includeTasks=false`);
      if (!started.length) await new Promise((r) => setTimeout(r, 50));
    }
    expect(started).toHaveLength(1);
    expect(started[0].input).toEqual(expect.objectContaining({ fromEvent: 'hi' }));
    expect(started[0].input['conductor.event.name']).toBe(`conductor:${name}:ev`);
  }, T);

  it('a complete_task handler completes a WAIT task of the publishing workflow', async () => {
    const { api } = c;
    const name = uniq('evcomplete');
    await handler(`conductor:${name}:ev`, [{ action: 'complete_task', complete_task: { workflowId: '${workflowInstanceId}', taskRefName: 'wt', output: { approved: '${verdict}' } } }]);
    await api.registerWorkflow({
      name,
      tasks: [
        { name: 'fork', taskReferenceName: 'fork', type: 'FORK_JOIN', forkTasks: [[{ name: 'wt', taskReferenceName: 'wt', type: 'WAIT' }], [{ name: 'ev', taskReferenceName: 'ev', type: 'EVENT', sink: 'conductor', inputParameters: { verdict: 'yes' } }]] },
        { name: 'join', taskReferenceName: 'join', type: 'JOIN', joinOn: ['wt', 'ev'] },
      ],
      outputParameters: { approved: '${wt.output.approved}' },
    });
    const id = await api.start({ name, version: 1, input: {} });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(wf.output).toEqual({ approved: 'yes' });
    const wt = task(wf, 'wt');
    expect(wt.status).toBe('COMPLETED');
    expect(wt.outputData).toEqual(expect.objectContaining({ approved: 'yes', workflowId: id, taskRefName: 'wt', 'conductor.event.name': `conductor:${name}:ev` }));
  }, T);
});

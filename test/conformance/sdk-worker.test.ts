/** Real workers through the official SDK's TaskManager drive a SWITCH + FORK workflow to completion. */
import { orkesConductorClient, TaskManager } from '@io-orkes/conductor-javascript';
import { shape, simple, task } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

const quiet = { info: () => undefined, error: () => undefined, debug: () => undefined, warn: () => undefined };

describe('SDK TaskManager workers', () => {
  const c = useConductor();
  let manager: TaskManager | undefined;

  afterEach(async () => {
    await manager?.stopPolling();
    manager = undefined;
  });

  it('workers polled by TaskManager complete a workflow with SWITCH and FORK_JOIN', async () => {
    const { api } = c;
    const [add, dbl, fmt] = await workerDefs(api, 3);
    const client = await orkesConductorClient({ serverUrl: api.root });
    manager = new TaskManager(
      client,
      [
        { taskDefName: add, execute: async (t) => ({ status: 'COMPLETED', outputData: { sum: Number(t.inputData?.a) + Number(t.inputData?.b) } }) },
        { taskDefName: dbl, execute: async (t) => ({ status: 'COMPLETED', outputData: { n: Number(t.inputData?.n) * 2 } }) },
        { taskDefName: fmt, execute: async (t) => ({ status: 'COMPLETED', outputData: { text: `n=${t.inputData?.n}` } }) },
      ],
      { logger: quiet, options: { pollInterval: 20, concurrency: 2, workerID: 'sdk-conformance' } },
    );
    manager.startPolling();
    const { id } = await api.run(
      {
        tasks: [
          simple('add', add, { a: '${workflow.input.a}', b: '${workflow.input.b}' }),
          {
            name: 'sw',
            taskReferenceName: 'sw',
            type: 'SWITCH',
            evaluatorType: 'javascript',
            expression: "$.sum > 3 ? 'big' : 'small'",
            inputParameters: { sum: '${add.output.sum}' },
            decisionCases: {
              big: [
                { name: 'fork', taskReferenceName: 'fork', type: 'FORK_JOIN', forkTasks: [[simple('d1', dbl, { n: '${add.output.sum}' })], [simple('d2', dbl, { n: 100 })]] },
                { name: 'join', taskReferenceName: 'join', type: 'JOIN', joinOn: ['d1', 'd2'] },
              ],
            },
          },
          simple('fmt', fmt, { n: '${d1.output.n}' }),
        ],
        outputParameters: { text: '${fmt.output.text}', join: '${join.output}' },
      },
      { a: 2, b: 3 },
    );
    const wf = await api.waitForEnd(id, 8000);
    expect(wf.status).toBe('COMPLETED');
    expect(wf.output).toEqual({ text: 'n=10', join: { d1: { n: 10 }, d2: { n: 200 } } });
    expect(shape(wf).map((s) => [s[0], s[2]])).toEqual([
      ['add', 'COMPLETED'],
      ['sw', 'COMPLETED'],
      ['fork', 'COMPLETED'],
      ['d1', 'COMPLETED'],
      ['d2', 'COMPLETED'],
      ['join', 'COMPLETED'],
      ['fmt', 'COMPLETED'],
    ]);
    expect(task(wf, 'add').workerId).toBe('sdk-conformance');
  }, T);
});

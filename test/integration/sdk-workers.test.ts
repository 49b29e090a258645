/**
 * The official SDK (TaskManager workers, WorkflowExecutor, MetadataClient) against Baton on a
 * loopback port: multi-task workflows complete, retries and failures behave as on Conductor.
 */
import { orkesConductorClient, TaskManager, WorkflowExecutor, MetadataClient, NonRetryableException } from '@io-orkes/conductor-javascript';
import { startBaton, type TestBaton } from '../helpers/baton';
import { isTerminalWorkflow } from '../../engine/core/status';

const quiet = { info: () => undefined, error: () => undefined, debug: () => undefined, warn: () => undefined };

describe('official SDK workers against Baton', () => {
  let t: TestBaton;
  let client: Awaited<ReturnType<typeof orkesConductorClient>>;
  let managers: TaskManager[] = [];

  beforeAll(async () => {
    t = await startBaton();
    client = await orkesConductorClient({ serverUrl: t.url });
  });
  afterEach(async () => {
    for (const m of managers) await m.stopPolling();
    managers = [];
  });
  afterAll(async () => {
    await t.close();
  });

  const runWorkers = (workers: ConstructorParameters<typeof TaskManager>[1]) => {
    const m = new TaskManager(client, workers, { logger: quiet, options: { pollInterval: 10, concurrency: 2, workerID: 'jest-worker' } });
    m.startPolling();
    managers.push(m);
  };

  const untilEnded = (id: string) => t.baton.engine.waitFor(id, (wf) => isTerminalWorkflow(wf.status), 20_000);

  test('a 3-task workflow completes with each output flowing into the next input', async () => {
    const meta = new MetadataClient(client);
    await meta.registerTasks(['sdk_add', 'sdk_double', 'sdk_format'].map((name) => ({ name, retryCount: 0, timeoutSeconds: 60, responseTimeoutSeconds: 30 })) as never);
    const exec = new WorkflowExecutor(client);
    await exec.registerWorkflow(true, {
      name: 'sdk_three', version: 1, timeoutSeconds: 0,
      tasks: [
        { name: 'sdk_add', taskReferenceName: 'add', type: 'SIMPLE', inputParameters: { a: '${workflow.input.a}', b: '${workflow.input.b}' } },
        { name: 'sdk_double', taskReferenceName: 'double', type: 'SIMPLE', inputParameters: { n: '${add.output.sum}' } },
        { name: 'sdk_format', taskReferenceName: 'format', type: 'SIMPLE', inputParameters: { n: '${double.output.n}' } },
      ],
      outputParameters: { result: '${format.output.text}', sum: '${add.output.sum}' },
    } as never);
    runWorkers([
      { taskDefName: 'sdk_add', execute: async (task) => ({ status: 'COMPLETED', outputData: { sum: Number(task.inputData?.a) + Number(task.inputData?.b) } }) },
      { taskDefName: 'sdk_double', execute: async (task) => ({ status: 'COMPLETED', outputData: { n: Number(task.inputData?.n) * 2 } }) },
      { taskDefName: 'sdk_format', execute: async (task) => ({ status: 'COMPLETED', outputData: { text: `n=${task.inputData?.n}` } }) },
    ]);
    const id = await exec.startWorkflow({ name: 'sdk_three', version: 1, input: { a: 2, b: 3 }, correlationId: 'c-1' });
    const { wf } = await untilEnded(id);
    expect(wf.status).toBe('COMPLETED');
    expect(wf.output).toEqual({ result: 'n=10', sum: 5 });
    const run = await exec.getWorkflow(id, true);
    expect(run.tasks?.map((x) => [x.referenceTaskName, x.status, x.seq])).toEqual([
      ['add', 'COMPLETED', 1],
      ['double', 'COMPLETED', 2],
      ['format', 'COMPLETED', 3],
    ]);
    expect(run.tasks?.[0].workerId).toBe('jest-worker');
  });

  test('a failing worker is retried per its task definition, then the workflow completes', async () => {
    const meta = new MetadataClient(client);
    await meta.registerTask({ name: 'sdk_flaky', retryCount: 2, retryDelaySeconds: 0, timeoutSeconds: 60, responseTimeoutSeconds: 30 } as never);
    const exec = new WorkflowExecutor(client);
    await exec.registerWorkflow(true, { name: 'sdk_flaky_wf', version: 1, tasks: [{ name: 'sdk_flaky', taskReferenceName: 'flaky', type: 'SIMPLE' }] } as never);
    let calls = 0;
    runWorkers([
      {
        taskDefName: 'sdk_flaky',
        execute: async () => {
          calls++;
          if (calls < 3) throw new Error(`transient failure ${calls}`);
          return { status: 'COMPLETED', outputData: { calls } };
        },
      },
    ]);
    const id = await exec.startWorkflow({ name: 'sdk_flaky_wf', version: 1, input: {} });
    const { wf } = await untilEnded(id);
    expect(wf.status).toBe('COMPLETED');
    expect(wf.tasks.map((x) => [x.status, x.retryCount])).toEqual([
      ['FAILED', 0],
      ['FAILED', 1],
      ['COMPLETED', 2],
    ]);
    expect(wf.tasks[1].retriedTaskId).toBe(wf.tasks[0].taskId);
    expect(wf.tasks[0].reasonForIncompletion).toBe('transient failure 1');
    expect(wf.failedReferenceTaskNames).toEqual(['flaky']);
  });

  test('a NonRetryableException fails the workflow at once with Conductor\'s reason text', async () => {
    const meta = new MetadataClient(client);
    await meta.registerTask({ name: 'sdk_fatal', retryCount: 3, retryDelaySeconds: 0, timeoutSeconds: 60, responseTimeoutSeconds: 30 } as never);
    const exec = new WorkflowExecutor(client);
    await exec.registerWorkflow(true, { name: 'sdk_fatal_wf', version: 1, tasks: [{ name: 'sdk_fatal', taskReferenceName: 'fatal', type: 'SIMPLE' }] } as never);
    runWorkers([{ taskDefName: 'sdk_fatal', execute: async () => { throw new NonRetryableException('bad input'); } }]);
    const id = await exec.startWorkflow({ name: 'sdk_fatal_wf', version: 1, input: {} });
    const { wf } = await untilEnded(id);
    expect(wf.status).toBe('FAILED');
    expect(wf.tasks).toHaveLength(1);
    expect(wf.tasks[0].status).toBe('FAILED_WITH_TERMINAL_ERROR');
    expect(wf.reasonForIncompletion).toBe(`Task ${wf.tasks[0].taskId} failed with status: FAILED and reason: 'bad input'`);
    const logs = t.baton.engine.store.getLogs(wf.tasks[0].taskId);
    expect(logs[0].log).toContain('bad input');
  });
});

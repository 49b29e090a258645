/**
 * Workers for the `baton_demo` workflow, on the official SDK's TaskManager. They talk only the
 * Conductor REST API (CONDUCTOR_SERVER_URL), so they run unchanged against Conductor OSS.
 *
 *   npm run demo:workers               # poll until Ctrl-C
 *   npm run demo:workers -- --run Ada  # also start one run and print its result, then exit
 */
import 'dotenv/config';
import { orkesConductorClient, TaskManager, WorkflowExecutor, type ConductorWorker } from '@io-orkes/conductor-javascript';

const workers: ConductorWorker[] = [
  {
    taskDefName: 'demo_greet',
    execute: async (task) => ({ status: 'COMPLETED', outputData: { greeting: `Hello, ${task.inputData?.name ?? 'world'}! Welcome to Baton.` } }),
  },
  {
    taskDefName: 'demo_count',
    execute: async (task) => ({ status: 'COMPLETED', outputData: { words: String(task.inputData?.text ?? '').split(/\s+/).filter(Boolean).length } }),
  },
  {
    taskDefName: 'demo_report',
    execute: async (task) => ({ status: 'COMPLETED', outputData: { line: `"${task.inputData?.greeting}" has ${task.inputData?.words} words` } }),
  },
];

async function main(): Promise<void> {
  const serverUrl = process.env.CONDUCTOR_SERVER_URL ?? 'http://localhost:8080/api';
  const client = await orkesConductorClient({ serverUrl });
  const manager = new TaskManager(client, workers, { options: { pollInterval: 100, concurrency: 2, workerID: 'demo-worker' } });
  manager.startPolling();
  const i = process.argv.indexOf('--run');
  if (i < 0) {
    console.log(`demo workers polling ${serverUrl} (Ctrl-C to stop)`);
    process.on('SIGINT', () => void manager.stopPolling().then(() => process.exit(0)));
    return;
  }
  const exec = new WorkflowExecutor(client);
  const id = await exec.startWorkflow({ name: 'baton_demo', version: 1, input: { name: process.argv[i + 1] ?? 'Ada' } });
  console.log(`started baton_demo ${id}`);
  for (let n = 0; n < 300; n++) {
    const wf = await exec.getWorkflow(id, false);
    if (wf.status !== 'RUNNING') {
      console.log(`${wf.status}: ${JSON.stringify(wf.output)}`);
      await manager.stopPolling();
      process.exit(wf.status === 'COMPLETED' ? 0 : 1);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  console.error('timed out waiting for the workflow');
  await manager.stopPolling();
  process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * Shared by the evaluate and deploy_adapter tests: run a worker through executeTask with extra
 * environment (EVAL_BASELINE_PATH, ADAPTERS_PATH, API keys) on the test harness's artifact store,
 * and a synthetic held-out set with its answer table for the local model endpoint.
 */
import { join } from 'node:path';
import type { WorkerDefinition } from '../../../workers/runtime/define-worker';
import { executeTask } from '../../../workers/runtime/run';
import type { TableEntry } from '../../../tools/model-endpoint/model-endpoint';
import type { Harness, TaskOutcome } from '../harness';

let n = 0;

export async function runWithEnv(h: Harness, def: WorkerDefinition, input: Record<string, unknown>, env: Record<string, string>, retryCount = 0): Promise<TaskOutcome> {
  n += 1;
  const task = { taskId: `ml-task-${n}`, workflowInstanceId: 'wf-ml', taskType: def.taskType, inputData: input, retryCount };
  const r = await executeTask(def, task, {
    env: { ...process.env, ...env },
    artifacts: h.artifacts,
    workspaceRoot: join(h.root, 'workspace'),
    logSink: async (_taskId, text) => void h.logLines.push(...text.split('\n')),
  });
  const output = (r.outputData ?? {}) as TaskOutcome['output'];
  const reason = 'reasonForIncompletion' in r ? r.reasonForIncompletion : undefined;
  return { status: String(r.status), reasonForIncompletion: reason, output, code: output.error?.code };
}

/** `count` questions with known answers; the table answers them (each wrong answer is distinct). */
export function syntheticSet(count: number): { lines: string[]; table: TableEntry[] } {
  const lines: string[] = [];
  const table: TableEntry[] = [];
  for (let i = 1; i <= count; i++) {
    const id = `q${String(i).padStart(2, '0')}`;
    const prompt = `What is the code word for item ${i}?`;
    const answer = `word ${i}`;
    lines.push(JSON.stringify({ id, prompt, answer }));
    // the model answers in its own style: normalized match yes, exact match no
    table.push({ prompt, answer: `The Word ${i}.`, wrong: `unknown ${i}` });
  }
  return { lines, table };
}

/**
 * POST /api/workflow/test (Conductor's WorkflowTestRequest): run a workflow with mocked task
 * outputs. The run gets a private domain so real workers never see its tasks; then every
 * pending worker task gets the next mock for its reference name, until the workflow ends, a
 * pending task has no mock left, or 20 000 rounds pass. Answers the Workflow.
 */
import type { Engine } from '../runtime/engine';
import type { JsonMap } from '../core/model';
import { ValidationError, type FieldViolation } from '../core/errors';
import { TASK_RESULT_STATUSES, isTerminalTask, isTerminalWorkflow, type TaskResultStatus } from '../core/status';
import { baseRef } from '../core/next-task';
import { updateTask } from '../runtime/task-ops';
import { parseStartRequest } from './start-request';
import { isObject } from './validate';

const PREFIX = 'testWorkflow.testRequest';
const MAX_ROUNDS = 20_000;

interface Mock {
  status: TaskResultStatus;
  output: JsonMap;
}

function parseMocks(v: unknown): Map<string, Mock[]> {
  const mocks = new Map<string, Mock[]>();
  if (v === undefined || v === null) return mocks;
  const bad: FieldViolation[] = [];
  if (!isObject(v)) throw new ValidationError([{ path: `${PREFIX}.taskRefToMockOutput`, message: 'taskRefToMockOutput must map task reference names to lists of mocks' }]);
  for (const [ref, list] of Object.entries(v)) {
    const path = `${PREFIX}.taskRefToMockOutput[${ref}]`;
    if (!Array.isArray(list)) {
      bad.push({ path, message: 'must be a list of mocks' });
      continue;
    }
    mocks.set(ref, list.map((m, i) => {
      const status = isObject(m) && m.status != null ? String(m.status) : 'COMPLETED';
      if (!isObject(m)) bad.push({ path: `${path}[${i}]`, message: 'a mock must be a JSON object' });
      else if (!(TASK_RESULT_STATUSES as readonly string[]).includes(status)) bad.push({ path: `${path}[${i}].status`, message: `status must be one of ${TASK_RESULT_STATUSES.join(', ')}`, invalidValue: status });
      else if (m.output != null && !isObject(m.output)) bad.push({ path: `${path}[${i}].output`, message: 'output must be a JSON object' });
      return { status: status as TaskResultStatus, output: isObject(m) && isObject(m.output) ? m.output : {} };
    }));
  }
  if (bad.length) throw new ValidationError(bad);
  return mocks;
}

/** Start the run and apply mocks; returns the workflow id. */
export function runWorkflowTest(engine: Engine, body: unknown, env: Record<string, string | undefined>): string {
  const start = parseStartRequest(body, env, PREFIX);
  const mocks = parseMocks((body as JsonMap).taskRefToMockOutput);
  start.taskToDomain = { ...start.taskToDomain, '*': `test_${engine.deps().newId().replace(/-/g, '')}` };
  const id = engine.startWorkflow(start);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const wf = engine.getWorkflow(id);
    if (isTerminalWorkflow(wf.status)) break;
    const pending = wf.tasks.filter((t) => !isTerminalTask(t.status));
    let applied = 0;
    for (const t of pending) {
      const mock = (mocks.get(t.referenceTaskName) ?? mocks.get(baseRef(t.referenceTaskName)))?.shift();
      if (!mock) continue;
      updateTask(engine, { workflowInstanceId: id, taskId: t.taskId, status: mock.status, outputData: mock.output, workerId: 'workflow-test' });
      applied++;
    }
    if (applied === 0) break;
  }
  return id;
}

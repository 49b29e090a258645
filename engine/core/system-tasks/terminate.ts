/**
 * TERMINATE (TerminateTaskMapper + Terminate): created IN_PROGRESS; execute checks
 * `terminationStatus` and copies `workflowOutput` into the task output (a map as is, any other
 * value as `{output: v}`). The decider's finish() then ends the workflow with that status/reason.
 */
import type { JsonMap } from '../model';
import type { SystemTask } from './system-task';
import { finishTask, newSystemTask } from './common';

const VALID = new Set(['COMPLETED', 'FAILED', 'TERMINATED']);

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

export const terminateTask: SystemTask = {
  schedule: (node, ctx, opts) => [newSystemTask(node, ctx, { ...opts, status: 'IN_PROGRESS', taskType: 'TERMINATE' })],
  execute(task, ctx) {
    const status = task.inputData.terminationStatus;
    if (typeof status !== 'string' || !VALID.has(status)) return finishTask(task, ctx, 'FAILED', 'given termination status is not valid');
    const out = task.inputData.workflowOutput;
    task.outputData = out === null || out === undefined ? {} : isMap(out) ? { ...out } : { output: out };
    return finishTask(task, ctx, 'COMPLETED');
  },
};

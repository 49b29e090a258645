/**
 * SET_VARIABLE (SetVariableTaskMapper + SetVariable): each input key overwrites
 * workflow.variables[key]. If the serialized variables exceed the limit (default 256 KB) the
 * change is rolled back and the task ends FAILED_WITH_TERMINAL_ERROR. No output.
 */
import type { SystemTask } from './system-task';
import { finishTask, newSystemTask } from './common';

export const DEFAULT_MAX_VARIABLES_BYTES = 256 * 1024;

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

export const setVariableTask: SystemTask = {
  schedule: (node, ctx, opts) => [newSystemTask(node, ctx, { ...opts, status: 'IN_PROGRESS' })],
  execute(task, ctx) {
    const { wf } = ctx;
    const keys = Object.keys(task.inputData ?? {});
    if (keys.length === 0) return finishTask(task, ctx, 'COMPLETED');
    wf.variables = wf.variables ?? {};
    const previous = new Map<string, unknown>();
    const added: string[] = [];
    for (const k of keys) {
      if (Object.prototype.hasOwnProperty.call(wf.variables, k)) previous.set(k, wf.variables[k]);
      else added.push(k);
      wf.variables[k] = task.inputData[k];
    }
    const max = ctx.deps.maxVariablesBytes ?? DEFAULT_MAX_VARIABLES_BYTES;
    const size = utf8Length(JSON.stringify(wf.variables));
    if (size > max) {
      for (const [k, v] of previous) wf.variables[k] = v;
      for (const k of added) delete wf.variables[k];
      const reason = `The variables payload size: ${size} of workflow: ${wf.workflowId} is greater than the permissible limit: ${Math.floor(max / 1024)} kilobytes`;
      return finishTask(task, ctx, 'FAILED_WITH_TERMINAL_ERROR', reason);
    }
    return finishTask(task, ctx, 'COMPLETED');
  },
};

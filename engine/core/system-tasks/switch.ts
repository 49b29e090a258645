/**
 * SWITCH (SwitchTaskMapper + Switch): evaluate the case at schedule time — `value-param` reads
 * `input[expression]`, `javascript`/`graaljs` runs `expression` in the sandbox with `$` = input —
 * and schedule the first task of the matching case (defaultCase only when no key matches; an
 * explicitly empty case runs nothing). The SWITCH completes on its first execute.
 */
import type { JsonMap, TaskModel, WorkflowTask } from '../model';
import type { SystemTask, SystemTaskContext } from './system-task';
import { TerminateWorkflow } from '../outcome';
import { javaToString } from '../parameters';
import { finishTask, newSystemTask } from './common';

/** A case value as Conductor compares it: `"" + result` in Java. */
export function evaluateCase(node: WorkflowTask, input: JsonMap, ctx: SystemTaskContext): { ok: true; value: string } | { ok: false; error: string } {
  const type = String(node.evaluatorType ?? '');
  const expression = String(node.expression ?? '');
  if (type === 'value-param') return { ok: true, value: javaToString(input[expression]) };
  if (type === 'javascript' || type === 'graaljs') {
    const scripts = ctx.deps.scripts;
    if (!scripts) return { ok: false, error: 'No script engine is configured' };
    const r = scripts.evaluate(expression, { $: structuredClone(input) });
    return r.ok ? { ok: true, value: javaToString(r.value) } : { ok: false, error: r.error };
  }
  throw new TerminateWorkflow(`No evaluator registered for type: ${node.evaluatorType ?? null}`);
}

/** The tasks for the chosen branch's first node, marking `hasChildren` on the parent instance. */
export function scheduleBranch(branch: WorkflowTask[] | undefined, parent: TaskModel, ctx: SystemTaskContext, iteration: number): TaskModel[] {
  if (!branch || branch.length === 0) return [];
  parent.inputData.hasChildren = 'true';
  return ctx.createTasks(branch[0], iteration);
}

export const switchTask: SystemTask = {
  schedule(node, ctx, opts) {
    const task = newSystemTask(node, ctx, { ...opts, status: 'IN_PROGRESS', taskType: 'SWITCH', taskDefName: 'SWITCH' });
    const result = evaluateCase(node, task.inputData, ctx);
    if (!result.ok) {
      task.status = 'FAILED';
      task.reasonForIncompletion = result.error;
      return [task];
    }
    task.inputData.case = result.value;
    task.outputData = { evaluationResult: [result.value], selectedCase: result.value };
    const cases = node.decisionCases ?? {};
    const branch = Object.prototype.hasOwnProperty.call(cases, result.value) ? cases[result.value] : node.defaultCase;
    return [task, ...scheduleBranch(branch, task, ctx, opts.iteration)];
  },
  execute(task, ctx) {
    return finishTask(task, ctx, 'COMPLETED');
  },
};

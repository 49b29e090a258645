/**
 * DECISION (deprecated; DecisionTaskMapper + Decision): the case is `caseExpression` run as
 * JavaScript with `$` = input, else `input[caseValueParam]`, as a string. Unlike SWITCH an empty
 * matched case also falls back to defaultCase. A script error fails the workflow.
 */
import type { SystemTask } from './system-task';
import { TerminateWorkflow } from '../outcome';
import { javaToString, resolveParameters } from '../parameters';
import { taskDefOf } from '../task-factory';
import { finishTask, newSystemTask } from './common';
import { scheduleBranch } from './switch';

export const decisionTask: SystemTask = {
  schedule(node, ctx, opts) {
    const input = resolveParameters(node.inputParameters, ctx.wf, { env: ctx.deps.env, inputTemplate: taskDefOf(node).inputTemplate });
    let value: string;
    const expression = typeof node.caseExpression === 'string' ? node.caseExpression.trim() : '';
    if (expression) {
      const r = ctx.deps.scripts?.evaluate(node.caseExpression as string, { $: structuredClone(input) });
      if (!r || !r.ok) throw new TerminateWorkflow(`Error while evaluating script: ${node.caseExpression}`);
      value = r.value === null || r.value === undefined ? 'null' : javaToString(r.value);
    } else {
      value = javaToString(input[String(node.caseValueParam ?? '')]);
    }
    const task = newSystemTask(node, ctx, { ...opts, status: 'IN_PROGRESS', taskType: 'DECISION', taskDefName: 'DECISION', input: { case: value } });
    task.outputData = { caseOutput: [value] };
    const chosen = node.decisionCases?.[value];
    const branch = chosen && chosen.length > 0 ? chosen : node.defaultCase;
    return [task, ...scheduleBranch(branch, task, ctx, opts.iteration)];
  },
  execute(task, ctx) {
    return finishTask(task, ctx, 'COMPLETED');
  },
};

/**
 * JSON_JQ_TRANSFORM (JsonJQTransformTaskMapper + JsonJqTransform): run `queryExpression` over
 * the whole resolved input (queryExpression included). Output `{result: first, resultList: all}`
 * (no results → result null, resultList []). Errors end the task FAILED (retriable) with jq's
 * message as reason and `output.error`.
 */
import type { SystemTask } from './system-task';
import { finishTask, newSystemTask } from './common';

export const jqTransformTask: SystemTask = {
  schedule: (node, ctx, opts) => [newSystemTask(node, ctx, { ...opts, status: 'IN_PROGRESS' })],
  execute(task, ctx) {
    const query = task.inputData.queryExpression;
    if (typeof query !== 'string') return finishTask(task, ctx, 'FAILED', "Missing 'queryExpression' in input parameters");
    const jq = ctx.deps.jq;
    const r = jq ? jq.run(query, task.inputData) : { ok: false as const, error: 'No script engine is configured' };
    if (!r.ok) {
      task.outputData.error = r.error;
      return finishTask(task, ctx, 'FAILED', r.error);
    }
    task.outputData.result = r.results.length > 0 ? r.results[0] : null;
    task.outputData.resultList = r.results;
    return finishTask(task, ctx, 'COMPLETED');
  },
};

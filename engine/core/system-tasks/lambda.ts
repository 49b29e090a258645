/**
 * LAMBDA (LambdaTaskMapper + Lambda, deprecated): `scriptExpression` is a function body, run as
 * `function scriptFun(){<body>} scriptFun();` with `$` = the resolved input. Output `{result}`;
 * any error ends the task FAILED (retried per its task definition).
 */
import type { SystemTask } from './system-task';
import { finishTask, newSystemTask } from './common';
import { runScript } from './inline';

export const lambdaTask: SystemTask = {
  schedule: (node, ctx, opts) => [newSystemTask(node, ctx, { ...opts, status: 'IN_PROGRESS', taskType: 'LAMBDA' })],
  execute(task, ctx) {
    const body = task.inputData.scriptExpression;
    if (typeof body !== 'string' || body.trim() === '') {
      return finishTask(task, ctx, 'FAILED', "Empty 'scriptExpression' in Lambda task's input parameters. A non-empty String value must be provided.");
    }
    const r = runScript(`function scriptFun(){${body}} scriptFun();`, task.inputData, ctx);
    if (!r.ok) {
      task.outputData.error = r.error;
      return finishTask(task, ctx, 'FAILED', r.error);
    }
    task.outputData.result = r.value;
    return finishTask(task, ctx, 'COMPLETED');
  },
};

/**
 * INLINE (InlineTaskMapper + Inline): evaluate `expression` with the evaluator named by
 * `evaluatorType` (default `javascript`; `graaljs` is the same engine; `value-param` reads
 * `input[expression]`, as Conductor's ValueParamEvaluator). `$` is a copy of the whole resolved
 * input. Output `{result}`. Script errors end the task FAILED_WITH_TERMINAL_ERROR with the
 * reason also in `output.error`; a script time-out is FAILED (retriable), as in Conductor.
 */
import type { TaskStatus } from '../status';
import type { SystemTask, SystemTaskContext } from './system-task';
import { finishTask, newSystemTask } from './common';

export type ScriptRun = { ok: true; value: unknown } | { ok: false; error: string; timedOut: boolean };

/**
 * Run a script through the sandbox port, with Conductor's error texts: `Error evaluating the
 * script \`<message>\`` (GraalJS's " at line N" suffix is not available from the sandbox) and
 * `Script not evaluated within N seconds, interrupted.` for a time-out.
 */
export function runScript(source: string, input: unknown, ctx: Pick<SystemTaskContext, 'deps'>): ScriptRun {
  const scripts = ctx.deps.scripts;
  if (!scripts) return { ok: false, error: 'No script engine is configured', timedOut: false };
  const r = scripts.evaluate(source, { $: structuredClone(input) });
  if (r.ok) return r;
  const timeout = /timed out after (\d+) ms/.exec(r.error);
  if (timeout) return { ok: false, error: `Script not evaluated within ${Math.round(Number(timeout[1]) / 1000)} seconds, interrupted.`, timedOut: true };
  if (r.error === 'No script engine is configured') return { ok: false, error: r.error, timedOut: false };
  return { ok: false, error: `Error evaluating the script \`${r.error}\``, timedOut: false };
}

const blank = (s: unknown): boolean => typeof s !== 'string' || s.trim() === '';

export const inlineTask: SystemTask = {
  schedule: (node, ctx, opts) => [newSystemTask(node, ctx, { ...opts, status: 'IN_PROGRESS', taskType: 'INLINE' })],
  execute(task, ctx) {
    const input = task.inputData;
    const fail = (status: TaskStatus, reason: string) => {
      task.outputData.error = reason;
      return finishTask(task, ctx, status, reason);
    };
    const type = input.evaluatorType === undefined || input.evaluatorType === null ? 'javascript' : input.evaluatorType;
    if (blank(type)) {
      return fail('FAILED_WITH_TERMINAL_ERROR', "Empty 'evaluatorType' in INLINE task's input parameters. A non-empty String value must be provided.");
    }
    if (type !== 'javascript' && type !== 'graaljs' && type !== 'value-param') {
      return fail('FAILED_WITH_TERMINAL_ERROR', `Unknown evaluator '${String(type)}' in INLINE task.`);
    }
    const expression = input.expression;
    if (blank(expression)) {
      return fail('FAILED_WITH_TERMINAL_ERROR', "Empty 'expression' in Inline task's input parameters. A non-empty String value must be provided.");
    }
    if (type === 'value-param') {
      task.outputData.result = input[expression as string] ?? null;
      return finishTask(task, ctx, 'COMPLETED');
    }
    const r = runScript(expression as string, input, ctx);
    if (!r.ok) return fail(r.timedOut ? 'FAILED' : 'FAILED_WITH_TERMINAL_ERROR', r.error);
    task.outputData.result = r.value;
    return finishTask(task, ctx, 'COMPLETED');
  },
};

/** INLINE: evaluators, result/error shapes, statuses; a fake script engine plus one real-sandbox run. */
import type { ScriptEngine } from '../../../engine/ports/sandbox';
import { loadSandbox } from '../../../engine/adapters/sandbox';
import { startWorkflow, simple } from '../../helpers/core';

/** Evaluates with host JS (tests only): `$` is in scope, the value of the last statement is the result. */
const fakeScripts: ScriptEngine = {
  evaluate(source, bindings) {
    if (source.includes('SLOW')) return { ok: false, error: 'Script execution timed out after 4000 ms' };
    try {
      // eslint-disable-next-line no-new-func
      return { ok: true, value: new Function('$', 'src', 'return eval(src)')(bindings.$, source) ?? null };
    } catch (e) {
      return { ok: false, error: e instanceof Error ? (e.name === 'Error' ? e.message : `${e.name}: ${e.message}`) : String(e) };
    }
  },
  syntaxError: () => null,
};

const inline = (inputParameters: Record<string, unknown>) => ({ name: 'js', taskReferenceName: 'js', type: 'INLINE', inputParameters });
const run = (input: Record<string, unknown>, engine: ScriptEngine | 'none' = fakeScripts) => {
  const scripts = engine === 'none' ? undefined : engine;
  const h = startWorkflow({ name: 'i', tasks: [inline(input), simple('after')], outputParameters: { r: '${js.output.result}' } }, [], { a: 40 }, { deps: { scripts } });
  h.decide();
  return h;
};

test('javascript (the default): $ is the whole input, output {result}, COMPLETED', () => {
  const h = run({ a: '${workflow.input.a}', b: 2, expression: '(function(){ return {sum: $.a + $.b, keys: Object.keys($).sort()}; })()' });
  expect(h.latest('js')).toMatchObject({ taskType: 'INLINE', status: 'COMPLETED', outputData: { result: { sum: 42, keys: ['a', 'b', 'expression'] } } });
  expect(h.latest('after').status).toBe('SCHEDULED');
});

test('graaljs is the same engine; value-param reads input[expression]', () => {
  expect(run({ evaluatorType: 'graaljs', x: 5, expression: '$.x * 2' }).latest('js').outputData).toEqual({ result: 10 });
  expect(run({ evaluatorType: 'value-param', x: { y: 1 }, expression: 'x' }).latest('js').outputData).toEqual({ result: { y: 1 } });
});

test('a script error: FAILED_WITH_TERMINAL_ERROR, reason = output.error, workflow FAILED', () => {
  const h = run({ evaluatorType: 'javascript', expression: 'throw new Error("bad input q")' });
  const t = h.latest('js');
  expect(t.status).toBe('FAILED_WITH_TERMINAL_ERROR');
  expect(t.reasonForIncompletion).toBe('Error evaluating the script `bad input q`');
  expect(t.outputData.error).toBe(t.reasonForIncompletion);
  expect(h.wf.status).toBe('FAILED');
  expect(h.wf.failedReferenceTaskNames).toEqual(['js']);
});

test('a time-out is FAILED (retriable) with Conductor text', () => {
  const t = run({ expression: 'SLOW' }).latest('js');
  expect(t.status).toBe('FAILED');
  expect(t.reasonForIncompletion).toBe('Script not evaluated within 4 seconds, interrupted.');
});

test.each([
  [{ evaluatorType: 'python', expression: '1' }, "Unknown evaluator 'python' in INLINE task."],
  [{ evaluatorType: '  ', expression: '1' }, "Empty 'evaluatorType' in INLINE task's input parameters. A non-empty String value must be provided."],
  [{ evaluatorType: 'javascript' }, "Empty 'expression' in Inline task's input parameters. A non-empty String value must be provided."],
])('invalid input %j → FAILED_WITH_TERMINAL_ERROR', (input, reason) => {
  const t = run(input).latest('js');
  expect(t.status).toBe('FAILED_WITH_TERMINAL_ERROR');
  expect(t.reasonForIncompletion).toBe(reason);
  expect(t.outputData.error).toBe(reason);
});

test('no script engine configured', () => {
  const t = run({ expression: '1' }, 'none').latest('js');
  expect(t.status).toBe('FAILED_WITH_TERMINAL_ERROR');
  expect(t.reasonForIncompletion).toBe('No script engine is configured');
});

test('with the real sandbox', async () => {
  const { scripts } = await loadSandbox();
  const h = run({ a: '${workflow.input.a}', expression: '(function(){ return {n: $.a + 2, list: [1, "x"], u: undefined}; })()' }, scripts);
  expect(h.latest('js').outputData).toEqual({ result: { n: 42, list: [1, 'x'] } });
  expect(h.wf.status).toBe('RUNNING');
  const bad = run({ expression: 'throw new Error("bad input q")' }, scripts).latest('js');
  expect(bad.status).toBe('FAILED_WITH_TERMINAL_ERROR');
  expect(bad.reasonForIncompletion).toMatch(/^Error evaluating the script `.*bad input q.*`$/);
});

/** LAMBDA: function-body scripts, output {result}, FAILED (retried per its task definition). */
import type { ScriptEngine } from '../../../engine/ports/sandbox';
import type { TaskDef } from '../../../engine/core/model';
import { loadSandbox } from '../../../engine/adapters/sandbox';
import { startWorkflow } from '../../helpers/core';

const seen: string[] = [];
const fakeScripts: ScriptEngine = {
  evaluate(source, bindings) {
    seen.push(source);
    try {
      // eslint-disable-next-line no-new-func
      return { ok: true, value: new Function('$', 'src', 'return eval(src)')(bindings.$, source) ?? null };
    } catch (e) {
      return { ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
  },
  syntaxError: () => null,
};

const lambda = (scriptExpression: unknown) => ({ name: 'lam', taskReferenceName: 'lam', type: 'LAMBDA', inputParameters: { n: '${workflow.input.n}', scriptExpression } });
const run = (body: unknown, defs: TaskDef[] = [], scripts: ScriptEngine = fakeScripts) => {
  const h = startWorkflow({ name: 'l', tasks: [lambda(body)] }, defs, { n: 4 }, { deps: { scripts } });
  h.decide();
  return h;
};

test('the body is wrapped as scriptFun and its return value is output.result', () => {
  const h = run('if ($.n > 3) return {big: true, n: $.n}; return {big: false};');
  expect(seen[seen.length - 1]).toBe('function scriptFun(){if ($.n > 3) return {big: true, n: $.n}; return {big: false};} scriptFun();');
  expect(h.latest('lam')).toMatchObject({ taskType: 'LAMBDA', status: 'COMPLETED', outputData: { result: { big: true, n: 4 } } });
  expect(h.wf.status).toBe('COMPLETED');
});

test('a script error is FAILED with reason and output.error; the ad-hoc definition does not retry', () => {
  const h = run('return $.missing.x;');
  const t = h.latest('lam');
  expect(t.status).toBe('FAILED');
  expect(t.reasonForIncompletion).toMatch(/^Error evaluating the script `TypeError: /);
  expect(t.outputData.error).toBe(t.reasonForIncompletion);
  expect(h.wf.status).toBe('FAILED');
});

test('failures are retried per the task definition retryCount', () => {
  const h = run('return $.missing.x;', [{ name: 'lam', retryCount: 2, retryDelaySeconds: 0 }]);
  // each attempt runs (and fails) inside the same decide until the retries are used up
  expect(h.attempts('lam').map((t) => [t.retryCount, t.status])).toEqual([
    [0, 'FAILED'],
    [1, 'FAILED'],
    [2, 'FAILED'],
  ]);
  expect(h.wf.status).toBe('FAILED');
});

test('a blank scriptExpression fails with Conductor reason', () => {
  const t = run('  ').latest('lam');
  expect(t.status).toBe('FAILED');
  expect(t.reasonForIncompletion).toBe("Empty 'scriptExpression' in Lambda task's input parameters. A non-empty String value must be provided.");
});

test('with the real sandbox', async () => {
  const { scripts } = await loadSandbox();
  expect(run('return $.n * 10;', [], scripts).latest('lam').outputData).toEqual({ result: 40 });
});

/** INLINE: result shape, script error, sandbox time limit, memory bomb; the server survives. */
import { shape, task } from './lib/client';
import { T, useConductor } from './lib/setup';

describe('INLINE', () => {
  const c = useConductor();

  const inline = (expression: string, extra: Record<string, unknown> = {}) => ({
    name: 'js',
    taskReferenceName: 'js',
    type: 'INLINE',
    inputParameters: { evaluatorType: 'javascript', expression, ...extra },
  });

  it('evaluates the expression with $ bound to the input; output {result}', async () => {
    const { api } = c;
    const { id } = await api.run(
      { tasks: [inline('(function(){ return { sum: $.a + $.b, list: [$.a, $.b], s: "v" + $.a, t: true, n: null }; })()', { a: '${workflow.input.a}', b: 2 })], outputParameters: { r: '${js.output.result.sum}' } },
      { a: 40 },
    );
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(shape(wf)).toEqual([['js', 'INLINE', 'COMPLETED']]);
    expect(task(wf, 'js').outputData).toEqual({ result: { sum: 42, list: [40, 2], s: 'v40', t: true, n: null } });
    expect(task(wf, 'js').inputData).toEqual({ evaluatorType: 'javascript', expression: expect.any(String), a: 40, b: 2 });
    expect(wf.output).toEqual({ r: 42 });
  }, T);

  it('the value of the last statement is the result', async () => {
    const { api } = c;
    const { id } = await api.run({ tasks: [inline('var x = $.k * 2; x + 1;', { k: 5 })] });
    const wf = await api.waitForEnd(id);
    expect(task(wf, 'js').outputData).toEqual({ result: 11 });
  }, T);

  it('a script error: FAILED_WITH_TERMINAL_ERROR with the message as reason and output.error; workflow FAILED', async () => {
    const { api } = c;
    const { id } = await api.run({ tasks: [inline("(function(){ throw new Error('bad input ' + $.v); })()", { v: 'q' })] });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('FAILED');
    const t = task(wf, 'js');
    expect(t.status).toBe('FAILED_WITH_TERMINAL_ERROR');
    expect(t.reasonForIncompletion).toMatch(/^Error evaluating the script/);
    expect(t.reasonForIncompletion).toContain('bad input q');
    expect(t.outputData.error).toBe(t.reasonForIncompletion);
    expect(wf.failedReferenceTaskNames).toEqual(['js']);
  }, T);

  it('an endless loop is stopped at the time limit; the task fails with a reason naming the limit and the server still answers', async () => {
    const { api } = c;
    const { id } = await api.run({ tasks: [inline('while(true){}')] });
    const wf = await api.waitForEnd(id, 12_000);
    expect(wf.status).toBe('FAILED');
    const t = task(wf, 'js');
    expect(['FAILED', 'FAILED_WITH_TERMINAL_ERROR']).toContain(t.status);
    expect(t.reasonForIncompletion).toMatch(/not evaluated within \d+ seconds/);
    const health = await fetch(`${api.root}/health`);
    expect(health.status).toBe(200);
  }, 20_000);

  it('a memory bomb fails the task, not the server', async () => {
    const { api } = c;
    const { id } = await api.run({ tasks: [inline("var s = 'xxxxxxxx'; while (true) { s = s + s; }")] });
    const wf = await api.waitForEnd(id, 12_000);
    expect(wf.status).toBe('FAILED');
    expect(['FAILED', 'FAILED_WITH_TERMINAL_ERROR']).toContain(task(wf, 'js').status);
    expect(task(wf, 'js').reasonForIncompletion).toBeTruthy();
    expect((await fetch(`${api.root}/health`)).status).toBe(200);
    // and keeps executing scripts
    const again = await api.run({ tasks: [inline('1 + 1')] });
    expect(task(await api.waitForEnd(again.id), 'js').outputData).toEqual({ result: 2 });
  }, 20_000);
});

/** SET_VARIABLE: shallow writes into workflow.variables, size limit with rollback. */
import { startWorkflow, simple } from '../../helpers/core';

const sv = (ref: string, inputParameters: Record<string, unknown>) => ({ name: ref, taskReferenceName: ref, type: 'SET_VARIABLE', inputParameters });

test('writes each input key into the variables, COMPLETED without output; later tasks read them', () => {
  const h = startWorkflow(
    { name: 's', tasks: [sv('sv1', { x: '${workflow.input.x}', obj: { c: 3 } }), sv('sv2', { y: 'why', obj: { d: 4 } }), simple('after', { inputParameters: { x: '${workflow.variables.x}', obj: '${workflow.variables.obj}' } })], variables: { keep: 1 } },
    [],
    { x: 'ex' },
  );
  h.decide();
  expect(h.latest('sv1')).toMatchObject({ taskType: 'SET_VARIABLE', status: 'COMPLETED', outputData: {}, inputData: { x: 'ex', obj: { c: 3 } } });
  expect(h.wf.variables).toEqual({ keep: 1, x: 'ex', obj: { d: 4 }, y: 'why' });
  expect(h.latest('after').inputData).toEqual({ x: 'ex', obj: { d: 4 } });
});

test('over the size limit: rolled back, FAILED_WITH_TERMINAL_ERROR with Conductor reason, workflow FAILED', () => {
  const h = startWorkflow({ name: 's', tasks: [sv('a', { small: 'x' }), sv('b', { small: 'changed', big: 'y'.repeat(2000) })] }, [], {}, { deps: { maxVariablesBytes: 1024 } });
  h.decide();
  const b = h.latest('b');
  expect(b.status).toBe('FAILED_WITH_TERMINAL_ERROR');
  const size = JSON.stringify({ small: 'changed', big: 'y'.repeat(2000) }).length;
  expect(b.reasonForIncompletion).toBe(`The variables payload size: ${size} of workflow: ${h.wf.workflowId} is greater than the permissible limit: 1 kilobytes`);
  expect(h.wf.variables).toEqual({ small: 'x' });
  expect(h.wf.status).toBe('FAILED');
});

test('default limit is 256 KB (counted in UTF-8 bytes)', () => {
  const h = startWorkflow({ name: 's', tasks: [sv('a', { v: 'é'.repeat(140 * 1024) })] });
  h.decide();
  expect(h.latest('a').status).toBe('FAILED_WITH_TERMINAL_ERROR');
  expect(h.latest('a').reasonForIncompletion).toMatch(/permissible limit: 256 kilobytes$/);
  const ok = startWorkflow({ name: 's', tasks: [sv('a', { v: 'e'.repeat(200 * 1024) })] });
  ok.decide();
  expect(ok.wf.status).toBe('COMPLETED');
});

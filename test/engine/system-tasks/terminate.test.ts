/** TERMINATE: status validation, workflowOutput → task output, the workflow ends with it. */
import type { WorkflowDef } from '../../../engine/core/model';
import { startWorkflow, simple } from '../../helpers/core';

const term = (inputParameters: Record<string, unknown>) => ({ name: 'term', taskReferenceName: 'term', type: 'TERMINATE', inputParameters });
const wf = (input: Record<string, unknown>): WorkflowDef => ({ name: 't', tasks: [term(input), simple('after')], outputParameters: { ignored: true } });

test.each(['COMPLETED', 'FAILED', 'TERMINATED'])('terminationStatus %s ends the workflow with that status, reason and output', (status) => {
  const h = startWorkflow(wf({ terminationStatus: status, terminationReason: `because ${status}`, workflowOutput: { a: '${workflow.input.a}', fixed: 1 } }), [], { a: 'A' });
  h.decide();
  const t = h.latest('term');
  expect(t).toMatchObject({ taskType: 'TERMINATE', taskDefName: 'term', status: 'COMPLETED', outputData: { a: 'A', fixed: 1 } });
  expect(h.wf.status).toBe(status);
  expect(h.wf.reasonForIncompletion).toBe(`because ${status}`);
  expect(h.wf.output).toEqual({ a: 'A', fixed: 1 });
  expect(h.wf.tasks.map((x) => x.referenceTaskName)).toEqual(['term']);
});

test('a non-map workflowOutput becomes {output: v}; none gives {}', () => {
  const h = startWorkflow(wf({ terminationStatus: 'COMPLETED', workflowOutput: [1, 2] }));
  h.decide();
  expect(h.latest('term').outputData).toEqual({ output: [1, 2] });
  expect(h.wf.output).toEqual({ output: [1, 2] });

  const h2 = startWorkflow(wf({ terminationStatus: 'FAILED' }));
  h2.decide();
  const t = h2.latest('term');
  expect(t.outputData).toEqual({});
  expect(h2.wf.reasonForIncompletion).toBe(`Workflow is FAILED by TERMINATE task: ${t.taskId}`);
  expect(h2.wf.output).toEqual({});
});

test('an invalid terminationStatus fails the task and so the workflow', () => {
  const h = startWorkflow(wf({ terminationStatus: 'DONE' }));
  h.decide();
  const t = h.latest('term');
  expect(t.status).toBe('FAILED');
  expect(t.reasonForIncompletion).toBe('given termination status is not valid');
  expect(h.wf.status).toBe('FAILED');
  expect(h.wf.reasonForIncompletion).toBe(`Task ${t.taskId} failed with status: FAILED and reason: 'given termination status is not valid'`);
});

test('TERMINATE after a worker task cancels nothing else and ends the workflow once reached', () => {
  const h = startWorkflow({ name: 't', tasks: [simple('first'), term({ terminationStatus: 'COMPLETED', workflowOutput: { r: '${first.output.r}' } }), simple('after')] });
  h.decide();
  h.complete('first', { r: 7 });
  expect(h.wf.status).toBe('COMPLETED');
  expect(h.wf.output).toEqual({ r: 7 });
});

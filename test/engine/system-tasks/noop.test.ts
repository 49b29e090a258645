/** NOOP: COMPLETED in the decide that creates it. */
import { startWorkflow, simple, T0 } from '../../helpers/core';

test('NOOP completes immediately and the next task is scheduled in the same decide', () => {
  const h = startWorkflow({ name: 'n', tasks: [{ name: 'noop', taskReferenceName: 'n', type: 'NOOP', inputParameters: { a: 1 } }, simple('after')] });
  h.decide();
  expect(h.latest('n')).toMatchObject({ taskType: 'NOOP', taskDefName: 'noop', status: 'COMPLETED', inputData: {}, outputData: {}, startTime: T0, endTime: T0 });
  expect(h.latest('after').status).toBe('SCHEDULED');
});

test('a workflow of only NOOPs completes', () => {
  const h = startWorkflow({ name: 'n', tasks: [{ name: 'a', taskReferenceName: 'a', type: 'NOOP' }, { name: 'b', taskReferenceName: 'b', type: 'NOOP' }] });
  const out = h.decide();
  expect(h.wf.status).toBe('COMPLETED');
  expect(out.nextCheckAt).toBeNull();
  expect(out.pushes).toEqual([]);
});

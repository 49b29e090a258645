/** DYNAMIC: the input names the task to run; it keeps the node's ref and definition. */
import type { TaskDef, WorkflowDef } from '../../../engine/core/model';
import { startWorkflow, simple, T0 } from '../../helpers/core';

const dyn = { name: 'dyn', taskReferenceName: 'dyn', type: 'DYNAMIC', dynamicTaskNameParam: 'taskToExecute', inputParameters: { taskToExecute: '${workflow.input.which}', v: '${workflow.input.v}' } };
const wf: WorkflowDef = { name: 'd', tasks: [dyn, simple('after', { inputParameters: { got: '${dyn.output.r}' } })] };

test('schedules a worker task of the resolved name under the DYNAMIC ref, queued under that name', () => {
  const h = startWorkflow(wf, [], { which: 'encode', v: 3 });
  const out = h.decide();
  const t = h.latest('dyn');
  expect(t).toMatchObject({ taskType: 'encode', taskDefName: 'encode', referenceTaskName: 'dyn', status: 'SCHEDULED', inputData: { taskToExecute: 'encode', v: 3 } });
  expect(t.workflowTask.name).toBe('encode');
  expect(out.pushes).toEqual([{ taskId: t.taskId, queueName: 'encode', dueAt: T0, priority: 0 }]);
  h.complete('dyn', { r: 'done' });
  expect(h.latest('after').inputData).toEqual({ got: 'done' });
});

test("uses the DYNAMIC node's definition (registered under the node's name), not the resolved name's", () => {
  const defs: TaskDef[] = [{ name: 'dyn', retryCount: 1, retryDelaySeconds: 0 }, { name: 'encode', retryCount: 5 }];
  const h = startWorkflow(wf, defs, { which: 'encode' });
  h.decide();
  h.fail('dyn', 'boom');
  expect(h.attempts('dyn')).toHaveLength(2);
  expect(h.latest('dyn')).toMatchObject({ taskType: 'encode', retryCount: 1, status: 'SCHEDULED' });
  h.fail('dyn', 'boom again');
  expect(h.wf.status).toBe('FAILED');
});

test('a missing task name fails the workflow with Conductor reason', () => {
  const h = startWorkflow(wf, [], { v: 1 });
  h.decide();
  expect(h.wf.status).toBe('FAILED');
  expect(h.wf.reasonForIncompletion).toBe('Cannot map a dynamic task based on the parameter and input. Parameter= taskToExecute, input= {taskToExecute=null, v=1}');
  expect(h.wf.tasks).toEqual([]);
});

test('a resolved system type runs as that system task', () => {
  const h = startWorkflow(wf, [], { which: 'NOOP' });
  const out = h.decide();
  expect(h.latest('dyn')).toMatchObject({ taskType: 'NOOP', status: 'COMPLETED' });
  expect(h.latest('after').status).toBe('SCHEDULED');
  expect(out.pushes.map((p) => p.queueName)).toEqual(['after']);
});

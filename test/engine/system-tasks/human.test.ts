/** HUMAN: IN_PROGRESS until a task update ends it. */
import { startWorkflow, simple } from '../../helpers/core';
import { SYSTEM_TASKS } from '../../../engine/core/system-tasks';

const wfDef = { name: 'h', tasks: [{ name: 'approve', taskReferenceName: 'human', type: 'HUMAN', inputParameters: { who: '${workflow.input.who}' } }, simple('after', { inputParameters: { by: '${human.output.by}' } })] };

test('created IN_PROGRESS with its resolved input, not queued, and decides leave it alone', () => {
  const h = startWorkflow(wfDef, [], { who: 'ann' });
  const out = h.decide();
  expect(h.latest('human')).toMatchObject({ taskType: 'HUMAN', taskDefName: 'approve', status: 'IN_PROGRESS', inputData: { who: 'ann' } });
  expect(out.pushes).toEqual([]);
  expect(out.nextCheckAt).toBeNull();
  h.advance(3_600_000);
  h.decide();
  expect(h.latest('human').status).toBe('IN_PROGRESS');
  expect(SYSTEM_TASKS.HUMAN?.externallyCompleted).toBe(true);
});

test('an IN_PROGRESS update keeps it IN_PROGRESS; COMPLETED continues the workflow', () => {
  const h = startWorkflow(wfDef, [], { who: 'ann' });
  h.decide();
  const { effect, out } = h.update('human', { status: 'IN_PROGRESS', outputData: { partial: true } });
  expect(effect).toBe('updated');
  expect(out.pushes).toEqual([]);
  expect(h.latest('human').status).toBe('IN_PROGRESS');
  h.report('human', { status: 'COMPLETED', outputData: { by: 'bob' } });
  expect(h.latest('after').inputData).toEqual({ by: 'bob' });
});

test('FAILED through the task API fails the workflow', () => {
  const h = startWorkflow(wfDef);
  h.decide();
  h.report('human', { status: 'FAILED', reasonForIncompletion: 'rejected' });
  expect(h.wf.status).toBe('FAILED');
  expect(h.wf.reasonForIncompletion).toContain('rejected');
});

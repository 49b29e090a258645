/** WAIT: duration / until deadlines, wakeAt → nextCheckAt, failures, external completion. */
import { startWorkflow, simple, T0 } from '../../helpers/core';
import { parseDurationSeconds, parseUntil } from '../../../engine/core/system-tasks/wait';
import { SYSTEM_TASKS } from '../../../engine/core/system-tasks';

const wait = (inputParameters: Record<string, unknown> = {}) => ({ name: 'wait', taskReferenceName: 'wait', type: 'WAIT', inputParameters });
const wfOf = (input?: Record<string, unknown>) => ({ name: 'w', tasks: [wait(input), simple('after')] });

test('duration: IN_PROGRESS with the deadline; nextCheckAt is the deadline; completes once reached', () => {
  const h = startWorkflow(wfOf({ duration: '1d 2h 3m 4s' }));
  const out = h.decide();
  const deadline = T0 + (86400 + 7200 + 180 + 4) * 1000;
  expect(h.latest('wait')).toMatchObject({ taskType: 'WAIT', status: 'IN_PROGRESS', waitUntil: deadline, callbackAfterSeconds: 93784, startTime: T0 });
  expect(out.pushes).toEqual([]);
  expect(out.nextCheckAt).toBe(deadline);
  h.advance(deadline - T0 - 1);
  expect(h.decide().nextCheckAt).toBe(deadline);
  expect(h.latest('wait').status).toBe('IN_PROGRESS');
  h.advance(1);
  h.decide();
  expect(h.latest('wait')).toMatchObject({ status: 'COMPLETED', endTime: deadline });
  expect(h.latest('after').status).toBe('SCHEDULED');
});

test('until (UTC when no zone): deadline at that instant; a past until completes on the next decide', () => {
  const h = startWorkflow(wfOf({ until: '2023-11-15 00:00' }));
  const out = h.decide();
  const at = Date.UTC(2023, 10, 15, 0, 0);
  expect(h.latest('wait').waitUntil).toBe(at);
  expect(out.nextCheckAt).toBe(at);
  h.advance(at - T0);
  h.decide();
  expect(h.latest('wait').status).toBe('COMPLETED');

  const past = startWorkflow(wfOf({ until: '2020-01-01' }));
  past.decide();
  expect(past.latest('wait').status).toBe('COMPLETED');
  expect(past.latest('wait').callbackAfterSeconds).toBe(0);
});

test('duration and until parsing', () => {
  expect(parseDurationSeconds('10s')).toBe(10);
  expect(parseDurationSeconds('5 minutes')).toBe(300);
  expect(parseDurationSeconds('2 HOURS 1 sec')).toBe(7201);
  expect(parseDurationSeconds('1 day')).toBe(86400);
  expect(parseDurationSeconds('10')).toBeNull();
  expect(parseDurationSeconds('5 ms')).toBeNull();
  expect(parseUntil('2024-03-01 10:30')).toBe(Date.UTC(2024, 2, 1, 10, 30));
  expect(parseUntil('2024-03-01 10:30 UTC')).toBe(Date.UTC(2024, 2, 1, 10, 30));
  expect(parseUntil('2024-03-01 10:30 PST')).toBe(Date.UTC(2024, 2, 1, 18, 30));
  expect(parseUntil('2024-03-01 10:30 GMT+05:30')).toBe(Date.UTC(2024, 2, 1, 5, 0));
  expect(parseUntil('2024-07-01 10:30 Europe/Paris')).toBe(Date.UTC(2024, 6, 1, 8, 30));
  expect(parseUntil('2024-03-01')).toBe(Date.UTC(2024, 2, 1));
  expect(parseUntil('2024-13-01')).toBe(Date.UTC(2025, 0, 1)); // lenient, like DateUtils
  expect(parseUntil('tomorrow')).toBeNull();
  expect(parseUntil('2024-03-01T10:30')).toBeNull();
  expect(parseUntil('2024-03-01 10:30 Nowhere/Zone')).toBeNull();
});

test.each([
  [{ duration: '1s', until: '2024-01-01' }, "Both 'duration' and 'until' specified. Please provide only one input"],
  [{ until: 'next week' }, 'Invalid/Unsupported Wait Until format.  Provided: next week'],
  [{ duration: 'soon' }, 'Not valid duration: soon'],
])('bad input %j → FAILED_WITH_TERMINAL_ERROR and the workflow fails', (input, reason) => {
  const h = startWorkflow(wfOf(input));
  h.decide();
  const t = h.latest('wait');
  expect(t.status).toBe('FAILED_WITH_TERMINAL_ERROR');
  expect(t.reasonForIncompletion).toBe(reason);
  expect(h.wf.status).toBe('FAILED');
});

test('neither input: waits forever until a task update completes it; IN_PROGRESS updates keep it waiting', () => {
  const h = startWorkflow({ name: 'w', tasks: [wait(), simple('after', { inputParameters: { v: '${wait.output.approved}' } })] });
  const out = h.decide();
  expect(h.latest('wait')).toMatchObject({ status: 'IN_PROGRESS', callbackAfterSeconds: 2147483647 });
  expect(h.latest('wait').waitUntil).toBeUndefined();
  expect(out.nextCheckAt).toBeNull();
  h.advance(10 * 86_400_000);
  h.decide();
  expect(h.latest('wait').status).toBe('IN_PROGRESS');
  expect(h.update('wait', { status: 'IN_PROGRESS' }).effect).toBe('updated');
  expect(h.latest('wait').status).toBe('IN_PROGRESS');
  h.report('wait', { status: 'COMPLETED', outputData: { approved: 'yes' } });
  expect(h.latest('after').inputData).toEqual({ v: 'yes' });
  expect(SYSTEM_TASKS.WAIT?.externallyCompleted).toBe(true);
});

test('a WAIT with a deadline can be completed early by a task update', () => {
  const h = startWorkflow(wfOf({ duration: '1 hour' }));
  h.decide();
  const out = h.report('wait', { status: 'COMPLETED' });
  expect(h.latest('wait').status).toBe('COMPLETED');
  expect(out.nextCheckAt).toBeNull();
  expect(h.latest('after').status).toBe('SCHEDULED');
});

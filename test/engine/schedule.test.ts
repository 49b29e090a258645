/** Pure schedule logic: Spring cron validation, next run times, catch-up, bounds, start requests. */
import { cronProblem, nextRunTime, parseExecutionQuery, scheduledStartRequest, scheduleViolations, type WorkflowSchedule } from '../../engine/core/schedule';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const H = 3_600_000;
const sched = (over: Partial<WorkflowSchedule> = {}): WorkflowSchedule => ({
  name: 's', cronExpression: '0 0 * * * ?', cronSchedules: [], zoneId: 'UTC', runCatchupScheduleInstances: false, paused: false,
  startWorkflowRequest: { name: 'wf' }, ...over,
});

describe('cron expressions are Spring six-field ones', () => {
  test.each(['0 0 2 * * ?', '*/15 * * * * *', '0 0 2 ? * MON-FRI', '0 0 2 L * ?', '@daily', '@hourly'])('%s is accepted', (c) => {
    expect(cronProblem(c)).toBeUndefined();
  });
  test('five fields are refused with the count, as Spring does', () => {
    expect(cronProblem('0 2 * * *')).toBe('Cron expression must consist of 6 fields (found 5 in "0 2 * * *")');
  });
  test.each(['0 0 25 * * *', 'a b c d e f', '0 0 2 * * * 2027'])('%s is refused', (c) => {
    expect(cronProblem(c)).toMatch(/cron expression/i);
  });
});

describe('nextRunTime', () => {
  test('is strictly after now, in the schedule zone', () => {
    expect(nextRunTime(sched(), T0, T0)?.at).toBe(T0 + H);
    // 02:00 in Berlin (UTC+1 in January) is 01:00 UTC
    expect(nextRunTime(sched({ cronExpression: '0 0 2 * * ?', zoneId: 'Europe/Berlin' }), T0, T0)?.at).toBe(T0 + H);
  });
  test('without catch-up, missed instances are skipped: the next is after now', () => {
    const lastExpected = T0;
    const now = T0 + 5 * H + 1;
    expect(nextRunTime(sched(), now, lastExpected)?.at).toBe(T0 + 6 * H);
  });
  test('with catch-up, every instance after the last one runs, even in the past', () => {
    expect(nextRunTime(sched({ runCatchupScheduleInstances: true }), T0 + 5 * H + 1, T0)?.at).toBe(T0 + H);
  });
  test('scheduleStartTime holds the first run back; scheduleEndTime ends the schedule', () => {
    expect(nextRunTime(sched({ scheduleStartTime: T0 + 3 * H }), T0, T0)?.at).toBe(T0 + 3 * H);
    expect(nextRunTime(sched({ scheduleEndTime: T0 + H }), T0, T0)?.at).toBe(T0 + H);
    expect(nextRunTime(sched({ scheduleEndTime: T0 + H - 1 }), T0, T0)).toBeUndefined();
  });
  test('with several crons the earliest wins and names its cron and zone', () => {
    const s = sched({ cronSchedules: [{ cronExpression: '0 0 3 * * ?', zoneId: 'UTC' }, { cronExpression: '0 30 0 * * ?', zoneId: 'UTC' }] });
    expect(nextRunTime(s, T0, T0)).toEqual({ at: T0 + H / 2, cron: '0 30 0 * * ?', zoneId: 'UTC' });
  });
});

describe('validation', () => {
  test('a good schedule has no violations', () => {
    expect(scheduleViolations({ name: 'nightly', cronExpression: '0 0 2 * * ?', startWorkflowRequest: { name: 'wf' } })).toEqual([]);
  });
  test('every bad field is named', () => {
    const v = scheduleViolations({ name: '', cronExpression: '0 2 * * *', zoneId: 'Mars/Olympus', paused: 'yes', startWorkflowRequest: {} });
    expect(v.map((x) => x.path).sort()).toEqual(['saveSchedule.name', 'saveSchedule.paused', 'saveSchedule.startWorkflowRequest.name', 'saveSchedule.zoneId']);
    expect(scheduleViolations({ name: 'x', cronExpression: '0 2 * * *', startWorkflowRequest: { name: 'w' } }).map((x) => x.path)).toEqual(['saveSchedule.cronExpression']);
    expect(scheduleViolations([])).toHaveLength(1);
    expect(scheduleViolations({ name: 'x', startWorkflowRequest: { name: 'w' } }).map((x) => x.path)).toEqual(['saveSchedule.cronExpression']);
  });
});

test('a firing adds the _scheduled… inputs Conductor adds and keeps the request fields', () => {
  const s = sched({ startWorkflowRequest: { name: 'wf', version: 2, input: { a: 1 }, correlationId: 'c' } });
  const req = scheduledStartRequest(s, { executionId: 'e1', scheduleName: 's', scheduledTime: 10, executionTime: 12, workflowName: 'wf', startWorkflowRequest: {}, state: 'POLLED', zoneId: 'UTC' }, '0 0 * * * ? UTC');
  expect(req).toEqual({
    name: 'wf', version: 2, correlationId: 'c',
    input: { a: 1, _startedByScheduler: 's', _scheduledTime: 10, _executedTime: 12, _executionId: 'e1', _schedulerCron: '0 0 * * * ? UTC' },
  });
});

test('the execution search query reads Conductor clauses', () => {
  expect(parseExecutionQuery("scheduleName IN (a, b) AND state IN (FAILED) AND scheduledTime>5 AND scheduledTime<9 AND workflowName=wf AND other")).toEqual({
    scheduleNames: ['a', 'b', 'other'], states: ['FAILED'], scheduledAfter: 5, scheduledBefore: 9, workflowName: 'wf',
  });
  expect(() => parseExecutionQuery('scheduledTime>soon')).toThrow(/Invalid time/);
});

/**
 * Pure tests of the decider core (Conductor §3.3, §3.6–3.8, §3.13, §3.15): a workflow execution
 * is advanced by decide() at a time value the test sets; workers are simulated with markPolled
 * and applyTaskResult.
 */
import type { TaskDef, WorkflowDef } from '../../engine/core/model';
import { retryDelaySeconds, retryJitterMs } from '../../engine/core/retry';
import { newOutcome, pause, rerun, resume, retry, skipTask, terminate } from '../../engine/core/operations';
import { startWorkflow, simple, T0 } from '../helpers/core';

const def = (name: string, tasks: WorkflowDef['tasks'], over: Partial<WorkflowDef> = {}): WorkflowDef => ({ name, version: 1, tasks, ...over });
const tdef = (name: string, over: Partial<TaskDef> = {}): TaskDef => ({ name, retryCount: 0, ...over });

describe('sequential workflow', () => {
  const wfDef = def(
    'seq',
    [
      simple('t1', { inputParameters: { who: '${workflow.input.name}' } }),
      simple('t2', { inputParameters: { greeting: '${t1.output.msg}', n: '${t1.output.count}' } }),
    ],
    { outputParameters: { final: '${t2.output.result}', first: '${t1.output.msg}' } },
  );

  test('first decide schedules only the first task and queues it immediately', () => {
    const h = startWorkflow(wfDef, [tdef('t1'), tdef('t2')], { name: 'ada' });
    const out = h.decide();
    expect(h.wf.tasks.map((t) => t.referenceTaskName)).toEqual(['t1']);
    const t1 = h.latest('t1');
    expect(t1).toMatchObject({ status: 'SCHEDULED', taskId: 't-1', seq: 1, retryCount: 0, inputData: { who: 'ada' } });
    expect(out.pushes).toEqual([{ taskId: 't-1', queueName: 't1', dueAt: T0, priority: 0 }]);
    expect(h.wf.status).toBe('RUNNING');
  });

  test("second task's input is resolved from the first task's output and the workflow output from outputParameters", () => {
    const h = startWorkflow(wfDef, [tdef('t1'), tdef('t2')], { name: 'ada' });
    h.decide();
    h.advance(1000);
    const out1 = h.complete('t1', { msg: 'hi ada', count: 2 });
    const t2 = h.latest('t2');
    expect(t2).toMatchObject({ status: 'SCHEDULED', seq: 2, inputData: { greeting: 'hi ada', n: 2 } });
    expect(out1.pushes.map((p) => p.taskId)).toEqual([t2.taskId]);
    expect(h.wf.status).toBe('RUNNING');

    h.advance(1000);
    h.complete('t2', { result: 'done' });
    expect(h.wf.status).toBe('COMPLETED');
    expect(h.wf.output).toEqual({ final: 'done', first: 'hi ada' });
    expect(h.wf.endTime).toBe(T0 + 2000);
    expect(h.wf.tasks.map((t) => t.status)).toEqual(['COMPLETED', 'COMPLETED']);
  });
});

describe('retries', () => {
  const one = (t: TaskDef) => def('r', [simple(t.name)]);

  test('FIXED delay: the failed attempt is superseded by a new SCHEDULED attempt delayed by retryDelaySeconds', () => {
    const h = startWorkflow(one(tdef('a', { retryCount: 2, retryDelaySeconds: 10 })), [tdef('a', { retryCount: 2, retryDelaySeconds: 10 })]);
    h.decide();
    const first = h.latest('a');
    h.advance(500);
    const out = h.fail('a', 'boom');
    expect(h.wf.status).toBe('RUNNING');
    expect(h.wf.tasks).toHaveLength(2);
    expect(first).toMatchObject({ status: 'FAILED', retried: true });
    const next = h.latest('a');
    expect(next).toMatchObject({
      status: 'SCHEDULED',
      retryCount: 1,
      retriedTaskId: first.taskId,
      callbackAfterSeconds: 10,
      startDelayInSeconds: 10,
      pollCount: 0,
      seq: 2,
    });
    expect(next.taskId).not.toBe(first.taskId);
    expect(out.pushes).toEqual([{ taskId: next.taskId, queueName: 'a', dueAt: h.now + 10_000, priority: 0 }]);
  });

  test('a retried attempt that completes completes the workflow; failed attempts stay in failedReferenceTaskNames', () => {
    const h = startWorkflow(one(tdef('a')), [tdef('a', { retryCount: 1, retryDelaySeconds: 0 })]);
    h.decide();
    h.fail('a', 'boom');
    h.complete('a', { ok: true });
    expect(h.wf.status).toBe('COMPLETED');
    expect(h.wf.tasks.map((t) => t.status)).toEqual(['FAILED', 'COMPLETED']);
    expect(h.wf.failedReferenceTaskNames).toEqual(['a']);
  });

  test('EXPONENTIAL_BACKOFF doubles the delay per attempt (base 2 → 2, 4) and is capped by maxRetryDelaySeconds', () => {
    const d: TaskDef = { name: 'x', retryLogic: 'EXPONENTIAL_BACKOFF', retryDelaySeconds: 2 };
    expect([0, 1, 2].map((n) => retryDelaySeconds(d, n))).toEqual([2, 4, 8]);
    expect([0, 1, 2].map((n) => retryDelaySeconds({ ...d, maxRetryDelaySeconds: 3 }, n))).toEqual([2, 3, 3]);
  });

  test('LINEAR_BACKOFF multiplies base × scale × (n+1) (2 × 2 → 4, 8) and is capped by maxRetryDelaySeconds', () => {
    const d: TaskDef = { name: 'x', retryLogic: 'LINEAR_BACKOFF', retryDelaySeconds: 2, backoffScaleFactor: 2 };
    expect([0, 1].map((n) => retryDelaySeconds(d, n))).toEqual([4, 8]);
    expect([0, 1].map((n) => retryDelaySeconds({ ...d, maxRetryDelaySeconds: 5 }, n))).toEqual([4, 5]);
  });

  test('FIXED delay ignores the attempt number', () => {
    expect([0, 1, 5].map((n) => retryDelaySeconds({ name: 'x', retryLogic: 'FIXED', retryDelaySeconds: 7 }, n))).toEqual([7, 7, 7]);
  });

  test('exponential attempts through the decider get callbackAfterSeconds 2 then 4', () => {
    const td = tdef('a', { retryCount: 2, retryLogic: 'EXPONENTIAL_BACKOFF', retryDelaySeconds: 2 });
    const h = startWorkflow(one(td), [td]);
    h.decide();
    h.fail('a', 'e1');
    expect(h.latest('a').callbackAfterSeconds).toBe(2);
    h.fail('a', 'e2');
    expect(h.latest('a')).toMatchObject({ callbackAfterSeconds: 4, retryCount: 2 });
  });

  test('jitter is bounded by backoffJitterMs and is added to the queue delay only', () => {
    const d: TaskDef = { name: 'x', backoffJitterMs: 1000 };
    expect(retryJitterMs(d, () => 0)).toBe(0);
    expect(retryJitterMs(d, () => 0.999999)).toBe(1000);
    expect(retryJitterMs({ name: 'x' }, () => 0.9)).toBe(0);
    for (const r of [0, 0.1, 0.5, 0.9, 0.9999]) {
      const j = retryJitterMs(d, () => r);
      expect(j).toBeGreaterThanOrEqual(0);
      expect(j).toBeLessThanOrEqual(1000);
    }

    const td = tdef('a', { retryCount: 1, retryDelaySeconds: 5, backoffJitterMs: 1000 });
    const h = startWorkflow(one(td), [td]);
    h.decide();
    const out = h.fail('a', 'boom');
    const next = h.latest('a');
    expect(next.callbackAfterSeconds).toBe(5);
    // random() = 0.5 → floor(0.5 × 1001) = 500 ms
    expect(out.pushes).toEqual([expect.objectContaining({ taskId: next.taskId, dueAt: h.now + 5000 + 500 })]);
    expect(next).not.toHaveProperty('jitterMs');
  });

  test('retries exhausted → workflow FAILED with the exact Conductor reason', () => {
    const td = tdef('a', { retryCount: 1, retryDelaySeconds: 0 });
    const h = startWorkflow(def('r', [simple('a'), simple('b')]), [td, tdef('b')]);
    h.decide();
    h.fail('a', 'first');
    h.advance(100);
    const out = h.fail('a', 'worker said no');
    const last = h.latest('a');
    expect(h.wf.status).toBe('FAILED');
    expect(h.wf.reasonForIncompletion).toBe(`Task ${last.taskId} failed with status: FAILED and reason: 'worker said no'`);
    expect(h.wf.failedTaskId).toBe(last.taskId);
    expect(h.wf.tasks.map((t) => t.referenceTaskName)).toEqual(['a', 'a']);
    expect(out.nextCheckAt).toBeNull();
  });

  test('FAILED_WITH_TERMINAL_ERROR is not retried and fails the workflow with status word FAILED', () => {
    const td = tdef('a', { retryCount: 3, retryDelaySeconds: 0 });
    const h = startWorkflow(one(td), [td]);
    h.decide();
    h.fail('a', 'fatal', 'FAILED_WITH_TERMINAL_ERROR');
    expect(h.wf.tasks).toHaveLength(1);
    expect(h.wf.status).toBe('FAILED');
    expect(h.wf.reasonForIncompletion).toBe(`Task t-1 failed with status: FAILED and reason: 'fatal'`);
  });

  test('WorkflowTask.retryCount overrides TaskDef.retryCount (0 on the node → no retry despite def 3)', () => {
    const td = tdef('a', { retryCount: 3, retryDelaySeconds: 0 });
    const h = startWorkflow(def('r', [simple('a', { retryCount: 0 })]), [td]);
    h.decide();
    h.fail('a', 'x');
    expect(h.wf.status).toBe('FAILED');
    expect(h.wf.tasks).toHaveLength(1);
  });

  test('WorkflowTask.retryCount overrides TaskDef.retryCount (2 on the node → 2 retries despite def 0)', () => {
    const td = tdef('a', { retryCount: 0, retryDelaySeconds: 0 });
    const h = startWorkflow(def('r', [simple('a', { retryCount: 2 })]), [td]);
    h.decide();
    h.fail('a', 'x');
    h.fail('a', 'x');
    expect(h.wf.status).toBe('RUNNING');
    h.fail('a', 'x');
    expect(h.wf.status).toBe('FAILED');
    expect(h.wf.tasks.map((t) => t.retryCount)).toEqual([0, 1, 2]);
  });
});

describe('optional and permissive tasks', () => {
  test('optional task with no retries left becomes COMPLETED_WITH_ERRORS and the workflow continues to COMPLETED', () => {
    const h = startWorkflow(def('o', [simple('a', { optional: true }), simple('b')]), [tdef('a'), tdef('b')]);
    h.decide();
    h.fail('a', 'meh');
    expect(h.latest('a').status).toBe('COMPLETED_WITH_ERRORS');
    expect(h.latest('b').status).toBe('SCHEDULED');
    expect(h.wf.status).toBe('RUNNING');
    h.complete('b');
    expect(h.wf.status).toBe('COMPLETED');
  });

  test('permissive task stays FAILED, the next task runs, then the workflow FAILS at the end', () => {
    const h = startWorkflow(def('p', [simple('a', { permissive: true }), simple('b')]), [tdef('a'), tdef('b')]);
    h.decide();
    h.fail('a', 'NETWORK ERROR');
    const a = h.latest('a');
    expect(a.status).toBe('FAILED');
    expect(h.latest('b').status).toBe('SCHEDULED');
    expect(h.wf.status).toBe('RUNNING');
    h.complete('b');
    expect(h.wf.status).toBe('FAILED');
    expect(h.wf.reasonForIncompletion).toBe(`Task ${a.taskId} failed with status: FAILED and reason: 'NETWORK ERROR'`);
  });
});

describe('timeouts (advancing now past the deadline, then deciding)', () => {
  test('responseTimeoutSeconds: an IN_PROGRESS task that stops reporting is TIMED_OUT, then retried', () => {
    const td = tdef('a', { retryCount: 1, retryDelaySeconds: 0, responseTimeoutSeconds: 10, timeoutSeconds: 0 });
    const h = startWorkflow(def('to', [simple('a')]), [td]);
    h.decide();
    h.poll('a');
    const first = h.latest('a');
    expect(h.decide().nextCheckAt).toBe(T0 + 10_000);
    h.advance(9_999);
    h.decide();
    expect(first.status).toBe('IN_PROGRESS');
    h.advance(1);
    const out = h.decide();
    expect(first.status).toBe('TIMED_OUT');
    expect(first.reasonForIncompletion).toBe(`responseTimeout: 10 exceeded for the taskId: ${first.taskId} with Task Definition: a`);
    expect(first.retried).toBe(true);
    expect(out.removes).toContain(first.taskId);
    const next = h.latest('a');
    expect(next).toMatchObject({ status: 'SCHEDULED', retryCount: 1, retriedTaskId: first.taskId });
    expect(h.wf.status).toBe('RUNNING');
  });

  test('an IN_PROGRESS update refreshes the response-timeout clock (heartbeat)', () => {
    const td = tdef('a', { responseTimeoutSeconds: 10 });
    const h = startWorkflow(def('to', [simple('a')]), [td]);
    h.decide();
    h.poll('a');
    h.advance(8_000);
    h.update('a', { extendLease: true });
    h.advance(8_000);
    h.decide();
    expect(h.latest('a').status).toBe('IN_PROGRESS');
    expect(h.decide().nextCheckAt).toBe(T0 + 18_000);
  });

  test('timeoutSeconds with policy RETRY: the task is TIMED_OUT and a new attempt is scheduled', () => {
    const td = tdef('a', { retryCount: 1, retryDelaySeconds: 0, timeoutSeconds: 5, timeoutPolicy: 'RETRY', responseTimeoutSeconds: 3600 });
    const h = startWorkflow(def('to', [simple('a')]), [td]);
    h.decide();
    h.poll('a');
    const first = h.latest('a');
    h.advance(5_000);
    h.decide();
    expect(first.status).toBe('TIMED_OUT');
    expect(first.reasonForIncompletion).toBe('Task timed out after 5 seconds. Timeout configured as 5 seconds. Timeout policy configured to RETRY');
    expect(h.latest('a')).toMatchObject({ status: 'SCHEDULED', retryCount: 1 });
    expect(h.wf.status).toBe('RUNNING');
  });

  test('timeoutSeconds with policy RETRY and no retries left: the workflow ends TIMED_OUT', () => {
    const td = tdef('a', { retryCount: 0, timeoutSeconds: 5, timeoutPolicy: 'RETRY' });
    const h = startWorkflow(def('to', [simple('a')]), [td]);
    h.decide();
    h.poll('a');
    h.advance(5_000);
    h.decide();
    expect(h.wf.status).toBe('TIMED_OUT');
    expect(h.wf.reasonForIncompletion).toMatch(/^Task t-1 failed with status: TIMED_OUT and reason: 'Task timed out after 5 seconds/);
  });

  test('timeoutSeconds with policy TIME_OUT_WF: the task and the workflow are TIMED_OUT at once (no retry)', () => {
    const td = tdef('a', { retryCount: 3, timeoutSeconds: 5, timeoutPolicy: 'TIME_OUT_WF' });
    const h = startWorkflow(def('to', [simple('a')]), [td]);
    h.decide();
    h.poll('a');
    h.advance(5_000);
    h.decide();
    expect(h.latest('a').status).toBe('TIMED_OUT');
    expect(h.wf.tasks).toHaveLength(1);
    expect(h.wf.status).toBe('TIMED_OUT');
    expect(h.wf.reasonForIncompletion).toBe('Task timed out after 5 seconds. Timeout configured as 5 seconds. Timeout policy configured to TIME_OUT_WF');
  });

  test('timeoutSeconds with policy ALERT_ONLY: nothing happens past the deadline', () => {
    const td = tdef('a', { retryCount: 3, timeoutSeconds: 5, timeoutPolicy: 'ALERT_ONLY', responseTimeoutSeconds: 3600 });
    const h = startWorkflow(def('to', [simple('a')]), [td]);
    h.decide();
    h.poll('a');
    h.advance(60_000);
    const out = h.decide();
    expect(h.latest('a').status).toBe('IN_PROGRESS');
    expect(h.wf.tasks).toHaveLength(1);
    expect(h.wf.status).toBe('RUNNING');
    expect(out.removes).toEqual([]);
    // only the response timeout remains a deadline
    expect(out.nextCheckAt).toBe(T0 + 3600_000);
  });

  test('pollTimeoutSeconds: a task never polled is TIMED_OUT after the poll timeout (policy RETRY → retried)', () => {
    const td = tdef('a', { retryCount: 1, retryDelaySeconds: 0, pollTimeoutSeconds: 20, timeoutPolicy: 'RETRY' });
    const h = startWorkflow(def('to', [simple('a')]), [td]);
    expect(h.decide().nextCheckAt).toBe(T0 + 20_000);
    const first = h.latest('a');
    h.advance(19_999);
    h.decide();
    expect(first.status).toBe('SCHEDULED');
    h.advance(1);
    h.decide();
    expect(first.status).toBe('TIMED_OUT');
    expect(first.reasonForIncompletion).toBe('Task poll timed out after 20 seconds. Timeout configured as 20 seconds. Timeout policy configured to RETRY');
    expect(h.latest('a')).toMatchObject({ status: 'SCHEDULED', retryCount: 1 });
  });

  test('pollTimeoutSeconds does not apply once the task has been polled', () => {
    const td = tdef('a', { pollTimeoutSeconds: 20, timeoutPolicy: 'RETRY' });
    const h = startWorkflow(def('to', [simple('a')]), [td]);
    h.decide();
    h.poll('a');
    h.advance(30_000);
    h.decide();
    expect(h.latest('a').status).toBe('IN_PROGRESS');
  });

  test('workflow timeoutSeconds with TIME_OUT_WF: the workflow is TIMED_OUT and its running task CANCELED', () => {
    const h = startWorkflow(def('wto', [simple('a')], { timeoutSeconds: 30, timeoutPolicy: 'TIME_OUT_WF' }), [tdef('a')]);
    expect(h.decide().nextCheckAt).toBe(T0 + 30_000);
    h.poll('a');
    h.advance(29_999);
    h.decide();
    expect(h.wf.status).toBe('RUNNING');
    h.advance(1);
    const out = h.decide();
    expect(h.wf.status).toBe('TIMED_OUT');
    expect(h.wf.reasonForIncompletion).toBe('Workflow timed out after 30 seconds. Timeout configured as 30 seconds. Timeout policy configured to TIME_OUT_WF');
    expect(h.latest('a').status).toBe('CANCELED');
    expect(out.removes).toContain(h.latest('a').taskId);
    expect(out.nextCheckAt).toBeNull();
  });

  test('workflow timeoutSeconds with ALERT_ONLY: nothing happens', () => {
    const h = startWorkflow(def('wto', [simple('a')], { timeoutSeconds: 30, timeoutPolicy: 'ALERT_ONLY' }), [tdef('a')]);
    h.decide();
    h.advance(60_000);
    h.decide();
    expect(h.wf.status).toBe('RUNNING');
  });

  test('nextCheckAt is the earliest of the workflow and task deadlines', () => {
    const td = tdef('a', { responseTimeoutSeconds: 100, timeoutSeconds: 50, timeoutPolicy: 'RETRY' });
    const h = startWorkflow(def('n', [simple('a')], { timeoutSeconds: 80, timeoutPolicy: 'TIME_OUT_WF' }), [td]);
    expect(h.decide().nextCheckAt).toBe(T0 + 80_000); // SCHEDULED: only the workflow deadline
    h.advance(10_000);
    h.poll('a');
    expect(h.decide().nextCheckAt).toBe(T0 + 10_000 + 50_000); // task timeout beats workflow (80 s) and response (110 s)
  });

  test('no deadlines → nextCheckAt null', () => {
    const h = startWorkflow(def('n', [simple('a')]), [tdef('a', { responseTimeoutSeconds: 0 })]);
    expect(h.decide().nextCheckAt).toBeNull();
  });
});

describe('worker protocol', () => {
  test('IN_PROGRESS result with callbackAfterSeconds 30 puts the task back to SCHEDULED, queued at now + 30 s', () => {
    const h = startWorkflow(def('cb', [simple('a')]), [tdef('a')]);
    h.decide();
    h.poll('a');
    h.advance(2_000);
    const { effect, out } = h.update('a', { status: 'IN_PROGRESS', callbackAfterSeconds: 30, outputData: { p: 1 } });
    expect(effect).toBe('requeued');
    const a = h.latest('a');
    expect(a).toMatchObject({ status: 'SCHEDULED', callbackAfterSeconds: 30, outputData: { p: 1 }, updateTime: h.now });
    expect(out.pushes).toEqual([{ taskId: a.taskId, queueName: 'a', dueAt: h.now + 30_000, priority: 0 }]);
    h.decide();
    expect(h.wf.tasks).toHaveLength(1);
    expect(h.wf.status).toBe('RUNNING');
  });

  test('a stale update to a COMPLETED task returns ignored and changes nothing', () => {
    const h = startWorkflow(def('st', [simple('a'), simple('b')]), [tdef('a'), tdef('b')]);
    h.decide();
    const a = h.latest('a');
    h.complete('a', { v: 1 });
    const before = structuredClone(h.wf);
    h.advance(5_000);
    const { effect, out } = h.update('a', { status: 'FAILED', reasonForIncompletion: 'late', outputData: { v: 2 } });
    expect(effect).toBe('ignored');
    expect(h.wf).toEqual(before);
    expect(a).toMatchObject({ status: 'COMPLETED', outputData: { v: 1 } });
    expect(out.pushes).toEqual([]);
    expect(out.removes).toEqual([a.taskId]);
  });
});

describe('failure workflow', () => {
  const fwDef = () => def('fw', [simple('a'), simple('b')], { failureWorkflow: 'cleanup' });

  test('a task failure that ends the workflow requests the failure workflow with workflowId, reason, failureStatus, failureTaskId', () => {
    const h = startWorkflow(fwDef(), [tdef('a'), tdef('b')], { orderId: 7 });
    h.decide();
    const out = h.fail('a', 'bad card');
    const a = h.latest('a');
    expect(h.wf.status).toBe('FAILED');
    expect(out.failureWorkflow).toBeDefined();
    expect(out.failureWorkflow!.name).toBe('cleanup');
    expect(out.failureWorkflow!.input).toMatchObject({
      orderId: 7,
      workflowId: 'wf-1',
      reason: `Task ${a.taskId} failed with status: FAILED and reason: 'bad card'`,
      failureStatus: 'FAILED',
      failureTaskId: a.taskId,
    });
    expect(out.failureWorkflow!.input.failedWorkflow).toEqual(expect.objectContaining({ workflowId: 'wf-1', status: 'FAILED' }));
  });

  test('a workflow timeout also requests the failure workflow with failureStatus TIMED_OUT', () => {
    const h = startWorkflow(def('fw', [simple('a')], { failureWorkflow: 'cleanup', timeoutSeconds: 10, timeoutPolicy: 'TIME_OUT_WF' }), [tdef('a')]);
    h.decide();
    h.advance(10_000);
    const out = h.decide();
    expect(out.failureWorkflow?.input).toMatchObject({ workflowId: 'wf-1', failureStatus: 'TIMED_OUT' });
  });

  test('terminate() through the API ends the workflow TERMINATED, cancels tasks, and does not request the failure workflow', () => {
    const h = startWorkflow(fwDef(), [tdef('a'), tdef('b')]);
    h.decide();
    const out = newOutcome();
    expect(terminate(h.wf, 'by user', h.deps(), out)).toBe(true);
    expect(h.wf.status).toBe('TERMINATED');
    expect(h.wf.reasonForIncompletion).toBe('by user');
    expect(h.latest('a').status).toBe('CANCELED');
    expect(out.failureWorkflow).toBeUndefined();
    const after = h.decide();
    expect(after.failureWorkflow).toBeUndefined();
  });

  test('no failureWorkflow on the definition → none requested', () => {
    const h = startWorkflow(def('nf', [simple('a')]), [tdef('a')]);
    h.decide();
    const out = h.fail('a', 'x');
    expect(h.wf.status).toBe('FAILED');
    expect(out.failureWorkflow).toBeUndefined();
  });
});

describe('operations', () => {
  test('pause stops scheduling the next task (the in-flight one can still complete) until resume', () => {
    const h = startWorkflow(def('p', [simple('a'), simple('b')]), [tdef('a'), tdef('b')]);
    h.decide();
    h.poll('a');
    pause(h.wf, h.now);
    expect(h.wf.status).toBe('PAUSED');
    h.advance(1_000);
    const out = h.complete('a', { x: 1 });
    expect(h.latest('a').status).toBe('COMPLETED');
    expect(h.wf.tasks.map((t) => t.referenceTaskName)).toEqual(['a']);
    expect(out.pushes).toEqual([]);
    h.advance(1_000);
    h.decide();
    expect(h.wf.tasks).toHaveLength(1);

    h.advance(1_000);
    resume(h.wf, h.now);
    expect(h.wf.lastRetriedTime).toBe(h.now);
    const resumed = h.decide();
    expect(h.wf.status).toBe('RUNNING');
    expect(h.latest('b').status).toBe('SCHEDULED');
    expect(resumed.pushes.map((p) => p.taskId)).toEqual([h.latest('b').taskId]);
    h.complete('b');
    expect(h.wf.status).toBe('COMPLETED');
  });

  test('retry() after a failure makes a new attempt of the failed task and the workflow can then complete', () => {
    const h = startWorkflow(def('rt', [simple('a'), simple('b')]), [tdef('a'), tdef('b')]);
    h.decide();
    h.complete('a', { v: 1 });
    h.fail('b', 'nope');
    expect(h.wf.status).toBe('FAILED');
    const failed = h.latest('b');

    h.advance(60_000);
    const out = newOutcome();
    const attempts = retry(h.wf, h.deps(), out);
    expect(attempts).toHaveLength(1);
    expect(h.wf.status).toBe('RUNNING');
    expect(h.wf.reasonForIncompletion).toBeUndefined();
    expect(h.wf.lastRetriedTime).toBe(h.now);
    expect(failed.retried).toBe(true);
    const next = h.latest('b');
    expect(next).toMatchObject({ status: 'SCHEDULED', retryCount: 1, retriedTaskId: failed.taskId, inputData: failed.inputData });
    expect(next.taskId).not.toBe(failed.taskId);
    expect(out.pushes).toEqual([expect.objectContaining({ taskId: next.taskId, dueAt: h.now })]);

    h.decide();
    expect(h.wf.tasks).toHaveLength(3);
    h.complete('b', { done: true });
    expect(h.wf.status).toBe('COMPLETED');
  });

  test('rerun from a task id drops later tasks, resets that task (same id) and the decider proceeds from it', () => {
    const h = startWorkflow(def('rr', [simple('a'), simple('b')]), [tdef('a'), tdef('b')]);
    h.decide();
    const a = h.latest('a');
    h.complete('a', { v: 1 });
    h.fail('b', 'nope');
    expect(h.wf.status).toBe('FAILED');

    h.advance(1_000);
    const out = newOutcome();
    rerun(h.wf, { reRunFromTaskId: a.taskId, taskInput: { fresh: true } }, h.deps(), out);
    expect(h.wf.status).toBe('RUNNING');
    expect(h.wf.tasks.map((t) => t.taskId)).toEqual([a.taskId]);
    expect(a).toMatchObject({ status: 'SCHEDULED', outputData: {}, inputData: { fresh: true }, executed: false, pollCount: 0 });
    expect(out.pushes).toEqual([expect.objectContaining({ taskId: a.taskId, dueAt: h.now })]);

    h.decide();
    expect(h.wf.tasks).toHaveLength(1);
    h.complete('a', { v: 2 });
    expect(h.latest('b')).toMatchObject({ status: 'SCHEDULED', retryCount: 0 });
    h.complete('b');
    expect(h.wf.status).toBe('COMPLETED');
  });

  test('skipTask creates a SKIPPED row and the decider moves past that ref', () => {
    const h = startWorkflow(def('sk', [simple('a'), simple('b'), simple('c')]), [tdef('a'), tdef('b'), tdef('c')]);
    h.decide();
    skipTask(h.wf, 'b', { taskOutput: { skipped: 'yes' } }, h.deps());
    const b = h.latest('b');
    expect(b).toMatchObject({ status: 'SKIPPED', taskType: 'b', seq: 0, outputData: { skipped: 'yes' } });
    h.decide();
    expect(h.wf.tasks.filter((t) => t.status === 'SCHEDULED').map((t) => t.referenceTaskName)).toEqual(['a']);
    h.complete('a');
    expect(h.latest('c').status).toBe('SCHEDULED');
    expect(h.attempts('b')).toHaveLength(1);
    h.complete('c');
    expect(h.wf.status).toBe('COMPLETED');
  });

  test('skipTask refuses a ref that was already scheduled', () => {
    const h = startWorkflow(def('sk', [simple('a'), simple('b')]), [tdef('a'), tdef('b')]);
    h.decide();
    expect(() => skipTask(h.wf, 'a', {}, h.deps())).toThrow('has already been processed');
  });
});

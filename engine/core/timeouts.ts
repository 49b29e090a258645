/**
 * Task and workflow timeouts (Conductor §3.8). Checks run in the decider; `deadlines` tells the
 * runtime when the next check is due, so timeouts fire on time without polling.
 */
import type { TaskDef, TaskModel, WorkflowModel } from './model';
import { TerminateWorkflow, type Outcome } from './outcome';
import { isTerminalTask } from './status';
import { isWorkerTaskType } from './defaults';
import { taskDefOf } from './task-factory';
import { SYSTEM_TASKS } from './system-tasks';

const sec = (s: number | null | undefined): number => (Number(s) || 0) * 1000;

function workflowDeadline(wf: WorkflowModel): number | null {
  const def = wf.workflowDefinition;
  if ((def.timeoutSeconds ?? 0) <= 0 || def.timeoutPolicy !== 'TIME_OUT_WF') return null;
  const start = wf.lastRetriedTime > 0 ? wf.lastRetriedTime : wf.createTime;
  return start + sec(def.timeoutSeconds);
}

/** Throws TerminateWorkflow(TIMED_OUT) when the workflow's own timeout has passed. */
export function checkWorkflowTimeout(wf: WorkflowModel, now: number): void {
  const due = workflowDeadline(wf);
  if (due === null || now < due) return;
  const start = wf.lastRetriedTime > 0 ? wf.lastRetriedTime : wf.createTime;
  const elapsed = Math.floor((now - start) / 1000);
  throw new TerminateWorkflow(
    `Workflow timed out after ${elapsed} seconds. Timeout configured as ${wf.workflowDefinition.timeoutSeconds} seconds. Timeout policy configured to TIME_OUT_WF`,
    'TIMED_OUT',
  );
}

type Kind = 'total' | 'task' | 'poll' | 'response';

/** The deadlines of one non-terminal task, by kind (policy ALERT_ONLY yields none but response). */
function taskDeadlines(t: TaskModel, def: TaskDef): Array<{ kind: Kind; at: number }> {
  if (isTerminalTask(t.status)) return [];
  const out: Array<{ kind: Kind; at: number }> = [];
  const policed = def.timeoutPolicy !== 'ALERT_ONLY';
  if (policed && (def.totalTimeoutSeconds ?? 0) > 0) out.push({ kind: 'total', at: t.firstScheduledTime + sec(def.totalTimeoutSeconds) });
  if (policed && (def.timeoutSeconds ?? 0) > 0 && t.startTime > 0) {
    out.push({ kind: 'task', at: t.startTime + sec(t.startDelayInSeconds) + sec(def.timeoutSeconds) });
  }
  if (policed && (def.pollTimeoutSeconds ?? 0) > 0 && t.status === 'SCHEDULED') {
    out.push({ kind: 'poll', at: t.scheduledTime + sec(t.startDelayInSeconds) + sec(def.pollTimeoutSeconds) + sec(t.callbackAfterSeconds) });
  }
  const rt = def.responseTimeoutSeconds ?? 0;
  if (rt > 0 && t.status === 'IN_PROGRESS' && isWorkerTaskType(t.workflowTask.type ?? 'SIMPLE') && !t.workflowTask.asyncComplete) {
    out.push({ kind: 'response', at: t.updateTime + sec(rt) + sec(t.callbackAfterSeconds) });
  }
  return out;
}

/** Earliest deadline of one task, or null. */
export function taskDeadline(t: TaskModel): number | null {
  const ds = taskDeadlines(t, taskDefOf(t.workflowTask));
  return ds.length ? Math.min(...ds.map((d) => d.at)) : null;
}

/** Earliest time the decider must look at this workflow again, or null. */
export function nextCheckAt(wf: WorkflowModel): number | null {
  if (wf.status !== 'RUNNING' && wf.status !== 'PAUSED') return null;
  let best = workflowDeadline(wf);
  if (wf.status === 'RUNNING') {
    for (const t of wf.tasks) {
      if (t.retried) continue;
      const d = taskDeadline(t);
      if (d !== null && (best === null || d < best)) best = d;
      const w = isTerminalTask(t.status) ? null : (SYSTEM_TASKS[t.taskType]?.wakeAt?.(t) ?? null);
      if (w !== null && (best === null || w < best)) best = w;
    }
  }
  return best;
}

const POLICY_TEXT: Record<Exclude<Kind, 'response'>, string> = {
  total: 'Task total timeout',
  task: 'Task timed out',
  poll: 'Task poll timed out',
};

/**
 * Apply every timeout due at `now` to a non-terminal task. Returns true if the task changed.
 * TIME_OUT_WF policy throws TerminateWorkflow(TIMED_OUT).
 */
export function applyTaskTimeouts(wf: WorkflowModel, t: TaskModel, now: number, out: Outcome): boolean {
  const def = taskDefOf(t.workflowTask);
  for (const d of taskDeadlines(t, def)) {
    if (now < d.at) continue;
    let reason: string;
    if (d.kind === 'response') {
      reason = `responseTimeout: ${def.responseTimeoutSeconds} exceeded for the taskId: ${t.taskId} with Task Definition: ${t.taskDefName}`;
    } else {
      const configured = d.kind === 'total' ? def.totalTimeoutSeconds : d.kind === 'poll' ? def.pollTimeoutSeconds : def.timeoutSeconds;
      reason = `${POLICY_TEXT[d.kind]} after ${configured} seconds. Timeout configured as ${configured} seconds. Timeout policy configured to ${def.timeoutPolicy ?? 'TIME_OUT_WF'}`;
    }
    t.status = 'TIMED_OUT';
    t.reasonForIncompletion = reason;
    t.endTime = now;
    t.updateTime = now;
    out.removes.push(t.taskId);
    out.events.push({ type: 'task:timedOut', data: { workflowId: wf.workflowId, taskId: t.taskId, taskType: t.taskType, kind: d.kind } });
    out.events.push({ type: 'task:ended', data: { workflowId: wf.workflowId, taskId: t.taskId, taskType: t.taskType, status: 'TIMED_OUT', durationMs: t.startTime ? now - t.startTime : 0, reason } });
    if (d.kind !== 'response' && (def.timeoutPolicy ?? 'TIME_OUT_WF') === 'TIME_OUT_WF') {
      throw new TerminateWorkflow(reason, 'TIMED_OUT', t.taskId);
    }
    return true;
  }
  return false;
}

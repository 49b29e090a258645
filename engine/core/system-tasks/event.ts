/**
 * EVENT (Conductor's Event, run synchronously here): publishes the task's output to an event
 * queue. Only Conductor's internal queues exist in Baton: sink `conductor` → queue
 * `conductor:<workflowName>:<taskRef>`, `conductor:<x>` → `conductor:<workflowName>:<x>`. The
 * message goes out through `Outcome.eventMessages`; after the commit the runtime hands it to
 * the event handlers (runtime/event-processor.ts).
 */
import type { TaskModel, WorkflowModel } from '../model';
import type { SystemTask } from './system-task';
import { finishTask, newSystemTask } from './common';
import { isAsyncComplete } from './http';
import { resolveParameters } from '../parameters';

/** The queue an EVENT task publishes to, or the reason it cannot. */
export function eventQueueOf(wf: Pick<WorkflowModel, 'workflowName'>, task: Pick<TaskModel, 'inputData' | 'referenceTaskName'>): { ok: true; queue: string } | { ok: false; reason: string } {
  const sink = task.inputData.sink;
  if (typeof sink !== 'string' || sink.trim() === '') return { ok: false, reason: "Missing 'sink' in input data of the EVENT task" };
  if (sink === 'conductor') return { ok: true, queue: `conductor:${wf.workflowName}:${task.referenceTaskName}` };
  if (sink.startsWith('conductor:')) return { ok: true, queue: `conductor:${wf.workflowName}:${sink.split('conductor:').join('')}` };
  if (sink.startsWith('conductor')) return { ok: false, reason: `Invalid / Unsupported sink specified: ${sink}` };
  const type = sink.includes(':') ? sink.slice(0, sink.indexOf(':')) : sink;
  return { ok: false, reason: `Unsupported sink: ${sink}. Event queues of type '${type}' are not available in Baton; use 'conductor' or 'conductor:<queue>'` };
}

export const eventTask: SystemTask = {
  schedule(node, ctx, opts) {
    const t = newSystemTask(node, ctx, { ...opts, status: 'SCHEDULED' });
    // EventTaskMapper records the node's sink and asyncComplete in the input
    if (typeof node.sink === 'string') t.inputData.sink = resolveParameters({ sink: node.sink }, ctx.wf, { taskId: t.taskId, env: ctx.deps.env }).sink;
    t.inputData.asyncComplete = node.asyncComplete === true; // the input's own flag is overwritten, as Conductor
    return [t];
  },
  execute(task, ctx) {
    // publish once: an asyncComplete EVENT stays IN_PROGRESS until an outside update
    if (task.status !== 'SCHEDULED') return false;
    const { wf, deps } = ctx;
    task.outputData = {
      ...task.outputData,
      ...task.inputData,
      workflowInstanceId: wf.workflowId,
      workflowType: wf.workflowName,
      workflowVersion: wf.workflowVersion,
      correlationId: wf.correlationId ?? null,
      taskToDomain: wf.taskToDomain ?? {},
    };
    const q = eventQueueOf(wf, task);
    if (!q.ok) return finishTask(task, ctx, 'FAILED', q.reason);
    task.outputData.event_produced = q.queue;
    ctx.out.eventMessages.push({ queue: q.queue, payload: { ...task.outputData } });
    if (isAsyncComplete(task)) {
      task.status = 'IN_PROGRESS';
      if (!task.startTime) task.startTime = deps.now;
      task.updateTime = deps.now;
      return true;
    }
    return finishTask(task, ctx, 'COMPLETED');
  },
};

/**
 * START_WORKFLOW executor: starts the requested workflow with `engine.startInTx` inside the
 * same transaction that completes the task, so both commit (or neither does).
 */
import type { WorkflowDef } from '../../core/model';
import type { AsyncExecutor } from '../system-task-runner';
import { startRequestOf } from '../../core/system-tasks/start-workflow';
import { isTerminalTask } from '../../core/status';

export const startWorkflowExecutor: AsyncExecutor = {
  run(task, engine) {
    try {
      engine.mutate(task.workflowInstanceId, (wf, out, deps) => {
        out.removes.push(task.taskId);
        const t = wf.tasks.find((x) => x.taskId === task.taskId);
        if (!t || isTerminalTask(t.status)) return;
        const parsed = startRequestOf(t, wf);
        if (parsed.ok) {
          const r = parsed.request;
          try {
            const id = engine.startInTx({ ...r, workflowDef: r.workflowDef as WorkflowDef | undefined });
            t.outputData = { ...t.outputData, workflowId: id };
            t.status = 'COMPLETED';
          } catch (e) {
            t.status = 'FAILED';
            t.reasonForIncompletion = (e instanceof Error ? e.message : String(e)).slice(0, 500);
          }
        } else {
          t.status = 'FAILED';
          t.reasonForIncompletion = parsed.reason;
        }
        if (!t.startTime) t.startTime = deps.now;
        t.endTime = deps.now;
        t.updateTime = deps.now;
        out.events.push({
          type: 'task:ended',
          data: { workflowId: wf.workflowId, taskId: t.taskId, taskType: t.taskType, status: t.status, durationMs: deps.now - t.startTime, reason: t.reasonForIncompletion },
        });
      });
    } catch {
      // the workflow is gone: nothing to start
    }
  },
};

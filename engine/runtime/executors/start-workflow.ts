/**
 * START_WORKFLOW executor: starts the requested workflow with `engine.startInTx` inside the
 * same transaction that completes the task, so both commit (or neither does).
 */
import type { WorkflowDef } from '../../core/model';
import { applyToTask, endTask, errorMessage, type AsyncExecutor } from '../system-task-runner';
import { startRequestOf } from '../../core/system-tasks/start-workflow';

export const startWorkflowExecutor: AsyncExecutor = {
  run(task, engine) {
    applyToTask(engine, task, (t, { wf, deps }) => {
      const parsed = startRequestOf(t, wf);
      if (!parsed.ok) return endTask(t, 'FAILED', deps.now, parsed.reason);
      const r = parsed.request;
      try {
        const id = engine.startInTx({ ...r, workflowDef: r.workflowDef as WorkflowDef | undefined });
        t.outputData = { ...t.outputData, workflowId: id };
        endTask(t, 'COMPLETED', deps.now);
      } catch (e) {
        endTask(t, 'FAILED', deps.now, errorMessage(e));
      }
    });
  },
};

/**
 * SUB_WORKFLOW executor: starts the child inside the same transaction that attaches it to the
 * parent task, so a crash can never leave a child without its parent knowing (or the reverse).
 * A redelivered task that already has a child is left alone.
 */
import type { WorkflowDef } from '../../core/model';
import { applyToTask, endTask, errorMessage, type AsyncExecutor } from '../system-task-runner';
import { attachChild, childRequestOf } from '../../core/system-tasks/sub-workflow';

export const subWorkflowExecutor: AsyncExecutor = {
  concurrency: 64,
  run(task, engine) {
    applyToTask(engine, task, (t, { wf, out, deps }) => {
      if (t.subWorkflowId) return;
      const req = childRequestOf(wf, t);
      try {
        if (!req.name && !req.workflowDef) throw new Error('SubWorkflow name is null and no workflowDefinition supplied');
        const childId = engine.startInTx({
          name: req.name ?? '',
          version: req.version,
          workflowDef: req.workflowDef as WorkflowDef | undefined,
          input: req.input,
          correlationId: req.correlationId,
          taskToDomain: req.taskToDomain,
          priority: req.priority,
          parentWorkflowId: req.parentWorkflowId,
          parentWorkflowTaskId: req.parentWorkflowTaskId,
        });
        const child = engine.workflowState(childId);
        if (child) attachChild(t, child, { wf, deps, out });
      } catch (e) {
        endTask(t, 'FAILED', deps.now, errorMessage(e));
      }
    });
  },
};

/**
 * SUB_WORKFLOW executor: starts the child inside the same transaction that attaches it to the
 * parent task, so a crash can never leave a child without its parent knowing (or the reverse).
 * A redelivered task that already has a child is left alone.
 */
import type { WorkflowDef } from '../../core/model';
import type { AsyncExecutor } from '../system-task-runner';
import { attachChild, childRequestOf } from '../../core/system-tasks/sub-workflow';
import { isTerminalTask } from '../../core/status';

export const subWorkflowExecutor: AsyncExecutor = {
  concurrency: 64,
  run(task, engine) {
    engine.mutate(task.workflowInstanceId, (wf, out, deps) => {
      out.removes.push(task.taskId);
      const t = wf.tasks.find((x) => x.taskId === task.taskId);
      if (!t || isTerminalTask(t.status) || t.subWorkflowId) return;
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
        t.status = 'FAILED';
        t.reasonForIncompletion = (e instanceof Error ? e.message : String(e)).slice(0, 500);
        if (!t.startTime) t.startTime = deps.now;
        t.endTime = deps.now;
        t.updateTime = deps.now;
      }
    });
  },
};

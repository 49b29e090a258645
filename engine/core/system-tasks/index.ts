/**
 * The system-task seam: each system task type lives in one file in this folder and registers
 * here. The decider asks this table how to create (schedule) and advance (execute) a node of a
 * type that no worker runs. Control-flow types arrive with the control-flow work; until then a
 * definition using them is stored verbatim, and a run reaching one fails with a clear reason.
 */
import type { TaskModel, WorkflowModel, WorkflowTask } from '../model';
import type { FactoryDeps } from '../task-factory';
import type { Outcome } from '../outcome';

export interface SystemTaskContext {
  wf: WorkflowModel;
  deps: FactoryDeps & { random: () => number };
  out: Outcome;
}

export interface SystemTask {
  /** Create the task instance(s) for a node reached by the decider. */
  schedule(node: WorkflowTask, ctx: SystemTaskContext, opts: { refName: string; iteration: number }): TaskModel[];
  /** Advance a non-terminal instance inside the decide; true when it changed. */
  execute(task: TaskModel, ctx: SystemTaskContext): boolean;
  /** Called when the workflow cancels the instance. */
  cancel?(task: TaskModel, ctx: SystemTaskContext): void;
}

export const SYSTEM_TASKS: Partial<Record<string, SystemTask>> = {};

/**
 * The one small interface every system task implements (Conductor's TaskMapper +
 * WorkflowSystemTask, merged). Each type lives in its own file in this folder; index.ts is the
 * table the decider consults.
 *
 * - `schedule` is the mapper: the instance(s) a definition node becomes when the decider reaches
 *   it (SWITCH returns itself plus the first task of the chosen branch, via `ctx.createTasks`).
 * - `execute` advances a non-terminal instance inside the decide (sync tasks complete here;
 *   JOIN/DO_WHILE re-evaluate on every decide). Return true when the task changed.
 * - `async` tasks (HTTP, SUB_WORKFLOW, START_WORKFLOW, EVENT) are queued under their type and
 *   run by the runtime's system-task executors, which do the I/O outside the pure core.
 * - `cancel` runs when the workflow cancels the instance (a sub-workflow is terminated).
 * - `wakeAt` tells the sweeper when the task needs a decide without any outside event (WAIT).
 */
import type { JsonMap, TaskDef, TaskModel, WorkflowModel, WorkflowTask } from '../model';
import type { FactoryDeps } from '../task-factory';
import type { Outcome } from '../outcome';
import type { JqEngine, ScriptEngine } from '../../ports/sandbox';
import type { WorkflowStatus } from '../status';

/** What a SUB_WORKFLOW task may read of its child while deciding the parent. */
export interface ChildState {
  workflowId: string;
  workflowName: string;
  workflowVersion: number;
  status: WorkflowStatus;
  output: JsonMap;
  reasonForIncompletion?: string;
}

export interface SystemDeps extends FactoryDeps {
  random: () => number;
  /** JavaScript sandbox (INLINE, SWITCH/DECISION javascript, DO_WHILE conditions). */
  scripts?: ScriptEngine;
  /** jq (JSON_JQ_TRANSFORM). */
  jq?: JqEngine;
  /** Read another execution's state (a sub-workflow's child); undefined when it does not exist. */
  workflowState?: (workflowId: string) => ChildState | undefined;
  /** A registered task definition (tasks created at run time: dynamic forks, DYNAMIC). */
  taskDef?: (name: string) => TaskDef | undefined;
  /** Latest registered version of a workflow definition (SUB_WORKFLOW without a version). */
  latestWorkflowVersion?: (name: string) => number | undefined;
  /** Largest serialized workflow.variables, in bytes (Conductor: 256 KB). */
  maxVariablesBytes?: number;
}

export interface SystemTaskContext {
  wf: WorkflowModel;
  deps: SystemDeps;
  out: Outcome;
  /** The instance(s) for a definition node, through its mapper (recursive for SWITCH/FORK). */
  createTasks(node: WorkflowTask, iteration: number): TaskModel[];
  /** Add new instances to this decide's schedule (DO_WHILE's next iteration). */
  scheduleTasks(tasks: TaskModel[]): void;
}

export interface ScheduleOptions {
  /** Reference name of the instance (`ref` or `ref__N` inside a loop). */
  refName: string;
  /** DO_WHILE iteration (0 outside loops). */
  iteration: number;
}

export interface SystemTask {
  /** Queued and run by a runtime executor instead of inside the decide. */
  readonly async?: boolean;
  /** The mapper. */
  schedule(node: WorkflowTask, ctx: SystemTaskContext, opts: ScheduleOptions): TaskModel[];
  /** Advance a non-terminal instance inside the decide; true when it changed. */
  execute?(task: TaskModel, ctx: SystemTaskContext): boolean;
  /** The workflow is cancelling this instance. */
  cancel?(task: TaskModel, ctx: Pick<SystemTaskContext, 'wf' | 'deps' | 'out'>): void;
  /** Epoch ms at which the task needs a decide by itself (WAIT's deadline); null = none. */
  wakeAt?(task: TaskModel): number | null;
  /** IN_PROGRESS task updates keep the task IN_PROGRESS (WAIT, HUMAN, asyncComplete tasks). */
  readonly externallyCompleted?: boolean;
}

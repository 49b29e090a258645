/**
 * The persistence port: definitions, executions, queues, sweeps (decider timers), task logs and
 * poll data, behind one transactional interface. Every method is synchronous; `transaction`
 * makes a group of calls atomic (all or nothing).
 */
import type { TaskDef, TaskExecLog, TaskModel, WorkflowDef, WorkflowModel } from '../core/model';
import type { QueuePush } from '../core/outcome';
import type { EventHandler } from '../core/event-handler';
import type { ScheduleStore } from './schedule-store';

export interface PollDataRow {
  queueName: string;
  domain?: string;
  workerId?: string;
  lastPollTime: number;
}

export interface WorkflowRowFilter {
  name?: string;
  version?: number;
  statuses?: string[];
  correlationId?: string;
  startedAfter?: number;
  startedBefore?: number;
}

export interface Store {
  transaction<T>(fn: () => T): T;
  /** Workflow schedules, in the same database and transactions. */
  readonly schedules: ScheduleStore;
  close(): void;

  putTaskDef(def: TaskDef): void;
  getTaskDef(name: string): TaskDef | undefined;
  listTaskDefs(): TaskDef[];
  deleteTaskDef(name: string): boolean;

  putWorkflowDef(def: WorkflowDef): void;
  /** Latest version when `version` is undefined. */
  getWorkflowDef(name: string, version?: number): WorkflowDef | undefined;
  listWorkflowDefs(): WorkflowDef[];
  deleteWorkflowDef(name: string, version: number): boolean;

  /** Load an execution; the store remembers what it loaded so `saveWorkflow` writes only changes. */
  loadWorkflow(id: string): WorkflowModel | undefined;
  /** Insert or update the execution and its tasks (new, changed and removed rows). */
  saveWorkflow(wf: WorkflowModel): void;
  deleteWorkflow(id: string): boolean;
  /** The execution's own fields without its tasks or definition (cheap; a parent reads its child). */
  workflowHeader(id: string): Omit<WorkflowModel, 'tasks' | 'workflowDefinition'> | undefined;
  getTask(taskId: string): TaskModel | undefined;
  /** Persist a single task changed outside a decide (poll). */
  saveTask(task: TaskModel): void;
  workflowIdByIdempotencyKey(key: string): { workflowId: string; status: string } | undefined;
  /** Ids of workflows matching an indexed filter, newest first. */
  findWorkflowIds(filter: WorkflowRowFilter, limit?: number): string[];
  /** Every workflow id (for scans such as free-text search), newest first. */
  allWorkflowIds(): string[];
  runningWorkflowIds(): string[];
  /** RUNNING or PAUSED workflows per name, with the oldest one's create time (for metrics). */
  runningByName(): { name: string; count: number; oldestCreateTime: number }[];

  pushQueue(entries: QueuePush[]): void;
  removeQueue(taskIds: string[]): void;
  /** Due task ids of a queue, highest priority first, then oldest. Does not remove them. */
  peekQueue(queueName: string, now: number, limit: number): string[];
  /** Earliest due time after `now` in a queue (delayed entries), or undefined. */
  nextQueueDue(queueName: string, now: number): number | undefined;
  queueSizes(): Record<string, number>;
  queueSize(queueName: string): number;
  /** Queue entries of one task type (any domain) for the admin view. */
  queuedTaskIds(taskType: string, limit: number): string[];

  setSweep(workflowId: string, dueAt: number | null): void;
  getSweep(workflowId: string): number | undefined;
  dueSweeps(now: number, limit: number): string[];
  nextSweepDue(): number | undefined;

  appendLogs(logs: TaskExecLog[]): void;
  getLogs(taskId: string): TaskExecLog[];

  recordPoll(row: PollDataRow): void;
  pollData(taskType?: string): PollDataRow[];
  countInProgress(taskDefName: string): number;
  countStartedSince(taskDefName: string, since: number): number;

  putEventHandler(handler: EventHandler): void;
  getEventHandler(name: string): EventHandler | undefined;
  /** All handlers, by name. */
  listEventHandlers(): EventHandler[];
  /** Handlers for one event string (`activeOnly`: active ones only), by name. */
  eventHandlersFor(event: string, activeOnly: boolean): EventHandler[];
  deleteEventHandler(name: string): boolean;
}

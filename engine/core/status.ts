/**
 * Task and workflow statuses with Conductor's exact strings and flags
 * (terminal / successful / retriable), from Conductor's Task.Status and Workflow.WorkflowStatus.
 */

export const TaskStatus = {
  SCHEDULED: 'SCHEDULED',
  IN_PROGRESS: 'IN_PROGRESS',
  COMPLETED: 'COMPLETED',
  COMPLETED_WITH_ERRORS: 'COMPLETED_WITH_ERRORS',
  FAILED: 'FAILED',
  FAILED_WITH_TERMINAL_ERROR: 'FAILED_WITH_TERMINAL_ERROR',
  TIMED_OUT: 'TIMED_OUT',
  CANCELED: 'CANCELED',
  SKIPPED: 'SKIPPED',
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

const TASK_FLAGS: Record<TaskStatus, { terminal: boolean; successful: boolean; retriable: boolean }> = {
  SCHEDULED: { terminal: false, successful: true, retriable: true },
  IN_PROGRESS: { terminal: false, successful: true, retriable: true },
  COMPLETED: { terminal: true, successful: true, retriable: true },
  COMPLETED_WITH_ERRORS: { terminal: true, successful: true, retriable: true },
  FAILED: { terminal: true, successful: false, retriable: true },
  FAILED_WITH_TERMINAL_ERROR: { terminal: true, successful: false, retriable: false },
  TIMED_OUT: { terminal: true, successful: false, retriable: true },
  CANCELED: { terminal: true, successful: false, retriable: false },
  SKIPPED: { terminal: true, successful: true, retriable: false },
};

export const isTaskStatus = (s: unknown): s is TaskStatus => typeof s === 'string' && s in TASK_FLAGS;
export const isTerminalTask = (s: TaskStatus): boolean => TASK_FLAGS[s].terminal;
export const isSuccessfulTask = (s: TaskStatus): boolean => TASK_FLAGS[s].successful;
export const isRetriableTask = (s: TaskStatus): boolean => TASK_FLAGS[s].retriable;

export const WorkflowStatus = {
  RUNNING: 'RUNNING',
  COMPLETED: 'COMPLETED',
  FAILED: 'FAILED',
  TIMED_OUT: 'TIMED_OUT',
  TERMINATED: 'TERMINATED',
  PAUSED: 'PAUSED',
} as const;
export type WorkflowStatus = (typeof WorkflowStatus)[keyof typeof WorkflowStatus];

export const isWorkflowStatus = (s: unknown): s is WorkflowStatus =>
  typeof s === 'string' && Object.prototype.hasOwnProperty.call(WorkflowStatus, s);
export const isTerminalWorkflow = (s: WorkflowStatus): boolean =>
  s === 'COMPLETED' || s === 'FAILED' || s === 'TIMED_OUT' || s === 'TERMINATED';
export const isSuccessfulWorkflow = (s: WorkflowStatus): boolean => s === 'COMPLETED' || s === 'PAUSED';

/** Statuses a worker may send in a TaskResult. */
export const TASK_RESULT_STATUSES = ['IN_PROGRESS', 'FAILED', 'FAILED_WITH_TERMINAL_ERROR', 'COMPLETED', 'CANCELED'] as const;
export type TaskResultStatus = (typeof TASK_RESULT_STATUSES)[number];

/** Persistence of workflow schedules and their firings (part of the Store, same transactions). */
import type { ScheduleExecution, ScheduleExecutionState, WorkflowSchedule } from '../core/schedule';

export interface ScheduleSearch {
  scheduleNames?: string[];
  states?: ScheduleExecutionState[] | string[];
  scheduledAfter?: number;
  scheduledBefore?: number;
  workflowName?: string;
  executionId?: string;
  /** [field, 'ASC' | 'DESC'] pairs; default scheduledTime DESC. */
  sort?: [string, 'ASC' | 'DESC'][];
  start: number;
  size: number;
}

export interface ScheduleStore {
  /** Insert or replace; `nextRunTime` undefined = not armed (paused or finished). */
  putSchedule(s: WorkflowSchedule, nextRunTime: number | undefined): void;
  /** The schedule with its nextRunTime filled in. */
  getSchedule(name: string): WorkflowSchedule | undefined;
  listSchedules(workflowName?: string): WorkflowSchedule[];
  searchSchedules(q: { workflowName?: string; nameLike?: string; paused?: boolean; freeText?: string; start: number; size: number }): { totalHits: number; results: WorkflowSchedule[] };
  deleteSchedule(name: string): boolean;
  setNextRunTime(name: string, at: number | undefined): void;
  /** Names of armed schedules due at `now`, earliest first. */
  dueSchedules(now: number, limit: number): string[];
  /** The earliest armed nextRunTime. */
  nextScheduleDue(): number | undefined;
  putScheduleExecution(e: ScheduleExecution): void;
  searchScheduleExecutions(q: ScheduleSearch): { totalHits: number; results: ScheduleExecution[] };
}

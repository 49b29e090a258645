/**
 * Retry policy (DeciderService.retry): whether a failed attempt gets another one, and after
 * what delay. Delays in seconds; jitter in ms is added to the queue delay only.
 */
import type { TaskDef, TaskModel, WorkflowTask } from './model';
import { isRetriableTask } from './status';

const INT_MAX = 2147483647;

/** Types the decider never retries (they are re-evaluated in place instead). */
const NEVER_RETRIED = new Set(['DECISION', 'SWITCH', 'FORK', 'JOIN', 'EXCLUSIVE_JOIN', 'DO_WHILE']);

/** How many retries the node allows: WorkflowTask.retryCount overrides TaskDef.retryCount. */
export function allowedRetries(node: WorkflowTask, def: TaskDef | undefined): number {
  if (typeof node.retryCount === 'number') return node.retryCount;
  return def?.retryCount ?? 0;
}

/** Base delay before attempt n+1, in seconds, for a failed attempt with retryCount n (0-based). */
export function retryDelaySeconds(def: TaskDef | undefined, n: number): number {
  const base = def?.retryDelaySeconds ?? 60;
  let delay: number;
  switch (def?.retryLogic ?? 'FIXED') {
    case 'EXPONENTIAL_BACKOFF':
      delay = base * Math.pow(2, n);
      break;
    case 'LINEAR_BACKOFF':
      delay = base * (def?.backoffScaleFactor ?? 1) * (n + 1);
      break;
    default:
      delay = base;
  }
  if (!Number.isFinite(delay) || delay > INT_MAX) delay = INT_MAX;
  const cap = def?.maxRetryDelaySeconds ?? 0;
  if (cap > 0 && delay > cap) delay = cap;
  return Math.max(0, Math.floor(delay));
}

/** Random jitter in ms, `random` is injected (a value in [0, 1)). */
export function retryJitterMs(def: TaskDef | undefined, random: () => number): number {
  const j = def?.backoffJitterMs ?? 0;
  return j > 0 ? Math.floor(random() * (j + 1)) : 0;
}

/** True when this terminal, unsuccessful attempt may be retried at `now`. */
export function canRetry(task: TaskModel, def: TaskDef | undefined, now: number): boolean {
  if (!isRetriableTask(task.status)) return false;
  if (NEVER_RETRIED.has(task.taskType)) return false;
  if (task.retryCount >= allowedRetries(task.workflowTask, def)) return false;
  const total = def?.totalTimeoutSeconds ?? 0;
  if (total > 0 && now - task.firstScheduledTime >= total * 1000) return false;
  return true;
}

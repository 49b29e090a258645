/**
 * The executors of the asynchronous system tasks, one file per type: they do what the pure
 * core cannot (network calls, starting other workflows, publishing events) and apply the
 * result in a transaction.
 */
import type { AsyncExecutor } from '../system-task-runner';
import { httpExecutor } from './http';
import { startWorkflowExecutor } from './start-workflow';
import { subWorkflowExecutor } from './sub-workflow';

export const EXECUTORS: Record<string, AsyncExecutor> = {
  HTTP: httpExecutor,
  START_WORKFLOW: startWorkflowExecutor,
  SUB_WORKFLOW: subWorkflowExecutor,
};

/** START_WORKFLOW executor: not implemented yet. */
import type { AsyncExecutor } from '../system-task-runner';

export const startWorkflowExecutor: AsyncExecutor = {
  run() {
    throw new Error('Task type START_WORKFLOW is not supported by this Baton engine yet');
  },
};

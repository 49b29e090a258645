/** SUB_WORKFLOW executor: not implemented yet. */
import type { AsyncExecutor } from '../system-task-runner';

export const subWorkflowExecutor: AsyncExecutor = {
  run() {
    throw new Error('Task type SUB_WORKFLOW is not supported by this Baton engine yet');
  },
};

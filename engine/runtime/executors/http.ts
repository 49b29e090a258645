/** HTTP executor: not implemented yet. */
import type { AsyncExecutor } from '../system-task-runner';

export const httpExecutor: AsyncExecutor = {
  run() {
    throw new Error('Task type HTTP is not supported by this Baton engine yet');
  },
};

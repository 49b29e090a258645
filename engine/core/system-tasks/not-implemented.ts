/** Placeholder for a system task type whose file has not landed: a run reaching it fails clearly. */
import type { SystemTask } from './system-task';
import { TerminateWorkflow } from '../outcome';

export function notImplemented(type: string): SystemTask {
  return {
    schedule(node) {
      throw new TerminateWorkflow(`Task type ${type} (task ${node.taskReferenceName}) is not supported by this Baton engine yet`, 'FAILED');
    },
  };
}

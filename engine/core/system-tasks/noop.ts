/** NOOP (NoopTaskMapper + Noop): created IN_PROGRESS, COMPLETED on its first execute. */
import type { SystemTask } from './system-task';
import { finishTask, newSystemTask } from './common';

export const noopTask: SystemTask = {
  schedule: (node, ctx, opts) => [newSystemTask(node, ctx, { ...opts, status: 'IN_PROGRESS', taskType: 'NOOP', input: {} })],
  execute: (task, ctx) => finishTask(task, ctx, 'COMPLETED'),
};

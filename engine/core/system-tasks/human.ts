/**
 * HUMAN (HumanTaskMapper + Human): created IN_PROGRESS with the resolved input; only a task
 * update (COMPLETED / FAILED …) ends it. OSS Conductor has no forms or assignment.
 */
import type { SystemTask } from './system-task';
import { newSystemTask } from './common';

export const humanTask: SystemTask = {
  schedule: (node, ctx, opts) => [newSystemTask(node, ctx, { ...opts, status: 'IN_PROGRESS', taskType: 'HUMAN' })],
  externallyCompleted: true,
};

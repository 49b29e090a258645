/**
 * FORK_JOIN (ForkJoinTaskMapper + Fork): one `FORK` instance, created COMPLETED with the resolved
 * input, plus the first task of every branch and the JOIN that must follow the fork, all in the
 * same decide. `FORK` instances (also made by FORK_JOIN_DYNAMIC) have nothing left to do.
 */
import type { SystemTask } from './system-task';
import { TerminateWorkflow } from '../outcome';
import { nextTaskNode } from '../next-task';
import { taskTypeOf } from '../defaults';
import { newSystemTask } from './common';

export const forkTask: SystemTask = {
  schedule(node, ctx, opts) {
    const fork = newSystemTask(node, ctx, { ...opts, status: 'COMPLETED', taskType: 'FORK', taskDefName: 'FORK' });
    const tasks = [fork];
    for (const branch of node.forkTasks ?? []) {
      if (branch && branch.length > 0) tasks.push(...ctx.createTasks(branch[0], opts.iteration));
    }
    const join = nextTaskNode(ctx.wf.workflowDefinition.tasks, node.taskReferenceName);
    if (!join || taskTypeOf(join) !== 'JOIN') {
      throw new TerminateWorkflow('Fork task definition is not followed by a join task.  Check the blueprint');
    }
    tasks.push(...ctx.createTasks(join, opts.iteration));
    return tasks;
  },
};

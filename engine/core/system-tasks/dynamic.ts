/**
 * DYNAMIC (DynamicTaskMapper): the task to run is named by `input[dynamicTaskNameParam]`. The
 * instance keeps the DYNAMIC node's reference name and task definition (the one embedded at
 * workflow start: registered under the DYNAMIC node's name, else ad hoc — Conductor does not
 * look up the resolved name's definition either), with taskType = taskDefName = the resolved
 * name, SCHEDULED. A missing name fails the workflow.
 *
 * A resolved name that is a system type (HTTP, NOOP, INLINE, …) runs as that system task, as in
 * Conductor (its taskType selects the implementation). Baton marks the instance's node copy
 * `type: 'SIMPLE'` for a worker name (the decider queues tasks by their node's type), and
 * `type: <name>` for a system name.
 */
import type { SystemTask } from './system-task';
import { TerminateWorkflow } from '../outcome';
import { javaToString, resolveParameters } from '../parameters';
import { newWorkerTask, taskDefOf } from '../task-factory';
import { isWorkerTaskType } from '../defaults';

export const dynamicTask: SystemTask = {
  schedule(node, ctx, opts) {
    const { wf, deps } = ctx;
    const def = taskDefOf(node);
    const param = node.dynamicTaskNameParam;
    const input = resolveParameters(node.inputParameters, wf, { env: deps.env, inputTemplate: def.inputTemplate });
    const value = typeof param === 'string' ? input[param] : undefined;
    if (value === undefined || value === null) {
      throw new TerminateWorkflow(
        `Cannot map a dynamic task based on the parameter and input. Parameter= ${javaToString(param)}, input= ${javaToString(input)}`,
      );
    }
    const name = javaToString(value);
    const resolved = { ...node, name, type: isWorkerTaskType(name) ? 'SIMPLE' : name, taskDefinition: def };
    const task = newWorkerTask(wf, resolved, deps, opts);
    task.taskType = name;
    task.taskDefName = name;
    return [task];
  },
};

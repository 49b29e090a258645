/**
 * FORK_JOIN_DYNAMIC (ForkJoinDynamicTaskMapper): the branches come from the input at run time,
 * in one of three forms —
 *  1. `forkTaskInputs` (a list; one task per element, named `forkTaskName`, typed `forkTaskType`,
 *     or a sub-workflow `forkTaskWorkflow`), refs `_<name>_<i>`;
 *  2. `dynamicForkTasksParam` (a list of WorkflowTask JSON) + `dynamicForkTasksInputParamName`
 *     (a map ref → input);
 *  3. legacy `dynamicForkJoinTasksParam` ({dynamicTasks: [{taskName, referenceName, type, input}]}).
 * Result: a COMPLETED `FORK` instance, every forked task, and the JOIN that must follow, whose
 * joinOn is the forked refs.
 */
import type { JsonMap, TaskModel, WorkflowTask } from '../model';
import type { SystemTask, SystemTaskContext } from './system-task';
import { TerminateWorkflow } from '../outcome';
import { nextTaskNode } from '../next-task';
import { SYSTEM_TASK_TYPES, taskTypeOf, withTaskDefDefaults } from '../defaults';
import { resolveParameters } from '../parameters';
import { newSystemTask, withIteration } from './common';

type Forked = { tasks: WorkflowTask[]; inputs: Record<string, JsonMap> };

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function withDef(t: WorkflowTask, ctx: SystemTaskContext): WorkflowTask {
  if (!t.taskDefinition && t.name) {
    const def = ctx.deps.taskDef?.(t.name);
    if (def) t.taskDefinition = withTaskDefDefaults(def);
  }
  return t;
}

/** Form 1: forkTaskName / forkTaskType / forkTaskWorkflow + forkTaskInputs. Null when absent. */
function simpleForm(node: WorkflowTask, input: JsonMap, ctx: SystemTaskContext, nested: boolean): Forked | null {
  const list = input.forkTaskInputs;
  if (!Array.isArray(list)) return null;
  const subName = str(input.forkTaskWorkflow);
  const subVersion = Number.parseInt(String(input.forkTaskWorkflowVersion ?? ''), 10);
  let type = str(input.forkTaskType);
  let name = str(input.forkTaskName);
  if (type && SYSTEM_TASK_TYPES.has(type) && !name) name = type;
  name ??= node.taskReferenceName;
  type ??= 'SIMPLE';
  const out: Forked = { tasks: [], inputs: {} };
  list.forEach((item, i) => {
    const base: WorkflowTask = isMap(item) ? ({ ...(structuredClone(item) as object) } as WorkflowTask) : ({} as WorkflowTask);
    const params: JsonMap = isMap(item) ? { ...item } : { input: item };
    let t: WorkflowTask;
    if (subName) {
      t = { ...base, name: subName, type: 'SUB_WORKFLOW', subWorkflowParam: { name: subName, ...(Number.isNaN(subVersion) ? {} : { version: subVersion }), ...(isMap(item) && isMap(item.taskToDomain) ? { taskToDomain: item.taskToDomain } : {}) } } as WorkflowTask;
    } else {
      t = withDef({ ...base, name, type } as WorkflowTask, ctx);
    }
    t.taskReferenceName = nested ? `_${node.taskReferenceName}_${name}_${i}` : `_${name}_${i}`;
    params.__index = i;
    t.inputParameters = params;
    if (node.optional) t.optional = true;
    out.tasks.push(t);
    out.inputs[t.taskReferenceName] = params;
  });
  return out;
}

/** Form 2: a list of WorkflowTask JSON plus a map of inputs by ref. */
function tasksParamForm(node: WorkflowTask, input: JsonMap, ctx: SystemTaskContext): Forked {
  const param = String(node.dynamicForkTasksParam);
  const raw = input[param];
  const list = raw === null || raw === undefined ? [] : raw;
  if (!Array.isArray(list) || list.some((t) => !isMap(t) || typeof t.taskReferenceName !== 'string')) {
    throw new TerminateWorkflow(`Input '${param}' is invalid. Cannot deserialize a list of Workflow Tasks from '${JSON.stringify(raw)}'`);
  }
  const inputs = input[String(node.dynamicForkTasksInputParamName)];
  if (!isMap(inputs)) {
    throw new TerminateWorkflow(`Input to the dynamically forked tasks is not a map -> expecting a map of K,V  but found ${inputs === undefined ? null : JSON.stringify(inputs)}`);
  }
  return { tasks: list.map((t) => withDef(structuredClone(t) as WorkflowTask, ctx)), inputs: inputs as Record<string, JsonMap> };
}

/** Form 3 (legacy): {dynamicTasks: [{taskName, referenceName, type, input}]}. */
function legacyForm(node: WorkflowTask, input: JsonMap, ctx: SystemTaskContext): Forked {
  const param = String(node.dynamicForkJoinTasksParam ?? '');
  const v = input[param];
  if (!isMap(v) || !Array.isArray(v.dynamicTasks)) {
    throw new TerminateWorkflow(`Dynamic tasks could not be created. The value of ${param} from task's input ${JSON.stringify(input)} has no dynamic tasks to be scheduled`);
  }
  const out: Forked = { tasks: [], inputs: {} };
  for (const d of v.dynamicTasks as JsonMap[]) {
    const ref = String(d.referenceName);
    out.tasks.push(withDef({ name: String(d.taskName), taskReferenceName: ref, type: str(d.type) ?? 'SIMPLE' }, ctx));
    out.inputs[ref] = isMap(d.input) ? d.input : {};
  }
  return out;
}

export const dynamicForkTask: SystemTask = {
  schedule(node, ctx, opts) {
    const { wf } = ctx;
    const input = resolveParameters(node.inputParameters, wf, { env: ctx.deps.env });
    const nested = wf.tasks.some((t) => taskTypeOf(t.workflowTask) === 'FORK_JOIN_DYNAMIC');
    const forked =
      simpleForm(node, input, ctx, nested) ??
      (node.dynamicForkTasksParam ? tasksParamForm(node, input, ctx) : legacyForm(node, input, ctx));

    const fork = newSystemTask(node, ctx, {
      ...opts,
      status: 'COMPLETED',
      taskType: 'FORK',
      taskDefName: 'FORK',
      input: { forkedTasks: forked.tasks.map((t) => t.taskReferenceName), forkedTaskDefs: forked.tasks, ...input },
    });
    fork.executed = true;
    const tasks: TaskModel[] = [fork];
    const joinOn: string[] = [];
    if (!wf.tasks.some((t) => t.referenceTaskName === opts.refName)) {
      const seen = new Set(wf.tasks.map((t) => t.referenceTaskName));
      for (const t of forked.tasks) {
        t.inputParameters = { ...(t.inputParameters ?? {}), ...(forked.inputs[t.taskReferenceName] ?? {}) };
        const created = ctx.createTasks(t, opts.iteration).filter((x) => !seen.has(x.referenceTaskName));
        if (created.length === 0) {
          throw new TerminateWorkflow(
            `No dynamic tasks could be created for the Workflow: ${wf.workflowName}.${wf.workflowVersion}/${wf.workflowId}, Dynamic Fork Task: ${t.taskReferenceName} attempted to create a duplicate task reference name: ${t.taskReferenceName}`,
          );
        }
        for (const c of created) seen.add(c.referenceTaskName);
        tasks.push(...created);
        // joinOn holds refs without the loop suffix; JOIN appends its own iteration.
        joinOn.push(created[created.length - 1].workflowTask.taskReferenceName);
      }
    }
    const joinNode = nextTaskNode(wf.workflowDefinition.tasks, node.taskReferenceName);
    if (!joinNode || taskTypeOf(joinNode) !== 'JOIN') {
      throw new TerminateWorkflow('Dynamic join definition is not followed by a join task.  Check the workflow definition.');
    }
    const join = newSystemTask(joinNode, ctx, {
      refName: withIteration(joinNode.taskReferenceName, opts.iteration),
      iteration: opts.iteration,
      status: 'IN_PROGRESS',
      taskType: 'JOIN',
      taskDefName: 'JOIN',
      input: { ...(joinNode.inputParameters ?? {}), joinOn },
    });
    tasks.push(join);
    return tasks;
  },
};

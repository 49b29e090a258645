/**
 * SUB_WORKFLOW (SubWorkflowTaskMapper + SubWorkflow). The mapper records what to start in the
 * task input (subWorkflowName/Version/Definition/TaskToDomain, priority, workflowInput); the
 * runtime executor starts the child (engine/runtime/executors/sub-workflow.ts). While the task
 * runs, every decide of the parent reads the child's state: a terminal child ends the task
 * (COMPLETED / FAILED / CANCELED for TERMINATED / TIMED_OUT) with the child's output merged in.
 * Cancelling the task terminates the child.
 */
import type { JsonMap, TaskModel, WorkflowModel } from '../model';
import type { ChildState, SystemTask, SystemTaskContext } from './system-task';
import type { TaskStatus } from '../status';
import { TerminateWorkflow } from '../outcome';
import { isTerminalWorkflow } from '../status';
import { resolveParameters } from '../parameters';
import { finishTask, newSystemTask } from './common';

const CHILD_TO_TASK: Record<string, TaskStatus> = {
  COMPLETED: 'COMPLETED',
  FAILED: 'FAILED',
  TERMINATED: 'CANCELED',
  TIMED_OUT: 'TIMED_OUT',
};

/** What the executor needs to start the child, read from the task input. */
export interface ChildRequest {
  name?: string;
  version?: number;
  workflowDef?: JsonMap;
  input: JsonMap;
  correlationId?: string;
  taskToDomain: Record<string, string>;
  priority?: number;
  parentWorkflowId: string;
  parentWorkflowTaskId: string;
}

export function childRequestOf(parent: WorkflowModel, task: TaskModel): ChildRequest {
  const input = task.inputData;
  const def = input.subWorkflowDefinition;
  const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);
  let wfInput = isMap(input.workflowInput) && Object.keys(input.workflowInput).length > 0 ? input.workflowInput : input;
  if (isMap(def)) {
    const meta = isMap(wfInput._systemMetadata) ? { ...wfInput._systemMetadata } : {};
    wfInput = { ...wfInput, _systemMetadata: { ...meta, dynamic: true } };
  }
  const v = input.subWorkflowVersion;
  return {
    name: isMap(def) ? String(def.name) : typeof input.subWorkflowName === 'string' ? input.subWorkflowName : undefined,
    version: typeof v === 'number' && v !== 0 ? v : undefined,
    workflowDef: isMap(def) ? def : undefined,
    input: structuredClone(wfInput),
    correlationId: parent.correlationId,
    taskToDomain: isMap(input.subWorkflowTaskToDomain) ? (input.subWorkflowTaskToDomain as Record<string, string>) : parent.taskToDomain,
    priority: typeof input.priority === 'number' ? input.priority : undefined,
    parentWorkflowId: parent.workflowId,
    parentWorkflowTaskId: task.taskId,
  };
}

/** Attach a started (or already finished) child to its task. */
export function attachChild(task: TaskModel, child: ChildState, ctx: Pick<SystemTaskContext, 'wf' | 'deps' | 'out'>): void {
  task.subWorkflowId = child.workflowId;
  task.reasonForIncompletion = undefined;
  task.outputData = { ...task.outputData, subWorkflowId: child.workflowId };
  task.status = 'IN_PROGRESS';
  task.updateTime = ctx.deps.now;
  syncWithChild(task, child, ctx);
}

/** Mirror a terminal child on the task; false while the child runs. */
function syncWithChild(task: TaskModel, child: ChildState, ctx: Pick<SystemTaskContext, 'wf' | 'deps' | 'out'>): boolean {
  if (!isTerminalWorkflow(child.status)) return false;
  task.outputData = { ...task.outputData, ...child.output };
  const status = CHILD_TO_TASK[child.status] ?? 'FAILED';
  const reason = status === 'COMPLETED' ? undefined : `Sub workflow ${child.workflowName}.${child.workflowVersion}/${child.workflowId} failure reason: ${child.reasonForIncompletion ?? null}`;
  return finishTask(task, ctx, status, reason);
}

export const subWorkflowTask: SystemTask = {
  async: true,
  schedule(node, ctx, opts) {
    const params = node.subWorkflowParam as JsonMap | undefined;
    if (!params) {
      throw new TerminateWorkflow(`Task ${node.name} is defined as sub-workflow and is missing subWorkflowParams. Please check the workflow definition`);
    }
    const raw: JsonMap = { name: params.name, priority: params.priority };
    if (params.version !== undefined && params.version !== null) raw.version = params.version;
    if (params.taskToDomain) raw.taskToDomain = params.taskToDomain;
    if (params.idempotencyKey !== undefined) raw.idempotencyKey = params.idempotencyKey;
    if (params.idempotencyStrategy !== undefined) raw.idempotencyStrategy = params.idempotencyStrategy;
    const inlineDef = params.workflowDefinition;
    if (typeof inlineDef === 'string') raw.workflowDefinition = inlineDef;
    const resolved = resolveParameters(raw, ctx.wf, { env: ctx.deps.env });
    if (inlineDef !== undefined && typeof inlineDef !== 'string') resolved.workflowDefinition = inlineDef;
    const name = String(resolved.name);
    let version: number | null = null;
    if (resolved.workflowDefinition === undefined || resolved.workflowDefinition === null) {
      const v = resolved.version;
      if (v !== undefined && v !== null) version = typeof v === 'number' ? Math.trunc(v) : Number.parseInt(String(v), 10);
      else {
        const latest = ctx.deps.latestWorkflowVersion?.(name);
        if (latest === undefined) throw new TerminateWorkflow(`The Task ${name} defined as a sub-workflow has no workflow definition available `);
        version = latest;
      }
    }
    const task = newSystemTask(node, ctx, { ...opts, status: 'SCHEDULED', taskType: 'SUB_WORKFLOW' });
    task.inputData = {
      subWorkflowName: name,
      priority: resolved.priority ?? null,
      subWorkflowVersion: version,
      subWorkflowTaskToDomain: resolved.taskToDomain ?? null,
      subWorkflowDefinition: resolved.workflowDefinition ?? null,
      idempotencyKey: resolved.idempotencyKey ?? null,
      idempotencyStrategy: resolved.idempotencyStrategy ?? null,
      workflowInput: task.inputData,
    };
    task.callbackAfterSeconds = Math.max(0, Number(node.startDelay ?? 0) || 0);
    if (typeof params.priority === 'number') task.workflowPriority = Math.trunc(params.priority);
    return [task];
  },
  execute(task, ctx) {
    if (!task.subWorkflowId) return false;
    const child = ctx.deps.workflowState?.(task.subWorkflowId);
    return child ? syncWithChild(task, child, ctx) : false;
  },
  cancel(task, ctx) {
    if (!task.subWorkflowId) return;
    const wf = ctx.wf;
    const reason = wf.reasonForIncompletion
      ? `Parent workflow has been terminated with reason: ${wf.reasonForIncompletion}`
      : `Parent workflow has been terminated with status ${wf.status}`;
    ctx.out.childTerminations.push({ workflowId: task.subWorkflowId, reason });
  },
  externallyCompleted: true,
};

/**
 * START_WORKFLOW (Conductor's StartWorkflow, async): queued under its type; the runtime executor
 * starts the requested workflow in the same transaction that completes this task. The new
 * workflow is independent (no parent link) and the task does not wait for it.
 */
import type { JsonMap, TaskModel, WorkflowModel } from '../model';
import type { SystemTask } from './system-task';
import { newSystemTask } from './common';

export interface StartWorkflowParams {
  name: string;
  version?: number;
  correlationId?: string;
  input: JsonMap;
  taskToDomain: Record<string, string>;
  priority?: number;
  idempotencyKey?: string;
  idempotencyStrategy?: 'FAIL' | 'RETURN_EXISTING' | 'FAIL_ON_RUNNING';
  createdBy?: string;
  workflowDef?: unknown;
}

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The request in `input.startWorkflow`, with the parent's correlationId and taskToDomain filled
 * in when absent; or the reason the task fails.
 */
export function startRequestOf(task: TaskModel, parent: Pick<WorkflowModel, 'correlationId' | 'taskToDomain'>): { ok: true; request: StartWorkflowParams } | { ok: false; reason: string } {
  const raw = task.inputData.startWorkflow;
  if (raw === undefined || raw === null) return { ok: false, reason: "Missing 'startWorkflow' in input data." };
  if (!isMap(raw)) return { ok: false, reason: `Error reading StartWorkflowRequest. Cannot deserialize value of type StartWorkflowRequest from ${JSON.stringify(raw)}` };
  const violations: string[] = [];
  if (typeof raw.name !== 'string' || raw.name.trim() === '') violations.push("'name' -> Workflow name cannot be null or empty. ");
  const priority = raw.priority;
  if (priority !== undefined && priority !== null && (!Number.isInteger(priority) || (priority as number) < 0 || (priority as number) > 99)) {
    violations.push("'priority' -> priority: must be between 0 and 99. ");
  }
  let version: number | undefined;
  if (raw.version !== undefined && raw.version !== null && raw.version !== '') {
    version = Number(raw.version);
    if (!Number.isInteger(version)) violations.push("'version' -> must be an integer. ");
  }
  if (raw.input !== undefined && raw.input !== null && !isMap(raw.input)) violations.push("'input' -> must be a map. ");
  if (violations.length) return { ok: false, reason: `startWorkflow validation failed. ${violations.join('')}`.trim() };
  const ttd = isMap(raw.taskToDomain) && Object.keys(raw.taskToDomain).length ? (raw.taskToDomain as Record<string, string>) : { ...(parent.taskToDomain ?? {}) };
  const corr = typeof raw.correlationId === 'string' && raw.correlationId.trim() !== '' ? raw.correlationId : parent.correlationId;
  return {
    ok: true,
    request: {
      name: raw.name as string,
      version,
      correlationId: corr,
      input: isMap(raw.input) ? raw.input : {},
      taskToDomain: ttd,
      priority: typeof priority === 'number' ? priority : undefined,
      idempotencyKey: typeof raw.idempotencyKey === 'string' ? raw.idempotencyKey : undefined,
      idempotencyStrategy: raw.idempotencyStrategy as StartWorkflowParams['idempotencyStrategy'],
      createdBy: typeof raw.createdBy === 'string' ? raw.createdBy : undefined,
      workflowDef: isMap(raw.workflowDef) ? raw.workflowDef : undefined,
    },
  };
}

export const startWorkflowTask: SystemTask = {
  async: true,
  schedule(node, ctx, opts) {
    return [newSystemTask(node, ctx, { ...opts, status: 'SCHEDULED' })];
  },
};

/** Validating and normalising a StartWorkflowRequest (Conductor §2.7, §6.3). */
import type { FieldViolation } from '../core/errors';
import { ValidationError, BadRequestError } from '../core/errors';
import type { JsonMap, WorkflowDef } from '../core/model';
import type { StartWorkflowRequest } from '../runtime/engine';
import { validateWorkflowDef } from '../core/validation';
import { isObject } from './validate';

const STRATEGIES = ['FAIL', 'RETURN_EXISTING', 'FAIL_ON_RUNNING'];

export function parseStartRequest(body: unknown, env: Record<string, string | undefined>, prefix = 'startWorkflow.startWorkflowRequest'): StartWorkflowRequest {
  if (!isObject(body)) throw new BadRequestError('StartWorkflowRequest must be a JSON object');
  const v: FieldViolation[] = [];
  const b = body as JsonMap;
  const def = b.workflowDef as WorkflowDef | undefined;
  const name = typeof b.name === 'string' && b.name !== '' ? b.name : def && typeof def.name === 'string' ? def.name : undefined;
  if (!name) v.push({ path: `${prefix}.name`, message: 'Workflow name cannot be null or empty' });
  if (b.version !== undefined && b.version !== null && !Number.isInteger(b.version)) v.push({ path: `${prefix}.version`, message: 'version must be an integer', invalidValue: b.version });
  if (b.priority !== undefined && b.priority !== null && (!Number.isInteger(b.priority) || (b.priority as number) < 0 || (b.priority as number) > 99)) {
    v.push({ path: `${prefix}.priority`, message: `priority: ${String(b.priority)} should be between 0 and 99`, invalidValue: b.priority });
  }
  if (b.input !== undefined && b.input !== null && !isObject(b.input)) v.push({ path: `${prefix}.input`, message: 'input must be a JSON object' });
  if (b.correlationId !== undefined && b.correlationId !== null && typeof b.correlationId !== 'string') v.push({ path: `${prefix}.correlationId`, message: 'correlationId must be a string' });
  if (b.taskToDomain !== undefined && b.taskToDomain !== null && (!isObject(b.taskToDomain) || Object.values(b.taskToDomain).some((x) => typeof x !== 'string'))) {
    v.push({ path: `${prefix}.taskToDomain`, message: 'taskToDomain must map task types to domain names' });
  }
  if (b.idempotencyKey !== undefined && b.idempotencyKey !== null && typeof b.idempotencyKey !== 'string') v.push({ path: `${prefix}.idempotencyKey`, message: 'idempotencyKey must be a string' });
  if (b.idempotencyStrategy !== undefined && b.idempotencyStrategy !== null && !STRATEGIES.includes(String(b.idempotencyStrategy))) {
    v.push({ path: `${prefix}.idempotencyStrategy`, message: `idempotencyStrategy must be one of ${STRATEGIES.join(', ')}`, invalidValue: b.idempotencyStrategy });
  }
  if (def !== undefined && def !== null) v.push(...validateWorkflowDef(def, { pathPrefix: `${prefix}.workflowDef`, env }));
  if (v.length) throw new ValidationError(v);
  return {
    name: name!,
    version: typeof b.version === 'number' && b.version > 0 ? b.version : undefined,
    input: (b.input as JsonMap) ?? {},
    correlationId: (b.correlationId as string) ?? undefined,
    priority: (b.priority as number) ?? 0,
    taskToDomain: (b.taskToDomain as Record<string, string>) ?? {},
    workflowDef: def ?? undefined,
    idempotencyKey: (b.idempotencyKey as string) ?? undefined,
    idempotencyStrategy: (b.idempotencyStrategy as StartWorkflowRequest['idempotencyStrategy']) ?? undefined,
    createdBy: typeof b.createdBy === 'string' ? b.createdBy : undefined,
  };
}

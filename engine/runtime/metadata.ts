/**
 * Registering definitions, validated as Conductor validates them; shared by the API and the
 * start-up loader of taskdefs/ and workflows/.
 */
import type { TaskDef, WorkflowDef } from '../core/model';
import { validateTaskDef, validateWorkflowDef } from '../core/validation';
import { ConflictError, NotFoundError, ValidationError, BadRequestError } from '../core/errors';
import type { Engine } from './engine';

export interface BulkResponse {
  bulkErrorResults: Record<string, string>;
  bulkSuccessfulResults: string[];
}

export class MetadataService {
  constructor(
    private readonly engine: Engine,
    readonly env: Record<string, string | undefined> = {},
    private readonly ownerEmailMandatory = false,
  ) {}

  registerTaskDefs(defs: TaskDef[]): void {
    const violations = defs.flatMap((d, i) => validateTaskDef(d, { pathPrefix: `registerTaskDef.taskDefinitions[${i}]`, ownerEmailMandatory: this.ownerEmailMandatory }));
    if (violations.length) throw new ValidationError(violations);
    const now = this.engine.clock.now();
    this.engine.tx(() => {
      for (const d of defs) {
        const prior = this.engine.store.getTaskDef(d.name);
        this.engine.store.putTaskDef({ ...d, createTime: prior?.createTime ?? now, ...(prior ? { updateTime: now } : {}) });
      }
    });
  }

  updateTaskDef(def: TaskDef): void {
    if (typeof def !== 'object' || def === null || Array.isArray(def)) throw new BadRequestError('Request body must be a JSON task definition object');
    const violations = validateTaskDef(def, { pathPrefix: 'updateTaskDef.taskDef', ownerEmailMandatory: this.ownerEmailMandatory });
    if (violations.length) throw new ValidationError(violations);
    this.engine.tx(() => {
      const prior = this.engine.store.getTaskDef(def.name);
      if (!prior) throw new NotFoundError(`No such task by name ${def.name}`);
      this.engine.store.putTaskDef({ ...def, createTime: prior.createTime, createdBy: prior.createdBy, updateTime: this.engine.clock.now() });
    });
  }

  private check(def: unknown, prefix: string): void {
    const violations = validateWorkflowDef(def, { pathPrefix: prefix, env: this.env, ownerEmailMandatory: this.ownerEmailMandatory });
    if (violations.length) throw new ValidationError(violations);
  }

  registerWorkflowDef(def: WorkflowDef, overwrite: boolean): void {
    this.check(def, 'registerWorkflowDef.workflowDef');
    const version = def.version ?? 1;
    this.engine.tx(() => {
      const prior = this.engine.store.getWorkflowDef(def.name, version);
      if (prior && !overwrite) throw new ConflictError(`Workflow with ${def.name}.${version} already exists!`);
      const now = this.engine.clock.now();
      this.engine.store.putWorkflowDef({ ...def, version, createTime: prior?.createTime ?? now, ...(prior ? { updateTime: now } : {}) });
    });
  }

  upsertWorkflowDefs(defs: WorkflowDef[]): BulkResponse {
    const violations = defs.flatMap((d, i) => validateWorkflowDef(d, { pathPrefix: `updateWorkflowDefs.workflowDefs[${i}]`, env: this.env, ownerEmailMandatory: this.ownerEmailMandatory }));
    if (violations.length) throw new ValidationError(violations);
    const res: BulkResponse = { bulkErrorResults: {}, bulkSuccessfulResults: [] };
    this.engine.tx(() => {
      const now = this.engine.clock.now();
      for (const d of defs) {
        const version = d.version ?? 1;
        const prior = this.engine.store.getWorkflowDef(d.name, version);
        this.engine.store.putWorkflowDef({ ...d, version, createTime: prior?.createTime ?? now, updateTime: now });
        res.bulkSuccessfulResults.push(d.name);
      }
    });
    return res;
  }
}

/**
 * Registering definitions, validated as Conductor validates them; shared by the API and the
 * start-up loader of taskdefs/ and workflows/.
 */
import type { TaskDef, WorkflowDef } from '../core/model';
import { lintWorkflowDef, validateTaskDef, validateWorkflowDef, type Violation } from '../core/validation';
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

  /**
   * Conductor's registration checks (JavaScript of SWITCH/DECISION syntax-checked in the
   * sandbox); with `strict`, also Baton's lint: fork without join, unknown joinOn refs and
   * sub-workflows, INLINE / loop conditions that don't parse, jq that doesn't compile, SIMPLE
   * tasks without a task definition.
   */
  validate(def: unknown, prefix: string, strict = false): Violation[] {
    const { scripts, jq } = this.engine.deps();
    const checkScript = scripts ? (src: string) => scripts.syntaxError(src) ?? undefined : undefined;
    const out = validateWorkflowDef(def, {
      pathPrefix: prefix,
      env: this.env,
      ownerEmailMandatory: this.ownerEmailMandatory,
      checkScript,
      getTaskDef: (n) => this.engine.store.getTaskDef(n),
    });
    if (strict && out.length === 0) {
      const store = this.engine.store;
      const knownTaskDefs = new Set(store.listTaskDefs().map((d) => d.name));
      const knownWorkflows = new Set(store.listWorkflowDefs().map((d) => d.name));
      if (typeof (def as WorkflowDef).name === 'string') knownWorkflows.add((def as WorkflowDef).name);
      out.push(...lintWorkflowDef(def as WorkflowDef, knownTaskDefs, { knownWorkflows, scripts, jq }));
    }
    return out;
  }

  private check(def: unknown, prefix: string, strict: boolean): void {
    const violations = this.validate(def, prefix, strict);
    if (violations.length) throw new ValidationError(violations);
  }

  registerWorkflowDef(def: WorkflowDef, overwrite: boolean, strict = false): void {
    this.check(def, 'registerWorkflowDef.workflowDef', strict);
    const version = def.version ?? 1;
    this.engine.tx(() => {
      const prior = this.engine.store.getWorkflowDef(def.name, version);
      if (prior && !overwrite) throw new ConflictError(`Workflow with ${def.name}.${version} already exists!`);
      const now = this.engine.clock.now();
      this.engine.store.putWorkflowDef({ ...def, version, createTime: prior?.createTime ?? now, ...(prior ? { updateTime: now } : {}) });
    });
  }

  upsertWorkflowDefs(defs: WorkflowDef[], strict = false): BulkResponse {
    const violations = defs.flatMap((d, i) => this.validate(d, `updateWorkflowDefs.workflowDefs[${i}]`, strict));
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

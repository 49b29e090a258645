/**
 * Event handlers at work (Conductor's DefaultEventProcessor + SimpleActionProcessor): every
 * message an EVENT task published reaches, after the commit, each active handler whose `event`
 * equals the queue name (`conductor:<workflowName>:<queue>`). A handler runs when its
 * `condition` (JavaScript, `$` = payload) is truthy; its actions start workflows or complete /
 * fail tasks with inputs resolved against the payload.
 */
import type { JsonMap, TaskModel } from '../core/model';
import type { EventAction, EventHandler, TaskDetails } from '../core/event-handler';
import type { Engine } from './engine';
import { resolveAgainst } from '../core/parameters';
import { baseRef } from '../core/next-task';
import { updateTask } from './task-ops';

export interface EventLog {
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

export interface ActionResult {
  handler: string;
  action: string;
  status: 'COMPLETED' | 'FAILED' | 'SKIPPED';
  output: JsonMap;
}

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));

/** ScriptEvaluator.toBoolean: true, or a number > 0. */
const truthy = (v: unknown): boolean => v === true || (typeof v === 'number' && v > 0);

export class EventProcessor {
  private off: () => void = () => undefined;
  private stopped = false;

  constructor(
    private readonly engine: Engine,
    private readonly log?: EventLog,
  ) {}

  start(): void {
    this.off = this.engine.onEventMessage((m) => {
      // outside the committing call: handlers start and update other workflows
      setImmediate(() => {
        if (!this.stopped) this.process(m.queue, m.payload);
      });
    });
  }

  stop(): void {
    this.stopped = true;
    this.off();
  }

  /** Run every matching handler for one message; what each action did. */
  process(event: string, payload: JsonMap, messageId: string = this.engine.newId()): ActionResult[] {
    const results: ActionResult[] = [];
    let handlers: EventHandler[];
    try {
      handlers = this.engine.store.eventHandlersFor(event, true);
    } catch (e) {
      this.log?.warn('event handlers could not be read', { event, error: (e as Error).message });
      return results;
    }
    for (const h of handlers) {
      if (!this.conditionHolds(h, payload, event)) {
        results.push({ handler: h.name, action: '', status: 'SKIPPED', output: { condition: h.condition ?? null } });
        continue;
      }
      for (const a of h.actions ?? []) {
        try {
          results.push({ handler: h.name, action: a.action, status: 'COMPLETED', output: this.run(a, payload, event, messageId) });
        } catch (e) {
          const error = e instanceof Error ? e.message : String(e);
          this.log?.warn('event handler action failed', { handler: h.name, action: a.action, event, messageId, error });
          results.push({ handler: h.name, action: a.action, status: 'FAILED', output: { error } });
        }
      }
    }
    return results;
  }

  private conditionHolds(h: EventHandler, payload: JsonMap, event: string): boolean {
    if (!h.condition) return true;
    const scripts = this.engine.deps().scripts;
    if (!scripts) {
      this.log?.warn('event handler condition not evaluated: no script sandbox loaded', { handler: h.name, event });
      return false;
    }
    const r = scripts.evaluate(h.condition, { $: payload });
    if (!r.ok) {
      this.log?.warn('event handler condition failed to evaluate', { handler: h.name, event, error: r.error });
      return false;
    }
    return truthy(r.value);
  }

  private run(a: EventAction, payload: JsonMap, event: string, messageId: string): JsonMap {
    switch (a.action) {
      case 'start_workflow':
        return this.startWorkflow(a, payload, event, messageId);
      case 'complete_task':
        return this.updateTask(a.complete_task ?? {}, payload, 'COMPLETED', event, messageId);
      case 'fail_task':
        return this.updateTask(a.fail_task ?? {}, payload, 'FAILED', event, messageId);
      default:
        throw new Error(`Action not supported ${String(a.action)} for event ${event}`);
    }
  }

  private startWorkflow(a: EventAction, payload: JsonMap, event: string, messageId: string): JsonMap {
    const p = a.start_workflow ?? {};
    if (!p.name) throw new Error('start_workflow action has no workflow name');
    const input = resolveAgainst(isMap(p.input) ? p.input : {}, payload);
    const params: JsonMap = { taskToDomain: '${taskToDomain}' };
    if (p.correlationId !== undefined && p.correlationId !== null) params.correlationId = p.correlationId;
    const replaced = resolveAgainst(params, payload);
    const ttd = isMap(p.taskToDomain) ? p.taskToDomain : isMap(replaced.taskToDomain) ? (replaced.taskToDomain as Record<string, string>) : {};
    input['conductor.event.messageId'] = messageId;
    input['conductor.event.name'] = event;
    const workflowId = this.engine.startWorkflow({
      name: p.name,
      version: p.version ?? undefined,
      input,
      correlationId: str(replaced.correlationId) ?? str(p.correlationId),
      taskToDomain: ttd,
    });
    return { workflowId };
  }

  private updateTask(d: TaskDetails, payload: JsonMap, status: 'COMPLETED' | 'FAILED', event: string, messageId: string): JsonMap {
    const tpl: JsonMap = {};
    for (const k of ['workflowId', 'taskId', 'taskRefName', 'reasonForIncompletion'] as const) if (d[k] !== undefined && d[k] !== null) tpl[k] = d[k];
    Object.assign(tpl, isMap(d.output) ? d.output : {});
    const replaced = resolveAgainst(tpl, payload);
    const workflowId = str(replaced.workflowId);
    const taskId = str(replaced.taskId);
    const ref = str(replaced.taskRefName);
    let task: TaskModel | undefined;
    if (taskId) task = this.engine.store.getTask(taskId);
    else if (workflowId && ref) {
      const wf = this.engine.store.loadWorkflow(workflowId);
      if (!wf) throw new Error(`No workflow found with ID: ${workflowId}`);
      const loop = wf.tasks.filter((t) => baseRef(t.referenceTaskName) === ref);
      task = loop.length ? loop.reduce((best, t) => (t.iteration > best.iteration || (t.iteration === best.iteration && t.seq > best.seq) ? t : best)) : undefined;
    }
    if (!task) throw new Error(`No task found with taskId: ${taskId ?? null}, reference name: ${ref ?? null}, workflowId: ${workflowId ?? null}`);
    const output: JsonMap = { ...replaced, 'conductor.event.messageId': messageId, 'conductor.event.name': event };
    updateTask(this.engine, {
      workflowInstanceId: task.workflowInstanceId,
      taskId: task.taskId,
      status,
      outputData: output,
      reasonForIncompletion: status === 'FAILED' ? str(replaced.reasonForIncompletion) : undefined,
    });
    return output;
  }
}

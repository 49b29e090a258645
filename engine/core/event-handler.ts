/**
 * Event handlers (Conductor's EventHandler): what runs when a message arrives on an event
 * queue. The shape, its validation (EventHandler's bean constraints) and the queue matching.
 */
import type { JsonMap } from './model';
import type { FieldViolation } from './errors';

export const EVENT_ACTIONS = ['start_workflow', 'complete_task', 'fail_task', 'terminate_workflow', 'update_workflow_variables', 'start_agent'] as const;
export type EventActionType = (typeof EVENT_ACTIONS)[number];

export interface TaskDetails {
  workflowId?: string;
  taskRefName?: string;
  taskId?: string;
  output?: JsonMap;
  reasonForIncompletion?: string;
}

export interface EventAction {
  action: EventActionType;
  start_workflow?: { name?: string; version?: number; correlationId?: string; input?: JsonMap; taskToDomain?: Record<string, string> };
  complete_task?: TaskDetails;
  fail_task?: TaskDetails;
  terminate_workflow?: { workflowId?: string; terminationReason?: string };
  update_workflow_variables?: { workflowId?: string; variables?: JsonMap; appendArray?: boolean };
  start_agent?: JsonMap;
  expandInlineJSON?: boolean;
}

export interface EventHandler {
  name: string;
  event: string;
  condition?: string;
  evaluatorType?: string;
  active: boolean;
  actions: EventAction[];
  [k: string]: unknown;
}

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

/** Bean-validation violations of an event handler body (`pathPrefix` e.g. `addEventHandler.eventHandler`). */
export function validateEventHandler(body: unknown, pathPrefix: string): FieldViolation[] {
  const v: FieldViolation[] = [];
  const at = (p: string) => `${pathPrefix}.${p}`;
  if (!isMap(body)) return [{ path: pathPrefix, message: 'must be a JSON object', invalidValue: body }];
  if (!nonEmpty(body.name)) v.push({ path: at('name'), message: 'Missing event handler name', invalidValue: body.name ?? null });
  if (!nonEmpty(body.event)) v.push({ path: at('event'), message: 'Missing event location', invalidValue: body.event ?? null });
  if (body.condition !== undefined && body.condition !== null && typeof body.condition !== 'string') v.push({ path: at('condition'), message: 'condition must be a string', invalidValue: body.condition });
  if (body.active !== undefined && body.active !== null && typeof body.active !== 'boolean') v.push({ path: at('active'), message: 'active must be a boolean', invalidValue: body.active });
  if (!Array.isArray(body.actions) || body.actions.length === 0) {
    v.push({ path: at('actions'), message: 'No actions specified. Please specify at-least one action', invalidValue: body.actions ?? null });
    return v;
  }
  body.actions.forEach((a: unknown, i: number) => {
    const p = at(`actions[${i}]`);
    if (!isMap(a)) return v.push({ path: p, message: 'action must be a JSON object', invalidValue: a });
    if (!(EVENT_ACTIONS as readonly string[]).includes(a.action as string)) {
      return v.push({ path: `${p}.action`, message: `action must be one of ${EVENT_ACTIONS.join(', ')}`, invalidValue: a.action ?? null });
    }
    const params = a[a.action as string];
    if (params !== undefined && params !== null && !isMap(params)) v.push({ path: `${p}.${a.action as string}`, message: 'must be a JSON object', invalidValue: params });
    if (a.action === 'start_workflow' && !(isMap(params) && nonEmpty(params.name))) {
      v.push({ path: `${p}.start_workflow.name`, message: 'start_workflow needs the name of the workflow to start', invalidValue: isMap(params) ? (params.name ?? null) : null });
    }
    return undefined;
  });
  return v;
}

/** A handler body with Conductor's defaults (active false, actions' maps present). */
export function withEventHandlerDefaults(body: JsonMap): EventHandler {
  return { ...body, active: body.active === true, actions: body.actions as EventAction[] } as EventHandler;
}

/**
 * What one decision asks the runtime to do besides persisting the mutated workflow:
 * queue pushes and removals, a failure workflow to start, the next time to re-decide, events.
 */
import type { JsonMap } from './model';
import type { EngineEvent } from './events';
import type { WorkflowStatus } from './status';

export interface QueuePush {
  taskId: string;
  queueName: string;
  /** Epoch ms when the task becomes pollable. */
  dueAt: number;
  priority: number;
}

export interface StartRequestEffect {
  name: string;
  version?: number;
  input: JsonMap;
  correlationId?: string;
  taskToDomain: Record<string, string>;
}

export interface Outcome {
  pushes: QueuePush[];
  /** Task ids whose queue entries must go. */
  removes: string[];
  events: EngineEvent[];
  /** Set when the workflow ended in a way that starts its failure workflow. */
  failureWorkflow?: StartRequestEffect;
  /** Messages an EVENT task published to Conductor's internal `conductor:` queues, for the event handlers. */
  eventMessages: Array<{ queue: string; payload: JsonMap }>;
  /** Sub-workflows to terminate because the task that started them was cancelled. */
  childTerminations: Array<{ workflowId: string; reason: string }>;
  /** Epoch ms of the earliest deadline (timeouts) that needs a re-decide; null = none. */
  nextCheckAt: number | null;
}

export const newOutcome = (): Outcome => ({ pushes: [], removes: [], events: [], childTerminations: [], eventMessages: [], nextCheckAt: null });

/** Thrown inside the decider to end the workflow (Conductor's TerminateWorkflowException). */
export class TerminateWorkflow extends Error {
  constructor(
    readonly reason: string,
    readonly status: WorkflowStatus = 'FAILED',
    readonly taskId?: string,
  ) {
    super(reason);
  }
}

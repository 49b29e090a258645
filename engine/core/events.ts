/**
 * The engine's typed events: the one seam to metrics and logs. The core records them in its
 * outcome; the runtime publishes them after the transaction commits.
 */
export interface EngineEvents {
  'workflow:started': { workflowId: string; name: string; version: number };
  'workflow:ended': { workflowId: string; name: string; status: string; durationMs: number; reason?: string };
  'task:scheduled': { workflowId: string; taskId: string; taskType: string; ref: string };
  'task:polled': { workflowId: string; taskId: string; taskType: string; workerId?: string; queueWaitMs: number };
  'task:ended': { workflowId: string; taskId: string; taskType: string; status: string; durationMs: number; reason?: string };
  'task:timedOut': { workflowId: string; taskId: string; taskType: string; kind: 'response' | 'task' | 'poll' | 'total' };
}
export type EngineEventName = keyof EngineEvents;
export type EngineEvent = { [K in EngineEventName]: { type: K; data: EngineEvents[K] } }[EngineEventName];

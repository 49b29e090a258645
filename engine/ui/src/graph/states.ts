/**
 * An execution's tasks → the state of each node of its definition (pure, no DOM). Loop tasks
 * carry `ref__n`; a retry is a new task with the same ref. A node shows its latest iteration's
 * latest attempt.
 */
import type { WfTask } from './layout.js';

/** What an execution says about one node of the definition. */
export interface NodeState {
  /** Status of the latest attempt (of the latest iteration inside a loop). */
  status: string;
  taskId: string;
  /** Attempts of this node in its latest iteration (retries + 1). */
  attempts: number;
  /** For a DO_WHILE: iterations run so far. */
  iterations?: number;
  /** For a SWITCH: the case it chose. */
  selectedCase?: string;
  subWorkflowId?: string;
}

/** The fields of an execution's Task this module reads. */
export interface TaskLike {
  taskId: string;
  taskType: string;
  status: string;
  referenceTaskName: string;
  seq: number;
  iteration?: number;
  subWorkflowId?: string;
  inputData?: Record<string, unknown>;
  outputData?: Record<string, unknown>;
  workflowTask?: { taskReferenceName?: string; type?: string };
}

/** The definition ref a task belongs to (without the loop suffix). */
export function baseRef(t: TaskLike): string {
  return t.workflowTask?.taskReferenceName ?? t.referenceTaskName.replace(/__\d+$/, '');
}

export function nodeStates(tasks: TaskLike[]): Map<string, NodeState> {
  const byRef = new Map<string, TaskLike[]>();
  for (const t of [...tasks].sort((a, b) => a.seq - b.seq)) {
    const ref = baseRef(t);
    const list = byRef.get(ref) ?? [];
    list.push(t);
    byRef.set(ref, list);
  }
  const out = new Map<string, NodeState>();
  for (const [ref, list] of byRef) {
    const lastIteration = Math.max(...list.map((t) => t.iteration ?? 0));
    const current = list.filter((t) => (t.iteration ?? 0) === lastIteration);
    const latest = current[current.length - 1];
    const st: NodeState = { status: latest.status, taskId: latest.taskId, attempts: current.length };
    if ((latest.workflowTask?.type ?? latest.taskType) === 'DO_WHILE') {
      const it = latest.iteration ?? Number(latest.outputData?.iteration ?? 0);
      if (it > 0) st.iterations = it;
    }
    const selected = latest.outputData?.selectedCase;
    if ((latest.taskType === 'SWITCH' || latest.taskType === 'DECISION') && selected !== undefined && selected !== null) st.selectedCase = String(selected);
    const child = latest.subWorkflowId ?? (typeof latest.outputData?.subWorkflowId === 'string' ? latest.outputData.subWorkflowId : undefined);
    if (child) st.subWorkflowId = child;
    out.set(ref, st);
  }
  return out;
}

/** FORK_JOIN_DYNAMIC ref → the tasks it forked (latest run), for the layout. */
export function dynamicForks(tasks: TaskLike[]): Record<string, WfTask[]> {
  const out: Record<string, WfTask[]> = {};
  for (const t of [...tasks].sort((a, b) => a.seq - b.seq)) {
    if (t.workflowTask?.type !== 'FORK_JOIN_DYNAMIC') continue;
    const defs = t.inputData?.forkedTaskDefs;
    if (Array.isArray(defs)) out[baseRef(t)] = defs.filter((d): d is WfTask => !!d && typeof (d as WfTask).taskReferenceName === 'string');
  }
  return out;
}

/**
 * Signals (Conductor's `POST /tasks/{workflowId}/{status}/signal[/sync]`) and the wait behind the
 * synchronous execute/signal endpoints: finding the blocking task across a workflow and its running
 * sub-workflows, completing it, and waiting until the workflow tree blocks again or ends.
 */
import type { JsonMap, TaskModel, WorkflowModel } from '../core/model';
import { isTerminalTask, isTerminalWorkflow, type TaskResultStatus } from '../core/status';
import type { Engine } from './engine';
import { updateTask } from './task-ops';

const isRunningSubWorkflow = (t: TaskModel): boolean => t.taskType === 'SUB_WORKFLOW' && !!t.subWorkflowId && !isTerminalTask(t.status);

/**
 * The task a signal completes (Conductor's TaskServiceImpl.findPendingBlockingTask): the first
 * non-terminal WAIT of the workflow — with or without a deadline; HUMAN does not count — else,
 * depth-first, the one inside a non-terminal SUB_WORKFLOW's child. Unknown root → NotFoundError.
 */
export function findSignalTarget(engine: Engine, workflowId: string): TaskModel | undefined {
  return search(engine, engine.getWorkflow(workflowId), new Set());
}

function search(engine: Engine, wf: WorkflowModel, seen: Set<string>): TaskModel | undefined {
  seen.add(wf.workflowId);
  const wait = wf.tasks.find((t) => t.taskType === 'WAIT' && !isTerminalTask(t.status));
  if (wait) return wait;
  for (const t of wf.tasks) {
    if (!isRunningSubWorkflow(t) || seen.has(t.subWorkflowId!)) continue;
    const child = engine.store.loadWorkflow(t.subWorkflowId!);
    const found = child && search(engine, child, seen);
    if (found) return found;
  }
  return undefined;
}

/**
 * Complete (or fail, …) the workflow's blocking task with `output` merged over its current output.
 * Returns the signalled task, or undefined when nothing blocks (a no-op).
 */
export function signalWorkflow(engine: Engine, workflowId: string, status: TaskResultStatus, output: JsonMap): TaskModel | undefined {
  const target = findSignalTarget(engine, workflowId);
  if (!target) return undefined;
  updateTask(engine, {
    workflowInstanceId: target.workflowInstanceId,
    taskId: target.taskId,
    status,
    outputData: { ...target.outputData, ...output },
    workerId: target.workerId,
  });
  return target;
}

export interface BlockingTasks {
  /** In task order, sub-workflow results at the position of their SUB_WORKFLOW task. */
  tasks: TaskModel[];
  /** The (sub-)workflow holding the first blocking task. */
  workflow?: WorkflowModel;
  /** Every workflow the search read: the root and its running descendants. */
  visited: string[];
}

/**
 * Blocking tasks of a synchronous execute/signal (Conductor's WorkflowSignalResponder): a
 * non-terminal WAIT without a deadline, or a terminal task named in `refs`, searched recursively
 * into running sub-workflows.
 */
export function findBlockingTasks(engine: Engine, wf: WorkflowModel, refs: readonly string[] = []): BlockingTasks {
  const out: BlockingTasks = { tasks: [], visited: [] };
  collect(engine, wf, refs, out);
  return out;
}

function collect(engine: Engine, wf: WorkflowModel, refs: readonly string[], out: BlockingTasks): void {
  out.visited.push(wf.workflowId);
  const hit = (t: TaskModel) => {
    out.tasks.push(t);
    out.workflow ??= wf;
  };
  for (const t of wf.tasks) {
    if (t.taskType === 'WAIT' && !isTerminalTask(t.status) && !t.waitUntil) hit(t);
    if (refs.includes(t.referenceTaskName) && isTerminalTask(t.status)) hit(t);
    if (isRunningSubWorkflow(t) && !out.visited.includes(t.subWorkflowId!)) {
      const child = engine.store.loadWorkflow(t.subWorkflowId!);
      if (child) collect(engine, child, refs, out);
    }
  }
}

export interface SettledState {
  /** The root workflow as last read. */
  target: WorkflowModel;
  blocking: BlockingTasks;
  timedOut: boolean;
}

/**
 * Resolve as soon as the workflow `rootId` is terminal or its tree has a blocking task, or with
 * its current state (and no blocking tasks) after `timeoutMs`.
 *
 * Event-driven, never polling: the root is watched through `engine.waitFor` (which also owns the
 * timeout), every running descendant through `engine.onWorkflowChange`; the set of watched
 * descendants is refreshed on every check, since sub-workflows come and go.
 */
export function awaitBlocking(engine: Engine, rootId: string, refs: readonly string[], timeoutMs: number): Promise<SettledState> {
  return new Promise((resolve, reject) => {
    const children = new Map<string, () => void>();
    let settled = false;
    const close = () => {
      settled = true;
      for (const off of children.values()) off();
      children.clear();
    };
    /** True once settled; `root` is passed in when the caller has just loaded it. */
    const check = (root?: WorkflowModel): boolean => {
      if (settled) return true;
      const target = root ?? engine.getWorkflow(rootId);
      const blocking = findBlockingTasks(engine, target, refs);
      if (isTerminalWorkflow(target.status) || blocking.tasks.length > 0) {
        close();
        resolve({ target, blocking, timedOut: false });
        return true;
      }
      const live = new Set(blocking.visited.filter((id) => id !== rootId));
      for (const [id, off] of children) {
        if (!live.has(id)) {
          off();
          children.delete(id);
        }
      }
      for (const id of live) if (!children.has(id)) children.set(id, engine.onWorkflowChange(id, onChildChange));
      return false;
    };
    const fail = (e: unknown) => {
      if (settled) return;
      close();
      reject(e);
    };
    const onChildChange = () => {
      try {
        check();
      } catch (e) {
        fail(e);
      }
    };
    // When a child settles the wait, this root waiter answers `true` at the root's next change
    // (or resolves at its timeout); either way its result is ignored.
    engine.waitFor(rootId, (wf) => check(wf), timeoutMs).then(({ wf, timedOut }) => {
      if (settled) return;
      close();
      resolve({ target: wf, blocking: { tasks: [], visited: [rootId] }, timedOut });
    }, fail);
  });
}

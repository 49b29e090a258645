/**
 * Workflow operations through the API, each one transaction: the pure transition from
 * core/operations, then a decide.
 */
import * as ops from '../core/operations';
import { embedTaskDefs } from '../core/operations';
import { NotFoundError } from '../core/errors';
import type { Engine } from './engine';

export function pauseWorkflow(engine: Engine, id: string): void {
  engine.mutate(id, (wf, _out, deps) => ops.pause(wf, deps.now), { decide: false });
}

export function resumeWorkflow(engine: Engine, id: string): void {
  engine.mutate(id, (wf, _out, deps) => ops.resume(wf, deps.now));
}

export function terminateWorkflow(engine: Engine, id: string, reason?: string): void {
  engine.mutate(id, (wf, out, deps) => ops.terminate(wf, reason, deps, out), { decide: false });
}

/** Walk up from a retried/restarted/rerun child, reviving each parent that waits on it. */
function reviveParents(engine: Engine, childId: string): void {
  let id = childId;
  for (let depth = 0; depth < 100; depth++) {
    const child = engine.store.workflowHeader(id);
    if (!child?.parentWorkflowId || !child.parentWorkflowTaskId) return;
    const taskId = child.parentWorkflowTaskId;
    let revived = false;
    try {
      engine.mutate(child.parentWorkflowId, (wf, _out, deps) => {
        revived = ops.reviveForChild(wf, taskId, deps.now);
      });
    } catch (e) {
      if (e instanceof NotFoundError) return; // the parent was removed; the child runs alone
      throw e;
    }
    if (!revived) return;
    id = child.parentWorkflowId;
  }
}

export function restartWorkflow(engine: Engine, id: string, useLatestDefinitions = false): void {
  engine.tx(() => {
    restartOnly(engine, id, useLatestDefinitions);
    reviveParents(engine, id);
  });
}

function restartOnly(engine: Engine, id: string, useLatestDefinitions: boolean): void {
  engine.mutate(id, (wf, _out, deps) => {
    let latest;
    if (useLatestDefinitions) {
      const def = engine.store.getWorkflowDef(wf.workflowName);
      if (!def) throw new NotFoundError(`No such workflow found by name: ${wf.workflowName}, version: null`);
      latest = embedTaskDefs(def, (n) => engine.store.getTaskDef(n));
    }
    ops.restart(wf, latest, deps.now);
  });
}

export function retryWorkflow(engine: Engine, id: string): void {
  engine.tx(() => {
    engine.mutate(id, (wf, out, deps) => ops.retry(wf, deps, out));
    reviveParents(engine, id);
  });
}

export function rerunWorkflow(engine: Engine, id: string, req: ops.RerunRequest): string {
  engine.tx(() => {
    engine.mutate(id, (wf, out, deps) => ops.rerun(wf, req, deps, out));
    reviveParents(engine, id);
  });
  return id;
}

export function skipTask(engine: Engine, id: string, ref: string, req: ops.SkipRequest): void {
  engine.mutate(id, (wf, _out, deps) => ops.skipTask(wf, ref, req, deps));
}

export function resetCallbacks(engine: Engine, id: string): void {
  engine.mutate(id, (wf, out, deps) => ops.resetCallbacks(wf, deps.now, out), { decide: false });
}

export function decideWorkflow(engine: Engine, id: string): void {
  engine.mutate(id, () => undefined);
}

export function removeWorkflow(engine: Engine, id: string): void {
  engine.tx(() => {
    if (!engine.store.deleteWorkflow(id)) throw new NotFoundError(`No such workflow found by id: ${id}`);
  });
}

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

export function restartWorkflow(engine: Engine, id: string, useLatestDefinitions = false): void {
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
  engine.mutate(id, (wf, out, deps) => ops.retry(wf, deps, out));
}

export function rerunWorkflow(engine: Engine, id: string, req: ops.RerunRequest): string {
  engine.mutate(id, (wf, out, deps) => ops.rerun(wf, req, deps, out));
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

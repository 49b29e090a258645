/**
 * DO_WHILE (DoWhileTaskMapper + DoWhile): runs `loopOver` at least once. Iteration n's tasks
 * carry the ref suffix `__n` and `iteration: n`. On every decide the DO_WHILE gathers this
 * iteration's tasks (latest attempt per ref) into `output["<n>"]`; once all of them — nested
 * branch tasks and their successors included — are terminal, it evaluates `loopCondition`
 * (JavaScript, `$` = its resolved input + {<loopRef>: its output} + {<taskRef>: output} of each
 * loop task) and either schedules iteration n+1 or completes. `items` (or `_items`) iterates a
 * list instead, exposing `loopIndex` / `loopItem`. `keepLastN` drops old iterations.
 */
import type { JsonMap, TaskModel, WorkflowTask } from '../model';
import type { SystemTask, SystemTaskContext } from './system-task';
import { isSuccessfulTask, isTerminalTask } from '../status';
import { allWorkflowTasks } from '../defaults';
import { baseRef, nextTaskNode } from '../next-task';
import { resolveParameters } from '../parameters';
import { taskDefOf } from '../task-factory';
import { finishTask, newSystemTask, withIteration } from './common';

const loopRefs = (node: WorkflowTask): Set<string> => new Set(allWorkflowTasks(node.loopOver).map((t) => t.taskReferenceName));

/** Tasks of the loop body in the DO_WHILE's current iteration, latest attempt per ref, in order. */
function iterationTasks(dw: TaskModel, ctx: SystemTaskContext, inLoop: Set<string>): Map<string, TaskModel> {
  const m = new Map<string, TaskModel>();
  for (const t of ctx.wf.tasks) {
    if (t.referenceTaskName === dw.referenceTaskName || t.iteration !== dw.iteration || !inLoop.has(baseRef(t.referenceTaskName))) continue;
    const prev = m.get(t.referenceTaskName);
    if (!prev || t.retryCount > prev.retryCount) m.set(t.referenceTaskName, t);
  }
  return m;
}

function isListIteration(node: WorkflowTask): boolean {
  if (typeof node.items === 'string' && node.items.trim() !== '') return true;
  const v = node.inputParameters?._items;
  return (typeof v === 'string' && v.trim() !== '') || Array.isArray(v);
}

function itemsOf(node: WorkflowTask, ctx: SystemTaskContext, taskId: string): unknown[] {
  let v: unknown = null;
  if (typeof node.items === 'string' && node.items.trim() !== '') {
    v = resolveParameters({ items: node.items }, ctx.wf, { taskId, env: ctx.deps.env }).items;
  }
  if (v === null || v === undefined) v = resolveParameters(node.inputParameters, ctx.wf, { taskId, env: ctx.deps.env })._items;
  if (Array.isArray(v)) return v;
  return v === null || v === undefined ? [] : [v];
}

function injectLoopVariables(dw: TaskModel, ctx: SystemTaskContext): void {
  if (!isListIteration(dw.workflowTask)) return;
  const items = itemsOf(dw.workflowTask, ctx, dw.taskId);
  const index = dw.iteration - 1;
  dw.outputData.loopIndex = index;
  if (index >= 0 && index < items.length) dw.outputData.loopItem = items[index];
}

/** All tasks of the iteration terminal, and every terminal one's in-loop successor scheduled. */
function iterationComplete(dw: TaskModel, tasks: Map<string, TaskModel>, inLoop: Set<string>): boolean {
  const node = dw.workflowTask;
  for (const child of node.loopOver ?? []) {
    const t = tasks.get(withIteration(child.taskReferenceName, dw.iteration));
    if (!t || !isTerminalTask(t.status)) return false;
  }
  for (const t of tasks.values()) if (!isTerminalTask(t.status)) return false;
  for (const t of tasks.values()) {
    const next = nextTaskNode([node], baseRef(t.referenceTaskName));
    if (next && next.taskReferenceName !== node.taskReferenceName && inLoop.has(next.taskReferenceName)) {
      if (!tasks.has(withIteration(next.taskReferenceName, dw.iteration))) return false;
    }
  }
  return true;
}

/** loopCondition: boolean true or a number > 0 continues (ScriptEvaluator.evalBool). */
function shouldContinue(dw: TaskModel, ctx: SystemTaskContext, inLoop: Set<string>): { ok: true; value: boolean } | { ok: false; error: string } {
  const node = dw.workflowTask;
  const input: JsonMap = resolveParameters(node.inputParameters, ctx.wf, { taskId: dw.taskId, env: ctx.deps.env, inputTemplate: taskDefOf(node).inputTemplate });
  input[dw.referenceTaskName] = dw.outputData;
  for (const t of ctx.wf.tasks) {
    if (t.referenceTaskName !== dw.referenceTaskName && inLoop.has(baseRef(t.referenceTaskName))) input[baseRef(t.referenceTaskName)] = t.outputData;
  }
  const condition = typeof node.loopCondition === 'string' ? node.loopCondition : undefined;
  const evalBool = (): { ok: true; value: boolean } | { ok: false; error: string } => {
    if (condition === undefined || condition.trim() === '') return { ok: true, value: false };
    const scripts = ctx.deps.scripts;
    if (!scripts) return { ok: false, error: 'No script engine is configured' };
    const r = scripts.evaluate(condition, { $: input });
    if (!r.ok) return r;
    return { ok: true, value: r.value === true || (typeof r.value === 'number' && r.value > 0) };
  };
  if (!isListIteration(node)) return condition === undefined ? { ok: true, value: false } : evalBool();
  const items = itemsOf(node, ctx, dw.taskId);
  const index = dw.iteration - 1;
  input.loopIndex = index;
  if (index >= 0 && index < items.length) input.loopItem = items[index];
  const more = index < items.length - 1;
  if (condition === undefined || condition.trim() === '') return { ok: true, value: more };
  const r = evalBool();
  return r.ok ? { ok: true, value: r.value && more } : r;
}

function startIteration(dw: TaskModel, ctx: SystemTaskContext, iteration: number): true {
  dw.iteration = iteration;
  dw.outputData.iteration = iteration;
  injectLoopVariables(dw, ctx);
  const first = dw.workflowTask.loopOver?.[0];
  if (first) ctx.scheduleTasks(ctx.createTasks(first, iteration));
  dw.updateTime = ctx.deps.now;
  return true;
}

/** keepLastN: forget outputs and task rows of iterations older than the last N. */
function dropOldIterations(dw: TaskModel, ctx: SystemTaskContext, inLoop: Set<string>): void {
  const n = dw.workflowTask.inputParameters?.keepLastN;
  if (typeof n !== 'number' || !Number.isInteger(n) || dw.iteration <= n) return;
  const upTo = dw.iteration - n;
  for (let i = 1; i <= upTo; i++) delete dw.outputData[String(i)];
  ctx.wf.tasks = ctx.wf.tasks.filter(
    (t) => t.referenceTaskName === dw.referenceTaskName || !inLoop.has(baseRef(t.referenceTaskName)) || t.iteration > upTo,
  );
}

export const doWhileTask: SystemTask = {
  schedule(node, ctx, opts) {
    const done = ctx.wf.tasks.find((t) => t.referenceTaskName === opts.refName);
    if (done && isTerminalTask(done.status)) return [];
    const dw = newSystemTask(node, ctx, { ...opts, status: 'IN_PROGRESS', taskType: 'DO_WHILE' });
    dw.iteration = 0;
    return [dw];
  },

  execute(dw, ctx) {
    const inLoop = loopRefs(dw.workflowTask);
    const tasks = iterationTasks(dw, ctx, inLoop);
    if (tasks.size === 0) {
      if (isListIteration(dw.workflowTask) && itemsOf(dw.workflowTask, ctx, dw.taskId).length === 0) {
        dw.outputData.iteration = 0;
        return finishTask(dw, ctx, 'COMPLETED');
      }
      return startIteration(dw, ctx, 1);
    }
    const outputs: JsonMap = {};
    let failure: string | undefined;
    for (const t of tasks.values()) {
      outputs[baseRef(t.referenceTaskName)] = t.outputData;
      if (!isSuccessfulTask(t.status)) {
        failure = `${t.reasonForIncompletion ?? 'null'} `;
        break;
      }
    }
    // Conductor persists a DO_WHILE only when execute reports a change: while the iteration
    // runs, the stored output keeps what the last change wrote.
    const before = { ...dw.outputData };
    dw.outputData[String(dw.iteration)] = outputs;
    dropOldIterations(dw, ctx, inLoop);
    if (failure !== undefined) return finishTask(dw, ctx, 'FAILED', failure);
    if (!iterationComplete(dw, tasks, inLoop)) {
      dw.outputData = before;
      return false;
    }
    const go = shouldContinue(dw, ctx, inLoop);
    if (!go.ok) {
      return finishTask(dw, ctx, 'FAILED_WITH_TERMINAL_ERROR', `Unable to evaluate condition ${dw.workflowTask.loopCondition}, exception ${go.error}`);
    }
    if (go.value) return startIteration(dw, ctx, dw.iteration + 1);
    return finishTask(dw, ctx, 'COMPLETED');
  },

  cancel(dw) {
    dw.status = 'CANCELED';
  },
};

/**
 * WorkflowDef.getNextTask: which definition node follows a given task reference.
 * Rules (conductor-api.md §3.3): next sibling; end of a SWITCH/DECISION branch → the task after
 * the SWITCH; end of a FORK branch → the JOIN that follows the FORK; last task of a DO_WHILE
 * body → the DO_WHILE itself; after TERMINATE → nothing.
 */
import type { WorkflowTask } from './model';
import { taskTypeOf } from './defaults';

/** Strip a DO_WHILE iteration suffix: `t__3` → `t`. */
export const baseRef = (ref: string): string => ref.replace(/__\d+$/, '');
/** The iteration suffix of a loop task ref, 0 outside loops. */
export const iterationOf = (ref: string): number => Number(/__(\d+)$/.exec(ref)?.[1] ?? 0);

type Found = { found: true; next: WorkflowTask | null } | { found: false };

function search(list: WorkflowTask[] | undefined, ref: string, after: WorkflowTask | null): Found {
  const tasks = list ?? [];
  for (let i = 0; i < tasks.length; i++) {
    const t = tasks[i];
    const following = tasks[i + 1] ?? after;
    if (t.taskReferenceName === ref) {
      return { found: true, next: taskTypeOf(t) === 'TERMINATE' ? null : following };
    }
    const type = taskTypeOf(t);
    if (type === 'SWITCH' || type === 'DECISION') {
      for (const branch of Object.values(t.decisionCases ?? {})) {
        const r = search(branch, ref, following);
        if (r.found) return r;
      }
      const r = search(t.defaultCase, ref, following);
      if (r.found) return r;
    } else if (type === 'FORK_JOIN') {
      for (const branch of t.forkTasks ?? []) {
        const r = search(branch, ref, tasks[i + 1] ?? after);
        if (r.found) return r;
      }
    } else if (type === 'DO_WHILE') {
      const r = search(t.loopOver, ref, t);
      if (r.found) return r;
    }
  }
  return { found: false };
}

/** The node after `ref` (iteration suffix ignored), or null at the end / when unknown. */
export function nextTaskNode(defTasks: WorkflowTask[], ref: string): WorkflowTask | null {
  const r = search(defTasks, baseRef(ref), null);
  return r.found ? r.next : null;
}

/** The definition node with this reference name anywhere in the tree. */
export function findNode(defTasks: WorkflowTask[], ref: string): WorkflowTask | undefined {
  const want = baseRef(ref);
  const walk = (list: WorkflowTask[] | undefined): WorkflowTask | undefined => {
    for (const t of list ?? []) {
      if (t.taskReferenceName === want) return t;
      for (const c of Object.values(t.decisionCases ?? {})) {
        const f = walk(c);
        if (f) return f;
      }
      const f = walk(t.defaultCase) ?? walk(t.loopOver) ?? (t.forkTasks ?? []).map(walk).find(Boolean);
      if (f) return f;
    }
    return undefined;
  };
  return walk(defTasks);
}

/**
 * One execution: graph coloured by task status, timeline, task panel (input, output, reason,
 * retries, worker, log) and the workflow actions, refreshed while the run is not terminal.
 *
 * States of the page: loading → shown (polling while RUNNING or PAUSED) → shown (still, once
 * terminal); an action re-arms polling. Leaving the page stops the timer.
 */
import { api, ApiError, type Task, type TaskLog, type Workflow } from '../api.js';
import { clear, h, modal, toast } from '../dom.js';
import { copyButton, fmtDuration, fmtTime, jsonView, statusBadge, TERMINAL_TASK, TERMINAL_WORKFLOW } from '../format.js';
import { layoutWorkflow, type LayoutNode, type WfTask } from '../graph/layout.js';
import { renderGraph } from '../graph/render.js';
import { baseRef, dynamicForks, nodeStates } from '../graph/states.js';
import { setQuery, type Page } from '../router.js';
import { timeline } from '../timeline.js';

const POLL_MS = 1500;
const FAILED_TASK = new Set(['FAILED', 'FAILED_WITH_TERMINAL_ERROR', 'TIMED_OUT', 'CANCELED', 'COMPLETED_WITH_ERRORS']);
const ZOOMS = [0.5, 0.67, 0.8, 1, 1.25, 1.5];

type Tab = 'timeline' | 'tasks' | 'io' | 'json';

export const executionPage: Page = (root, ctx) => {
  const id = ctx.params.id;
  let wf: Workflow | undefined;
  let signature = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let alive = true;
  let selectedRef = ctx.query.get('ref') ?? '';
  let selectedTaskId = ctx.query.get('task') ?? '';
  let zoomIndex = 3;
  let tab: Tab = 'timeline';
  let logFor = '';
  let logSig = '';
  let failing = false;

  const head = h('div', { class: 'page-head' });
  const summary = h('dl', { class: 'summary' });
  const graphScroll = h('div', { class: 'graph-scroll', id: 'graph' });
  const panel = h('aside', { class: 'task-panel', id: 'task-panel', 'aria-live': 'polite' });
  const tabBody = h('div', { class: 'tab-body' });
  const tabs = h('div', { class: 'tabs', role: 'tablist' });
  const zoomLabel = h('span', { class: 'hint' });
  const graphTools = h(
    'div',
    { class: 'graph-tools' },
    h('button', { type: 'button', class: 'small', title: 'zoom out', onclick: () => zoom(-1) }, '−'),
    zoomLabel,
    h('button', { type: 'button', class: 'small', title: 'zoom in', onclick: () => zoom(1) }, '+'),
    h('span', { class: 'legend-row' }, ['COMPLETED', 'IN_PROGRESS', 'SCHEDULED', 'FAILED', 'CANCELED', 'SKIPPED', 'NOT_RUN'].map((s) => h('span', { class: `legend-item status-${s}` }, s === 'NOT_RUN' ? 'not run' : s.toLowerCase().replace('_', ' ')))),
  );
  root.append(
    head,
    summary,
    h('div', { class: 'exec-body' }, h('section', { class: 'graph-pane', 'aria-label': 'graph' }, graphTools, graphScroll), panel),
    tabs,
    tabBody,
  );
  clear(panel, h('p', { class: 'hint' }, 'Click a task in the graph or the timeline to see its input, output and log.'));
  head.append(h('h1', {}, 'Loading…'));

  const zoom = (d: number) => {
    zoomIndex = Math.max(0, Math.min(ZOOMS.length - 1, zoomIndex + d));
    renderGraphPane();
  };

  /** Re-render only when something visible changed. */
  const sig = (w: Workflow) => `${w.status}|${w.updateTime}|${w.tasks.map((t) => `${t.taskId}:${t.status}:${t.updateTime}`).join(',')}`;

  const refresh = async (force = false) => {
    clearTimeout(timer);
    try {
      const next = await api.workflow(id);
      if (!alive) return;
      const s = sig(next);
      wf = next;
      if (force || s !== signature) {
        signature = s;
        renderAll();
      } else if (!TERMINAL_WORKFLOW.has(next.status)) {
        // nothing changed but the clock: durations and the timeline still move
        renderSummary(next);
        if (tab === 'timeline') renderTab();
      }
      failing = false;
      await refreshLog(false);
    } catch (e) {
      if (!alive) return;
      if (e instanceof ApiError && e.status === 404) {
        clear(head, h('h1', {}, 'Execution not found'));
        clear(summary, h('p', { class: 'error' }, (e as Error).message));
        return;
      }
      // one message per outage, not one per poll
      if (!failing) toast(`Refresh failed: ${(e as Error).message}`, 'error');
      failing = true;
    }
    if (alive && wf && !TERMINAL_WORKFLOW.has(wf.status)) timer = setTimeout(() => void refresh(), POLL_MS);
  };

  const act = async (label: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      toast(`${label}: done`);
    } catch (e) {
      toast(`${label} failed: ${(e as Error).message}`, 'error');
    }
    await refresh(true);
  };

  const renderHead = (w: Workflow) => {
    const st = w.status;
    const terminal = TERMINAL_WORKFLOW.has(st);
    const button = (label: string, onclick: () => void, cls = '') => h('button', { type: 'button', class: cls, 'data-action': label.toLowerCase(), onclick }, label);
    const actions = h(
      'div',
      { class: 'actions' },
      st === 'RUNNING' ? button('Pause', () => void act('Pause', () => api.pause(id))) : null,
      st === 'PAUSED' ? button('Resume', () => void act('Resume', () => api.resume(id))) : null,
      !terminal ? button('Terminate', () => void terminate(), 'danger') : null,
      st === 'FAILED' || st === 'TIMED_OUT' || st === 'TERMINATED' ? button('Retry', () => void act('Retry', () => api.retry(id)), 'primary') : null,
      terminal ? button('Restart', () => void restart()) : null,
    );
    document.title = `${w.workflowName} ${st} · Baton`;
    clear(head, h('h1', {}, w.workflowName, h('span', { class: 'hint' }, ` v${w.workflowVersion} `), statusBadge(st)), actions);
  };

  const terminate = async () => {
    const v = await modal({ title: 'Terminate this run?', text: 'Running tasks are canceled; sub-workflows are terminated too.', fields: [{ name: 'reason', label: 'Reason' }], ok: 'Terminate', danger: true });
    if (v) await act('Terminate', () => api.terminate(id, String(v.reason || '') || undefined));
  };

  const restart = async () => {
    const v = await modal({ title: 'Restart this run from the beginning?', text: 'The same workflow id runs again with its original input.', fields: [{ name: 'latest', label: 'Use the latest definition', type: 'checkbox' }], ok: 'Restart' });
    if (v) await act('Restart', () => api.restart(id, v.latest === true));
  };

  const renderSummary = (w: Workflow) => {
    const start = w.createTime || w.startTime || 0;
    const end = w.endTime || 0;
    const item = (k: string, v: Node | string) => [h('dt', {}, k), h('dd', {}, v)];
    clear(
      summary,
      item('Workflow id', h('span', { class: 'mono' }, w.workflowId, ' ', copyButton(() => w.workflowId))),
      item('Correlation id', h('span', { class: 'mono' }, w.correlationId ?? '—')),
      item('Started', fmtTime(start)),
      item('Ended', end ? fmtTime(end) : '—'),
      item('Duration', start ? fmtDuration((end || Date.now()) - start) + (end ? '' : ' so far') : '—'),
      w.parentWorkflowId ? item('Parent run', h('a', { href: `/execution/${encodeURIComponent(w.parentWorkflowId)}`, class: 'mono' }, w.parentWorkflowId)) : null,
      w.reasonForIncompletion ? item('Reason', h('span', { class: 'error' }, w.reasonForIncompletion)) : null,
    );
  };

  const graphNodes = (): WfTask[] => (w(wf).workflowDefinition?.tasks ?? []) as unknown as WfTask[];

  const renderGraphPane = () => {
    if (!wf) return;
    const layout = layoutWorkflow(graphNodes(), { dynamicForks: dynamicForks(wf.tasks) });
    const svg = renderGraph(layout, {
      states: nodeStates(wf.tasks),
      endStatus: TERMINAL_WORKFLOW.has(wf.status) ? wf.status : undefined,
      selected: selectedRef,
      zoom: ZOOMS[zoomIndex],
      onSelect: (n: LayoutNode) => select(n.ref, ''),
    });
    zoomLabel.textContent = `${Math.round(ZOOMS[zoomIndex] * 100)}%`;
    clear(graphScroll, svg);
  };

  const tasksOf = (ref: string) => w(wf).tasks.filter((t) => baseRef(t) === ref || t.referenceTaskName === ref).sort((a, b) => a.seq - b.seq);

  /** The task shown for the selection: the chosen attempt, else the ref's latest. */
  const selectedTask = (): Task | undefined => {
    if (!wf || !selectedRef) return undefined;
    const list = tasksOf(selectedRef);
    return list.find((t) => t.taskId === selectedTaskId) ?? list[list.length - 1];
  };

  const select = (ref: string, taskId: string) => {
    selectedRef = ref;
    selectedTaskId = taskId;
    const q = new URLSearchParams();
    if (ref) q.set('ref', ref);
    if (taskId) q.set('task', taskId);
    setQuery(q);
    renderGraphPane();
    renderPanel();
    renderTab();
    void refreshLog(true);
  };

  const logBox = h('div', { class: 'log', id: 'task-log' });

  const refreshLog = async (force: boolean) => {
    const t = selectedTask();
    if (!t) return;
    const key = `${t.taskId}:${t.status}:${t.updateTime}`;
    if (!force && logFor === t.taskId && logSig === key && TERMINAL_TASK.has(t.status)) return;
    let logs: TaskLog[] | null;
    try {
      logs = await api.taskLogs(t.taskId);
    } catch (e) {
      logBox.replaceChildren(h('p', { class: 'error' }, `Could not read the log: ${(e as Error).message}`));
      return;
    }
    if (!alive || selectedTask()?.taskId !== t.taskId) return;
    logFor = t.taskId;
    logSig = key;
    clear(
      logBox,
      logs && logs.length
        ? h('ol', {}, logs.map((l) => h('li', {}, h('time', {}, fmtTime(l.createdTime).slice(11)), ' ', l.log)))
        : h('p', { class: 'hint' }, TERMINAL_TASK.has(t.status) ? 'No log lines.' : 'No log lines yet.'),
    );
  };

  const renderPanel = () => {
    if (!wf || !selectedRef) return;
    const list = tasksOf(selectedRef);
    const t = selectedTask();
    const node = findNode(graphNodes(), selectedRef);
    const close = h('button', { type: 'button', class: 'small close', 'aria-label': 'close', onclick: () => select('', '') }, '×');
    if (!t) {
      const canSkip = wf.status === 'RUNNING';
      clear(
        panel,
        close,
        h('h2', {}, selectedRef),
        h('p', {}, statusBadge('NOT_RUN'), ' ', node?.type ?? ''),
        h('p', { class: 'hint' }, 'This task has not been scheduled in this run.'),
        canSkip ? h('button', { type: 'button', 'data-action': 'skip', onclick: () => void skip(selectedRef) }, 'Skip this task') : null,
        node ? h('details', {}, h('summary', {}, 'Definition'), jsonView(node)) : null,
      );
      return;
    }
    const terminalWf = TERMINAL_WORKFLOW.has(wf.status);
    const item = (k: string, v: Node | string | number | undefined | null) => (v === undefined || v === null || v === '' ? null : [h('dt', {}, k), h('dd', {}, typeof v === 'number' ? String(v) : v)]);
    const ran = t.startTime ? (TERMINAL_TASK.has(t.status) ? t.endTime : Date.now()) - t.startTime : undefined;
    const attempts =
      list.length > 1
        ? h(
            'div',
            { class: 'attempts', role: 'tablist', 'aria-label': 'attempts' },
            list.map((a) =>
              h(
                'button',
                { type: 'button', class: `small attempt status-${a.status}${a.taskId === t.taskId ? ' current' : ''}`, 'data-task-id': a.taskId, onclick: () => select(selectedRef, a.taskId) },
                `${a.iteration ? `iter ${a.iteration} · ` : ''}try ${a.retryCount + 1}`,
              ),
            ),
          )
        : null;
    clear(
      panel,
      close,
      h('h2', {}, t.referenceTaskName),
      h('p', {}, statusBadge(t.status), ' ', h('span', { class: 'hint' }, `${t.taskType}${t.taskDefName && t.taskDefName !== t.taskType ? ` · ${t.taskDefName}` : ''}`)),
      attempts,
      t.reasonForIncompletion ? h('p', { class: FAILED_TASK.has(t.status) ? 'reason' : 'reason neutral', id: 'task-reason', title: 'reason for incompletion' }, t.reasonForIncompletion) : null,
      h(
        'dl',
        { class: 'details' },
        item('Task id', h('span', { class: 'mono' }, t.taskId)),
        item('Retry count', t.retryCount),
        item('Poll count', t.pollCount),
        item('Worker id', t.workerId ? h('span', { class: 'mono', id: 'task-worker' }, t.workerId) : undefined),
        item('Domain', t.domain),
        item('Iteration', t.iteration || undefined),
        item('Scheduled', fmtTime(t.scheduledTime)),
        item('Started', t.startTime ? fmtTime(t.startTime) : undefined),
        item('Ended', t.endTime ? fmtTime(t.endTime) : undefined),
        item('Ran for', ran !== undefined ? fmtDuration(ran) : undefined),
        item('Callback after', t.callbackAfterSeconds ? `${t.callbackAfterSeconds} s` : undefined),
        item('Sub-workflow', t.subWorkflowId ? h('a', { href: `/execution/${encodeURIComponent(t.subWorkflowId)}`, class: 'mono' }, t.subWorkflowId) : undefined),
      ),
      h(
        'div',
        { class: 'actions' },
        terminalWf ? h('button', { type: 'button', 'data-action': 'rerun', onclick: () => void rerun(t) }, 'Rerun from this task') : null,
      ),
      h('h3', {}, 'Log'),
      logBox,
      h('h3', {}, 'Input'),
      jsonView(t.inputData, 'task input'),
      h('h3', {}, 'Output'),
      jsonView(t.outputData, 'task output'),
      t.workflowTask ? h('details', {}, h('summary', {}, 'Definition'), jsonView(t.workflowTask)) : null,
    );
  };

  const skip = async (ref: string) => {
    const v = await modal({ title: `Skip ${ref}?`, text: 'The task is marked SKIPPED when the run reaches it, and the run moves past it.', ok: 'Skip' });
    if (v) await act('Skip', () => api.skipTask(id, ref));
  };

  const rerun = async (t: Task) => {
    const v = await modal({ title: `Rerun from ${t.referenceTaskName}?`, text: 'Tasks before it keep their results; this task and every task after it run again.', ok: 'Rerun' });
    if (v) await act('Rerun', () => api.rerun(id, t.taskId));
  };

  const renderTabs = () => {
    const names: [Tab, string][] = [
      ['timeline', 'Timeline'],
      ['tasks', 'Tasks'],
      ['io', 'Input / output'],
      ['json', 'JSON'],
    ];
    clear(
      tabs,
      names.map(([k, label]) =>
        h(
          'button',
          {
            type: 'button',
            role: 'tab',
            'aria-selected': String(tab === k),
            class: tab === k ? 'tab active' : 'tab',
            onclick: () => {
              tab = k;
              renderTabs();
              renderTab();
            },
          },
          label,
        ),
      ),
    );
  };

  const renderTab = () => {
    if (!wf) return;
    const pick = (t: Task) => select(baseRef(t), t.taskId);
    const current = selectedTask()?.taskId;
    if (tab === 'timeline') clear(tabBody, timeline(wf, { now: Date.now(), selectedTaskId: current, onSelect: pick }));
    else if (tab === 'tasks') {
      const rows = [...wf.tasks]
        .sort((a, b) => a.seq - b.seq)
        .map((t) => {
          const tr = h(
            'tr',
            { class: `clickable${t.taskId === current ? ' selected' : ''}`, 'data-task-id': t.taskId },
            h('td', { class: 'num' }, String(t.seq)),
            h('td', {}, t.referenceTaskName),
            h('td', {}, t.taskType),
            h('td', {}, statusBadge(t.status)),
            h('td', { class: 'num' }, String(t.retryCount)),
            h('td', { class: 'mono' }, t.workerId ?? ''),
            h('td', {}, t.startTime ? fmtTime(t.startTime) : ''),
            h('td', {}, t.endTime ? fmtTime(t.endTime) : ''),
            h('td', { class: 'num' }, t.startTime && t.endTime ? fmtDuration(t.endTime - t.startTime) : ''),
          );
          tr.addEventListener('click', () => pick(t));
          return tr;
        });
      clear(
        tabBody,
        h(
          'table',
          { class: 'list' },
          h('thead', {}, h('tr', {}, ['#', 'Reference', 'Type', 'Status', 'Retries', 'Worker', 'Started', 'Ended', 'Ran'].map((c) => h('th', {}, c)))),
          h('tbody', {}, rows),
        ),
      );
    } else if (tab === 'io') {
      clear(
        tabBody,
        h(
          'div',
          { class: 'io' },
          h('section', {}, h('h3', {}, 'Workflow input'), jsonView(wf.input)),
          h('section', {}, h('h3', {}, 'Workflow output'), jsonView(wf.output)),
          h('section', {}, h('h3', {}, 'Variables'), jsonView(wf.variables ?? {})),
        ),
      );
    } else {
      const full = wf;
      clear(tabBody, h('div', { class: 'buttons' }, copyButton(() => JSON.stringify(full, null, 2), 'Copy JSON')), jsonView(wf, 'execution JSON'));
    }
  };

  const renderAll = () => {
    if (!wf) return;
    renderHead(wf);
    renderSummary(wf);
    renderGraphPane();
    renderPanel();
    renderTabs();
    renderTab();
  };

  void refresh(true).then(() => {
    if (selectedRef) void refreshLog(true);
  });
  return () => {
    alive = false;
    clearTimeout(timer);
  };
};

function w(wf: Workflow | undefined): Workflow {
  if (!wf) throw new Error('execution not loaded');
  return wf;
}

/** A node of the definition by ref, looking inside forks, cases and loops. */
function findNode(tasks: WfTask[], ref: string): WfTask | undefined {
  for (const t of tasks) {
    if (t.taskReferenceName === ref) return t;
    const nested = [...(t.forkTasks ?? []), ...Object.values(t.decisionCases ?? {}), t.defaultCase ?? [], t.loopOver ?? []];
    for (const list of nested) {
      const found = findNode(list, ref);
      if (found) return found;
    }
  }
  return undefined;
}


/** The Gantt chart of an execution: one row per task, queue wait and run time against the clock. */
import { h } from './dom.js';
import { fmtDuration, fmtTime, TERMINAL_TASK } from './format.js';
import type { Task, Workflow } from './api.js';

export function timeline(wf: Workflow, o: { now: number; selectedTaskId?: string; onSelect: (t: Task) => void }): HTMLElement {
  const tasks = [...wf.tasks].sort((a, b) => a.seq - b.seq);
  const t0 = wf.createTime || wf.startTime || Math.min(...tasks.map((t) => t.scheduledTime || o.now));
  const ends = tasks.map((t) => (TERMINAL_TASK.has(t.status) ? t.endTime || t.updateTime : o.now));
  const t1 = Math.max(t0 + 1, wf.endTime || 0, ...ends, ...tasks.map((t) => t.startTime || t.scheduledTime || 0));
  const span = t1 - t0;
  const pct = (t: number) => `${(((Math.min(Math.max(t, t0), t1) - t0) / span) * 100).toFixed(3)}%`;
  const width = (a: number, b: number) => `max(2px, ${(((Math.max(b, a) - a) / span) * 100).toFixed(3)}%)`;

  const ticks = h('div', { class: 'gantt-axis' });
  for (let i = 0; i <= 4; i++) ticks.append(h('span', { style: `left:${i * 25}%` }, `+${fmtDuration((span * i) / 4)}`));

  const rows = tasks.map((t, i) => {
    const scheduled = t.scheduledTime || t0;
    const started = t.startTime || 0;
    const end = ends[i];
    const ran = started > 0;
    const label = `${t.referenceTaskName}${t.retryCount ? ` (retry ${t.retryCount})` : ''}`;
    const wait = h('div', { class: 'gantt-wait', style: `left:${pct(scheduled)};width:${width(scheduled, ran ? started : end)}` });
    const run = ran ? h('div', { class: `gantt-run status-${t.status}`, style: `left:${pct(started)};width:${width(started, end)}` }) : null;
    const title = `${label}: ${t.status}\nscheduled ${fmtTime(scheduled)}\nstarted ${fmtTime(started)}\nended ${fmtTime(TERMINAL_TASK.has(t.status) ? end : 0)}\nran ${ran ? fmtDuration(end - started) : '—'}`;
    const row = h(
      'div',
      { class: `gantt-row${o.selectedTaskId === t.taskId ? ' selected' : ''}`, 'data-task-id': t.taskId, title, tabindex: 0, role: 'button' },
      h('div', { class: 'gantt-label' }, label),
      h('div', { class: 'gantt-track' }, wait, run, h('span', { class: 'gantt-dur', style: `left:calc(${pct(end)} + 4px)` }, ran ? fmtDuration(end - started) : t.status.toLowerCase())),
    );
    row.addEventListener('click', () => o.onSelect(t));
    row.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') o.onSelect(t);
    });
    return row;
  });
  return h(
    'div',
    { class: 'gantt', 'aria-label': 'timeline' },
    h('div', { class: 'gantt-row gantt-head' }, h('div', { class: 'gantt-label' }, `${tasks.length} tasks · ${fmtDuration(span)}`), h('div', { class: 'gantt-track' }, ticks)),
    rows,
    h('p', { class: 'hint' }, h('span', { class: 'legend gantt-wait' }), ' waiting in queue ', h('span', { class: 'legend gantt-run status-COMPLETED' }), ' running (colour = status)'),
  );
}

/** Executions: search runs (GET /api/workflow/search) by name, status, correlation id, time, free text. */
import { api, type WorkflowSummary } from '../api.js';
import { clear, h, toast } from '../dom.js';
import { fmtDuration, fmtTime, statusBadge, toMs, WORKFLOW_STATUSES } from '../format.js';
import { navigate, setQuery, type Page } from '../router.js';

const REFRESH_MS = 5000;
const SIZES = [20, 50, 100];

interface Filters {
  name: string;
  statuses: string[];
  correlationId: string;
  from: string;
  to: string;
  text: string;
  topLevel: boolean;
  start: number;
  size: number;
}

function readFilters(q: URLSearchParams): Filters {
  const size = Number(q.get('size'));
  return {
    name: q.get('name') ?? '',
    statuses: (q.get('status') ?? '').split(',').filter(Boolean),
    correlationId: q.get('correlationId') ?? '',
    from: q.get('from') ?? '',
    to: q.get('to') ?? '',
    text: q.get('q') ?? '',
    topLevel: q.get('top') === '1',
    start: Math.max(0, Number(q.get('start')) || 0),
    size: SIZES.includes(size) ? size : SIZES[0],
  };
}

function writeFilters(f: Filters): URLSearchParams {
  const q = new URLSearchParams();
  if (f.name) q.set('name', f.name);
  if (f.statuses.length) q.set('status', f.statuses.join(','));
  if (f.correlationId) q.set('correlationId', f.correlationId);
  if (f.from) q.set('from', f.from);
  if (f.to) q.set('to', f.to);
  if (f.text) q.set('q', f.text);
  if (f.topLevel) q.set('top', '1');
  if (f.start) q.set('start', String(f.start));
  if (f.size !== SIZES[0]) q.set('size', String(f.size));
  return q;
}

/** The query in the dialect the Conductor UIs send (clauses joined by AND). */
export function searchQuery(f: Filters): string {
  const clauses: string[] = [];
  const quote = (v: string) => `"${v.replace(/"/g, '')}"`;
  if (f.name) clauses.push(`workflowType IN (${f.name})`);
  if (f.statuses.length) clauses.push(`status IN (${f.statuses.join(',')})`);
  if (f.correlationId) clauses.push(`correlationId=${quote(f.correlationId)}`);
  const from = f.from ? new Date(f.from).getTime() : NaN;
  const to = f.to ? new Date(f.to).getTime() : NaN;
  if (Number.isFinite(from)) clauses.push(`startTime>${from - 1}`);
  if (Number.isFinite(to)) clauses.push(`startTime<${to + 1}`);
  return clauses.join(' AND ');
}

export const executionsPage: Page = (root, ctx) => {
  let f = readFilters(ctx.query);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let alive = true;
  let seq = 0;

  const nameSelect = h('select', { name: 'name', id: 'f-name' }, h('option', { value: '' }, 'all workflows'));
  const statusBoxes = WORKFLOW_STATUSES.map((st) =>
    h('label', { class: `chip status-${st}` }, h('input', { type: 'checkbox', name: 'status', value: st, checked: f.statuses.includes(st) }), st),
  );
  const corr = h('input', { name: 'correlationId', id: 'f-corr', placeholder: 'exact id', value: f.correlationId });
  const from = h('input', { name: 'from', id: 'f-from', type: 'datetime-local', step: 1, value: f.from });
  const to = h('input', { name: 'to', id: 'f-to', type: 'datetime-local', step: 1, value: f.to });
  const text = h('input', { name: 'q', id: 'f-text', type: 'search', placeholder: 'anything in id, input, output, reason…', value: f.text });
  const auto = h('input', { type: 'checkbox', id: 'f-auto', checked: true });
  const top = h('input', { type: 'checkbox', id: 'f-top', checked: f.topLevel });
  const sizeSelect = h('select', { id: 'f-size', 'aria-label': 'rows per page' }, SIZES.map((n) => h('option', { value: n, selected: n === f.size }, `${n} per page`)));
  const body = h('tbody');
  const pager = h('div', { class: 'pager' });
  const stamp = h('span', { class: 'hint', id: 'refreshed' });

  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    h('div', { class: 'field' }, h('label', { for: 'f-name' }, 'Workflow'), nameSelect),
    h('div', { class: 'field' }, h('label', { for: 'f-corr' }, 'Correlation id'), corr),
    h('div', { class: 'field' }, h('label', { for: 'f-from' }, 'Started after'), from),
    h('div', { class: 'field' }, h('label', { for: 'f-to' }, 'Started before'), to),
    h('div', { class: 'field grow' }, h('label', { for: 'f-text' }, 'Free text'), text),
    h('div', { class: 'field statuses' }, h('span', { class: 'label' }, 'Status'), h('div', { class: 'chips' }, statusBoxes)),
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'submit', class: 'primary' }, 'Search'),
      h('button', { type: 'button', class: 'cancel', onclick: () => navigate('/executions') }, 'Reset'),
      h('label', { class: 'check', for: 'f-top', title: 'leave out sub-workflow runs' }, top, ' top-level only'),
      h('label', { class: 'check', for: 'f-auto' }, auto, ' auto-refresh'),
      stamp,
    ),
  );

  const table = h(
    'table',
    { class: 'list', id: 'executions' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'Workflow'), h('th', {}, 'Status'), h('th', {}, 'Correlation id'), h('th', {}, 'Workflow id'), h('th', {}, 'Started'), h('th', {}, 'Ended'), h('th', { class: 'num' }, 'Duration')),
    ),
    body,
  );
  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Executions')), form, table, pager);

  const collect = (): Filters => ({
    name: nameSelect.value,
    statuses: statusBoxes.map((l) => l.querySelector('input')!).filter((i) => i.checked).map((i) => i.value),
    correlationId: corr.value.trim(),
    from: from.value,
    to: to.value,
    text: text.value.trim(),
    topLevel: top.checked,
    start: 0,
    size: Number(sizeSelect.value),
  });

  const row = (w: WorkflowSummary, now: number) => {
    const start = toMs(w.startTime);
    const end = toMs(w.endTime);
    const href = `/execution/${encodeURIComponent(w.workflowId)}`;
    const tr = h(
      'tr',
      { 'data-workflow-id': w.workflowId, class: 'clickable' },
      h(
        'td',
        {},
        h('a', { href }, w.workflowType),
        h('span', { class: 'hint' }, ` v${w.version}`),
        w.parentWorkflowId ? h('div', { class: 'hint small-text' }, 'sub-workflow of ', h('a', { href: `/execution/${encodeURIComponent(w.parentWorkflowId)}`, class: 'mono' }, w.parentWorkflowId.slice(0, 8))) : null,
      ),
      h('td', {}, statusBadge(w.status)),
      h('td', { class: 'mono' }, w.correlationId ?? ''),
      h('td', { class: 'mono' }, h('a', { href }, w.workflowId)),
      h('td', {}, fmtTime(start)),
      h('td', {}, end ? fmtTime(end) : ''),
      h('td', { class: 'num' }, end ? fmtDuration(end - start) : start ? h('span', { class: 'hint' }, `${fmtDuration(now - start)} so far`) : ''),
    );
    tr.addEventListener('click', (e) => {
      if (!(e.target as Element).closest('a')) navigate(href);
    });
    return tr;
  };

  const load = async () => {
    clearTimeout(timer);
    const mine = ++seq;
    try {
      const res = await api.searchWorkflows({ start: f.start, size: f.size, query: searchQuery(f), freeText: f.text, sort: 'startTime:DESC', topLevelOnly: f.topLevel || undefined });
      if (!alive || mine !== seq) return;
      const now = Date.now();
      clear(body, res.results.length ? res.results.map((w) => row(w, now)) : h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No executions match.')));
      const last = Math.min(f.start + f.size, res.totalHits);
      clear(
        pager,
        h('button', { type: 'button', class: 'small', disabled: f.start === 0, onclick: () => go(Math.max(0, f.start - f.size)) }, '‹ Previous'),
        h('span', { class: 'count' }, res.totalHits ? `${f.start + 1}–${last} of ${res.totalHits}` : '0 results'),
        h('button', { type: 'button', class: 'small', disabled: last >= res.totalHits, onclick: () => go(f.start + f.size) }, 'Next ›'),
        sizeSelect,
      );
      stamp.textContent = `updated ${fmtTime(now).slice(11, 19)}`;
    } catch (e) {
      if (alive) clear(body, h('tr', {}, h('td', { colspan: 7, class: 'error' }, `Search failed: ${(e as Error).message}`)));
    }
    if (alive && auto.checked) timer = setTimeout(load, REFRESH_MS);
  };

  const go = (start: number) => {
    f = { ...f, start };
    setQuery(writeFilters(f));
    void load();
  };

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    f = collect();
    setQuery(writeFilters(f));
    void load();
  });
  sizeSelect.addEventListener('change', () => {
    f = { ...f, size: Number(sizeSelect.value), start: 0 };
    setQuery(writeFilters(f));
    void load();
  });
  auto.addEventListener('change', () => (auto.checked ? void load() : clearTimeout(timer)));

  api.workflowNames().then(
    (names) => {
      for (const n of [...names].sort()) nameSelect.append(h('option', { value: n, selected: n === f.name }, n));
    },
    (e) => toast(`Could not list workflow names: ${(e as Error).message}`, 'error'),
  );
  void load();
  return () => {
    alive = false;
    clearTimeout(timer);
  };
};

/**
 * Definitions: workflow and task definitions (GET /api/metadata/...), a definition's graph and
 * JSON, and a form that starts a run (POST /api/workflow) and opens it.
 */
import { api, type Json, type TaskDef, type WorkflowDef } from '../api.js';
import { clear, h, toast } from '../dom.js';
import { copyButton, fmtTime, jsonView } from '../format.js';
import { layoutWorkflow, type WfTask } from '../graph/layout.js';
import { renderGraph } from '../graph/render.js';
import { navigate, type Page } from '../router.js';

export const definitionsPage: Page = (root, ctx) => {
  const tab = ctx.query.get('tab') === 'tasks' ? 'tasks' : 'workflows';
  const body = h('div', {}, h('p', { class: 'hint' }, 'Loading…'));
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Definitions')),
    h(
      'div',
      { class: 'tabs', role: 'tablist' },
      h('a', { href: '/definitions', role: 'tab', class: tab === 'workflows' ? 'tab active' : 'tab', 'aria-selected': String(tab === 'workflows') }, 'Workflows'),
      h('a', { href: '/definitions?tab=tasks', role: 'tab', class: tab === 'tasks' ? 'tab active' : 'tab', 'aria-selected': String(tab === 'tasks') }, 'Task definitions'),
    ),
    body,
  );
  const filter = h('input', { type: 'search', placeholder: 'filter by name', 'aria-label': 'filter by name', class: 'filter' });

  if (tab === 'workflows') {
    api.workflowDefs().then(
      (defs) => {
        const byName = new Map<string, WorkflowDef[]>();
        for (const d of defs) byName.set(d.name, [...(byName.get(d.name) ?? []), d]);
        const rows = [...byName.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, versions]) => {
            const latest = versions.reduce((a, b) => ((b.version ?? 1) > (a.version ?? 1) ? b : a));
            return h(
              'tr',
              { 'data-name': name },
              h('td', {}, h('a', { href: `/definitions/workflow/${encodeURIComponent(name)}` }, name)),
              h('td', { class: 'num' }, String(latest.version ?? 1)),
              h('td', { class: 'num' }, String(versions.length)),
              h('td', { class: 'num' }, String(latest.tasks?.length ?? 0)),
              h('td', {}, latest.description ?? ''),
              h('td', {}, fmtTime(latest.updateTime || latest.createTime)),
            );
          });
        const tbody = h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No workflow definitions.')));
        filter.addEventListener('input', () => filterRows(tbody, filter.value));
        clear(
          body,
          filter,
          h('table', { class: 'list', id: 'workflow-defs' }, h('thead', {}, h('tr', {}, ['Name', 'Latest version', 'Versions', 'Tasks', 'Description', 'Updated'].map((c) => h('th', {}, c)))), tbody),
        );
      },
      (e) => clear(body, h('p', { class: 'error' }, (e as Error).message)),
    );
  } else {
    api.taskDefs().then(
      (defs) => {
        const rows = [...defs]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((d) =>
            h(
              'tr',
              { 'data-name': d.name },
              h('td', {}, h('a', { href: `/definitions/task/${encodeURIComponent(d.name)}` }, d.name)),
              h('td', { class: 'num' }, String(d.retryCount ?? '')),
              h('td', {}, String(d.retryLogic ?? '')),
              h('td', { class: 'num' }, String(d.responseTimeoutSeconds ?? '')),
              h('td', { class: 'num' }, String(d.timeoutSeconds ?? '')),
              h('td', {}, d.description ?? ''),
            ),
          );
        const tbody = h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No task definitions.')));
        filter.addEventListener('input', () => filterRows(tbody, filter.value));
        clear(
          body,
          filter,
          h(
            'table',
            { class: 'list', id: 'task-defs' },
            h('thead', {}, h('tr', {}, ['Name', 'Retries', 'Retry logic', 'Response timeout (s)', 'Timeout (s)', 'Description'].map((c) => h('th', {}, c)))),
            tbody,
          ),
        );
      },
      (e) => clear(body, h('p', { class: 'error' }, (e as Error).message)),
    );
  }
};

function filterRows(tbody: HTMLElement, text: string): void {
  const t = text.trim().toLowerCase();
  for (const tr of tbody.querySelectorAll<HTMLTableRowElement>('tr[data-name]')) tr.hidden = !!t && !tr.dataset.name!.toLowerCase().includes(t);
}

/** The input a new run starts with: the inputTemplate, else the declared inputParameters. */
function inputSkeleton(def: WorkflowDef): Json {
  if (def.inputTemplate && typeof def.inputTemplate === 'object' && Object.keys(def.inputTemplate).length) return def.inputTemplate;
  const out: Json = {};
  for (const p of def.inputParameters ?? []) out[p] = '';
  return out;
}

/** Parse the start form's JSON input: an object, or a message saying what is wrong. */
export function parseInput(text: string): { ok: true; value: Json } | { ok: false; error: string } {
  if (!text.trim()) return { ok: true, value: {} };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `Not valid JSON: ${(e as Error).message}` };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ok: false, error: 'The input must be a JSON object ({ ... })' };
  return { ok: true, value: v as Json };
}

export const workflowDefPage: Page = (root, ctx) => {
  const name = ctx.params.name;
  const wanted = ctx.query.get('version');
  const head = h('div', { class: 'page-head' }, h('h1', {}, name));
  const body = h('div', {}, h('p', { class: 'hint' }, 'Loading…'));
  root.append(h('p', { class: 'crumbs' }, h('a', { href: '/definitions' }, 'Definitions'), ' / '), head, body);

  Promise.all([api.workflowDef(name, wanted ? Number(wanted) : undefined), api.workflowDefs()]).then(
    ([def, all]) => {
      const versions = all.filter((d) => d.name === name).map((d) => d.version ?? 1).sort((a, b) => b - a);
      const versionSelect = h(
        'select',
        { 'aria-label': 'version', id: 'def-version' },
        versions.map((v) => h('option', { value: v, selected: v === (def.version ?? 1) }, `version ${v}`)),
      );
      versionSelect.addEventListener('change', () => navigate(`/definitions/workflow/${encodeURIComponent(name)}?version=${versionSelect.value}`));
      clear(head, h('h1', {}, name, h('span', { class: 'hint' }, ` v${def.version ?? 1}`)), h('div', { class: 'actions' }, versionSelect));

      const input = h('textarea', { id: 'start-input', rows: 10, spellcheck: 'false', 'aria-label': 'workflow input (JSON)' }, JSON.stringify(inputSkeleton(def), null, 2));
      const corr = h('input', { id: 'start-corr', placeholder: 'optional' });
      const error = h('p', { class: 'form-error', role: 'alert', id: 'start-error' });
      const submit = h('button', { type: 'submit', class: 'primary' }, 'Start run');
      const validate = () => {
        const r = parseInput(input.value);
        error.textContent = r.ok ? '' : r.error;
        input.setAttribute('aria-invalid', String(!r.ok));
        submit.disabled = !r.ok;
        return r;
      };
      input.addEventListener('input', validate);
      const form = h(
        'form',
        { class: 'start-form', id: 'start-form' },
        h('h2', {}, 'Start a run'),
        h('div', { class: 'field' }, h('label', { for: 'start-input' }, 'Input (JSON object)'), input),
        h('div', { class: 'field' }, h('label', { for: 'start-corr' }, 'Correlation id'), corr),
        error,
        h('div', { class: 'buttons' }, submit),
      );
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const r = validate();
        if (!r.ok) return;
        submit.disabled = true;
        try {
          const id = await api.startWorkflow({ name, version: def.version ?? 1, input: r.value, correlationId: corr.value.trim() || undefined });
          toast(`Started ${id}`);
          navigate(`/execution/${encodeURIComponent(id.trim())}`);
        } catch (err) {
          error.textContent = `Start failed: ${(err as Error).message}`;
          submit.disabled = false;
        }
      });
      const graph = renderGraph(layoutWorkflow((def.tasks ?? []) as unknown as WfTask[]));
      clear(
        body,
        def.description ? h('p', {}, def.description) : null,
        h(
          'div',
          { class: 'def-body' },
          h('section', { class: 'graph-pane', 'aria-label': 'graph' }, h('div', { class: 'graph-scroll', id: 'graph' }, graph)),
          h('aside', { class: 'task-panel' }, form, h('h2', {}, 'JSON'), h('div', { class: 'buttons' }, copyButton(() => JSON.stringify(def, null, 2), 'Copy JSON')), jsonView(def, 'definition JSON')),
        ),
      );
    },
    (e) => clear(body, h('p', { class: 'error' }, (e as Error).message)),
  );
};

export const taskDefPage: Page = (root, ctx) => {
  const name = ctx.params.name;
  const body = h('div', {}, h('p', { class: 'hint' }, 'Loading…'));
  root.append(h('p', { class: 'crumbs' }, h('a', { href: '/definitions?tab=tasks' }, 'Task definitions'), ' / '), h('div', { class: 'page-head' }, h('h1', {}, name)), body);
  api.taskDef(name).then(
    (def: TaskDef) => clear(body, h('div', { class: 'buttons' }, copyButton(() => JSON.stringify(def, null, 2), 'Copy JSON'), h('a', { href: `/queues#${encodeURIComponent(name)}` }, 'queue and workers')), jsonView(def, 'task definition JSON')),
    (e) => {
      toast((e as Error).message, 'error');
      clear(body, h('p', { class: 'error' }, (e as Error).message));
    },
  );
};

/** SVG rendering of a laid-out workflow graph, coloured by task status when given an execution. */
import { s } from '../dom.js';
import type { Layout, LayoutEdge, LayoutNode } from './layout.js';
import type { NodeState } from './states.js';

export interface GraphOptions {
  states?: Map<string, NodeState>;
  /** Workflow status, shown on the end node once terminal. */
  endStatus?: string;
  selected?: string;
  zoom?: number;
  onSelect?: (node: LayoutNode) => void;
}

const clip = (t: string, n: number) => (t.length > n ? `${t.slice(0, n - 1)}…` : t);

function pathOf(e: LayoutEdge): string {
  return e.points.map(([x, y], i) => `${i ? 'L' : 'M'}${x},${y}`).join(' ');
}

function edgeLabel(e: LayoutEdge): SVGElement | null {
  if (!e.label || e.points.length < 2) return null;
  const [x, y] = e.labelAt ?? e.points[Math.max(0, e.points.length - 2)];
  return s('text', { class: 'edge-label', x, y }, clip(e.label, 18));
}

/** Did the run take this edge out of a SWITCH? (its case, or default when no case matched) */
function caseTaken(e: LayoutEdge, from: LayoutNode | undefined, st: NodeState | undefined): boolean {
  if (e.label === undefined || !from?.task?.decisionCases || st?.selectedCase === undefined) return true;
  const cases = Object.keys(from.task.decisionCases);
  return e.label === st.selectedCase || (e.label === 'default' && !cases.includes(st.selectedCase));
}

function taskNode(n: LayoutNode, st: NodeState | undefined, o: GraphOptions): SVGGElement {
  // a definition (no execution) has no statuses at all
  const status = o.states ? (st?.status ?? 'NOT_RUN') : 'DEFINED';
  const type = n.type;
  const name = n.task?.name && n.task.name !== n.ref ? ` · ${n.task.name}` : '';
  const g = s(
    'g',
    {
      class: `node kind-${n.kind} status-${status}${o.selected === n.ref ? ' selected' : ''}`,
      'data-ref': n.ref,
      'data-status': status,
      'data-type': type,
      transform: `translate(${n.x},${n.y})`,
      tabindex: n.kind === 'task' ? 0 : undefined,
      role: n.kind === 'task' ? 'button' : undefined,
      'aria-label': n.kind === 'task' ? `${n.ref} (${type}) ${status}` : undefined,
    },
    s('title', {}, `${n.label} — ${type}${n.task?.name ? ` ${n.task.name}` : ''}${st ? `\n${status}${st.attempts > 1 ? `, ${st.attempts} attempts` : ''}` : ''}`),
  );
  if (n.kind === 'start' || n.kind === 'end') {
    const endStatus = n.kind === 'end' ? o.endStatus : undefined;
    const shown = endStatus ?? (o.states && n.kind === 'start' ? 'COMPLETED' : o.states ? 'NOT_RUN' : 'DEFINED');
    g.setAttribute('class', `node kind-${n.kind} status-${shown}`);
    g.append(s('rect', { class: 'shape', width: n.w, height: n.h, rx: n.h / 2 }), s('text', { class: 'label', x: n.w / 2, y: n.h / 2 + 4, 'text-anchor': 'middle' }, endStatus ?? n.label));
    return g;
  }
  if (n.kind === 'placeholder') {
    g.append(s('rect', { class: 'shape', width: n.w, height: n.h, rx: 6 }), s('text', { class: 'sub', x: n.w / 2, y: n.h / 2 + 4, 'text-anchor': 'middle' }, n.label));
    return g;
  }
  g.append(
    s('rect', { class: 'shape', width: n.w, height: n.h, rx: 6 }),
    s('text', { class: 'label', x: 10, y: 20 }, clip(n.ref, 25)),
    s('text', { class: 'sub', x: 10, y: 38 }, clip(`${type}${name}`, 30)),
  );
  if (st && st.attempts > 1) {
    g.append(s('g', { class: 'badge-attempts', transform: `translate(${n.w - 4},4)` }, s('rect', { x: -30, width: 30, height: 16, rx: 8 }), s('text', { x: -15, y: 12, 'text-anchor': 'middle' }, `×${st.attempts}`)));
  }
  if (st?.subWorkflowId) {
    g.append(
      s(
        'a',
        { href: `/execution/${encodeURIComponent(st.subWorkflowId)}`, class: 'child-link', 'aria-label': `open sub-workflow ${st.subWorkflowId}` },
        s('text', { x: n.w - 8, y: 44, 'text-anchor': 'end' }, 'child run ↗'),
      ),
    );
  }
  if (o.onSelect && n.kind === 'task') {
    const select = () => o.onSelect!(n);
    g.addEventListener('click', (e) => {
      if ((e.target as Element).closest('a')) return;
      select();
    });
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        select();
      }
    });
  }
  return g;
}

function loopBox(n: LayoutNode, st: NodeState | undefined): SVGGElement {
  const it = st?.iterations;
  return s(
    'g',
    { class: `loop-box status-${st?.status ?? 'NOT_RUN'}`, 'data-loop': n.ref, transform: `translate(${n.x},${n.y})` },
    s('rect', { class: 'shape', width: n.w, height: n.h, rx: 10 }),
    s('text', { class: 'loop-label', x: 8, y: 13 }, `↻ ${clip(n.ref, 22)}${it ? ` · ${it} iteration${it === 1 ? '' : 's'}` : ''}`),
  );
}

export function renderGraph(layout: Layout, o: GraphOptions = {}): SVGSVGElement {
  const zoom = o.zoom ?? 1;
  const svg = s('svg', {
    class: 'graph',
    xmlns: 'http://www.w3.org/2000/svg',
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    width: Math.round(layout.width * zoom),
    height: Math.round(layout.height * zoom),
    role: 'group',
    'aria-label': 'workflow graph',
  });
  svg.append(
    s(
      'defs',
      {},
      s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' })),
    ),
  );
  const states = o.states;
  for (const n of layout.nodes) if (n.kind === 'loop') svg.append(loopBox(n, states?.get(n.ref)));
  const byId = new Map(layout.nodes.filter((n) => n.kind !== 'loop').map((n) => [n.id, n]));
  const done = (id: string) => id === '__start' || !!states?.get(byId.get(id)?.ref ?? '');
  for (const e of layout.edges) {
    const from = byId.get(e.from);
    const taken = states && done(e.from) && (e.to === '__end' ? !!o.endStatus : done(e.to)) && caseTaken(e, from, states.get(from?.ref ?? ''));
    svg.append(s('path', { class: `edge${e.loop ? ' loop' : ''}${taken ? ' taken' : ''}`, d: pathOf(e), 'marker-end': 'url(#arrow)', 'data-from': e.from, 'data-to': e.to }));
    const label = edgeLabel(e);
    if (label) svg.append(label);
  }
  for (const n of layout.nodes) if (n.kind !== 'loop') svg.append(taskNode(n, states?.get(n.ref), o));
  return svg;
}

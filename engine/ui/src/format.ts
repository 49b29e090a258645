/** Formatting of times, durations, statuses and JSON for display. */
import { h } from './dom.js';

export const WORKFLOW_STATUSES = ['RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED'] as const;

export const TERMINAL_WORKFLOW = new Set(['COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED']);
export const TERMINAL_TASK = new Set(['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED', 'FAILED_WITH_TERMINAL_ERROR', 'TIMED_OUT', 'CANCELED', 'SKIPPED']);

/** Epoch ms or an ISO string → ms (0 when absent). */
export function toMs(t: number | string | undefined | null): number {
  if (t === undefined || t === null || t === '') return 0;
  if (typeof t === 'number') return t;
  const n = Date.parse(t);
  return Number.isNaN(n) ? 0 : n;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Local date and time with milliseconds, e.g. 2026-01-31 13:05:09.120 */
export function fmtTime(t: number | string | undefined | null): string {
  const ms = toMs(t);
  if (!ms) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return `${hrs} h ${m - hrs * 60} min`;
  return `${Math.floor(hrs / 24)} d ${hrs % 24} h`;
}

/** "3 s ago", "5 min ago" */
export function fmtAgo(t: number, now = Date.now()): string {
  if (!t) return 'never';
  return `${fmtDuration(Math.max(0, now - t))} ago`;
}

export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge status-${status}`, 'data-status': status }, status);
}

/** A JSON value as an indented, coloured <pre>. */
export function jsonView(value: unknown, label?: string): HTMLElement {
  const pre = h('pre', { class: 'json', 'aria-label': label ?? 'JSON' });
  const text = value === undefined ? 'undefined' : JSON.stringify(value, null, 2);
  // colour keys, strings, numbers and literals with one scan of the pretty text
  const re = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) pre.append(text.slice(last, m.index));
    if (m[1]) {
      pre.append(h('span', { class: m[2] ? 'j-key' : 'j-str' }, m[1]));
      if (m[2]) pre.append(m[2]);
    } else if (m[3]) pre.append(h('span', { class: 'j-lit' }, m[3]));
    else pre.append(h('span', { class: 'j-num' }, m[4]));
    last = m.index + m[0].length;
  }
  pre.append(text.slice(last));
  return pre;
}

/** A button that copies text to the clipboard. */
export function copyButton(text: () => string, label = 'Copy'): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'small' }, label);
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text());
      b.textContent = 'Copied';
    } catch {
      b.textContent = 'Copy failed';
    }
    setTimeout(() => (b.textContent = label), 1200);
  });
  return b;
}

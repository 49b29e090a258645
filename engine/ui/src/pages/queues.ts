/**
 * Queues and workers: pending tasks per task type (GET /api/tasks/queue/sizes, /queue/all) and the
 * last poll of each queue (GET /api/tasks/queue/polldata/all).
 */
import { api, type PollData } from '../api.js';
import { clear, h } from '../dom.js';
import { fmtAgo, fmtTime } from '../format.js';
import type { Page } from '../router.js';

const REFRESH_MS = 5000;
/** A queue not polled for this long is flagged: no worker seems to be serving it. */
const STALE_MS = 60_000;

interface Row {
  queue: string;
  taskType: string;
  domain: string;
  size: number;
  poll?: PollData;
  defined: boolean;
}

export const queuesPage: Page = (root) => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let alive = true;
  const body = h('tbody');
  const stamp = h('span', { class: 'hint' });
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Queues and workers'), stamp),
    h(
      'table',
      { class: 'list', id: 'queues' },
      h('thead', {}, h('tr', {}, ['Task type', 'Domain', 'Pending', 'Last poll', 'Last worker'].map((c, i) => h('th', { class: i === 2 ? 'num' : '' }, c)))),
      body,
    ),
    h('p', { class: 'hint' }, 'Pending = tasks waiting in the queue to be polled. Last poll comes from the workers’ batch polls; a defined task type nobody polled in a minute is marked.'),
  );

  const load = async () => {
    clearTimeout(timer);
    try {
      const [defs, all, polls] = await Promise.all([api.taskDefs(), api.allQueues(), api.pollData()]);
      const names = defs.map((d) => d.name);
      const sizes = names.length ? await api.queueSizes(names) : {};
      if (!alive) return;
      const rows = new Map<string, Row>();
      const add = (queue: string, size?: number) => {
        const [domain, taskType] = queue.includes(':') ? [queue.slice(0, queue.indexOf(':')), queue.slice(queue.indexOf(':') + 1)] : ['', queue];
        const r = rows.get(queue) ?? { queue, taskType, domain, size: 0, defined: names.includes(taskType) };
        if (size !== undefined) r.size = size;
        rows.set(queue, r);
        return r;
      };
      for (const n of names) add(n, sizes[n] ?? 0);
      for (const [q, n] of Object.entries(all)) add(q, n);
      for (const p of polls) {
        const r = add(p.domain ? `${p.domain}:${p.queueName}` : p.queueName);
        if (!r.poll || p.lastPollTime > r.poll.lastPollTime) r.poll = p;
      }
      const now = Date.now();
      const list = [...rows.values()].sort((a, b) => a.taskType.localeCompare(b.taskType) || a.domain.localeCompare(b.domain));
      clear(
        body,
        list.length
          ? list.map((r) => {
              const stale = r.defined && (!r.poll || now - r.poll.lastPollTime > STALE_MS);
              return h(
                'tr',
                { id: r.queue, 'data-queue': r.queue, class: stale && r.size > 0 ? 'warn' : '' },
                h('td', {}, r.defined ? h('a', { href: `/definitions/task/${encodeURIComponent(r.taskType)}` }, r.taskType) : r.taskType),
                h('td', {}, r.domain),
                h('td', { class: 'num', 'data-size': r.size }, String(r.size)),
                h('td', { title: r.poll ? fmtTime(r.poll.lastPollTime) : '' }, r.poll ? fmtAgo(r.poll.lastPollTime, now) : h('span', { class: 'hint' }, 'never')),
                h('td', { class: 'mono' }, r.poll?.workerId ?? ''),
              );
            })
          : h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No task types or queues yet.')),
      );
      stamp.textContent = `updated ${fmtTime(now).slice(11, 19)} · refreshes every ${REFRESH_MS / 1000} s`;
    } catch (e) {
      if (alive) clear(body, h('tr', {}, h('td', { colspan: 5, class: 'error' }, (e as Error).message)));
    }
    if (alive) timer = setTimeout(load, REFRESH_MS);
  };
  void load();
  return () => {
    alive = false;
    clearTimeout(timer);
  };
};

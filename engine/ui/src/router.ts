/**
 * Client-side routing on the History API. The engine answers every non-/api page path with
 * index.html, so /execution/<id> can be bookmarked and reloaded.
 */

export interface PageContext {
  params: Record<string, string>;
  query: URLSearchParams;
}

/** A page renders into `root` and returns what stops its timers when the page is left. */
export type Page = (root: HTMLElement, ctx: PageContext) => (() => void) | void;

interface Route {
  pattern: RegExp;
  keys: string[];
  page: Page;
  nav: string;
}

const routes: Route[] = [];
let cleanup: (() => void) | void;
let root: HTMLElement;

/** `/execution/:id` → a route; `nav` names the header tab to highlight. */
export function route(path: string, nav: string, page: Page): void {
  const keys: string[] = [];
  const pattern = new RegExp(`^${path.replace(/:(\w+)/g, (_m, k: string) => (keys.push(k), '([^/]+)'))}/?$`);
  routes.push({ pattern, keys, page, nav });
}

export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}

/** Change the query string of the current page without re-rendering it. */
export function setQuery(q: URLSearchParams): void {
  const s = q.toString();
  history.replaceState(null, '', `${location.pathname}${s ? `?${s}` : ''}`);
}

function render(): void {
  if (cleanup) cleanup();
  cleanup = undefined;
  const path = location.pathname;
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
    for (const a of document.querySelectorAll<HTMLAnchorElement>('header nav a')) a.classList.toggle('active', a.dataset.nav === r.nav);
    root.replaceChildren();
    document.title = 'Baton';
    window.scrollTo(0, 0);
    cleanup = r.page(root, { params, query: new URLSearchParams(location.search) });
    return;
  }
  root.replaceChildren();
  const p = document.createElement('p');
  p.className = 'empty';
  p.textContent = `No page at ${path}`;
  root.append(p);
}

export function startRouter(el: HTMLElement): void {
  root = el;
  window.addEventListener('popstate', render);
  // same-origin links navigate in place (except /api, downloads, new tabs and modified clicks)
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || a.getAttribute('target') || a.hasAttribute('download')) return;
    const href = a.getAttribute('href');
    if (!href || !href.startsWith('/') || href.startsWith('//') || href.startsWith('/api/')) return;
    e.preventDefault();
    navigate(href);
  });
  render();
}

/**
 * Serves the inspection UI at `/`: static files under /assets (the compiled modules from
 * dist/ui, then the stylesheet and icon from engine/ui/public), and index.html for every other page
 * path so client-side routes such as /execution/<id> load. Mounted after the /api routes and
 * their 404, so nothing under /api ever answers with the page.
 *
 * `dir` replaces the built-in UI with another single-page app's build (e.g. a Conductor UI
 * `build/` or `dist/`): its files at `/`, its index.html for page paths.
 */
import express, { Router, type RequestHandler } from 'express';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface UiOptions {
  /** Serve this directory instead of the built-in UI. */
  dir?: string;
}

/** The project root: the nearest ancestor holding engine/ui/index.html (from source or dist/). */
function projectRoot(): string | undefined {
  let d = __dirname;
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(d, 'engine', 'ui', 'index.html'))) return d;
    d = dirname(d);
  }
  return undefined;
}

/** Where the built-in UI lives: its page, its static files and its compiled modules. */
export function builtInUi(): { index: string; public: string; compiled: string } | undefined {
  const root = projectRoot();
  if (!root) return undefined;
  return { index: join(root, 'engine', 'ui', 'index.html'), public: join(root, 'engine', 'ui', 'public'), compiled: join(root, 'dist', 'ui') };
}

// Own modules, stylesheet and inline styles only; data from /api on the same origin.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Baton</title>
<body style="font:15px system-ui,sans-serif;margin:40px"><h1>Baton</h1>
<p>The inspection UI is not built. Run <code>npm run build</code> (or <code>npm start</code>, which builds) and reload.</p>
<p>The API is served under <a href="/api/metadata/workflow">/api</a>.</p></body>`;

/** A page path (not a file): GET or HEAD that asks for HTML or has no file extension. */
function isPagePath(req: express.Request): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (req.path === '/api' || req.path.startsWith('/api/') || req.path.startsWith('/assets/')) return false;
  const last = req.path.split('/').pop() ?? '';
  return !last.includes('.') || (req.get('accept') ?? '').includes('text/html');
}

export function uiRoutes(o: UiOptions = {}): Router {
  const r = Router();
  const statics = { index: false, etag: true, lastModified: true, maxAge: 0, fallthrough: true } as const;

  if (o.dir) {
    const dir = resolve(o.dir);
    r.use(express.static(dir, statics));
    const page: RequestHandler = (req, res, next) => (isPagePath(req) ? res.sendFile(join(dir, 'index.html'), (err) => err && next()) : next());
    r.use(page);
    return r;
  }

  const ui = builtInUi();
  if (ui) {
    r.use('/assets', (_req, res, next) => {
      res.set('Cache-Control', 'no-cache');
      next();
    });
    r.use('/assets', express.static(ui.compiled, statics), express.static(ui.public, statics));
  }
  r.use((req, res, next) => {
    if (!isPagePath(req)) return next();
    res.set({ 'Content-Security-Policy': CSP, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    if (!ui || !existsSync(join(ui.compiled, 'main.js'))) return void res.status(200).type('html').send(NOT_BUILT);
    res.sendFile(ui.index);
  });
  return r;
}

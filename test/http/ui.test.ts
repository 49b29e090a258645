/** The UI's HTTP surface: the page at / and page paths, static assets, /api untouched, BATON_UI_DIR. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createTestBaton } from '../helpers/baton';
import { ConfigError, loadConfig } from '../../engine/config';
import { createApi, type Api } from './http-helpers';

const html = { Accept: 'text/html,application/xhtml+xml' };

describe('built-in UI', () => {
  let api: Api;
  beforeAll(() => {
    api = createApi();
  });
  afterAll(() => api.close());

  test('/ and client-side page paths answer the page, with a same-origin-only CSP', async () => {
    for (const path of ['/', '/executions', '/execution/3f1c2a', '/definitions/workflow/my.flow', '/queues']) {
      const res = await api.http.get(path).set(html).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('Baton');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    }
  });

  test('static assets come from /assets; a missing one is a 404, not the page', async () => {
    const css = await api.http.get('/assets/style.css').expect(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    const res = await api.http.get('/assets/missing.js').set(html);
    expect(res.status).toBe(404);
    expect(res.body.message).toMatch(/^No static resource/);
  });

  test('/api never answers with the page: unknown routes stay 404 JSON, other methods too', async () => {
    for (const path of ['/api', '/api/nothing', '/api/workflow/a/b/c/d', '/api/ui']) {
      const res = await api.http.get(path).set(html);
      expect([res.status, res.headers['content-type']]).toEqual([404, expect.stringMatching(/^application\/json/)]);
    }
    const post = await api.http.post('/execution/abc').send({});
    expect([post.status, post.body.status]).toEqual([404, 404]);
    expect((await api.http.get('/nothing.txt')).status).toBe(404);
    await api.http.get('/health').expect(200);
  });
});

describe('BATON_UI_DIR', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-ui-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>another UI</title>');
    writeFileSync(join(dir, 'context.js'), 'window.conductor = {};');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('serves another single-page app instead: its files, its index.html for page paths, /api as ever', async () => {
    const baton = createTestBaton({ env: { BATON_UI_DIR: dir } });
    const http = request(baton.app);
    expect((await http.get('/').set(html).expect(200)).text).toContain('another UI');
    expect((await http.get('/workflowDefs').set(html).expect(200)).text).toContain('another UI');
    expect((await http.get('/context.js').expect(200)).headers['content-type']).toMatch(/javascript/);
    await http.get('/api/metadata/workflow').expect(200);
    expect((await http.get('/api/nothing').set(html)).status).toBe(404);
    await baton.close();
  });

  test('off: no UI at all', async () => {
    const baton = createTestBaton({ env: { BATON_UI_DIR: 'off' } });
    const res = await request(baton.app).get('/').set(html);
    expect([res.status, res.headers['content-type']]).toEqual([404, expect.stringMatching(/^application\/json/)]);
    await baton.close();
  });

  test('a directory without index.html is a configuration error', () => {
    expect(() => loadConfig({ BATON_UI_DIR: join(dir, 'nope') })).toThrow(ConfigError);
    expect(() => loadConfig({ BATON_UI_DIR: join(dir, 'nope') })).toThrow(/BATON_UI_DIR/);
  });
});

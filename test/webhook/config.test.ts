import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ConfigError, loadTriggersFile, loadWebhookConfig, WebhookConfigFields } from '../../webhook-server/config';
import { TriggersError } from '../../webhook-server/routing';

const ROOT = join(__dirname, '../..');

describe('webhook configuration', () => {
  test('defaults: port 3000 on loopback, ./data/webhook.db, no commit statuses without a token', () => {
    const c = loadWebhookConfig({ GITHUB_WEBHOOK_SECRET: 's' });
    expect(c).toMatchObject({
      port: 3000, host: '127.0.0.1', dbPath: './data/webhook.db', triggersPath: './webhook-server/triggers.json', bodyLimit: '25mb',
      rateLimitPerMinute: 120, conductor: { serverUrl: 'http://localhost:8080/api' }, uiUrl: 'http://localhost:8080', github: undefined,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  test('GITHUB_TOKEN turns commit statuses on, against GITHUB_API_URL', () => {
    expect(loadWebhookConfig({ GITHUB_WEBHOOK_SECRET: 's', GITHUB_TOKEN: 't', GITHUB_API_URL: 'http://127.0.0.1:9/' }).github).toEqual({ token: 't', apiUrl: 'http://127.0.0.1:9' });
  });

  test('the secret is required; a bad value names the variable and hides secrets', () => {
    expect(() => loadWebhookConfig({})).toThrow(ConfigError);
    expect(() => loadWebhookConfig({})).toThrow(/GITHUB_WEBHOOK_SECRET: required/);
    expect(() => loadWebhookConfig({ GITHUB_WEBHOOK_SECRET: 's', WEBHOOK_PORT: 'eighty' })).toThrow(/WEBHOOK_PORT.*"eighty"/);
    expect(() => loadWebhookConfig({ GITHUB_WEBHOOK_SECRET: 's', WEBHOOK_BODY_LIMIT: 'huge' })).toThrow(/WEBHOOK_BODY_LIMIT/);
    expect(() => loadWebhookConfig({ GITHUB_WEBHOOK_SECRET: 's', GITHUB_API_URL: 'nope', GITHUB_TOKEN: 'ghp_x' })).toThrow(/GITHUB_API_URL/);
    expect(() => loadWebhookConfig({ GITHUB_WEBHOOK_SECRET: 's', CONDUCTOR_AUTH_KEY: 'k' })).toThrow(/CONDUCTOR_AUTH_SECRET: set both/);
    try {
      loadWebhookConfig({ GITHUB_WEBHOOK_SECRET: '', GITHUB_TOKEN: 'ghp_secret' });
    } catch (e) {
      expect((e as Error).message).not.toContain('ghp_secret');
    }
  });

  test('.env.example lists every variable with its default', () => {
    const lines = readFileSync(join(ROOT, '.env.example'), 'utf8').split('\n');
    const defaults = WebhookConfigFields.parse({ GITHUB_WEBHOOK_SECRET: 'x' }) as Record<string, unknown>;
    for (const key of Object.keys(WebhookConfigFields.shape)) {
      const line = lines.find((l) => l.startsWith(`${key}=`) || l.startsWith(`# ${key}=`));
      expect([key, line !== undefined]).toEqual([key, true]);
      if (key === 'GITHUB_WEBHOOK_SECRET' || defaults[key] === undefined) continue;
      expect([key, String(WebhookConfigFields.shape[key as keyof typeof WebhookConfigFields.shape].parse(line!.slice(line!.indexOf('=') + 1)))]).toEqual([key, String(defaults[key])]);
    }
  });
});

describe('the triggers file at start-up', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'baton-triggers-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a missing file, broken JSON and a bad field each name the file', () => {
    expect(() => loadTriggersFile(join(dir, 'none.json'))).toThrow(/Cannot read triggers file .*none\.json: ENOENT/);
    writeFileSync(join(dir, 'broken.json'), '{"routes": [');
    expect(() => loadTriggersFile(join(dir, 'broken.json'))).toThrow(/Invalid triggers file .*broken\.json: not JSON/);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ routes: [{ name: 'a', workflow: { name: 'w', version: 0 } }] }));
    expect(() => loadTriggersFile(join(dir, 'bad.json'))).toThrow(TriggersError);
    expect(() => loadTriggersFile(join(dir, 'bad.json'))).toThrow(/bad\.json:\n  routes\[0\]\.workflow\.version: Number must be greater than or equal to 1/);
  });

  test('the server refuses to start on a bad triggers file or config: message and exit code 78', () => {
    const main = join(ROOT, 'dist/webhook-server/main.js');
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, [main], { cwd: dir, encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH ?? '', ...env } });
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ routes: [{ name: 'a', branches: 'main', workflow: { name: 'w' } }] }));
    const bad = run({ GITHUB_WEBHOOK_SECRET: 's', WEBHOOK_TRIGGERS: join(dir, 'bad.json') });
    expect(bad.status).toBe(78);
    expect(bad.stderr).toMatch(/Invalid triggers file .*bad\.json:\n  routes\[0\]\.branches: Expected array, received string/);
    const noSecret = run({ WEBHOOK_TRIGGERS: join(dir, 'bad.json') });
    expect(noSecret.status).toBe(78);
    expect(noSecret.stderr).toMatch(/GITHUB_WEBHOOK_SECRET: required/);
  });
});

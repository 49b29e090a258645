/** Optional key/secret auth: /api/token, X-Authorization on every /api call, SDK-readable 401s. */
import request from 'supertest';
import { createTestBaton } from '../helpers/baton';
import { FakeClock } from '../../engine/ports/clock';
import { checkToken, issueToken } from '../../engine/api/auth';
import { expectError } from './http-helpers';
import { loadConfig, ConfigError } from '../../engine/config';

const KEY = { BATON_AUTH_KEY_ID: 'ci-key', BATON_AUTH_KEY_SECRET: 'a-long-enough-secret' };

describe('auth on', () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const baton = createTestBaton({ clock, env: { ...KEY, BATON_AUTH_TOKEN_TTL_SECONDS: '600' } });
  const http = request(baton.app);
  afterAll(() => baton.close());

  const token = async () => (await http.post('/api/token').send({ keyId: 'ci-key', keySecret: 'a-long-enough-secret' }).expect(200)).body.token as string;

  test('the right key and secret get a token that opens the API', async () => {
    const t = await token();
    expect(t.split('.')).toHaveLength(3);
    await http.get('/api/metadata/taskdefs').set('X-Authorization', t).expect(200);
    const info = await http.get('/api/token/userInfo').set('X-Authorization', t).expect(200);
    expect(info.body.id).toBe('ci-key');
  });

  test('a wrong key or secret → 401, no token', async () => {
    const res = await http.post('/api/token').send({ keyId: 'ci-key', keySecret: 'wrong-but-long-secret' });
    expectError(res, 401, 'Invalid keyId or keySecret');
    expect(res.body.token).toBeUndefined();
    expectError(await http.post('/api/token').send({ keyId: 'other', keySecret: 'a-long-enough-secret' }), 401);
    expectError(await http.post('/api/token').send('nope').set('Content-Type', 'text/plain'), 401);
  });

  test('no token or a forged one → 401 INVALID_TOKEN and nothing happens', async () => {
    const missing = await http.post('/api/metadata/taskdefs').send([{ name: 'sneaky' }]);
    expectError(missing, 401, 'Missing X-Authorization token');
    expect(missing.body.error).toBe('INVALID_TOKEN');
    const forged = issueToken({ keyId: 'ci-key', keySecret: 'another-secret-value', tokenTtlSeconds: 600 }, clock.now());
    expect((await http.get('/api/metadata/taskdefs').set('X-Authorization', forged)).body.error).toBe('INVALID_TOKEN');
    expect((await http.get('/api/metadata/taskdefs').set('X-Authorization', 'garbage')).body.error).toBe('INVALID_TOKEN');
    expect(baton.engine.store.getTaskDef('sneaky')).toBeUndefined();
  });

  test('an expired token → 401 EXPIRED_TOKEN (the SDK then fetches a new one)', async () => {
    const t = await token();
    clock.advance(601_000);
    const res = await http.get('/api/metadata/taskdefs').set('X-Authorization', t);
    expectError(res, 401, 'Token has expired');
    expect(res.body.error).toBe('EXPIRED_TOKEN');
  });

  test('health and metrics stay open; unknown routes still need a token', async () => {
    await http.get('/health').expect(200);
    await http.get('/api/health').expect(200);
    await http.get('/metrics').expect(200);
    expectError(await http.get('/api/nope'), 401);
  });

  test('tampering with the claims breaks the signature', () => {
    const cfg = { keyId: 'k', keySecret: 'a-long-enough-secret', tokenTtlSeconds: 60 };
    const [h, , s] = issueToken(cfg, 0).split('.');
    const p = Buffer.from(JSON.stringify({ sub: 'k', exp: 9_999_999_999 })).toString('base64url');
    expect(checkToken(cfg, `${h}.${p}.${s}`, 0)).toMatchObject({ ok: false, error: 'INVALID_TOKEN' });
    expect(checkToken(cfg, issueToken(cfg, 0), 59_000)).toMatchObject({ ok: true });
  });
});

test('auth off (the default): /api/token is a 404, which the SDK reads as Conductor OSS', async () => {
  const baton = createTestBaton();
  try {
    expectError(await request(baton.app).post('/api/token').send({ keyId: 'a', keySecret: 'b' }), 404);
    await request(baton.app).get('/api/metadata/taskdefs').expect(200);
  } finally {
    await baton.close();
  }
});

test('config: key id without secret, or a short secret, is refused and the secret is not echoed', () => {
  expect(() => loadConfig({ BATON_AUTH_KEY_ID: 'x' })).toThrow(/BATON_AUTH_KEY_SECRET/);
  let msg = '';
  try {
    loadConfig({ BATON_AUTH_KEY_ID: 'x', BATON_AUTH_KEY_SECRET: 'short' });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    msg = (e as Error).message;
  }
  expect(msg).toMatch(/at least 16/);
  expect(msg).not.toContain('short');
});

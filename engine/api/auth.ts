/**
 * Optional key/secret auth in the Orkes style the official SDK speaks: POST /api/token
 * {keyId, keySecret} → {token}; every other /api call carries `X-Authorization: <token>`.
 * Off by default, and then /api/token answers 404, which the SDK reads as "Conductor OSS,
 * no auth".
 *
 * Tokens are HS256 JWTs signed with a key derived from the secret, so they need no storage
 * and survive restarts; changing the secret invalidates them all. A 401 carries
 * `error: EXPIRED_TOKEN | INVALID_TOKEN`, which makes the SDK fetch a new token and retry once.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Router } from 'express';
import { Router as makeRouter } from 'express';
import { hostname } from 'node:os';
import type { Clock } from '../ports/clock';

export interface AuthConfig {
  keyId: string;
  keySecret: string;
  tokenTtlSeconds: number;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function signingKey(cfg: AuthConfig): Buffer {
  return createHmac('sha256', cfg.keySecret).update('baton-token-v1').digest();
}

function sameText(a: string, b: string): boolean {
  // compare digests so the lengths match and the time does not depend on the content
  const da = createHmac('sha256', 'cmp').update(a).digest();
  const db = createHmac('sha256', 'cmp').update(b).digest();
  return timingSafeEqual(da, db);
}

export function issueToken(cfg: AuthConfig, now: number): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const iat = Math.floor(now / 1000);
  const payload = b64url(JSON.stringify({ sub: cfg.keyId, iat, exp: iat + cfg.tokenTtlSeconds, iss: 'baton' }));
  const sig = createHmac('sha256', signingKey(cfg)).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${sig}`;
}

export type TokenCheck = { ok: true; keyId: string } | { ok: false; error: 'EXPIRED_TOKEN' | 'INVALID_TOKEN'; message: string };

export function checkToken(cfg: AuthConfig, token: string | undefined, now: number): TokenCheck {
  if (!token) return { ok: false, error: 'INVALID_TOKEN', message: 'Missing X-Authorization token' };
  const parts = token.trim().replace(/^Bearer\s+/i, '').split('.');
  if (parts.length !== 3) return { ok: false, error: 'INVALID_TOKEN', message: 'Malformed token' };
  const [h, p, sig] = parts;
  const expected = createHmac('sha256', signingKey(cfg)).update(`${h}.${p}`).digest('base64url');
  if (!sameText(sig, expected)) return { ok: false, error: 'INVALID_TOKEN', message: 'Invalid token' };
  let claims: { sub?: unknown; exp?: unknown };
  try {
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, error: 'INVALID_TOKEN', message: 'Malformed token' };
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return { ok: false, error: 'EXPIRED_TOKEN', message: 'Token has expired' };
  return { ok: true, keyId: String(claims.sub) };
}

const unauthorized = (error: string, message: string) => ({ status: 401, message, error, instance: hostname(), retryable: false });

/** POST /api/token and GET /api/token/userInfo. */
export function tokenRoutes(cfg: AuthConfig, clock: Clock): Router {
  const r = makeRouter();
  r.post('/', (req, res) => {
    const b = req.body as { keyId?: unknown; keySecret?: unknown } | undefined;
    const keyId = typeof b?.keyId === 'string' ? b.keyId : '';
    const keySecret = typeof b?.keySecret === 'string' ? b.keySecret : '';
    // evaluate both comparisons so a wrong id and a wrong secret take the same time
    const idOk = sameText(keyId, cfg.keyId);
    const secretOk = sameText(keySecret, cfg.keySecret);
    if (!idOk || !secretOk) return void res.status(401).json(unauthorized('INVALID_CREDENTIALS', 'Invalid keyId or keySecret'));
    res.json({ token: issueToken(cfg, clock.now()) });
  });
  r.get('/userInfo', (req, res) => {
    const c = checkToken(cfg, req.get('x-authorization'), clock.now());
    if (!c.ok) return void res.status(401).json(unauthorized(c.error, c.message));
    res.json({ id: c.keyId, name: c.keyId, roles: [{ name: 'ADMIN' }], applicationUser: true });
  });
  return r;
}

/** Every /api route except /api/token and /api/health needs a valid token. */
export function requireToken(cfg: AuthConfig, clock: Clock): RequestHandler {
  return (req, res, next) => {
    if (req.path === '/health' || req.path.startsWith('/token')) return next();
    const c = checkToken(cfg, req.get('x-authorization'), clock.now());
    if (!c.ok) return void res.status(401).json(unauthorized(c.error, c.message));
    next();
  };
}

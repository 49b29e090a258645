/**
 * Signature and header checks of a delivery, pure: no HTTP, no logging. The HMAC-SHA256 of the
 * raw body is checked by @octokit/webhooks (GitHub's own TypeScript example), which compares in
 * constant time.
 */
import { Webhooks, emitterEventNames } from '@octokit/webhooks';

export type SignatureCheck = 'ok' | 'missing' | 'malformed' | 'mismatch';

const SIGNATURE = /^sha256=[0-9a-f]{64}$/;

/** A verifier bound to the secret (the octokit instance is made once). */
export function createVerifier(secret: string): (rawBody: Buffer, header: string | undefined) => Promise<SignatureCheck> {
  const webhooks = new Webhooks({ secret });
  return async (rawBody, header) => {
    if (header === undefined || header === '') return 'missing';
    if (!SIGNATURE.test(header)) return 'malformed';
    if (rawBody.length === 0) return 'mismatch'; // GitHub never sends an empty body
    // GitHub signs the bytes it sends; they are UTF-8 JSON, so the string round-trips exactly
    try {
      return (await webhooks.verify(rawBody.toString('utf8'), header)) ? 'ok' : 'mismatch';
    } catch {
      return 'mismatch';
    }
  };
}

/** `sha256=<hex>` for a body, as GitHub sends it (the test-push CLI and tests use it). */
export function sign(secret: string, body: string): Promise<string> {
  return new Webhooks({ secret }).sign(body);
}

const EVENT_NAMES = new Set<string>(emitterEventNames.filter((n) => !n.includes('.')));

/** A name GitHub sends in X-GitHub-Event (octokit's list of webhook events). */
export function isGitHubEvent(name: string): boolean {
  return EVENT_NAMES.has(name);
}

/** GitHub's delivery ids are GUIDs; accept any short token so other senders can test. */
export function isDeliveryId(id: string | undefined): id is string {
  return typeof id === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/.test(id);
}

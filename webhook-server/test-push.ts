/**
 * `npm run webhook:test-push -- --repo <path>`: sends the webhook server a push delivery built
 * from a local git repository's HEAD, signed with GITHUB_WEBHOOK_SECRET, as GitHub would.
 *
 * Options: --repo (default .), --url (default http://127.0.0.1:$WEBHOOK_PORT/webhook/github),
 * --ref (default the checked-out branch), --before (default HEAD^), --full-name owner/name
 * (default from the origin remote, else local/<folder>), --clone-url (default origin, else the
 * folder), --delivery (default a new GUID; repeat one to redeliver), --print (payload only).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sign } from './verify';

export interface PushOptions {
  repo: string;
  ref?: string;
  before?: string;
  fullName?: string;
  cloneUrl?: string;
}

interface GitCommit {
  id: string;
  tree_id: string;
  distinct: boolean;
  message: string;
  timestamp: string;
  url: string;
  author: { name: string; email: string };
  committer: { name: string; email: string };
  added: string[];
  removed: string[];
  modified: string[];
}

const ZERO = '0'.repeat(40);

function git(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trimEnd();
}
function gitOr(repo: string, fallback: string, ...args: string[]): string {
  try {
    return git(repo, ...args) || fallback;
  } catch {
    return fallback;
  }
}

/** owner/name from a GitHub remote (https or ssh form). */
export function fullNameFromRemote(url: string): string | undefined {
  const m = /github\.com[:/]([^/\s]+)\/([^/\s]+?)(\.git)?\/?$/.exec(url);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

function commit(repo: string, sha: string, htmlUrl: string): GitCommit {
  const [id, tree, an, ae, cn, ce, date, ...msg] = git(repo, 'show', '-s', '--format=%H%n%T%n%an%n%ae%n%cn%n%ce%n%cI%n%B', sha).split('\n');
  const c: GitCommit = {
    id, tree_id: tree, distinct: true, message: msg.join('\n').trim(), timestamp: date, url: `${htmlUrl}/commit/${id}`,
    author: { name: an, email: ae }, committer: { name: cn, email: ce }, added: [], removed: [], modified: [],
  };
  // -z: NUL-separated "status, path" pairs, exactly as stored (no quoting of odd names)
  const fields = git(repo, 'diff-tree', '--no-commit-id', '-r', '--root', '--name-status', '-z', sha).split('\0').filter(Boolean);
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [status, path] = [fields[i][0], fields[i + 1]];
    if (status === 'A' || status === 'C') c.added.push(path);
    else if (status === 'D') c.removed.push(path);
    else c.modified.push(path);
  }
  return c;
}

/** A `push` payload with GitHub's fields for the commits before..HEAD of a local repository. */
export function buildPushPayload(o: PushOptions) {
  const repo = resolve(o.repo);
  const after = git(repo, 'rev-parse', 'HEAD');
  const branch = gitOr(repo, '', 'symbolic-ref', '--short', '-q', 'HEAD');
  const ref = o.ref ?? (branch ? `refs/heads/${branch}` : undefined);
  if (!ref) throw new Error('HEAD is detached: pass --ref refs/heads/<branch> or refs/tags/<tag>');
  const before = o.before ? git(repo, 'rev-parse', o.before) : gitOr(repo, ZERO, 'rev-parse', '--verify', '-q', 'HEAD^');
  const origin = gitOr(repo, '', 'remote', 'get-url', 'origin');
  const fullName = o.fullName ?? fullNameFromRemote(origin) ?? `local/${basename(repo)}`;
  const [owner, name] = fullName.split('/');
  const htmlUrl = `https://github.com/${fullName}`;
  const shas = before === ZERO ? [after] : git(repo, 'rev-list', '--reverse', '--max-count=2048', `${before}..${after}`).split('\n').filter(Boolean);
  const commits = shas.map((s) => commit(repo, s, htmlUrl));
  const pusher = { name: gitOr(repo, 'local', 'config', 'user.name'), email: gitOr(repo, '', 'config', 'user.email') || null };
  return {
    ref,
    before,
    after,
    created: before === ZERO,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `${htmlUrl}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits,
    head_commit: commits[commits.length - 1] ?? null,
    repository: {
      name,
      full_name: fullName,
      owner: { name: owner, login: owner },
      private: true,
      html_url: htmlUrl,
      clone_url: o.cloneUrl ?? (origin || repo),
      ssh_url: origin.startsWith('git@') ? origin : `git@github.com:${fullName}.git`,
      default_branch: branch || 'main',
    },
    pusher,
    sender: { login: pusher.name },
  };
}

/** Signs and POSTs one delivery; returns the answer. */
export async function sendDelivery(url: string, secret: string, event: string, payload: unknown, delivery: string = randomUUID()): Promise<{ status: number; body: string; delivery: string }> {
  const body = JSON.stringify(payload);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/baton-test-push',
      'x-github-event': event,
      'x-github-delivery': delivery,
      'x-hub-signature-256': await sign(secret, body),
    },
    body,
  });
  return { status: res.status, body: await res.text(), delivery };
}

async function main(): Promise<number> {
  await import('dotenv/config');
  const { values } = parseArgs({
    options: {
      repo: { type: 'string', default: '.' },
      url: { type: 'string' },
      ref: { type: 'string' },
      before: { type: 'string' },
      'full-name': { type: 'string' },
      'clone-url': { type: 'string' },
      delivery: { type: 'string' },
      print: { type: 'boolean', default: false },
    },
  });
  const payload = buildPushPayload({ repo: values.repo!, ref: values.ref, before: values.before, fullName: values['full-name'], cloneUrl: values['clone-url'] });
  if (values.print) {
    process.stdout.write(`${JSON.stringify(payload, null, 2)}\n`);
    return 0;
  }
  // `npm start` generates data/webhook.secret when .env sets none (ecosystem.config.js)
  const localFile = resolve(process.env.BATON_DATA_DIR || 'data', 'webhook.secret');
  const secret = process.env.GITHUB_WEBHOOK_SECRET || (existsSync(localFile) ? readFileSync(localFile, 'utf8').trim() : undefined);
  if (!secret) {
    process.stderr.write(`GITHUB_WEBHOOK_SECRET is not set (in the environment or .env) and ${localFile} does not exist\n`);
    return 78;
  }
  const url = values.url ?? `http://127.0.0.1:${process.env.WEBHOOK_PORT || 3000}/webhook/github`;
  const r = await sendDelivery(url, secret, 'push', payload, values.delivery);
  process.stdout.write(`push ${payload.repository.full_name} ${payload.ref} ${payload.after.slice(0, 12)} (${payload.commits.length} commit(s)) → ${url}\n`);
  process.stdout.write(`delivery ${r.delivery}: HTTP ${r.status}\n${r.body}\n`);
  return r.status >= 200 && r.status < 300 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}

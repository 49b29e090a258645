/** The test-push CLI: a push payload from a real local git repository, signed and sent. */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPushPayload, fullNameFromRemote } from '../../webhook-server/test-push';
import { describeEvent } from '../../webhook-server/routing';
import { SECRET, testServer } from './helpers';

let repo: string;
const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com' } }).trim();

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'baton-test-push-'));
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Ada');
  git('config', 'user.email', 'ada@example.com');
  writeFileSync(join(repo, 'keep.c'), 'int a;\n');
  writeFileSync(join(repo, 'gone.c'), 'int b;\n');
  writeFileSync(join(repo, 'moved.c'), 'int c;\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'first');
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

test('the root commit: before is zero, every file added, a local repository name', () => {
  const p = buildPushPayload({ repo });
  const sha = git('rev-parse', 'HEAD');
  expect(p).toMatchObject({ ref: 'refs/heads/main', before: '0'.repeat(40), after: sha, created: true, deleted: false, pusher: { name: 'Ada', email: 'ada@example.com' } });
  expect(p.repository).toMatchObject({ full_name: expect.stringMatching(/^local\/baton-test-push-/), clone_url: repo });
  expect(p.commits).toHaveLength(1);
  expect(p.commits[0]).toMatchObject({ id: sha, message: 'first', added: ['gone.c', 'keep.c', 'moved.c'], modified: [], removed: [], author: { name: 'Ada' } });
});

test('a later commit: added, modified, removed as GitHub lists them (a rename is removed + added)', () => {
  const before = git('rev-parse', 'HEAD');
  writeFileSync(join(repo, 'keep.c'), 'int a = 1;\n');
  writeFileSync(join(repo, 'new file.c'), 'int d;\n');
  rmSync(join(repo, 'gone.c'));
  renameSync(join(repo, 'moved.c'), join(repo, 'renamed.c'));
  git('add', '-A');
  git('commit', '-q', '-m', 'second\n\nbody');
  git('remote', 'add', 'origin', 'git@github.com:acme/firmware.git');
  const p = buildPushPayload({ repo });
  expect(p).toMatchObject({ before, after: git('rev-parse', 'HEAD'), created: false });
  expect(p.repository).toMatchObject({ full_name: 'acme/firmware', name: 'firmware', clone_url: 'git@github.com:acme/firmware.git' });
  expect(p.commits[0]).toMatchObject({ message: 'second\n\nbody', added: ['new file.c', 'renamed.c'], modified: ['keep.c'], removed: ['gone.c', 'moved.c'] });
  const r = describeEvent('push', p, 'd');
  expect('context' in r && r.context.changed_files).toEqual(['gone.c', 'keep.c', 'moved.c', 'new file.c', 'renamed.c']);
  // --before widens the push to several commits
  writeFileSync(join(repo, 'keep.c'), 'int a = 2;\n');
  git('commit', '-q', '-am', 'third');
  expect(buildPushPayload({ repo, before, fullName: 'x/y', ref: 'refs/tags/v1' })).toMatchObject({
    ref: 'refs/tags/v1', before, commits: [{ message: 'second\n\nbody' }, { message: 'third', modified: ['keep.c'] }], repository: { full_name: 'x/y' },
  });
});

test('GitHub remotes in https and ssh form give owner/name', () => {
  expect(fullNameFromRemote('https://github.com/acme/K1.node1.git')).toBe('acme/K1.node1');
  expect(fullNameFromRemote('git@github.com:acme/K1.node1.git')).toBe('acme/K1.node1');
  expect(fullNameFromRemote('https://gitlab.com/acme/x.git')).toBeUndefined();
});

test('the CLI signs and sends it in one command, and reports the answer', async () => {
  const t = await testServer({ triggers: { routes: [{ name: 'all', workflow: { name: 'build' }, input: { sha: '${sha}' } }] } });
  try {
    const url = `http://127.0.0.1:${await t.server.listen(0, '127.0.0.1')}/webhook/github`;
    const cli = spawn(process.execPath, [join(__dirname, '../../dist/webhook-server/test-push.js'), '--repo', repo, '--url', url, '--delivery', 'cli-1'], {
      cwd: repo, env: { PATH: process.env.PATH ?? '', GITHUB_WEBHOOK_SECRET: SECRET },
    });
    let out = '';
    cli.stdout.on('data', (d: Buffer) => (out += d.toString()));
    cli.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => cli.on('exit', resolve));
    expect(out).toMatch(/^push acme\/firmware refs\/heads\/main [0-9a-f]{12} \(1 commit\(s\)\) → http:\/\/127\.0\.0\.1:\d+\/webhook\/github\ndelivery cli-1: HTTP 202\n\{.*"status":"started"/);
    expect(code).toBe(0);
    expect(t.conductor.calls).toEqual([expect.objectContaining({ name: 'build', input: { sha: git('rev-parse', 'HEAD') }, idempotencyKey: 'cli-1' })]);
  } finally {
    await t.close();
  }
});

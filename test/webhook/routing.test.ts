/** Routing, pure: the triggers schema, event contexts (on GitHub's example payloads), filters, input mapping. */
import examples from '@octokit/webhooks-examples';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  describeEvent, mapInput, matchesList, parseTriggers, PayloadError, routeEvent, skipReason, TriggersError,
  type EventContext, type RoutedEvent, type Triggers,
} from '../../webhook-server/routing';
import { pushPayload, TEST_TRIGGERS } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const example = (name: string, pred: (p: any) => boolean = () => true): any => {
  const found = examples.find((e) => e.name === name)!.examples.find(pred);
  if (!found) throw new Error(`no ${name} example`);
  return JSON.parse(JSON.stringify(found));
};

const contextOf = (event: RoutedEvent, payload: unknown, delivery = 'd-1'): EventContext => {
  const r = describeEvent(event, payload, delivery);
  if (!('context' in r)) throw new Error(`ignored: ${r.ignored}`);
  return r.context;
};

const triggers = (routes: unknown[]): Triggers => parseTriggers({ routes }, 'test.json');
const route = (extra: Record<string, unknown> = {}) => ({ name: 'r', workflow: { name: 'wf' }, ...extra });

describe('the triggers file', () => {
  test('the shipped webhook-server/triggers.json is valid', () => {
    const file = join(__dirname, '../../webhook-server/triggers.json');
    const t = parseTriggers(JSON.parse(readFileSync(file, 'utf8')), file);
    expect(t.routes.map((r) => r.workflow.name)).toEqual(['firmware_ci_cd']);
  });

  test('defaults: events push, no filters, empty input, every repository', () => {
    const [r] = triggers([route()]).routes;
    expect(r).toMatchObject({ events: ['push'], input: {}, allowForks: false });
    expect(r.branches).toBeUndefined();
  });

  test.each([
    [{ routes: [route({ branch: ['main'] })] }, /routes\[0\]: Unrecognized key\(s\) in object: 'branch'/],
    [{ routes: [route({ events: ['issues'] })] }, /routes\[0\]\.events\[0\]: Invalid enum value/],
    [{ routes: [route({ workflow: {} })] }, /routes\[0\]\.workflow\.name: Required/],
    [{ routes: [route({ branches: [] })] }, /routes\[0\]\.branches: an empty list/],
    [{ routes: [route({ events: ['pull_request'], paths: ['src/**'] })] }, /routes\[0\]\.paths: paths filter push events only/],
    [{ routes: [route({ input: { a: { b: '${shaa}' } } })] }, /routes\[0\]\.input\.a\.b: unknown field \$\{shaa\}/],
    [{ routes: [route(), route()] }, /routes\[1\]\.name: duplicate route name "r"/],
    [{ routes: [route({ name: 'has space' })] }, /routes\[0\]\.name: letters, digits/],
    [{ rutes: [] }, /routes: Required/],
  ])('a mistake is reported with the file and the field: %j', (json, message) => {
    expect(() => parseTriggers(json, 'my-triggers.json')).toThrow(TriggersError);
    expect(() => parseTriggers(json, 'my-triggers.json')).toThrow(/^Invalid triggers file my-triggers\.json:/);
    expect(() => parseTriggers(json, 'my-triggers.json')).toThrow(message);
  });

  test('payload.<path> references are accepted', () => {
    expect(() => triggers([route({ input: { who: '${payload.sender.login}', n: 'build ${payload.head_commit.id}' } })])).not.toThrow();
  });
});

describe('what an event is about', () => {
  test('a branch push (GitHub example): repository, branch, sha, pusher, changed files', () => {
    const p = example('push', (x) => x.ref === 'refs/heads/master');
    const c = contextOf('push', p);
    expect(c).toMatchObject({
      event: 'push', repository: 'Codertocat/Hello-World', owner: 'Codertocat', repo: 'Hello-World', ref: 'refs/heads/master',
      branch: 'master', tag: null, sha: p.after, pusher: p.pusher.name, clone_url: p.repository.clone_url,
    });
    expect(c.changed_files).toEqual([...new Set(p.commits.flatMap((x: { added: string[]; modified: string[]; removed: string[] }) => [...x.added, ...x.modified, ...x.removed]))].sort());
  });

  test('changed files are the union of added, modified and removed over every commit, sorted and unique', () => {
    const p = {
      ...pushPayload(),
      commits: [
        { id: '1', message: 'a', added: ['b.c', 'a.c'], removed: [], modified: [] },
        { id: '2', message: 'b', added: [], removed: ['old.c'], modified: ['a.c'] },
      ],
    };
    expect(contextOf('push', p).changed_files).toEqual(['a.c', 'b.c', 'old.c']);
  });

  test('a tag push (GitHub example) has the tag and no branch', () => {
    const c = contextOf('push', example('push', (x) => x.ref.startsWith('refs/tags/') && !x.deleted));
    expect(c).toMatchObject({ tag: 'simple-tag', branch: null });
  });

  test('a deleted branch or tag is ignored with the reason', () => {
    expect(describeEvent('push', example('push', (x) => x.deleted), 'd')).toEqual({ ignored: 'tag simple-tag was deleted' });
    expect(describeEvent('push', pushPayload({ deleted: true }), 'd')).toEqual({ ignored: 'branch main was deleted' });
  });

  test('a push to a ref that is neither a branch nor a tag is ignored', () => {
    expect(describeEvent('push', pushPayload({ ref: 'refs/notes/commits' }), 'd')).toEqual({ ignored: 'push to refs/notes/commits, neither a branch nor a tag' });
  });

  test('a pull request (GitHub example): head branch and sha, base branch, number', () => {
    const p = example('pull_request', (x) => x.action === 'opened');
    expect(contextOf('pull_request', p)).toMatchObject({
      action: 'opened', branch: p.pull_request.head.ref, base_branch: p.pull_request.base.ref, sha: p.pull_request.head.sha, pr_number: p.number,
    });
  });

  test('a published release (GitHub example): the tag; a sha only when the target is one', () => {
    const p = example('release', (x) => x.action === 'published');
    expect(contextOf('release', p)).toMatchObject({ tag: p.release.tag_name, sha: null, branch: p.release.target_commitish });
    p.release.target_commitish = 'c'.repeat(40);
    expect(contextOf('release', p)).toMatchObject({ sha: 'c'.repeat(40), branch: null });
  });

  test.each([
    ['push', {}, /not a push payload: ref: Required/],
    ['push', { ...pushPayload(), repository: { name: 'x', full_name: 'no-slash' } }, /repository\.full_name: owner\/name/],
    ['pull_request', { action: 'opened' }, /not a pull_request payload/],
    ['release', { action: 'published', repository: pushPayload().repository }, /release: Required/],
  ] as const)('a payload without the fields of its event is a PayloadError (%s)', (event, payload, message) => {
    expect(() => describeEvent(event, payload, 'd')).toThrow(PayloadError);
    expect(() => describeEvent(event, payload, 'd')).toThrow(message);
  });
});

describe('filters', () => {
  test('branch, tag and path lists honour ! exclusions in order', () => {
    expect(matchesList('release/1.2', ['release/**'])).toBe(true);
    expect(matchesList('release/1.2', ['release/*', '!release/1.*'])).toBe(false);
    expect(matchesList('feature/x', ['*'])).toBe(false); // * stops at /
    expect(matchesList('feature/x', ['**'])).toBe(true);
    expect(matchesList('src/docs/a.md', ['src/**', '!src/docs/**'])).toBe(false);
    expect(matchesList('.github/workflows/ci.yml', ['.github/**'])).toBe(true);
  });

  const fw = triggers(TEST_TRIGGERS.routes).routes[0];
  test.each([
    ['a push to main touching src', pushPayload(), null],
    ['another repository', pushPayload({ repo: 'acme/website' }), 'repository acme/website not in [acme/firmware]'],
    ['repository names are case-insensitive', pushPayload({ repo: 'ACME/Firmware' }), null],
    ['a branch not listed', pushPayload({ ref: 'refs/heads/feature/x' }), 'branch feature/x not in [main, release/**]'],
    ['a listed branch pattern', pushPayload({ ref: 'refs/heads/release/2.0' }), null],
    ['only docs changed', pushPayload({ files: ['README.md', 'src/docs/x.md'] }), 'no changed path matches [src/**, include/**, !src/docs/**]'],
    ['a matching tag (paths not evaluated on tags)', pushPayload({ ref: 'refs/tags/v1.2.0', files: [] }), null],
    ['a tag not listed', pushPayload({ ref: 'refs/tags/nightly' }), 'tag nightly not in [v*]'],
  ])('%s', (_title, payload, reason) => {
    expect(skipReason(fw, contextOf('push', payload))).toBe(reason);
  });

  test('a route with only tags ignores branch pushes, and one with only branches ignores tags', () => {
    const [tagsOnly, branchesOnly] = triggers([route({ name: 't', tags: ['v*'] }), route({ name: 'b', branches: ['main'] })]).routes;
    expect(skipReason(tagsOnly, contextOf('push', pushPayload()))).toBe('branch main: the route filters tags only');
    expect(skipReason(branchesOnly, contextOf('push', pushPayload({ ref: 'refs/tags/v1' })))).toBe('tag v1: the route filters branches only');
    const [any] = triggers([route()]).routes;
    expect(skipReason(any, contextOf('push', pushPayload({ ref: 'refs/tags/v1' })))).toBeNull();
  });

  test('pull requests: actions opened/synchronize by default, branches match the base, forks need allowForks', () => {
    const [r] = triggers([route({ events: ['pull_request'], branches: ['main'] })]).routes;
    const p = example('pull_request', (x) => x.action === 'opened');
    p.pull_request.base.ref = 'main';
    p.pull_request.head.repo = p.repository;
    expect(skipReason(r, contextOf('pull_request', p))).toBeNull();
    expect(skipReason(r, contextOf('pull_request', { ...p, action: 'closed' }))).toBe('action closed not in [opened, synchronize]');
    const fork = { ...p, pull_request: { ...p.pull_request, head: { ...p.pull_request.head, repo: { ...p.repository, full_name: 'mallory/Hello-World' } } } };
    expect(skipReason(r, contextOf('pull_request', fork))).toBe('pull request from a fork (set allowForks to build those)');
    const [open] = triggers([route({ events: ['pull_request'], allowForks: true })]).routes;
    expect(skipReason(open, contextOf('pull_request', fork))).toBeNull();
    expect(skipReason(fw, contextOf('pull_request', p))).toBe('event pull_request not in [push]');
  });

  test('releases: published by default, tags filter the tag name', () => {
    const [r] = triggers([route({ events: ['release'], tags: ['v*'] })]).routes;
    const p = example('release', (x) => x.action === 'published');
    p.release.tag_name = 'v2.0.0';
    expect(skipReason(r, contextOf('release', p))).toBeNull();
    expect(skipReason(r, contextOf('release', { ...p, action: 'created' }))).toBe('action created not in [published]');
  });
});

describe('input mapping', () => {
  const ctx = contextOf('push', pushPayload({ files: ['src/b.c', 'src/a.c'] }), 'deliv-1');

  test('"${field}" keeps the type, text interpolates, constants pass through, nested objects and lists too', () => {
    const out = mapInput(
      { sha: '${sha}', files: '${changed_files}', label: '${repo}@${branch}', n: 3, on: true, nested: { who: ['${pusher}', 'x'] }, none: '${tag}', txt: 'tag=${tag}' },
      ctx, {},
    );
    expect(out).toEqual({ sha: 'a'.repeat(40), files: ['src/a.c', 'src/b.c'], label: 'firmware@main', n: 3, on: true, nested: { who: ['ada', 'x'] }, none: null, txt: 'tag=' });
  });

  test('${payload.path} reads the raw payload; a missing path is null', () => {
    const payload = pushPayload();
    expect(mapInput({ a: '${payload.head_commit.message}', b: '${payload.nope.deeper}', c: '${payload.commits.0.id}' }, ctx, payload)).toEqual({ a: 'change', b: null, c: 'a'.repeat(40) });
  });
});

describe('routing a push', () => {
  test('one route: correlation id owner/repo@sha, idempotency key = delivery id, the commit status target', () => {
    const r = routeEvent(triggers(TEST_TRIGGERS.routes), contextOf('push', pushPayload(), 'deliv-1'), {});
    expect(r.starts).toEqual([
      expect.objectContaining({
        route: 'firmware', name: 'firmware_ci_cd', version: 1, correlationId: `acme/firmware@${'a'.repeat(40)}`, idempotencyKey: 'deliv-1',
        status: { repository: 'acme/firmware', sha: 'a'.repeat(40), context: 'baton/firmware' },
        input: expect.objectContaining({ repo: 'firmware', branch: 'main', commit_sha: 'a'.repeat(40), device_ip: '10.0.0.7', files: ['src/main.c'] }),
      }),
    ]);
  });

  test('several routes fire in file order, each with its own idempotency key; the others say why not', () => {
    const t = triggers([
      route({ name: 'build', workflow: { name: 'build', version: 2 }, statusContext: 'ci/build' }),
      route({ name: 'docs', paths: ['docs/**'], workflow: { name: 'docs' } }),
      route({ name: 'deploy', branches: ['main'], workflow: { name: 'deploy' } }),
    ]);
    const r = routeEvent(t, contextOf('push', pushPayload(), 'deliv-2'), {});
    expect(r.starts.map((s) => [s.route, s.name, s.version, s.idempotencyKey, s.status?.context])).toEqual([
      ['build', 'build', 2, 'deliv-2:build', 'ci/build'],
      ['deploy', 'deploy', undefined, 'deliv-2:deploy', 'baton/deploy'],
    ]);
    expect(r.skipped).toEqual([{ route: 'docs', reason: 'no changed path matches [docs/**]' }]);
  });

  test('a release without a commit sha correlates by tag and reports no commit status', () => {
    const p = example('release', (x) => x.action === 'published');
    const r = routeEvent(triggers([route({ events: ['release'] })]), contextOf('release', p), p);
    expect(r.starts[0]).toMatchObject({ correlationId: `Codertocat/Hello-World@${p.release.tag_name}`, status: null });
  });
});

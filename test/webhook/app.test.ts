/**
 * The webhook endpoint in-process (supertest): deliveries signed with a test secret, an
 * in-memory Conductor that honours idempotency keys, and a local GitHub peer for statuses.
 */
import examples from '@octokit/webhooks-examples';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { ConductorError } from '../../webhook-server/start-workflows';
import { FakeConductor, newDeliveryId, pushPayload, SECRET, testServer, type TestServer } from './helpers';
import { startGitHubPeer, type GitHubPeer } from './github-peer';
import { sign } from '../../webhook-server/verify';

const SHA = 'a'.repeat(40);
let t: TestServer;
afterEach(async () => t?.close());

const metric = async (ts: TestServer, line: string) => {
  const text = (await request(ts.server.app).get('/metrics')).text;
  return Number(text.split('\n').find((l) => l.startsWith(line))?.split(' ').pop() ?? 0);
};

describe('a signed push', () => {
  test('starts the routed workflow and answers 202 with its id', async () => {
    t = await testServer();
    const delivery = newDeliveryId();
    const res = await t.post(pushPayload(), { delivery });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ deliveryId: delivery, event: 'push', status: 'started', workflowIds: ['wf-1'], starts: [{ route: 'firmware', workflow: 'firmware_ci_cd', version: 1, workflowId: 'wf-1', state: 'started' }] });
    expect(t.conductor.calls).toEqual([
      expect.objectContaining({
        name: 'firmware_ci_cd', version: 1, correlationId: `acme/firmware@${SHA}`, idempotencyKey: delivery,
        input: { repo: 'firmware', branch: 'main', commit_sha: SHA, repo_url: 'https://github.com/acme/firmware.git', pusher: 'ada', files: ['src/main.c'], device_ip: '10.0.0.7' },
      }),
    ]);
    expect(await metric(t, 'baton_webhook_deliveries_total{event="push",outcome="started"}')).toBe(1);
    expect(await metric(t, 'baton_webhook_workflow_start_seconds_count{workflow="firmware_ci_cd",outcome="started"}')).toBe(1);
  });

  test("the seed runbook's path /webhook/github/push is the same endpoint", async () => {
    t = await testServer();
    expect((await t.post(pushPayload(), { path: '/webhook/github/push' })).status).toBe(202);
  });

  test('a tag push starts the route that lists the tag (paths are not evaluated on tags)', async () => {
    t = await testServer();
    const res = await t.post(pushPayload({ ref: 'refs/tags/v1.2.0', files: [] }));
    expect(res.status).toBe(202);
    expect(t.conductor.calls[0].input).toMatchObject({ branch: null, commit_sha: SHA });
  });

  test('several routes fire for one push, each started once with its own idempotency key', async () => {
    const routes = [
      { name: 'build', workflow: { name: 'build' } },
      { name: 'deploy', branches: ['main'], workflow: { name: 'deploy', version: 3 } },
    ];
    t = await testServer({ triggers: { routes } });
    const res = await t.post(pushPayload(), { delivery: 'multi-1' });
    expect(res.status).toBe(202);
    expect(res.body.workflowIds).toEqual(['wf-1', 'wf-2']);
    expect(t.conductor.calls.map((c) => [c.name, c.idempotencyKey])).toEqual([['build', 'multi-1:build'], ['deploy', 'multi-1:deploy']]);
  });
});

describe('exactly once', () => {
  test('a redelivery answers 200 with the original workflow ids and starts nothing', async () => {
    t = await testServer();
    const delivery = newDeliveryId();
    const first = await t.post(pushPayload(), { delivery });
    const again = await t.post(pushPayload(), { delivery });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ deliveryId: delivery, status: 'duplicate', workflowIds: first.body.workflowIds });
    expect(t.conductor.calls).toHaveLength(1);
    // a redelivery is never routed again, even if the payload (or triggers.json) changed
    const changed = await t.post(pushPayload({ ref: 'refs/heads/feature/x' }), { delivery });
    expect(changed.body).toMatchObject({ status: 'duplicate', workflowIds: first.body.workflowIds });
    expect(t.conductor.calls).toHaveLength(1);
    expect(await metric(t, 'baton_webhook_deliveries_total{event="push",outcome="duplicate"}')).toBe(2);
  });

  test('two copies of a delivery arriving together start one workflow', async () => {
    t = await testServer();
    const delivery = newDeliveryId();
    const [a, b] = await Promise.all([t.post(pushPayload(), { delivery }), t.post(pushPayload(), { delivery })]);
    expect(a.body.workflowIds).toEqual(['wf-1']);
    expect(b.body.workflowIds).toEqual(['wf-1']);
    expect(t.conductor.started).toBe(1);
  });

  test('the same push under a new delivery id is a new delivery (GitHub redelivery keeps the id)', async () => {
    t = await testServer();
    await t.post(pushPayload());
    await t.post(pushPayload());
    expect(t.conductor.started).toBe(2);
  });

  test('deliveries survive a restart: the redelivery after it still answers the original ids', async () => {
    t = await testServer();
    const delivery = newDeliveryId();
    const first = await t.post(pushPayload(), { delivery });
    await t.server.close();
    const conductor = new FakeConductor();
    const t2 = await testServer({ dir: t.dir, conductor });
    try {
      const again = await t2.post(pushPayload(), { delivery });
      expect(again.body).toMatchObject({ status: 'duplicate', workflowIds: first.body.workflowIds });
      expect(conductor.calls).toHaveLength(0);
    } finally {
      await t2.close();
    }
  });

  test('a crash after the plan was recorded: the next process re-issues the same idempotent start, one workflow exists', async () => {
    const conductor = new FakeConductor();
    t = await testServer({ conductor });
    // the state a crash leaves: plan recorded, the start reached Conductor, its id not recorded
    const plan = { route: 'firmware', name: 'firmware_ci_cd', version: 1, input: {}, correlationId: `acme/firmware@${SHA}`, idempotencyKey: 'crash-1', status: null };
    t.server.store.claim('crash-1', 'push', 'acme/firmware', [plan], Date.now());
    const lost = await conductor.start(plan);
    await t.server.close();

    const t2 = await testServer({ dir: t.dir, conductor });
    try {
      await t2.server.tick();
      expect(t2.server.store.get('crash-1')).toMatchObject({ done: true, starts: [{ state: 'started', workflowId: lost }] });
      expect(conductor.calls.map((c) => c.idempotencyKey)).toEqual(['crash-1', 'crash-1']);
      expect(conductor.started).toBe(1);
      const again = await t2.post(pushPayload(), { delivery: 'crash-1' });
      expect(again.body).toMatchObject({ status: 'duplicate', workflowIds: [lost] });
    } finally {
      await t2.close();
    }
  });

  test('Conductor unreachable: 502, the start is retried with backoff by the background loop, a redelivery then answers its id', async () => {
    let now = 1_000_000;
    t = await testServer({ now: () => now });
    t.conductor.failNext(new ConductorError('fetch failed', true));
    const delivery = newDeliveryId();
    const res = await t.post(pushPayload(), { delivery });
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ status: 'failed', workflowIds: [], errors: [{ route: 'firmware', error: 'fetch failed', retrying: true }] });
    await t.server.tick(); // not due yet
    expect(t.conductor.calls).toHaveLength(1);
    now += 2000;
    await t.server.tick();
    expect(t.server.store.get(delivery)).toMatchObject({ done: true, starts: [{ state: 'started', workflowId: 'wf-1', attempts: 1 }] });
    expect((await t.post(pushPayload(), { delivery })).body).toMatchObject({ status: 'duplicate', workflowIds: ['wf-1'] });
  });

  test('Conductor refuses the start (4xx): 502 and no retry; a redelivery tries again', async () => {
    t = await testServer();
    t.conductor.failNext(new ConductorError('No such workflow found by name: firmware_ci_cd', false, 404));
    const delivery = newDeliveryId();
    const res = await t.post(pushPayload(), { delivery });
    expect(res.status).toBe(502);
    expect(res.body.errors).toEqual([{ route: 'firmware', error: 'No such workflow found by name: firmware_ci_cd', retrying: false }]);
    await t.server.tick();
    expect(t.conductor.calls).toHaveLength(1);
    const again = await t.post(pushPayload(), { delivery });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ status: 'started', workflowIds: ['wf-1'] });
  });

  test('a start slower than the answer budget: 202 "processing" now, the ids on redelivery', async () => {
    const conductor = new FakeConductor();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const start = conductor.start.bind(conductor);
    conductor.start = async (p) => {
      await gate;
      return start(p);
    };
    t = await testServer({ conductor, responseBudgetMs: 50 });
    const delivery = newDeliveryId();
    const res = await t.post(pushPayload(), { delivery });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'processing', workflowIds: [] });
    release();
    const again = await t.post(pushPayload(), { delivery });
    expect(again.body).toMatchObject({ status: 'duplicate', workflowIds: ['wf-1'] });
  });
});

describe('ignored deliveries (200 with the reason, nothing started)', () => {
  beforeEach(async () => (t = await testServer()));
  afterEach(() => expect(t.conductor.calls).toHaveLength(0));

  test('ping (GitHub example) is answered with its zen', async () => {
    const ping = examples.find((e) => e.name === 'ping')!.examples[0] as { zen: string; hook_id: number };
    const res = await t.post(ping, { event: 'ping' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'pong', zen: ping.zen, hookId: ping.hook_id });
  });

  test('a deleted branch', async () => {
    const res = await t.post(pushPayload({ deleted: true }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ignored', reason: 'branch main was deleted' });
  });

  test('a push no route wants lists why each route did not fire', async () => {
    const res = await t.post(pushPayload({ files: ['README.md'] }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ignored', reason: 'no route matched', skipped: [{ route: 'firmware', reason: 'no changed path matches [src/**, include/**, !src/docs/**]' }] });
  });

  test('a GitHub event that is not routed (issues)', async () => {
    const res = await t.post({ action: 'opened', issue: {} }, { event: 'issues' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ignored', reason: 'event issues is not routed (routed: push, pull_request, release)' });
  });

  test('an ignored delivery is not recorded: after fixing triggers.json, a redelivery routes it', async () => {
    const res = await t.post(pushPayload({ files: ['README.md'] }), { delivery: 'ign-1' });
    expect(res.body.status).toBe('ignored');
    expect(t.server.store.get('ign-1')).toBeUndefined();
  });
});

describe('bad requests: a clear 4xx, logged, nothing started, the server keeps serving', () => {
  beforeEach(async () => (t = await testServer({ env: { WEBHOOK_BODY_LIMIT: '16kb' } })));
  afterEach(async () => {
    expect(t.conductor.calls).toHaveLength(0);
    expect((await t.post(pushPayload())).status).toBe(202);
  });

  test('no signature → 401', async () => {
    const res = await t.post(pushPayload(), { headers: { 'x-hub-signature-256': '' } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'X-Hub-Signature-256 is missing' });
    expect(await metric(t, 'baton_webhook_signature_failures_total{reason="missing"}')).toBe(1);
  });

  test('a signature made with another secret, over another body, or malformed → 401', async () => {
    const body = JSON.stringify(pushPayload());
    for (const sig of [await sign('not the secret', body), await sign(SECRET, `${body} `), 'sha256=xyz', 'sha1=0123456789abcdef0123456789abcdef01234567']) {
      const res = await t.post(null, { raw: body, headers: { 'x-hub-signature-256': sig } });
      expect([sig, res.status]).toEqual([sig, 401]);
    }
    expect(await metric(t, 'baton_webhook_signature_failures_total{reason="mismatch"}')).toBe(2);
    expect(await metric(t, 'baton_webhook_signature_failures_total{reason="malformed"}')).toBe(2);
    expect(await metric(t, 'baton_webhook_deliveries_total{event="push",outcome="rejected"}')).toBe(4);
  });

  test('form-encoded (the other GitHub content type) or no content type → 415 with the fix', async () => {
    const res = await t.post(null, { raw: `payload=${encodeURIComponent(JSON.stringify(pushPayload()))}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(415);
    expect(res.body.error).toMatch(/content type must be application\/json .*set "Content type: application\/json" in the GitHub webhook/);
    const none = await request(t.server.app).post('/webhook/github').set({ 'x-github-event': 'push' }).send(Buffer.from('{}'));
    expect(none.status).toBe(415);
  });

  test('truncated JSON, signed as it arrived → 400', async () => {
    const body = JSON.stringify(pushPayload());
    const res = await t.post(null, { raw: body.slice(0, body.length / 2) });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^body is not JSON: /);
  });

  test('JSON that is not an object, or not a push → 400', async () => {
    expect((await t.post(null, { raw: '[1,2]' })).body).toEqual({ error: 'body is not a JSON object' });
    const res = await t.post({ ref: 'refs/heads/main' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^not a push payload: /);
  });

  test('a body over WEBHOOK_BODY_LIMIT → 413', async () => {
    const big = { ...pushPayload(), padding: 'x'.repeat(20_000) };
    const res = await t.post(big);
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: 'body larger than 16kb' });
  });

  test('missing or unknown X-GitHub-Event, missing X-GitHub-Delivery → 400', async () => {
    expect((await t.post(pushPayload(), { event: '' })).body).toEqual({ error: 'X-GitHub-Event is missing' });
    expect((await t.post(pushPayload(), { event: 'nonsense' })).body).toEqual({ error: 'X-GitHub-Event "nonsense" is not a GitHub webhook event' });
    expect((await t.post(pushPayload(), { delivery: '' })).body).toEqual({ error: 'X-GitHub-Delivery is missing or not an id' });
  });
});

describe('rate limit per source', () => {
  test('over WEBHOOK_RATE_LIMIT_PER_MINUTE → 429 with Retry-After, signed or not', async () => {
    t = await testServer({ env: { WEBHOOK_RATE_LIMIT_PER_MINUTE: '2' }, now: () => 0 });
    expect((await t.post(pushPayload())).status).toBe(202);
    expect((await t.post(pushPayload(), { headers: { 'x-hub-signature-256': '' } })).status).toBe(401);
    const res = await t.post(pushPayload());
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('30');
    expect(t.conductor.calls).toHaveLength(1);
    expect(await metric(t, 'baton_webhook_http_rejections_total{code="429"}')).toBe(1);
  });
});

describe('commit statuses back to GitHub', () => {
  let peer: GitHubPeer;
  beforeEach(async () => {
    peer = await startGitHubPeer();
    t = await testServer({ env: { GITHUB_TOKEN: 'ghp_test', GITHUB_API_URL: peer.url, BATON_UI_URL: 'http://ui.local:8080' } });
  });
  afterEach(async () => {
    await t.close();
    await peer.close();
  });

  test('pending when started, success when the workflow completes, linking the run', async () => {
    const res = await t.post(pushPayload());
    const id = res.body.workflowIds[0];
    await t.server.tick();
    expect(peer.statuses).toEqual([
      { owner: 'acme', repo: 'firmware', sha: SHA, authorization: 'token ghp_test', state: 'pending', context: 'baton/firmware', description: 'firmware_ci_cd running', target_url: `http://ui.local:8080/execution/${id}` },
    ]);
    await t.server.tick(); // still running: nothing new
    expect(peer.statuses).toHaveLength(1);
    t.conductor.end(id, 'COMPLETED');
    await t.server.tick();
    expect(peer.statuses.map((s) => [s.state, s.description])).toEqual([['pending', 'firmware_ci_cd running'], ['success', 'firmware_ci_cd COMPLETED']]);
    await t.server.tick();
    expect(peer.statuses).toHaveLength(2);
    expect(t.server.store.report(id)).toMatchObject({ reported: 'success', done: true });
  });

  test('a failed run reports failure with its reason; a terminated one error', async () => {
    const a = (await t.post(pushPayload())).body.workflowIds[0];
    const b = (await t.post(pushPayload({ after: 'c'.repeat(40) }))).body.workflowIds[0];
    await t.server.tick();
    t.conductor.end(a, 'FAILED', 'TESTS_FAILED: 2 of 3 failed');
    t.conductor.end(b, 'TERMINATED', 'by hand');
    await t.server.tick();
    expect(peer.statuses.filter((s) => s.state !== 'pending').map((s) => [s.sha[0], s.state, s.description])).toEqual([
      ['a', 'failure', 'firmware_ci_cd FAILED: TESTS_FAILED: 2 of 3 failed'],
      ['c', 'error', 'firmware_ci_cd TERMINATED: by hand'],
    ]);
  });

  test('GitHub errors: 5xx is retried, 401 gives the report up', async () => {
    peer.failNext(1, 502);
    const a = (await t.post(pushPayload())).body.workflowIds[0];
    await t.server.tick();
    expect(peer.statuses).toHaveLength(0);
    await t.server.tick();
    expect(peer.statuses.map((s) => s.state)).toEqual(['pending']);
    expect(t.server.store.report(a)).toMatchObject({ failures: 1, reported: 'pending' });

    peer.failNext(1, 401);
    const b = (await t.post(pushPayload({ after: 'd'.repeat(40) }))).body.workflowIds[0];
    await t.server.tick();
    expect(t.server.store.report(b)).toMatchObject({ reported: null, done: true });
    expect(await metric(t, 'baton_webhook_commit_statuses_total{state="pending",outcome="given_up"}')).toBe(1);
  });

  test('pending reports survive a restart and are finished by the next process', async () => {
    const id = (await t.post(pushPayload())).body.workflowIds[0];
    await t.server.tick();
    await t.server.close();
    const conductor = t.conductor;
    conductor.end(id, 'COMPLETED');
    const t2 = await testServer({ dir: t.dir, conductor, env: { GITHUB_TOKEN: 'ghp_test', GITHUB_API_URL: peer.url } });
    try {
      await t2.server.tick();
      expect(peer.statuses.map((s) => s.state)).toEqual(['pending', 'success']);
    } finally {
      await t2.close();
    }
  });
});

describe('operations', () => {
  test('/health answers ok with the pending work; /metrics is Prometheus text', async () => {
    t = await testServer();
    const health = await request(t.server.app).get('/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', pendingStarts: 0, pendingReports: 0, commitStatuses: false });
    const metrics = await request(t.server.app).get('/metrics');
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.text).toContain('# TYPE baton_webhook_deliveries_total counter');
    expect(metrics.text).toContain('# TYPE baton_webhook_workflow_start_seconds histogram');
  });
});

describe('fuzz', () => {
  /** mulberry32: a seeded generator, so a failure can be replayed. */
  const rng = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };

  test('1,000 malformed requests: no 5xx, no crash, no workflow started; then a valid push still works', async () => {
    t = await testServer({ env: { WEBHOOK_BODY_LIMIT: '64kb' } });
    const url = `http://127.0.0.1:${await t.server.listen(0, '127.0.0.1')}/webhook/github`;
    const r = rng(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const junk = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
    const valid = JSON.stringify(pushPayload());
    const randomJson = (depth = 0): unknown => {
      const k = r();
      if (depth > 3 || k < 0.3) return pick([null, true, 0, -1.5, 'x', '', 'refs/heads/main', '0'.repeat(40), []]);
      if (k < 0.5) return Array.from({ length: Math.floor(r() * 4) }, () => randomJson(depth + 1));
      const keys = ['ref', 'after', 'before', 'deleted', 'repository', 'full_name', 'name', 'commits', 'added', 'pusher', 'action', 'pull_request', 'release', 'zen', pick(['a', 'b', '__proto__', 'constructor'])];
      return Object.fromEntries(Array.from({ length: Math.floor(r() * 6) }, () => [pick(keys), randomJson(depth + 1)]));
    };
    const mutatedPush = () => {
      const p = JSON.parse(valid);
      const field = pick(['ref', 'after', 'repository', 'commits', 'pusher', 'deleted', 'before']);
      p[field] = randomJson(2);
      if (field !== 'repository') p.repository.full_name = 'someone/else'; // never a route of the test triggers
      return JSON.stringify(p);
    };
    const bodies: (() => Buffer | string)[] = [
      () => junk(Math.floor(r() * 300)),
      () => JSON.stringify(randomJson()),
      () => valid.slice(0, Math.floor(r() * valid.length)),
      mutatedPush,
      () => 'x'.repeat(70_000),
      () => '',
      () => `{"ref": "${'\\u'.repeat(3)}"}`,
    ];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1000; i++) {
      const body = pick(bodies)();
      const signed = r() < 0.7;
      const headers: Record<string, string> = {
        'content-type': pick(['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/vnd.github+json', '']),
        'x-github-event': pick(['push', 'push', 'ping', 'pull_request', 'release', 'issues', 'nonsense', '']),
        'x-github-delivery': pick([`fuzz-${i}`, `fuzz-${i}`, '', 'has space', 'x'.repeat(200)]),
      };
      const text = Buffer.isBuffer(body) ? body.toString('utf8') : body;
      if (signed) headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', SECRET).update(text).digest('hex')}`;
      else if (r() < 0.5) headers['x-hub-signature-256'] = pick(['sha256=', `sha256=${'0'.repeat(64)}`, 'garbage']);
      for (const k of Object.keys(headers)) if (headers[k] === '') delete headers[k];
      const res = await fetch(url, { method: 'POST', headers, body });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
    expect([...statuses.keys()].every((s) => [200, 400, 401, 413, 415].includes(s))).toBe(true);
    expect(statuses.get(400)).toBeGreaterThan(50); // the signed garbage got past the signature check
    expect(t.conductor.calls).toHaveLength(0);
    const ok = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'after-fuzz', 'x-hub-signature-256': await sign(SECRET, valid) }, body: valid });
    expect(ok.status).toBe(202);
  });
});

describe('retention', () => {
  test('finished deliveries older than the cut-off are forgotten with their reports; unfinished ones stay', async () => {
    t = await testServer();
    const store = t.server.store;
    const plan = (key: string) => ({ route: 'r', name: 'w', input: {}, correlationId: 'a/b@c', idempotencyKey: key, status: { repository: 'a/b', sha: SHA, context: 'baton/r' } });
    store.claim('old-done', 'push', 'a/b', [plan('old-done')], 1000);
    store.started('old-done', 0, 'wf-old', { workflowId: 'wf-old', workflowName: 'w', repository: 'a/b', sha: SHA, context: 'baton/r', nextAt: 1000 });
    store.updateReport('wf-old', { done: true });
    store.claim('old-open', 'push', 'a/b', [plan('old-open')], 1000);
    store.claim('new-done', 'push', 'a/b', [plan('new-done')], 5000);
    store.started('new-done', 0, 'wf-new', null);
    expect(store.prune(2000)).toBe(1);
    expect(store.get('old-done')).toBeUndefined();
    expect(store.report('wf-old')).toBeUndefined();
    expect(store.get('old-open')).toBeDefined();
    expect(store.get('new-done')).toBeDefined();
  });
});

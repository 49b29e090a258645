/**
 * `git push` end to end: a commit to the sample firmware in a real git repository, the push
 * payload GitHub would send for it (built from the commit by the test-push CLI's builder), signed
 * with the webhook secret and POSTed to the webhook server → firmware_ci_cd runs to COMPLETED on
 * a spawned Baton with the real workers and the device simulator, and the commit status on a
 * local GitHub peer goes pending → success. A redelivery starts nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import winston from 'winston';
import type { Workflow } from '../conformance/lib/client';
import { createWebhookServer, type WebhookServer } from '../../webhook-server/app';
import { loadWebhookConfig, loadTriggersFile } from '../../webhook-server/config';
import { sdkConductor } from '../../webhook-server/start-workflows';
import { buildPushPayload, sendDelivery } from '../../webhook-server/test-push';
import { startGitHubPeer, type GitHubPeer } from '../webhook/github-peer';
import { startFirmwareEnv, type FirmwareEnv } from './firmware-env';

const SECRET = 'e2e-webhook-secret';
const REPOSITORY = 'acme/firmware-project';
const RUN_MS = 60_000;

let env: FirmwareEnv;
let peer: GitHubPeer;
let webhook: WebhookServer;
let url: string;
let dir: string;

beforeAll(async () => {
  env = await startFirmwareEnv('baton-webhook-e2e-');
  peer = await startGitHubPeer();
  dir = mkdtempSync(join(tmpdir(), 'baton-webhook-e2e-state-'));
  const triggers = join(dir, 'triggers.json');
  writeFileSync(triggers, JSON.stringify({
    routes: [{
      name: 'firmware',
      repository: REPOSITORY,
      branches: ['main'],
      paths: ['src/**', 'include/**', 'test/**', 'Makefile'],
      workflow: { name: 'firmware_ci_cd', version: 1 },
      input: { repo: '${repo}', branch: '${branch}', commit_sha: '${sha}', repo_url: '${clone_url}', pusher: '${pusher}', ...env.deviceInput() },
    }],
  }));
  const config = loadWebhookConfig({
    GITHUB_WEBHOOK_SECRET: SECRET,
    WEBHOOK_TRIGGERS: triggers,
    WEBHOOK_DB: join(dir, 'webhook.db'),
    CONDUCTOR_SERVER_URL: env.server.url,
    GITHUB_TOKEN: 'ghp_e2e',
    GITHUB_API_URL: peer.url,
    BATON_UI_URL: env.server.url.replace(/\/api$/, ''),
  });
  webhook = createWebhookServer({
    config,
    triggers: loadTriggersFile(config.triggersPath),
    conductor: await sdkConductor(config.conductor),
    log: winston.createLogger({ silent: true, transports: [new winston.transports.Console()] }),
    tickMs: 100,
    pollMinMs: 100,
    pollMaxMs: 1000,
  });
  url = `http://127.0.0.1:${await webhook.listen(0, '127.0.0.1')}/webhook/github`;
}, 60_000);

afterAll(async () => {
  await webhook?.close();
  await peer?.close();
  await env?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs by correlation id, through the batch endpoint: the id holds a '/', and Conductor OSS's
 * Tomcat refuses an encoded slash in the path of GET /workflow/{name}/correlated/{id} (400).
 */
async function runsFor(correlationId: string): Promise<Workflow[]> {
  const byId = await env.api.json<Record<string, Workflow[]>>('POST', '/workflow/firmware_ci_cd/correlated?includeClosed=true', [correlationId]);
  return byId[correlationId] ?? [];
}

test('a signed push of a real commit runs firmware_ci_cd to COMPLETED, reports pending → success, and a redelivery starts nothing', async () => {
  const sha = env.release('v1.0.0', 'pushed through the webhook', { 'src/NOTES.md': 'first release through the webhook\n' });
  const payload = buildPushPayload({ repo: env.repo, fullName: REPOSITORY });
  expect(payload).toMatchObject({ ref: 'refs/heads/main', after: sha, repository: { full_name: REPOSITORY, clone_url: env.repo } });
  expect(payload.commits.map((c) => c.added)).toEqual([expect.arrayContaining(['CHANGES', 'src/NOTES.md', 'src/app.c', 'Makefile'])]);

  const first = await sendDelivery(url, SECRET, 'push', payload, 'e2e-delivery-1');
  expect(first.status).toBe(202);
  const answer = JSON.parse(first.body) as { workflowIds: string[]; status: string };
  expect(answer).toMatchObject({ status: 'started', workflowIds: [expect.stringMatching(/^[0-9a-f-]{36}$/)] });
  const [id] = answer.workflowIds;

  const wf: Workflow = await env.api.waitFor(id, (w) => w.status !== 'RUNNING', RUN_MS);
  expect(wf).toMatchObject({ status: 'COMPLETED', correlationId: `${REPOSITORY}@${sha}` });
  expect(wf.input).toMatchObject({ repo: 'firmware-project', branch: 'main', commit_sha: sha, repo_url: env.repo, pusher: payload.pusher.name });
  expect(wf.output).toMatchObject({ version: 'v1.0.0', commit: sha, deployed: true, running_version: 'v1.0.0' });

  const statuses = await peer.waitFor((s) => s.some((x) => x.state === 'success'), 30_000);
  expect(statuses.map((s) => [s.owner, s.repo, s.sha, s.state, s.context, s.target_url, s.authorization])).toEqual([
    ['acme', 'firmware-project', sha, 'pending', 'baton/firmware', `${env.server.url.replace(/\/api$/, '')}/execution/${id}`, 'token ghp_e2e'],
    ['acme', 'firmware-project', sha, 'success', 'baton/firmware', `${env.server.url.replace(/\/api$/, '')}/execution/${id}`, 'token ghp_e2e'],
  ]);
  expect(statuses[1].description).toBe('firmware_ci_cd COMPLETED');

  // GitHub's "Redeliver": the same delivery id → the same workflow, no second run
  const again = await sendDelivery(url, SECRET, 'push', payload, 'e2e-delivery-1');
  expect(again.status).toBe(200);
  expect(JSON.parse(again.body)).toMatchObject({ status: 'duplicate', workflowIds: [id] });
  const runs = await runsFor(`${REPOSITORY}@${sha}`);
  expect(runs.map((r) => r.workflowId)).toEqual([id]);
  expect(peer.statuses).toHaveLength(2);
}, RUN_MS * 2);

test('a push that changes no firmware path is ignored with the reason, and nothing runs', async () => {
  env.release('v1.0.1', 'notes only');
  const payload = buildPushPayload({ repo: env.repo, fullName: REPOSITORY });
  const res = await sendDelivery(url, SECRET, 'push', payload);
  expect(res.status).toBe(200);
  expect(JSON.parse(res.body)).toMatchObject({ status: 'ignored', reason: 'no route matched', skipped: [{ route: 'firmware', reason: expect.stringMatching(/^no changed path matches/) }] });
  expect(await runsFor(`${REPOSITORY}@${payload.after}`)).toEqual([]);
});

test('an unsigned push is refused with 401 and starts nothing', async () => {
  const payload = buildPushPayload({ repo: env.repo, fullName: REPOSITORY });
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'e2e-unsigned' }, body: JSON.stringify(payload) });
  expect(res.status).toBe(401);
  expect(webhook.store.get('e2e-unsigned')).toBeUndefined();
});

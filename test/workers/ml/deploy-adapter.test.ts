/**
 * deploy_adapter and backup_adapters through executeTask on a temporary ADAPTERS_PATH: promotion
 * with backup of the previous adapter, idempotency for the same sha256, pruning, multi-file
 * adapters as lora_train outputs them, the baseline update, recovery from an interrupted
 * promotion, the lock, and readers never seeing `current` missing while it is switched.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import backupAdapters from '../../../workers/backup_adapters';
import deployAdapter from '../../../workers/deploy_adapter';
import { BaselineStore } from '../../../workers/lib/eval/baseline';
import { MANIFEST } from '../../../workers/lib/adapters';
import { createHarness, type Harness } from '../harness';
import { runWithEnv } from './ml-helpers';

let h: Harness;
let env: Record<string, string>;
let root: string;

beforeAll(() => {
  h = createHarness();
  root = h.dir('adapters');
  env = { ADAPTERS_PATH: root, EVAL_BASELINE_PATH: h.dir('baselines') };
});
afterAll(() => h.cleanup());

const deploy = (input: Record<string, unknown>) => runWithEnv(h, deployAdapter, input, env);
const weights = (text: string) => h.artifacts.putBytes(text, 'adapter_model.safetensors');
const backupsOf = (name: string) => (existsSync(join(root, name, 'backups')) ? readdirSync(join(root, name, 'backups')).sort() : []);
const evaluation = (score: number) => ({ score, metric: 'normalized_match', metrics: { normalized_match: score, token_f1: 0.9 }, evalSet: { name: 'heldout', sha256: 'e'.repeat(64) }, baselineKey: { model: 'bot', evalSet: 'heldout' }, counts: { items: 20 } });

describe('deploy_adapter', () => {
  test('first promotion: current → releases/<id>, no previous, baseline written', async () => {
    const v1 = await weights('v1');
    const r = await deploy({ name: 'bot', adapter: v1, evaluation: evaluation(0.7) });
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toMatchObject({
      ok: true,
      deployed: true,
      changed: true,
      name: 'bot',
      adapter: { sha256: v1.sha256, files: [{ name: 'adapter_model.safetensors', sha256: v1.sha256, size: 2 }] },
      current: join(root, 'bot', 'current'),
      previous: null,
      backup: null,
      baselineUpdated: true,
      baseline: { model: 'bot', evalSet: 'heldout', score: 0.7, metric: 'normalized_match' },
    });
    const cur = join(root, 'bot', 'current');
    expect(lstatSync(cur).isSymbolicLink()).toBe(true);
    expect(readlinkSync(cur)).toMatch(new RegExp(`^releases/\\d{4}-\\d\\d-\\d\\dT[\\d-]+Z-${v1.sha256.slice(0, 12)}$`));
    expect(readFileSync(join(cur, 'adapter_model.safetensors'), 'utf8')).toBe('v1');
    expect(JSON.parse(readFileSync(join(cur, MANIFEST), 'utf8'))).toMatchObject({ name: 'bot', sha256: v1.sha256, score: 0.7, workflowId: 'wf-ml', previous: null, backup: null });
    expect(await new BaselineStore(env.EVAL_BASELINE_PATH!).get({ model: 'bot', evalSet: 'heldout' })).toMatchObject({ score: 0.7, adapterSha256: v1.sha256, source: 'deploy_adapter', n: 20 });
  });

  test('a new adapter: the previous one is backed up, current switched; the same call again changes nothing', async () => {
    const v1 = await weights('v1');
    const v2 = await weights('v2 weights');
    const r = await deploy({ name: 'bot', adapter: v2, evaluation: evaluation(0.75) });
    expect(r.output).toMatchObject({ changed: true, previous: { sha256: v1.sha256 }, backup: expect.stringContaining(join(root, 'bot', 'backups')) });
    expect(readFileSync(join(root, 'bot', 'current', 'adapter_model.safetensors'), 'utf8')).toBe('v2 weights');
    expect(readFileSync(join(r.output.backup, 'adapter_model.safetensors'), 'utf8')).toBe('v1');
    expect(JSON.parse(readFileSync(join(r.output.backup, MANIFEST), 'utf8')).sha256).toBe(v1.sha256);
    expect(readdirSync(join(root, 'bot', 'releases'))).toHaveLength(1); // the old release moved, not copied
    expect(backupsOf('bot')).toHaveLength(1);

    const again = await deploy({ name: 'bot', adapter: v2, evaluation: evaluation(0.75) });
    expect(again.status).toBe('COMPLETED');
    const { changed: c1, ...first } = r.output;
    const { changed: c2, ...second } = again.output;
    expect([c1, c2]).toEqual([true, false]);
    expect(second).toEqual({ ...first, pruned: [] });
    expect(backupsOf('bot')).toHaveLength(1);
    const base = await new BaselineStore(env.EVAL_BASELINE_PATH!).get({ model: 'bot', evalSet: 'heldout' });
    expect(base!.history!.map((x) => x.score)).toEqual([0.7]); // the repeated write was a no-op
  });

  test('backups are pruned to keepBackups, newest kept', async () => {
    for (let i = 3; i <= 7; i++) {
      const r = await deploy({ name: 'bot', adapter: await weights(`v${i}`), keepBackups: 3 });
      expect(r.status).toBe('COMPLETED');
    }
    const kept = backupsOf('bot');
    expect(kept).toHaveLength(3);
    const contents = kept.map((b) => readFileSync(join(root, 'bot', 'backups', b, 'adapter_model.safetensors'), 'utf8'));
    expect(contents).toEqual(['v4', 'v5', 'v6']);
    expect(readFileSync(join(root, 'bot', 'current', 'adapter_model.safetensors'), 'utf8')).toBe('v7');
  });

  test('a multi-file adapter as lora_train outputs it; its identity is the hash of its file list', async () => {
    const cfg = await h.artifacts.putBytes('{"peft_type":"LORA","r":4}', 'adapter_config.json');
    const model = await h.artifacts.putBytes('safetensors bytes', 'adapter_model.safetensors');
    const adapter = { dir: '/remote/out', files: [{ name: 'adapter_model.safetensors', sha256: model.sha256 }, { name: 'adapter_config.json', sha256: cfg.sha256, uri: cfg.uri }] };
    const r = await deploy({ name: 'multi', adapter });
    const expected = createHash('sha256').update(`adapter_config.json ${cfg.sha256}\nadapter_model.safetensors ${model.sha256}`).digest('hex');
    expect(r.output).toMatchObject({ changed: true, adapter: { sha256: expected }, baselineUpdated: false, baseline: null });
    expect(readFileSync(join(root, 'multi', 'current', 'adapter_config.json'), 'utf8')).toBe('{"peft_type":"LORA","r":4}');
    expect((await deploy({ name: 'multi', adapter: { files: [...adapter.files].reverse() } })).output.changed).toBe(false);
  });

  test('bad input: names, file names, missing and tampered artifacts; nothing changes', async () => {
    const v = await weights('checked');
    expect((await deploy({ name: '../evil', adapter: v })).code).toBe('INVALID_INPUT');
    const sneaky = await deploy({ name: 'x', adapter: { files: [{ name: '../adapter.bin', sha256: v.sha256 }] } });
    expect(sneaky).toMatchObject({ code: 'INVALID_INPUT', output: { error: { details: { field: 'adapter.files.0.name' } } } });
    expect((await deploy({ name: 'x', adapter: { files: [{ name: MANIFEST, sha256: v.sha256 }] } })).code).toBe('INVALID_INPUT');
    expect((await deploy({ name: 'x', adapter: { ...v, name: 'a' }, evaluation: { score: 0.5, metric: 'm' } })).code).toBe('INVALID_INPUT'); // no eval set for the baseline
    expect((await deploy({ name: 'x', adapter: { sha256: 'c'.repeat(64) } })).code).toBe('ARTIFACT_MISSING');
    const t = await h.artifacts.putBytes('original', 'adapter.bin');
    writeFileSync(t.path!, 'tampered');
    expect((await deploy({ name: 'x', adapter: t })).code).toBe('ARTIFACT_INVALID');
    expect(existsSync(join(root, 'x', 'current'))).toBe(false);
  });

  test('an interrupted promotion is cleaned up: staging removed, an orphaned previous release backed up', async () => {
    await deploy({ name: 'crash', adapter: await weights('c1') });
    // as if a promotion died after switching current and before moving the old release away
    const orphan = join(root, 'crash', 'releases', '2000-01-01T00-00-00-000Z-orphan');
    mkdirSync(orphan, { recursive: true });
    writeFileSync(join(orphan, 'adapter_model.safetensors'), 'c0');
    writeFileSync(join(orphan, MANIFEST), JSON.stringify({ name: 'crash', sha256: 'd'.repeat(64), files: [] }));
    mkdirSync(join(root, 'crash', '.staging-dead'));
    const r = await deploy({ name: 'crash', adapter: await weights('c2') });
    expect(r.status).toBe('COMPLETED');
    expect(readdirSync(join(root, 'crash')).sort()).toEqual(['backups', 'current', 'releases']);
    const saved = backupsOf('crash').map((b) => readFileSync(join(root, 'crash', 'backups', b, 'adapter_model.safetensors'), 'utf8'));
    expect(saved.sort()).toEqual(['c0', 'c1']);
  });

  test('a real directory as current (put there by hand) is backed up and replaced by the link', async () => {
    mkdirSync(join(root, 'manual', 'current'), { recursive: true });
    writeFileSync(join(root, 'manual', 'current', 'adapter_model.safetensors'), 'by hand');
    const r = await deploy({ name: 'manual', adapter: await weights('m1') });
    expect(r.output).toMatchObject({ changed: true, previous: { sha256: null } });
    expect(lstatSync(join(root, 'manual', 'current')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(r.output.backup, 'adapter_model.safetensors'), 'utf8')).toBe('by hand');
  });

  test('the lock: held by a live process → retryable ADAPTER_LOCKED; left by a dead one → taken over', async () => {
    await deploy({ name: 'locked', adapter: await weights('l1') });
    const lock = join(root, 'locked', '.lock');
    writeFileSync(lock, `${process.pid} ${hostname()}`); // alive, and not taken through this store
    const r = await deploy({ name: 'locked', adapter: await weights('l2') });
    expect(r).toMatchObject({ status: 'FAILED', code: 'ADAPTER_LOCKED' });
    const dead = spawnSync('true').pid!;
    writeFileSync(lock, `${dead} ${hostname()}`);
    const ok = await deploy({ name: 'locked', adapter: await weights('l2') });
    expect(ok.output.changed).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });

  test('readers of current/<file> never miss it while promotions switch it', async () => {
    const name = 'hot';
    await deploy({ name, adapter: await weights('h0') });
    const file = join(root, name, 'current', 'adapter_model.safetensors');
    let stop = false;
    let reads = 0;
    const misses: string[] = [];
    const seen = new Set<string>();
    const reader = new Promise<void>((resolve) => {
      const tick = () => {
        try {
          seen.add(readFileSync(file, 'utf8'));
        } catch (e) {
          misses.push((e as Error).message);
        }
        reads += 1;
        if (stop) resolve();
        else setImmediate(tick);
      };
      tick();
    });
    for (let i = 1; i <= 5; i++) expect((await deploy({ name, adapter: await weights(`h${i}`), keepBackups: 2 })).status).toBe('COMPLETED');
    stop = true;
    await reader;
    expect(misses).toEqual([]);
    expect(reads).toBeGreaterThan(10);
    for (const s of seen) expect(s).toMatch(/^h[0-5]$/);
  });
});

describe('backup_adapters', () => {
  test('copies current into backups unless the newest backup holds it; deploy_adapter then reuses that backup', async () => {
    await deploy({ name: 'nightly', adapter: await weights('n1') });
    const first = await runWithEnv(h, backupAdapters, { names: ['nightly'] }, env);
    expect(first.status).toBe('COMPLETED');
    expect(first.output.backedUp).toEqual([{ name: 'nightly', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), backup: expect.stringContaining(join('nightly', 'backups')) }]);
    expect(readFileSync(join(first.output.backedUp[0].backup, 'adapter_model.safetensors'), 'utf8')).toBe('n1');
    expect(readFileSync(join(root, 'nightly', 'current', 'adapter_model.safetensors'), 'utf8')).toBe('n1'); // untouched

    const second = await runWithEnv(h, backupAdapters, { names: ['nightly'] }, env);
    expect(second.output).toMatchObject({ backedUp: [], skipped: [{ name: 'nightly', reason: 'already_backed_up' }] });

    // the adapter it replaces is already backed up: no second copy
    const r = await deploy({ name: 'nightly', adapter: await weights('n2') });
    expect(r.output.backup).toBe(first.output.backedUp[0].backup);
    expect(backupsOf('nightly')).toHaveLength(1);
    expect(readdirSync(join(root, 'nightly', 'releases'))).toHaveLength(1);
  });

  test('all names by default; a name without current is skipped; pruning applies', async () => {
    mkdirSync(join(root, 'empty'), { recursive: true });
    const r = await runWithEnv(h, backupAdapters, { keepBackups: 1 }, env);
    expect(r.status).toBe('COMPLETED');
    expect(r.output.skipped).toEqual(expect.arrayContaining([{ name: 'empty', reason: 'no_current' }]));
    expect(r.output.backedUp.map((b: { name: string }) => b.name)).toEqual(expect.arrayContaining(['bot', 'nightly']));
    expect(backupsOf('bot')).toHaveLength(1);
    expect(readFileSync(join(root, 'bot', 'backups', backupsOf('bot')[0]!, 'adapter_model.safetensors'), 'utf8')).toBe('v7');
  });
});

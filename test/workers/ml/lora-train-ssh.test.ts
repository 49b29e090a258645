/**
 * lora_train over SSH against a real peer: Debian's sshd on 127.0.0.1 (a throwaway server and
 * user for this file, test/workers/ml/sshd.ts), driven through executeTask one poll at a time.
 * The training command is the tiny tfjs trainer's CLI, really training on the "remote" host. Also:
 * a pinned host key that does not match, a key the server does not know, nothing listening,
 * sshd restarted between polls, the connection cut during a call, budgets, a failing command, a
 * job killed from outside, agent auth.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import loraTrain from '../../../workers/lora_train';
import { parseSafetensorsHeader } from '../../../workers/lib/ml/safetensors';
import { createMlHarness, qaLines, type MlHarness } from './ml-harness';
import { freePort, startTestSshd, type TestSshd } from './sshd';
import { processGone } from '../harness';

let sshd: TestSshd;
let h: MlHarness;
let agent: ChildProcess | undefined;

beforeAll(async () => {
  sshd = await startTestSshd();
  h = createMlHarness(loraTrain, {
    LORA_KEY_PATH: sshd.clientKey,
    LORA_KEY_PEM: readFileSync(sshd.clientKey, 'utf8'),
    LORA_WRONG_KEY: sshd.wrongKey,
  });
}, 60_000);

afterAll(async () => {
  if (agent?.pid) agent.kill('SIGTERM');
  await sshd?.cleanup();
  h?.cleanup();
});

const host = (over: Record<string, unknown> = {}) => ({
  name: 'loopback',
  host: '127.0.0.1',
  port: sshd.port,
  user: sshd.user,
  keySecret: 'LORA_KEY_PATH',
  hostKeySha256: sshd.hostKeySha256,
  keepaliveIntervalS: 1,
  connectTimeoutS: 5,
  ...over,
});

/** The tiny trainer as the remote training command; with `gate`, it waits for <jobDir>/go first. */
const trainer = (gate: boolean) => [
  ...(gate ? ['sh', '-c', 'while [ ! -e "$BATON_JOB_DIR/go" ]; do sleep 0.05; done; exec "$0" "$@"'] : []),
  sshd.node,
  sshd.cli,
  ...['--dataset', '{dataset}', '--output-dir', '{outputDir}', '--progress', '{progress}', '--base-model', '{baseModel}'],
  ...['--steps', '{maxSteps}', '--r', '{r}', '--alpha', '{alpha}', '--lr', '{lr}', '--seed', '{seed}'],
];

const jobDirOf = (jobId: string) => join(sshd.home, 'baton-jobs', jobId);
const launches = (jobId: string) => readFileSync(join(jobDirOf(jobId), 'launches'), 'utf8').trim().split('\n').length;
const pidOf = (jobId: string, file: 'pid' | 'job_pgid') => Number(readFileSync(join(jobDirOf(jobId), file), 'utf8'));
/** Members of a process group that have not exited (zombies have). */
const groupMembers = (pgid: number) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return Number(fields[2]) === pgid && fields[0] !== 'Z';
      } catch {
        return false;
      }
    });
const hangs = ['sh', '-c', 'echo \'{"step":1,"loss":3.0,"lr":0.1}\' >> "$BATON_PROGRESS_FILE"; while :; do sleep 0.2; done'];

test('end to end: dataset uploaded, job launched detached, IN_PROGRESS, reattached while it runs, COMPLETED with the adapter in the artifact store', async () => {
  const lines = qaLines(40);
  lines.splice(4, 0, '{"prompt": "bad'); // line 5
  lines.splice(11, 0, '{"prompt": "no completion"}'); // line 12
  const dataset = await h.dataset(lines);
  const input = { backend: 'ssh', host: host(), dataset, jobId: 'ssh-e2e', command: trainer(true), train: { maxSteps: 60, lr: 0.05 }, lora: { r: 8, alpha: 16 }, callbackAfterSeconds: 30 };

  const first = await h.call(input);
  expect(first.status).toBe('IN_PROGRESS');
  expect(first.output).toMatchObject({ state: 'running', jobId: 'ssh-e2e', backend: 'ssh', host: `${sshd.user}@127.0.0.1:${sshd.port}`, jobDir: jobDirOf('ssh-e2e'), launches: 1, connectFailures: 0 });
  expect(first.output.dataset).toMatchObject({ valid: 40, invalid: 2 });
  expect(first.output.dataset.badLines.map((b: { line: number }) => b.line)).toEqual([5, 12]);
  expect(first.log.some((l) => l.startsWith('lora_train: invalid dataset lines (2): line 5: not JSON'))).toBe(true);
  // uploaded by SFTP as the user, valid lines only
  expect(readFileSync(join(jobDirOf('ssh-e2e'), 'dataset.jsonl'), 'utf8').trim().split('\n')).toHaveLength(40);
  expect(spawnSync('stat', ['-c', '%U', join(jobDirOf('ssh-e2e'), 'dataset.jsonl')], { encoding: 'utf8' }).stdout.trim()).toBe(sshd.user);

  // the job waits at its gate: the next poll reattaches to a running job
  const second = await h.call(input, first.output);
  expect(second.status).toBe('IN_PROGRESS');
  expect(second.output).toMatchObject({ jobDir: first.output.jobDir, pid: first.output.pid, launches: 1 });
  expect(second.log.some((l) => l.startsWith(`lora_train: running on ${sshd.user}@127.0.0.1`))).toBe(true);

  writeFileSync(join(jobDirOf('ssh-e2e'), 'go'), '');
  const { last, calls } = await h.untilDone(input, second);
  expect(last.status).toBe('COMPLETED');
  const out = last.output;
  expect(out).toMatchObject({ ok: true, exitCode: 0, launches: 1, metrics: { steps: 60, lr: 0.05 }, repro: { baseModel: 'tiny-charlm', seed: 42 } });
  expect(out.metrics.finalLoss).toBeLessThan(out.metrics.firstLoss * 0.6);
  expect(launches('ssh-e2e')).toBe(1);

  const model = await h.artifacts.read(out.adapter.model);
  const header = parseSafetensorsHeader(model);
  expect(header.tensors['base_model.model.lm_head.lora_A.weight']).toMatchObject({ dtype: 'F32', shape: [8, 192] });
  expect(header.tensors['base_model.model.lm_head.lora_B.weight']).toMatchObject({ dtype: 'F32', shape: [96, 8] });
  expect(model.equals(readFileSync(join(jobDirOf('ssh-e2e'), 'output/adapter_model.safetensors')))).toBe(true);
  const config = JSON.parse((await h.artifacts.read(out.adapter.config)).toString('utf8'));
  expect(config).toMatchObject({ peft_type: 'LORA', r: 8, lora_alpha: 16, target_modules: ['lm_head'], base_model_name_or_path: 'tiny-charlm' });
  const progress = (await h.artifacts.read(out.progress)).toString('utf8').trim().split('\n');
  expect(progress).toHaveLength(60);
  // the progress lines were streamed into the task log while the job ran
  const streamed = calls.flatMap((c) => c.log).filter((l) => l.startsWith('{"step":'));
  expect(streamed).toEqual(progress);
});

test('a connection lost mid-job (sshd restarted between polls): IN_PROGRESS, then a new worker reattaches; the job is launched once', async () => {
  const dataset = await h.dataset(qaLines(20));
  const input = { backend: 'ssh', host: host({ keySecret: 'LORA_KEY_PEM' }), dataset, jobId: 'ssh-drop', command: trainer(true), train: { maxSteps: 20, lr: 0.05 } };
  const first = await h.call(input);
  expect(first.status).toBe('IN_PROGRESS');

  await sshd.stop();
  const lost = await h.call(input, first.output);
  expect(lost.status).toBe('IN_PROGRESS');
  expect(lost.output).toMatchObject({ connectFailures: 1, jobDir: first.output.jobDir });
  expect(lost.log.find((l) => l.includes('reattaching at the next call (1/10)'))).toMatch(/ECONNREFUSED/);
  expect(processGone(first.output.pid)).toBe(false); // the job never depended on the connection

  await sshd.start();
  // a restarted worker: no previous output, the same job id
  const restarted = await h.call(input);
  expect(restarted.status).toBe('IN_PROGRESS');
  expect(restarted.log.some((l) => l.includes('already exists') && l.includes('reattaching instead of launching again'))).toBe(true);
  expect(restarted.output).toMatchObject({ connectFailures: 0, pid: first.output.pid });

  writeFileSync(join(jobDirOf('ssh-drop'), 'go'), '');
  const { last } = await h.untilDone(input, restarted);
  expect(last).toMatchObject({ status: 'COMPLETED', output: { launches: 1, metrics: { steps: 20 } } });
  expect(launches('ssh-drop')).toBe(1);
});

test('the connection cut during a call (the session killed while the worker waits on the host): IN_PROGRESS, the next call reattaches', async () => {
  const dataset = await h.dataset(qaLines(3));
  // ignores TERM, so stopping it (cost budget spent) keeps a call busy on the host for killGraceS
  const stubborn = ['sh', '-c', 'trap "" TERM; echo \'{"step":1,"loss":3.0,"lr":0.1}\' >> "$BATON_PROGRESS_FILE"; while :; do sleep 0.2; done'];
  const input = { backend: 'ssh', host: host(), dataset, jobId: 'ssh-cut', command: stubborn, budget: { maxCostUsd: 1, costPerHourUsd: 3600, killGraceS: 5 } };
  let prev = await h.call(input);
  expect(prev.status).toBe('IN_PROGRESS');
  const pgid = pidOf('ssh-cut', 'job_pgid');
  const cancelled = join(jobDirOf('ssh-cut'), 'cancelled');
  let cut: Awaited<ReturnType<MlHarness['call']>> | undefined;
  const end = Date.now() + 30_000;
  while (!cut && Date.now() < end) {
    const pending = h.call(input, prev.output);
    // the worker has begun killing the job: its kill script now waits out the grace on the host
    while (!existsSync(cancelled) && Date.now() < end) {
      const settled = await Promise.race([pending, new Promise((r) => setTimeout(r, 20, undefined))]);
      if (settled) break;
    }
    if (!existsSync(cancelled)) {
      prev = await pending; // still within budget: poll again
      continue;
    }
    const comm = (p: number) => {
      try {
        return readFileSync(`/proc/${p}/comm`, 'utf8').trim();
      } catch {
        return '';
      }
    };
    const sessions = sshd.userPids().filter((p) => comm(p) === 'sshd');
    expect(sessions.length).toBeGreaterThan(0);
    for (const p of sessions) process.kill(p, 'SIGKILL');
    cut = await pending;
  }
  expect(cut).toMatchObject({ status: 'IN_PROGRESS', output: { connectFailures: 1, jobDir: jobDirOf('ssh-cut') } });
  expect(cut!.log.find((l) => l.includes('reattaching at the next call (1/10)'))).toMatch(/was lost during a remote command/);

  const { last } = await h.untilDone(input, cut!, 30_000);
  expect(last).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'BUDGET_EXCEEDED' });
  expect(launches('ssh-cut')).toBe(1);
  const gone = Date.now() + 10_000;
  while (groupMembers(pgid).length && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
  expect(groupMembers(pgid)).toEqual([]);
});

test('the host key does not match the pin: HOST_KEY_MISMATCH (terminal), no authentication attempted, nothing launched', async () => {
  const dataset = await h.dataset(qaLines(3));
  const mark = sshd.log.length;
  const r = await h.call({ backend: 'ssh', host: host({ hostKeySha256: sshd.otherHostKeySha256 }), dataset, jobId: 'ssh-mismatch', command: ['true'] });
  expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'HOST_KEY_MISMATCH' });
  expect(r.output.error.details).toEqual({ expected: sshd.otherHostKeySha256, actual: sshd.hostKeySha256 });
  expect(existsSync(jobDirOf('ssh-mismatch'))).toBe(false);
  expect(sshd.log.slice(mark).some((l) => /Accepted|Failed publickey|Postponed/.test(l))).toBe(false);
});

test('a key the server does not accept: AUTH_FAILED (terminal); nothing launched', async () => {
  const dataset = await h.dataset(qaLines(3));
  const r = await h.call({ backend: 'ssh', host: host({ keySecret: 'LORA_WRONG_KEY' }), dataset, jobId: 'ssh-wrongkey', command: ['true'] });
  expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'AUTH_FAILED' });
  expect(r.reason).toMatch(/All configured authentication methods failed/);
  expect(existsSync(jobDirOf('ssh-wrongkey'))).toBe(false);
  // and a secret that is not set
  const missing = await h.call({ backend: 'ssh', host: host({ keySecret: 'LORA_NO_SUCH_KEY' }), dataset, command: ['true'] });
  expect(missing.code).toBe('SECRET_MISSING');
});

test('nothing listening: HOST_UNREACHABLE, retryable', async () => {
  const dataset = await h.dataset(qaLines(3));
  const r = await h.call({ backend: 'ssh', host: host({ port: await freePort() }), dataset, command: ['true'] });
  expect(r).toMatchObject({ status: 'FAILED', code: 'HOST_UNREACHABLE', output: { error: { retryable: true, details: { reason: 'ECONNREFUSED' } } } });
});

test('the cost budget runs out: the worker kills the remote process group, BUDGET_EXCEEDED (terminal)', async () => {
  const dataset = await h.dataset(qaLines(3));
  // $1 at $3600/h: one second of budget; timeout's backstop is 60 s further away
  const input = { backend: 'ssh', host: host(), dataset, jobId: 'ssh-cost', command: hangs, budget: { maxCostUsd: 1, costPerHourUsd: 3600, killGraceS: 2 }, callbackAfterSeconds: 30 };
  const first = await h.call(input);
  expect(first.status).toBe('IN_PROGRESS');
  const pid = pidOf('ssh-cost', 'pid');
  const pgid = pidOf('ssh-cost', 'job_pgid');
  expect(groupMembers(pgid).length).toBeGreaterThan(0);

  const { last } = await h.untilDone(input, first, 30_000);
  expect(last).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'BUDGET_EXCEEDED', output: { error: { details: { by: 'cost', processesLeft: false } } } });
  expect(last.output.error.details.costUsd).toBeGreaterThanOrEqual(1);
  expect(processGone(pid)).toBe(true);
  expect(groupMembers(pgid)).toEqual([]);
  expect(readFileSync(join(jobDirOf('ssh-cost'), 'cancelled'), 'utf8').trim()).toBe('budget: cost');
});

test('the wall-time budget: `timeout` on the host (or the worker) stops the job, BUDGET_EXCEEDED', async () => {
  const dataset = await h.dataset(qaLines(3));
  const input = { backend: 'ssh', host: host(), dataset, jobId: 'ssh-wall', command: hangs, budget: { maxWallS: 1, killGraceS: 1 } };
  const first = await h.call(input);
  expect(first.status).toBe('IN_PROGRESS');
  const pgid = pidOf('ssh-wall', 'job_pgid');
  const { last } = await h.untilDone(input, first, 30_000);
  expect(last).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'BUDGET_EXCEEDED', output: { error: { details: { by: 'wall' } } } });
  expect(groupMembers(pgid)).toEqual([]);
});

test('the training command fails: TRAINING_FAILED (terminal) with the log tail', async () => {
  const dataset = await h.dataset(qaLines(3));
  const input = { backend: 'ssh', host: host(), dataset, jobId: 'ssh-fail', command: ['sh', '-c', 'echo "loading {baseModel}"; echo "RuntimeError: shapes do not match" >&2; exit 3'] };
  const { last } = await h.untilDone(input, await h.call(input), 30_000);
  expect(last).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'TRAINING_FAILED', output: { error: { details: { exitCode: 3 } } } });
  expect(last.reason).toMatch(/^TRAINING_FAILED: the training command exited 3: loading tiny-charlm \| RuntimeError: shapes do not match/);
  expect(last.output.error.details.logTail).toContain('RuntimeError: shapes do not match');
});

test('a job killed from outside (no exit marker, nothing running): JOB_LOST (retryable); the retried task launches it again', async () => {
  const dataset = await h.dataset(qaLines(3));
  const input = { backend: 'ssh', host: host(), dataset, jobId: 'ssh-lost', command: hangs };
  const first = await h.call(input);
  expect(first.status).toBe('IN_PROGRESS');
  const pid = pidOf('ssh-lost', 'pid');
  const pgid = pidOf('ssh-lost', 'job_pgid');
  process.kill(pid, 'SIGKILL'); // the wrapper first, so that no marker is written
  process.kill(-pgid, 'SIGKILL');
  const end = Date.now() + 10_000;
  while ((!processGone(pid) || groupMembers(pgid).length) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));

  const lost = await h.call(input, first.output);
  expect(lost).toMatchObject({ status: 'FAILED', code: 'JOB_LOST' });

  const retried = await h.call(input); // Conductor's retry: a new task, no previous output
  expect(retried.status).toBe('IN_PROGRESS');
  expect(retried.log.some((l) => l.includes('was lost (no exit marker, nothing running); launching it again'))).toBe(true);
  expect(launches('ssh-lost')).toBe(2);
  const pid2 = pidOf('ssh-lost', 'pid');
  expect(pid2).not.toBe(pid);
  process.kill(pid2, 'SIGKILL');
  process.kill(-pidOf('ssh-lost', 'job_pgid'), 'SIGKILL');
});

test('ssh-agent auth; a command that exits 0 without an adapter: ADAPTER_MISSING', async () => {
  const sock = join(sshd.dir, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  const end = Date.now() + 10_000;
  while (!existsSync(sock) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  const add = spawnSync('ssh-add', [sshd.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
  expect(add.status).toBe(0);

  const agentHarness = createMlHarness(loraTrain, { SSH_AUTH_SOCK: sock });
  try {
    const dataset = await agentHarness.dataset(qaLines(3));
    const input = { backend: 'ssh', host: host({ keySecret: undefined, agent: true }), dataset, jobId: 'ssh-agent', command: ['true'] };
    const first = await agentHarness.call(input);
    expect(first.status).toBe('IN_PROGRESS');
    const { last } = await agentHarness.untilDone(input, first, 30_000);
    expect(last).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'ADAPTER_MISSING' });
  } finally {
    agentHarness.cleanup();
  }
});

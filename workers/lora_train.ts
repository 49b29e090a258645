/**
 * lora_train: fine-tune a LoRA adapter with a training command on a GPU host over SSH, or on this
 * machine (reference/worker-domain.md §3, §4, §8.6; workers/lib/ml/README.md).
 *
 * A long job, run the Conductor way: the first call validates the dataset, uploads it by SFTP,
 * launches the command detached on the host and returns IN_PROGRESS (callbackAfterSeconds) with
 * the job's state; every later call reattaches to the job directory (it never launches twice),
 * streams new progress lines into the task log, enforces the budgets and, once the exit-code
 * marker is there, downloads the adapter into the artifact store and completes. The job
 * directory is named by jobId, so a retried task or a restarted worker reattaches too.
 *
 * Failures. Terminal: INVALID_INPUT, SECRET_MISSING, ARTIFACT_MISSING / ARTIFACT_INVALID (the
 * dataset reference), DATASET_INVALID, HOST_KEY_MISMATCH,
 * AUTH_FAILED, HOST_NOT_READY, BUDGET_EXCEEDED, TRAINING_FAILED, OOM, CONFIG_ERROR, DIVERGED,
 * ADAPTER_MISSING, ADAPTER_INVALID. Retryable: HOST_UNREACHABLE (refused, timed out, or lost
 * more than maxReconnects polls in a row; a single lost poll only reattaches at the next call),
 * TRANSFER_FAILED, JOB_LOST (no marker and nothing running), CUDA_TRANSIENT, REMOTE_SCRIPT_FAILED.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { defineWorker, InProgress, type TaskCtx } from './runtime/define-worker';
import { asWorkerError, invalidInput, retryable, terminal, WorkerError } from './runtime/errors';
import { commandEnv } from './runtime/exec';
import { collectAdapter } from './lib/ml/adapter';
import { checkBudget, hostLimitS, type Budget } from './lib/ml/budget';
import { renderCommand, type Placeholder } from './lib/ml/command';
import { DATASET_FORMATS, describeBadLines, validateJsonl, type DatasetReport } from './lib/ml/dataset';
import { LocalShell } from './lib/ml/local-shell';
import { exitFailure } from './lib/ml/outcome';
import { addPoint, completeLines, emptySummary, parseProgressLine, summarize, type ProgressSummary } from './lib/ml/progress';
import { inspectJob, jobFiles, JobScriptError, killJob, launchJob, prepareJobDir, remoteSha256, tailLog, type JobShell, type JobStatus } from './lib/ml/remote-job';
import { SshConnection } from './lib/ml/ssh';

const Host = z.object({
  /** A label for logs, e.g. gpu-1. */
  name: z.string().optional(),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().min(1),
  /** Env var holding the private key: a file path, or the key itself (OpenSSH/PEM text). */
  keySecret: z.string().min(1).optional(),
  /** Env var holding the key's passphrase. */
  passphraseSecret: z.string().min(1).optional(),
  /** Authenticate with the worker's ssh-agent (SSH_AUTH_SOCK). */
  agent: z.boolean().default(false),
  /** The pinned host key, as `ssh-keygen -lf` prints it: SHA256:<43 base64 characters>. */
  hostKeySha256: z.string().regex(/^(SHA256:)?[A-Za-z0-9+/]{43}=?$/, 'must be an OpenSSH SHA256 fingerprint, SHA256:<43 base64 characters>'),
  /** Where job directories go on the host (relative to the login directory, or ~/…, or absolute). */
  workDir: z.string().min(1).default('baton-jobs'),
  keepaliveIntervalS: z.number().positive().default(15),
  keepaliveCountMax: z.number().int().min(1).default(3),
  connectTimeoutS: z.number().positive().default(20),
});

const ArtifactRefInput = z.object({ uri: z.string().optional(), sha256: z.string().optional(), size: z.number().optional(), name: z.string().optional() }).passthrough();

const Input = z.object({
  backend: z.enum(['local', 'ssh']).default('local'),
  /** Required for backend ssh. */
  host: Host.optional(),
  /** The training data: an artifact reference to a JSONL file. */
  dataset: ArtifactRefInput,
  /** @default auto: the first valid line decides */
  datasetFormat: z.enum(['auto', ...DATASET_FORMATS]).default('auto'),
  /** Fail on any bad line instead of training on the valid ones. */
  strictDataset: z.boolean().default(false),
  /** A name or path the command understands ({baseModel}); the tiny trainer makes its frozen base from it. */
  baseModel: z.string().min(1).default('tiny-charlm'),
  /** The training command as argv with {placeholders}. Required for ssh; local defaults to the tiny tfjs trainer. */
  command: z.array(z.string().min(1)).min(1).optional(),
  /** Extra environment for the command. */
  env: z.record(z.string()).optional(),
  lora: z
    .object({
      r: z.number().int().min(1).default(8),
      alpha: z.number().positive().default(16),
      dropout: z.number().min(0).max(1).default(0.05),
      targetModules: z.array(z.string().min(1)).min(1).default(['q_proj', 'v_proj']),
    })
    .default({}),
  train: z
    .object({
      maxSteps: z.number().int().min(1).default(100),
      /** @default 2e-4 in {lr}; the tiny trainer's own default (0.02) when the local default command runs */
      lr: z.number().positive().optional(),
      /** @default 4 in {batch}; the tiny trainer's own (64) for the local default command */
      batch: z.number().int().min(1).optional(),
      seed: z.number().int().default(42),
    })
    .default({}),
  budget: z
    .object({
      maxWallS: z.number().positive().default(6 * 3600),
      maxCostUsd: z.number().positive().optional(),
      costPerHourUsd: z.number().min(0).default(0),
      /** Between TERM and KILL when the job is stopped. */
      killGraceS: z.number().min(0).default(30),
    })
    .default({}),
  callbackAfterSeconds: z.number().int().min(1).default(30),
  /** Names the job directory. @default <workflowId>-<hash of the training input>, so a retried task reattaches */
  jobId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/)
    .optional(),
  /** Local backend: where job directories go. @default <WORKSPACE_PATH>/lora-jobs */
  workDir: z.string().min(1).optional(),
  /** Polls in a row that may fail to reach the host before the task fails (HOST_UNREACHABLE). */
  maxReconnects: z.number().int().min(0).default(10),
});
type Input = z.output<typeof Input>;

/** What lora_train keeps in its IN_PROGRESS output between calls. */
const State = z.object({
  state: z.literal('running'),
  jobId: z.string(),
  jobDir: z.string(),
  host: z.string(),
  backend: z.enum(['local', 'ssh']),
  pid: z.number().optional(),
  launches: z.number(),
  startedAt: z.number().optional(),
  progressOffset: z.number(),
  progress: z.object({ points: z.number(), steps: z.number(), maxSteps: z.number().optional(), firstLoss: z.number().optional(), finalLoss: z.number().optional(), lr: z.number().optional(), diverged: z.boolean() }),
  elapsedS: z.number().optional(),
  costUsd: z.number().optional(),
  connectFailures: z.number(),
  datasetSha256: z.string().optional(),
  dataset: z.record(z.unknown()).optional(),
});
type State = z.output<typeof State>;

/** The tiny trainer's CLI: next to this file in dist, or in dist when running from source (tests). */
export function tinyCliPath(): string {
  const built = join(__dirname, 'lib/ml/tiny-lora-cli.js');
  return existsSync(built) ? built : resolve(__dirname, '../dist/workers/lib/ml/tiny-lora-cli.js');
}

const stable = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(stable) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, stable((v as Record<string, unknown>)[k])])) : v;

/** Same workflow, same training input → same job directory (a retry reattaches, never duplicates). */
function defaultJobId(ctx: TaskCtx, input: Input): string {
  const key = { backend: input.backend, host: input.host && { host: input.host.host, port: input.host.port, user: input.host.user, workDir: input.host.workDir }, dataset: input.dataset.sha256 ?? input.dataset.uri, format: input.datasetFormat, baseModel: input.baseModel, command: input.command, env: input.env, lora: input.lora, train: input.train };
  const hash = createHash('sha256').update(JSON.stringify(stable(key))).digest('hex').slice(0, 16);
  return `${(ctx.workflowId || 'job').replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 100)}-${hash}`;
}

function budgetOf(input: Input): Budget {
  return { maxWallS: input.budget.maxWallS, maxCostUsd: input.budget.maxCostUsd, costPerHourUsd: input.budget.costPerHourUsd, killGraceS: input.budget.killGraceS };
}

function checkInput(input: Input): void {
  if (input.backend === 'ssh') {
    if (!input.host) throw invalidInput('host', 'required for backend ssh');
    if (!input.host.keySecret && !input.host.agent) throw invalidInput('host', 'give keySecret or agent: true');
    if (!input.command) throw invalidInput('command', 'required for backend ssh (the training command to run on the host)');
  }
  if (input.budget.maxCostUsd !== undefined && input.budget.costPerHourUsd <= 0) throw invalidInput('budget.costPerHourUsd', 'must be > 0 when maxCostUsd is set');
  commandFor(input, '/job'); // a placeholder typo fails here, before any host is touched
}

async function openShell(input: Input, ctx: TaskCtx): Promise<JobShell> {
  if (input.backend === 'local') return new LocalShell(commandEnv(ctx.env));
  const h = input.host!;
  let privateKey: string | Buffer | undefined;
  if (h.keySecret) {
    const v = ctx.secret(h.keySecret);
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v)) privateKey = v;
    else {
      try {
        privateKey = await readFile(v);
      } catch (e) {
        throw terminal('AUTH_FAILED', `${h.keySecret} names a private key file that cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
  }
  let agent: string | undefined;
  if (h.agent) {
    agent = ctx.env.SSH_AUTH_SOCK;
    if (!agent) throw terminal('AUTH_FAILED', 'host.agent is true but SSH_AUTH_SOCK is not set for the worker');
  }
  return SshConnection.connect(
    {
      host: h.host,
      port: h.port,
      username: h.user,
      hostKeySha256: h.hostKeySha256,
      privateKey,
      passphrase: ctx.optionalSecret(h.passphraseSecret),
      agent,
      keepaliveIntervalMs: h.keepaliveIntervalS * 1000,
      keepaliveCountMax: h.keepaliveCountMax,
      readyTimeoutMs: h.connectTimeoutS * 1000,
    },
    ctx.signal,
  );
}

/** The JSONL from the artifact store, validated; only the valid, de-duplicated lines are trained on. */
async function loadDataset(input: Input, ctx: TaskCtx): Promise<{ jsonl: string; report: DatasetReport; sha256: string }> {
  const bytes = await ctx.artifacts.read(input.dataset, 'dataset');
  const ds = validateJsonl(bytes.toString('utf8'), { format: input.datasetFormat });
  const r = ds.report;
  ctx.log(`lora_train: dataset ${r.valid} valid ${r.format ?? ''} examples of ${r.lines} lines, ${r.invalid} invalid, ${r.duplicates} duplicates dropped`);
  if (r.invalid) ctx.log(`lora_train: invalid dataset lines (${r.invalid}): ${describeBadLines(r, 20)}`);
  if (r.valid === 0) throw terminal('DATASET_INVALID', r.lines === 0 ? 'the dataset is empty' : `no valid line in ${r.lines}: ${describeBadLines(r)}`, { ...r });
  if (r.invalid && input.strictDataset) throw terminal('DATASET_INVALID', `${r.invalid} invalid lines (strictDataset): ${describeBadLines(r)}`, { ...r });
  return { jsonl: ds.jsonl, report: r, sha256: createHash('sha256').update(ds.jsonl).digest('hex') };
}

function commandFor(input: Input, dir: string): string[] {
  const f = jobFiles(dir);
  const vars: Record<Placeholder, string> = {
    jobId: dir.split('/').pop()!,
    jobDir: dir,
    dataset: f.dataset,
    datasetFormat: input.datasetFormat,
    progress: f.progress,
    outputDir: f.outputDir,
    baseModel: input.baseModel,
    maxSteps: String(input.train.maxSteps),
    lr: String(input.train.lr ?? 2e-4),
    batch: String(input.train.batch ?? 4),
    seed: String(input.train.seed),
    r: String(input.lora.r),
    alpha: String(input.lora.alpha),
    dropout: String(input.lora.dropout),
    targetModules: input.lora.targetModules.join(','),
  };
  const template = input.command ?? [
    process.execPath,
    tinyCliPath(),
    ...['--dataset', '{dataset}', '--output-dir', '{outputDir}', '--progress', '{progress}', '--base-model', '{baseModel}'],
    ...['--steps', '{maxSteps}', '--r', '{r}', '--alpha', '{alpha}', '--seed', '{seed}'],
    ...(input.train.lr !== undefined ? ['--lr', '{lr}'] : []),
    ...(input.train.batch !== undefined ? ['--batch', '{batch}'] : []),
  ];
  return renderCommand(template, vars);
}

/** Progress bytes read per poll, and progress lines copied into the task log per poll. */
const PROGRESS_READ_BYTES = 256 * 1024;
const MAX_LOGGED_LINES = 500;

export default defineWorker({
  taskType: 'lora_train',
  description: 'Train a LoRA adapter with a training command on a GPU host over SSH (or locally); adapter files to the artifact store',
  input: Input,
  async run(input, ctx) {
    checkInput(input);
    const prev = State.safeParse(ctx.previousOutput);
    const state = prev.success ? prev.data : undefined;
    const jobId = state?.jobId ?? input.jobId ?? defaultJobId(ctx, input);
    const dataset = state ? undefined : await loadDataset(input, ctx);

    let sh: JobShell;
    try {
      sh = await openShell(input, ctx);
    } catch (e) {
      return unreachable(e, state, input, ctx);
    }
    const onAbort = () => sh.close(); // the task's time is up: stop waiting on the host (the job runs on)
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      return state ? await poll(sh, state, input, ctx) : await start(sh, jobId, dataset!, input, ctx);
    } catch (e) {
      if (state) return unreachable(e, state, input, ctx);
      throw scriptError(e, sh.where);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      sh.close();
    }
  },
});

function scriptError(e: unknown, where: string): WorkerError {
  if (e instanceof JobScriptError) return retryable('REMOTE_SCRIPT_FAILED', `on ${where}: ${e.message}`);
  return asWorkerError(e);
}

/**
 * The host could not be reached (or the connection dropped) while a job runs there: the job
 * does not depend on the connection, so report IN_PROGRESS and reattach at the next call, until
 * maxReconnects calls in a row have failed.
 */
function unreachable(e: unknown, state: State | undefined, input: Input, ctx: TaskCtx): InProgress {
  const err = e instanceof WorkerError ? e : scriptError(e, state?.host ?? 'the host');
  if (!state || err.code !== 'HOST_UNREACHABLE' || ctx.signal.aborted) throw err;
  const failures = state.connectFailures + 1;
  if (failures > input.maxReconnects) {
    throw retryable('HOST_UNREACHABLE', `${err.message} (${failures} calls in a row could not reach the job; it may still run in ${state.jobDir}, and a retry reattaches to it)`, { jobDir: state.jobDir, jobId: state.jobId });
  }
  ctx.log(`lora_train: ${err.message}; the job keeps running in ${state.jobDir}, reattaching at the next call (${failures}/${input.maxReconnects})`);
  return new InProgress(input.callbackAfterSeconds, { ...state, connectFailures: failures });
}

async function jobsRoot(input: Input, ctx: TaskCtx): Promise<string> {
  if (input.backend === 'ssh') return input.host!.workDir;
  // under the workspace root, not the task's own workspace: a retried task has a new one
  return input.workDir ?? join(dirname(await ctx.workspace()), 'lora-jobs');
}

async function start(sh: JobShell, jobId: string, dataset: { jsonl: string; report: DatasetReport; sha256: string }, input: Input, ctx: TaskCtx): Promise<Record<string, unknown> | InProgress> {
  const prep = await prepareJobDir(sh, await jobsRoot(input, ctx), jobId);
  if (!prep.dir) throw terminal('HOST_NOT_READY', `${sh.where} lacks ${prep.missing.join(', ')}, needed to run a detached job`, { missing: prep.missing });
  const dir = prep.dir;
  const files = jobFiles(dir);
  const st = await inspectJob(sh, dir, 0, 0);
  const fresh: State = {
    state: 'running',
    jobId,
    jobDir: dir,
    host: sh.where,
    backend: input.backend,
    launches: st.launches,
    progressOffset: 0,
    progress: emptySummary(),
    connectFailures: 0,
    datasetSha256: dataset.sha256,
    dataset: { ...dataset.report },
  };
  if (st.locks > 0) {
    if (st.exitCode !== undefined || st.wrapperAlive || st.groupAlive) {
      ctx.log(`lora_train: job ${jobId} already exists on ${sh.where} in ${dir} (${st.launches} launch${st.launches === 1 ? '' : 'es'}); reattaching instead of launching again`);
      return poll(sh, { ...fresh, pid: st.pid, startedAt: st.started }, input, ctx);
    }
    ctx.log(`lora_train: job ${jobId} in ${dir} was lost (no exit marker, nothing running); launching it again`);
  }

  const budget = budgetOf(input);
  const spent = st.started !== undefined ? st.now - st.started : 0;
  const check = checkBudget(budget, spent);
  if (check.exceeded) throw terminal('BUDGET_EXCEEDED', `the job's ${check.exceeded === 'wall' ? 'wall-time' : 'cost'} budget was spent by earlier launches (${spent} s)`, { by: check.exceeded, ...check });
  const limitS = Math.max(1, hostLimitS(budget, input.callbackAfterSeconds) - spent);

  const local = join(await ctx.workspace(), 'dataset.jsonl');
  await writeFile(local, dataset.jsonl);
  await sh.put(local, files.dataset);
  const remoteSha = await remoteSha256(sh, files.dataset);
  if (remoteSha && remoteSha !== dataset.sha256) throw retryable('TRANSFER_FAILED', `the uploaded dataset hashes to ${remoteSha} on ${sh.where}, not ${dataset.sha256}`);

  const command = commandFor(input, dir);
  const env = { ...input.env, BATON_JOB_DIR: dir, BATON_PROGRESS_FILE: files.progress, BATON_OUTPUT_DIR: files.outputDir, BATON_DATASET: files.dataset };
  const launched = await launchJob(sh, dir, { command, env, limitS, killGraceS: input.budget.killGraceS }, st.locks + 1);
  if (launched.raced) {
    ctx.log(`lora_train: another worker launched job ${jobId} at the same moment; reattaching to it`);
    return poll(sh, fresh, input, ctx);
  }
  ctx.log(`lora_train: launched job ${jobId} on ${sh.where} in ${dir} (pid ${launched.pid}, wall-time limit ${limitS} s): ${command.join(' ')}`);
  return new InProgress(input.callbackAfterSeconds, { ...fresh, pid: launched.pid, launches: st.launches + 1 });
}

async function poll(sh: JobShell, state: State, input: Input, ctx: TaskCtx): Promise<Record<string, unknown> | InProgress> {
  const st = await inspectJob(sh, state.jobDir, state.progressOffset, PROGRESS_READ_BYTES);
  if (!st.exists) throw retryable('JOB_LOST', `the job directory ${state.jobDir} is gone from ${sh.where}`, { jobDir: state.jobDir });
  let progress: ProgressSummary = state.progress;
  let offset = state.progressOffset;
  if (st.progressSize < offset) offset = 0; // the command started the file over: read it again from the top
  else {
    const { lines, consumed } = completeLines(st.progress);
    for (const [i, line] of lines.entries()) {
      if (i < MAX_LOGGED_LINES) ctx.log(line);
      const p = parseProgressLine(line);
      if (p) progress = addPoint(progress, p);
    }
    if (lines.length > MAX_LOGGED_LINES) ctx.log(`lora_train: ${lines.length - MAX_LOGGED_LINES} more progress lines since the last poll (up to step ${progress.steps}) not copied to the task log`);
    // a line longer than a whole read would never complete: skip it
    offset += consumed === 0 && st.progress.length >= PROGRESS_READ_BYTES ? st.progress.length : consumed;
  }
  const elapsedS = st.started !== undefined ? Math.max(0, (st.finished ?? st.now) - st.started) : 0;
  const budget = checkBudget(budgetOf(input), elapsedS);
  const next: State = { ...state, pid: st.pid ?? state.pid, startedAt: st.started, launches: st.launches, progressOffset: offset, progress, elapsedS, costUsd: budget.costUsd, connectFailures: 0 };

  if (st.exitCode !== undefined) return finish(sh, next, st, input, ctx);

  if (st.wrapperAlive || st.groupAlive) {
    if (!st.wrapperAlive) {
      // the command runs on, but nobody is left to write its exit code
      await killJob(sh, state.jobDir, 'lost: the wrapper died', 2);
      throw retryable('JOB_LOST', `the job's wrapper on ${sh.where} died while the command ran; the command was killed`, { jobDir: state.jobDir });
    }
    if (progress.diverged) {
      await killJob(sh, state.jobDir, 'diverged', input.budget.killGraceS);
      throw terminal('DIVERGED', `the loss became NaN or infinite by step ${progress.steps}; the job was killed`, { step: progress.steps });
    }
    if (budget.exceeded) {
      const what = budget.exceeded === 'wall' ? `the wall-time budget of ${input.budget.maxWallS} s` : `the cost budget of $${input.budget.maxCostUsd} ($${budget.costUsd} after ${elapsedS} s at $${input.budget.costPerHourUsd}/h)`;
      const k = await killJob(sh, state.jobDir, `budget: ${budget.exceeded}`, input.budget.killGraceS);
      ctx.log(`lora_train: ${what} is spent; killed the job's process group${k.left ? ' (some processes are still there)' : ''}`);
      throw terminal('BUDGET_EXCEEDED', `${what} is spent at step ${progress.steps}; the job was killed`, { by: budget.exceeded, elapsedS, costUsd: budget.costUsd, step: progress.steps, processesLeft: k.left });
    }
    const step = progress.maxSteps ? `${progress.steps}/${progress.maxSteps}` : `${progress.steps}`;
    const etaS = progress.maxSteps && progress.steps > 0 ? Math.round((elapsedS / progress.steps) * (progress.maxSteps - progress.steps)) : undefined;
    ctx.log(`lora_train: running on ${sh.where}, step ${step}, loss ${progress.finalLoss ?? '-'}, ${elapsedS} s${input.budget.costPerHourUsd ? `, $${budget.costUsd}` : ''}`);
    // step/loss/etaS at the top for people watching the task; the runtime keeps the whole state
    return new InProgress(input.callbackAfterSeconds, { ...next, step: progress.steps, maxSteps: progress.maxSteps ?? null, loss: progress.finalLoss ?? null, etaS: etaS ?? null });
  }

  // no marker and nothing running: killed from outside (OOM killer, reboot); a retry launches again
  throw retryable('JOB_LOST', `the job on ${sh.where} stopped without an exit code (pid ${st.pid ?? '?'} gone): killed from outside, or the host rebooted`, { jobDir: state.jobDir, step: progress.steps });
}

async function finish(sh: JobShell, state: State, st: JobStatus, input: Input, ctx: TaskCtx): Promise<Record<string, unknown>> {
  const details = { jobDir: state.jobDir, step: state.progress.steps, elapsedS: state.elapsedS };
  const failed = exitFailure(st, st.exitCode === 0 || st.cancelled ? '' : await tailLog(sh, state.jobDir), details);
  if (failed) throw failed;

  const localDir = join(await ctx.workspace(), 'adapter');
  await mkdir(localDir, { recursive: true });
  const files = jobFiles(state.jobDir);
  const adapter = await collectAdapter(sh, files, st.outputs, localDir, ctx.artifacts);
  // the whole progress file: metrics from every step, and kept with the adapter
  let summary = state.progress;
  let progressRef;
  if (st.progressSize > 0) {
    const localProgress = join(localDir, 'progress.jsonl');
    await sh.get(files.progress, localProgress);
    const text = await readFile(localProgress, 'utf8');
    summary = summarize(text);
    const { path: _path, ...r } = await ctx.artifacts.putFile(localProgress, 'progress.jsonl');
    progressRef = r;
  }
  const durationS = state.elapsedS ?? 0;
  ctx.log(`lora_train: done in ${durationS} s, ${summary.steps} steps, loss ${summary.firstLoss} → ${summary.finalLoss}; adapter ${adapter.model.sha256}`);
  return {
    jobId: state.jobId,
    jobDir: state.jobDir,
    host: state.host,
    backend: state.backend,
    exitCode: 0,
    durationS,
    launches: st.launches,
    adapter,
    metrics: { firstLoss: summary.firstLoss ?? null, finalLoss: summary.finalLoss ?? null, steps: summary.steps, durationS, lr: summary.lr ?? null, costUsd: state.costUsd ?? 0 },
    ...(progressRef ? { progress: progressRef } : {}),
    dataset: state.dataset,
    repro: { datasetSha256: state.datasetSha256, baseModel: input.baseModel, seed: input.train.seed, hyperparams: { ...input.lora, ...input.train } },
  };
}

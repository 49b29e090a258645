/**
 * A long training job in a directory of its own on a host (reference/worker-domain.md §3.2),
 * driven by short POSIX shell scripts, the same over SSH and locally. The job outlives the worker
 * and the connection: it is launched detached (setsid + nohup, all three descriptors redirected),
 * under `timeout` for its wall-time budget, and leaves an exit-code marker, so whoever comes
 * next (the next poll, a retried task, a restarted worker) reattaches by the directory.
 *
 * The job directory:
 *   dataset.jsonl   the training data            run.sh    the wrapper (below)
 *   progress.jsonl  one JSON line per step       run.log   the command's stdout and stderr
 *   output/         the adapter files            launches  one line per launch
 *   pid             the wrapper (session leader) job_pgid  the command's process group (timeout's)
 *   started         epoch s of the first launch  limit_s   this launch's timeout, s
 *   finished        epoch s the command ended    exit_code the marker (written via rename)
 *   cancelled       why Baton killed the job     launch.N/ lock: only one launcher wins launch N
 *
 * States: done (exit_code exists), running (the wrapper or the command's group is alive), lost
 * (neither: OOM killer, reboot), absent (no directory).
 */
import type { ShellResult } from './ssh';

/** Where job scripts run: an SSH connection or the local machine. */
export interface JobShell {
  /** For messages: user@host:port, or "local". */
  readonly where: string;
  run(script: string, timeoutMs?: number): Promise<ShellResult>;
  put(local: string, remote: string): Promise<void>;
  get(remote: string, local: string): Promise<void>;
  close(): void;
}

/** Single-quote for sh. */
export const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A directory as a shell word: `~/x` stays relative to $HOME, anything else is quoted. */
export const shDir = (d: string) => (d === '~' ? '"$HOME"' : d.startsWith('~/') ? `"$HOME"/${shq(d.slice(2))}` : shq(d));

export interface JobFiles {
  dir: string;
  dataset: string;
  progress: string;
  outputDir: string;
  log: string;
}

export function jobFiles(dir: string): JobFiles {
  return { dir, dataset: `${dir}/dataset.jsonl`, progress: `${dir}/progress.jsonl`, outputDir: `${dir}/output`, log: `${dir}/run.log` };
}

/** Zombie-aware liveness of a pid and of a process group (a zombie has exited). */
const PRELUDE = String.raw`
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1; { read -r line < /proc/"$1"/stat; } 2>/dev/null || return 0; set -- ${'$'}{line##*") "}; [ "$1" != Z ]; }
group_alive() {
  g=$1; [ -n "$g" ] || return 1
  kill -0 -"$g" 2>/dev/null || return 1
  [ -d /proc/self ] || return 0
  for s in /proc/[0-9]*/stat; do
    { read -r line < "$s"; } 2>/dev/null || continue
    set -- ${'$'}{line##*") "}
    [ "$3" = "$g" ] && [ "$1" != Z ] && return 0
  done
  return 1
}
`;

const kv = (out: Buffer | string): Record<string, string> => {
  const m: Record<string, string> = {};
  for (const line of String(out).split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) m[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return m;
};
const int = (s: string | undefined) => (s !== undefined && /^-?\d+$/.test(s) ? Number(s) : undefined);

export class JobScriptError extends Error {
  constructor(
    message: string,
    readonly result: ShellResult,
  ) {
    super(message);
  }
}

function check(r: ShellResult, what: string): ShellResult {
  if (r.code !== 0) throw new JobScriptError(`${what} exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(-500)}`, r);
  return r;
}

/**
 * Create `<workDir>/<jobId>` and return its absolute path. Also checks the host has the tools a
 * job needs: `missing` lists those it lacks (nothing is created then).
 */
export async function prepareJobDir(sh: JobShell, workDir: string, jobId: string): Promise<{ dir?: string; missing: string[] }> {
  const r = check(
    await sh.run(`missing=
for t in setsid nohup timeout tail head; do command -v "$t" >/dev/null 2>&1 || missing="$missing $t"; done
if [ -n "$missing" ]; then echo "missing=$missing"; exit 0; fi
mkdir -p ${shDir(workDir)}/${shq(jobId)} && cd ${shDir(workDir)}/${shq(jobId)} && echo "dir=$(pwd -P)"
`),
    'preparing the job directory',
  );
  const m = kv(r.stdout);
  if (m.missing) return { missing: m.missing.split(/\s+/).filter(Boolean) };
  if (!m.dir) throw new JobScriptError('preparing the job directory printed no directory', r);
  return { dir: m.dir, missing: [] };
}

export interface JobStatus {
  exists: boolean;
  /** The host's clock, epoch s: budgets are measured on the host's own clock. */
  now: number;
  /** Launches the wrapper recorded. */
  launches: number;
  /** Launches attempted (launch.N locks): the next launch is locks + 1. */
  locks: number;
  pid?: number;
  pgid?: number;
  started?: number;
  finished?: number;
  limitS?: number;
  exitCode?: number;
  cancelled?: string;
  wrapperAlive: boolean;
  groupAlive: boolean;
  /** Adapter files present (non-empty) in output/. */
  outputs: string[];
  progressSize: number;
  /** progress.jsonl from the offset asked for (at most maxBytes). */
  progress: Buffer;
}

const SEP = '\n---baton-progress---\n';

/** One round trip: the job's state and the progress bytes after `offset`. */
export async function inspectJob(sh: JobShell, dir: string, offset: number, maxBytes = 256 * 1024): Promise<JobStatus> {
  const r = check(
    await sh.run(`${PRELUDE}
cd ${shq(dir)} 2>/dev/null || { echo exists=0; echo "now=$(date +%s)"; exit 0; }
echo exists=1
echo "now=$(date +%s)"
# liveness before the marker: a wrapper seen dead has already written exit_code if it ever will
alive "$(cat pid 2>/dev/null)" && echo wrapper_alive=1
group_alive "$(cat job_pgid 2>/dev/null)" && echo group_alive=1
for f in pid job_pgid started finished limit_s exit_code; do [ -f "$f" ] && echo "$f=$(cat "$f")"; done
[ -f cancelled ] && echo "cancelled=$(head -c 200 cancelled | tr -d '\\n')"
echo "launches=$(cat launches 2>/dev/null | wc -l)"
echo "locks=$(ls -d launch.* 2>/dev/null | wc -l)"
for f in adapter_model.safetensors adapter_config.json; do [ -s "output/$f" ] && echo "output_$f=1"; done
echo "progress_size=$(cat progress.jsonl 2>/dev/null | wc -c)"
printf '${SEP.replace(/\n/g, '\\n')}'
[ -f progress.jsonl ] && tail -c +${offset + 1} progress.jsonl | head -c ${maxBytes}
exit 0
`),
    'inspecting the job',
  );
  const at = r.stdout.indexOf(SEP);
  const m = kv(at >= 0 ? r.stdout.subarray(0, at) : r.stdout);
  return {
    exists: m.exists === '1',
    now: int(m.now) ?? Math.floor(Date.now() / 1000),
    launches: int(m.launches) ?? 0,
    locks: int(m.locks) ?? 0,
    pid: int(m.pid),
    pgid: int(m.job_pgid),
    started: int(m.started),
    finished: int(m.finished),
    limitS: int(m.limit_s),
    exitCode: int(m.exit_code),
    cancelled: m.cancelled || undefined,
    wrapperAlive: m.wrapper_alive === '1',
    groupAlive: m.group_alive === '1',
    outputs: Object.keys(m).filter((k) => k.startsWith('output_')).map((k) => k.slice('output_'.length)),
    progressSize: int(m.progress_size) ?? 0,
    progress: at >= 0 ? r.stdout.subarray(at + SEP.length) : Buffer.alloc(0),
  };
}

export interface LaunchSpec {
  /** The training command as argv (each word is quoted; no shell parses it). */
  command: string[];
  /** Set for the command with `env`, since sshd drops exec env vars without AcceptEnv. */
  env: Record<string, string>;
  /** The wall-time budget for this launch (`timeout`), s. */
  limitS: number;
  /** Between timeout's TERM and its KILL, s. */
  killGraceS: number;
}

/** The wrapper: records pid and start, runs the command under `timeout`, writes the marker. */
export function wrapperScript(spec: LaunchSpec): string {
  const env = Object.entries(spec.env).map(([k, v]) => shq(`${k}=${v}`));
  const cmd = [...(env.length ? ['env', ...env] : []), 'timeout', '--signal=TERM', `--kill-after=${spec.killGraceS}`, String(spec.limitS), ...spec.command.map(shq)];
  return `#!/bin/sh
# Baton lora_train job wrapper (generated). pid: this shell, the session leader; job_pgid: the
# command's process group (timeout makes its own); exit_code: the marker, written by rename.
echo $$ > pid.tmp && mv pid.tmp pid
[ -f started ] || date +%s > started
echo ${spec.limitS} > limit_s
echo "$(date +%s) $$" >> launches
mkdir -p output
echo "== baton: launch at $(date -u +%Y-%m-%dT%H:%M:%SZ), wall-time limit ${spec.limitS} s"
${cmd.join(' ')} &
child=$!
echo $child > job_pgid
wait $child
code=$?
date +%s > finished
echo "== baton: exit $code at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo $code > exit_code.tmp && mv exit_code.tmp exit_code
`;
}

/**
 * Launch number `launchNo` (1 for the first) detached. Returns the wrapper's pid, or raced when
 * another launcher already made that launch (then reattach instead).
 */
export async function launchJob(sh: JobShell, dir: string, spec: LaunchSpec, launchNo: number): Promise<{ pid?: number; raced: boolean }> {
  const eof = `BATON_EOF_${Math.random().toString(36).slice(2)}`;
  const r = check(
    await sh.run(`cd ${shq(dir)} || exit 1
mkdir launch.${launchNo} 2>/dev/null || { echo raced=1; exit 0; }
cat > run.sh <<'${eof}'
${wrapperScript(spec)}${eof}
rm -f pid exit_code exit_code.tmp job_pgid finished cancelled
setsid nohup sh run.sh >> run.log 2>&1 < /dev/null &
i=0
while [ ! -s pid ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
echo "pid=$(cat pid 2>/dev/null)"
`),
    'launching the job',
  );
  const m = kv(r.stdout);
  if (m.raced === '1') return { raced: true };
  const pid = int(m.pid);
  if (pid === undefined) throw new JobScriptError('the job did not start (no pid file within 10 s)', r);
  return { pid, raced: false };
}

/**
 * Kill the job: TERM to the command's process group, KILL after `graceS`; the wrapper then
 * writes the marker. `reason` goes into the cancelled file. Returns whether anything is left.
 */
export async function killJob(sh: JobShell, dir: string, reason: string, graceS: number): Promise<{ left: boolean }> {
  const r = check(
    await sh.run(
      `${PRELUDE}
cd ${shq(dir)} 2>/dev/null || exit 0
printf '%s\\n' ${shq(reason)} > cancelled
pid=$(cat pid 2>/dev/null); pg=$(cat job_pgid 2>/dev/null)
[ -n "$pg" ] && kill -TERM -"$pg" 2>/dev/null
i=0; while group_alive "$pg" && [ $i -lt ${Math.ceil(graceS * 10)} ]; do sleep 0.1; i=$((i+1)); done
[ -n "$pg" ] && kill -KILL -"$pg" 2>/dev/null
i=0; while [ ! -f exit_code ] && alive "$pid" && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
if [ ! -f exit_code ] && alive "$pid"; then kill -KILL "$pid" 2>/dev/null; fi
i=0; while { group_alive "$pg" || alive "$pid"; } && [ $i -lt 20 ]; do sleep 0.1; i=$((i+1)); done
{ group_alive "$pg" || alive "$pid"; } && echo left=1
exit 0
`,
      (graceS + 15) * 1000,
    ),
    'killing the job',
  );
  return { left: kv(r.stdout).left === '1' };
}

/** The last `bytes` of run.log. */
export async function tailLog(sh: JobShell, dir: string, bytes = 4000): Promise<string> {
  const r = await sh.run(`tail -c ${bytes} ${shq(`${dir}/run.log`)} 2>/dev/null; exit 0`);
  return r.stdout.toString('utf8');
}

/** sha256 of a file on the host, or undefined when sha256sum is not there. */
export async function remoteSha256(sh: JobShell, path: string): Promise<string | undefined> {
  const r = await sh.run(`command -v sha256sum >/dev/null 2>&1 || exit 0; sha256sum ${shq(path)} | cut -d' ' -f1`);
  const s = r.stdout.toString('utf8').trim();
  return /^[0-9a-f]{64}$/.test(s) ? s : undefined;
}

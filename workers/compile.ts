/**
 * compile: build a firmware project (PlatformIO, or any command such as make), check that the
 * result is a valid ESP32 app image, and store it as an artifact (reference/worker-domain.md §8.1).
 * The version comes from the image's app descriptor, never from the input, so what the pipeline
 * later deploys and verifies is what was actually built.
 *
 * Failures. Terminal: INVALID_INPUT, NOT_A_PROJECT, UNKNOWN_ENV, COMPILE_ERROR, SIZE_OVERFLOW,
 * USAGE_ERROR, BUILD_FAILED (non-zero exit with no recognised cause), ARTIFACT_MISSING, BAD_IMAGE,
 * TOOL_NOT_FOUND. Retryable: TIMEOUT, KILLED_BY_SIGNAL, PACKAGE_DOWNLOAD_FAILED, SPAWN_FAILED.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineWorker, type TaskCtx } from './runtime/define-worker';
import { retryable, terminal, invalidInput, type WorkerError } from './runtime/errors';
import type { ExecResult } from './runtime/exec';
import { EspImageError, parseEspImage } from './lib/firmware/esp-image';
import { parseRunOutput, type RunOutput } from './lib/firmware/pio-output';
import { chooseTool, commandEnv, hasPlatformioIni, inProject, lastLines, seconds, throwIfInterrupted } from './lib/firmware/project-step';
import { prepareSource, SourceSchema } from './lib/source';

const Input = z.object({
  ...SourceSchema,
  /** `platformio` runs `pio run`; `command` runs `command`. @default platformio when the project has a platformio.ini, else command */
  builder: z.enum(['platformio', 'command']).optional(),
  /** The PlatformIO environment (`-e`), e.g. esp32dev. @default the project's default_envs */
  env: z.string().min(1).optional(),
  /** The build command for builder=command, run in the project dir without a shell. @default ['make'] */
  command: z.array(z.string().min(1)).min(1).optional(),
  /** The image, relative to the project dir. @default .pio/build/<env>/firmware.bin (platformio), build/firmware.bin (command) */
  artifactPath: z.string().min(1).optional(),
  pioPath: z.string().min(1).default('pio'),
  /** Parallel build jobs (`pio run -j`; PlatformIO only). */
  jobs: z.number().int().min(1).optional(),
  /** Run `pio run -t clean` before building (PlatformIO only). */
  clean: z.boolean().default(false),
  /** For the whole build, clean included. */
  timeoutS: z.number().positive().default(900),
  /** Added to the build's environment, e.g. PLATFORMIO_BUILD_FLAGS. */
  extraEnv: z.record(z.string()).optional(),
});
type Input = z.output<typeof Input>;

/** Compiler errors shown in the failure message; all of them go to the task log. */
const ERRORS_IN_MESSAGE = 3;
const MAX_DIAGNOSTICS = 100;

export default defineWorker({
  taskType: 'compile',
  description: 'Build firmware (PlatformIO or a command), check the ESP32 image, store it as an artifact',
  input: Input,
  async run(input, ctx) {
    const { dir, commit } = await prepareSource(input, ctx);
    const builder = await chooseTool(dir, input.builder);
    const deadline = Date.now() + input.timeoutS * 1000;
    const budget = () => Math.max(1, deadline - Date.now());
    const env = commandEnv(ctx, input.extraEnv);
    let out: RunOutput;
    let durationMs = 0;

    if (builder === 'platformio') {
      if (!(await hasPlatformioIni(dir))) throw terminal('NOT_A_PROJECT', `${dir} has no platformio.ini`);
      const envArgs = input.env ? ['-e', input.env] : [];
      if (input.clean) durationMs += (await build(ctx, input, input.pioPath, ['run', ...envArgs, '-t', 'clean'], dir, env, budget(), true)).r.durationMs;
      const jobs = input.jobs ? ['-j', String(input.jobs)] : [];
      const b = await build(ctx, input, input.pioPath, ['run', ...envArgs, ...jobs], dir, env, budget(), true);
      out = b.out;
      durationMs += b.r.durationMs;
    } else {
      const [cmd, ...args] = input.command ?? ['make'];
      const b = await build(ctx, input, cmd!, args, dir, env, budget(), false);
      out = b.out;
      durationMs += b.r.durationMs;
    }

    const pioEnv = builder === 'platformio' ? (input.env ?? builtEnv(out)) : undefined;
    const rel = input.artifactPath ?? (builder === 'platformio' ? `.pio/build/${pioEnv}/firmware.bin` : 'build/firmware.bin');
    const file = inProject(dir, rel, 'artifactPath');
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      throw terminal('ARTIFACT_MISSING', `the build succeeded but did not write ${rel}`, { path: rel });
    }
    let appDesc;
    try {
      appDesc = parseEspImage(bytes).appDesc; // also checks the checksum and appended SHA256
    } catch (e) {
      if (e instanceof EspImageError) throw terminal('BAD_IMAGE', `${rel} is not a valid ESP32 app image: ${e.message}`, { path: rel, imageError: e.code });
      throw e;
    }
    // stored from the bytes just checked, so sha256, md5 and the descriptor describe one content
    const ref = await ctx.artifacts.putBytes(bytes, 'firmware.bin');
    const md5 = createHash('md5').update(bytes).digest('hex');
    ctx.log(`built ${rel}: version ${appDesc.version}, ${ref.size} bytes, sha256 ${ref.sha256}`);

    const warnings = out.diagnostics.filter((d) => d.severity === 'warning');
    return {
      builder,
      ...(pioEnv ? { env: pioEnv } : {}),
      artifact: { uri: ref.uri, sha256: ref.sha256, size: ref.size, name: 'firmware.bin', md5 },
      appDesc: { version: appDesc.version, projectName: appDesc.projectName, idfVer: appDesc.idfVer, date: appDesc.date, time: appDesc.time },
      version: appDesc.version,
      ...(commit ? { commit } : {}),
      ...(out.size.ram || out.size.flash ? { size: out.size } : {}),
      diagnostics: warnings.slice(0, MAX_DIAGNOSTICS),
      durationS: seconds(durationMs),
    };
  },
});

/** Run one build step; a failed one becomes the contract's error. */
async function build(ctx: TaskCtx, input: Input, cmd: string, args: string[], dir: string, env: Record<string, string | undefined>, timeoutMs: number, pio: boolean) {
  const label = [cmd, ...args].join(' ');
  ctx.log(`compile: ${label} (in ${dir})`);
  const r = await ctx.exec(cmd, args, { cwd: dir, env, timeoutMs });
  throwIfInterrupted(r, label, input.timeoutS);
  // make exits 2 for any failed target: only pio's exit codes carry PlatformIO's meanings
  const out = parseRunOutput(pio || r.exitCode === 0 ? r.exitCode : 1, r.stdout, r.stderr);
  if (r.exitCode !== 0) throw failure(ctx, label, r, out);
  return { r, out };
}

function failure(ctx: TaskCtx, label: string, r: ExecResult, out: RunOutput): WorkerError {
  const details = { exitCode: r.exitCode };
  const pioError = out.errorLines.find((l) => l.startsWith('Error: '))?.slice('Error: '.length);
  // a compiler killed by the OOM killer shows up as make/SCons output, not as our child's signal
  if (/Killed signal terminated program|\bError 137\b/.test(`${r.stdout}\n${r.stderr}`)) {
    return retryable('KILLED_BY_SIGNAL', `${label}: a compiler process was killed (out of memory?)`, details);
  }
  switch (out.failure) {
    case 'COMPILE_ERROR': {
      // the compiler's own lines; make's and SCons' `*** [...] Error 1` only repeat that it failed
      const lines = out.errorLines.filter((l) => !l.startsWith('*** [') && !l.startsWith('Error: '));
      ctx.log(`compile errors (${lines.length}):\n${lines.join('\n')}`);
      const more = lines.length > ERRORS_IN_MESSAGE ? ` (and ${lines.length - ERRORS_IN_MESSAGE} more)` : '';
      const errors = out.diagnostics.filter((d) => d.severity === 'error').slice(0, MAX_DIAGNOSTICS);
      return terminal('COMPILE_ERROR', `${lines.slice(0, ERRORS_IN_MESSAGE).join('; ')}${more}`, { ...details, errors });
    }
    case 'SIZE_OVERFLOW': {
      const o = out.overflow.find((x) => x.kind === 'program')!;
      return terminal('SIZE_OVERFLOW', `the program is ${o.used} bytes, more than the ${o.max} bytes allowed`, { ...details, used: o.used, max: o.max });
    }
    case 'UNKNOWN_ENV':
    case 'NOT_A_PROJECT':
    case 'USAGE_ERROR':
      return terminal(out.failure, `${label}: ${pioError ?? lastLines(r)}`, details);
    case 'PACKAGE_DOWNLOAD_FAILED':
      return retryable('PACKAGE_DOWNLOAD_FAILED', `${label}: ${pioError ?? lastLines(r)}`, details);
    default:
      // a deterministic build fails the same way again; a retry would only repeat it
      return terminal('BUILD_FAILED', `${label} exited ${r.exitCode}: ${pioError ?? lastLines(r)}`, details);
  }
}

/** Without an explicit env, PlatformIO built its default_envs: the artifact is that env's. */
function builtEnv(out: RunOutput): string {
  const envs = out.summary.envs.filter((e) => e.status === 'SUCCESS').map((e) => e.env);
  if (envs.length !== 1) throw invalidInput('env', `PlatformIO built ${envs.length} environments (${envs.join(', ')}); name one, or give artifactPath`);
  return envs[0]!;
}

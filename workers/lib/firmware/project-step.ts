/**
 * What the compile and test workers share around running a project's build or test command:
 * choosing PlatformIO or a plain command, keeping input paths inside the project, the command's
 * environment, and turning a run that did not end by itself into the contract's codes
 * (reference/worker-domain.md §8.1, §8.2).
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { TaskCtx } from '../../runtime/define-worker';
import { invalidInput, retryable } from '../../runtime/errors';
import { commandEnv as scrubbedEnv, type ExecResult } from '../../runtime/exec';

export type Tool = 'platformio' | 'command';

export async function hasPlatformioIni(dir: string): Promise<boolean> {
  try {
    return (await stat(join(dir, 'platformio.ini'))).isFile();
  } catch {
    return false;
  }
}

/** The explicit choice, else PlatformIO when the project has a platformio.ini, else the command. */
export async function chooseTool(dir: string, explicit: Tool | undefined): Promise<Tool> {
  if (explicit) return explicit;
  return (await hasPlatformioIni(dir)) ? 'platformio' : 'command';
}

/** A path the input gives relative to the project. One that leads out of it is refused. */
export function inProject(dir: string, rel: string, field: string): string {
  const path = resolve(dir, rel);
  const r = relative(dir, path);
  if (r === '' || r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r)) {
    throw invalidInput(field, `${rel} is not a file inside the project directory`);
  }
  return path;
}

/**
 * The command's environment: the worker's own (PATH, HOME, toolchains), PlatformIO without ANSI
 * colours (the parsers strip them anyway, the task log should not carry them), then the task's.
 */
export function commandEnv(ctx: TaskCtx, extra: Record<string, string> | undefined): Record<string, string | undefined> {
  return scrubbedEnv(ctx.env, { PLATFORMIO_NO_ANSI: 'true', ...extra });
}

/** A run that did not end by itself: killed at its time limit, aborted, or killed by a signal. */
export function throwIfInterrupted(r: ExecResult, what: string, timeoutS: number): void {
  if (r.timedOut) throw retryable('TIMEOUT', `${what} did not finish within ${timeoutS} s and was killed`, { timeoutS });
  // the runtime turns this into TIMEOUT or WORKER_SHUTDOWN, whichever aborted the task
  if (r.aborted) throw retryable('ABORTED', `${what} was stopped because the task was aborted`);
  // nobody here sent it: most often the kernel's OOM killer, which may not strike again
  if (r.signal) throw retryable('KILLED_BY_SIGNAL', `${what} was killed by ${r.signal}`, { signal: r.signal });
}

/** The last non-empty output lines, for a message when nothing better explains a failure. */
export function lastLines(r: ExecResult, n = 3): string {
  const lines = `${r.stdout}\n${r.stderr}`.split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines.slice(-n).join(' | ');
}

/** Seconds with two decimals, as the contract's durationS fields. */
export const seconds = (ms: number) => Math.round(ms / 10) / 100;

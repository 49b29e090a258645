/**
 * Where a build or test step finds the sources: a local project directory as it is, or a git
 * repository checked out at a commit into the task's workspace (a fresh clone per task, so
 * parallel runs never share a work tree and the build is of exactly that commit).
 */
import { z } from 'zod';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskCtx } from '../runtime/define-worker';
import { retryable, terminal } from '../runtime/errors';
import { commandEnv } from '../runtime/exec';

export const SourceSchema = {
  /** A local directory (taken as it is). */
  projectDir: z.string().min(1).optional(),
  /** A git URL or path, cloned at commitSha (or branch) into the workspace. */
  repoUrl: z.string().min(1).optional(),
  commitSha: z.string().regex(/^[0-9a-fA-F]{4,40}$/, 'must be a hex commit id').optional(),
  branch: z.string().min(1).optional(),
  /** The project inside the repository. */
  subdir: z.string().optional(),
};

export interface SourceInput {
  projectDir?: string;
  repoUrl?: string;
  commitSha?: string;
  branch?: string;
  subdir?: string;
}

export async function prepareSource(input: SourceInput, ctx: TaskCtx, timeoutMs = 300_000): Promise<{ dir: string; commit?: string }> {
  if (input.projectDir) {
    if (input.repoUrl) throw terminal('INVALID_INPUT', 'projectDir and repoUrl: give one, not both', { field: 'projectDir' });
    const dir = join(input.projectDir, input.subdir ?? '');
    if (!(await isDir(dir))) throw terminal('INVALID_INPUT', `projectDir: ${dir} is not a directory`, { field: 'projectDir' });
    return { dir };
  }
  if (!input.repoUrl) throw terminal('INVALID_INPUT', 'projectDir or repoUrl: one is required', { field: 'repoUrl' });
  const checkout = join(await ctx.workspace(), 'src');
  const git = async (args: string[], cwd?: string) => {
    const r = await ctx.exec('git', args, { cwd, timeoutMs, env: commandEnv(ctx.env, { GIT_TERMINAL_PROMPT: '0' }) });
    if (r.exitCode !== 0) {
      const msg = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ');
      // an unknown repository or commit will not appear by retrying; a network fault may pass
      if (/not found|does not appear|did not match|unknown revision|not a tree|couldn't find remote ref/i.test(msg)) throw terminal('SOURCE_NOT_FOUND', `git ${args[0]}: ${msg}`);
      throw retryable('CHECKOUT_FAILED', `git ${args[0]}: ${msg}`);
    }
    return r.stdout.trim();
  };
  if (!(await isDir(join(checkout, '.git')))) {
    const branchArgs = input.branch && !input.commitSha ? ['--branch', input.branch] : [];
    await git(['clone', '--quiet', ...branchArgs, '--', input.repoUrl, checkout]);
  }
  if (input.commitSha) await git(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', input.commitSha], checkout);
  const commit = await git(['rev-parse', 'HEAD'], checkout);
  ctx.log(`source: ${input.repoUrl} at ${commit}`);
  const dir = join(checkout, input.subdir ?? '');
  if (!(await isDir(dir))) throw terminal('INVALID_INPUT', `subdir: ${input.subdir} is not in the repository`, { field: 'subdir' });
  return { dir, commit };
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * test: run a project's unit tests (`pio test`, or any command that writes a JUnit report) and
 * report what passed and failed (reference/worker-domain.md §8.2). The JUnit report is the source
 * of truth and is stored as an artifact; for PlatformIO the console output is the fallback when
 * no report was written.
 *
 * Failing tests are a terminal result (TESTS_FAILED): a flaky test must not pass by silent
 * retries. The summary, suites and failures then sit in error.details.
 *
 * Failures. Terminal: INVALID_INPUT, NOT_A_PROJECT, UNKNOWN_ENV, USAGE_ERROR, TESTS_FAILED,
 * NO_TESTS_COLLECTED, BUILD_FAILED (the tests did not build, or the command failed without a
 * report), REPORT_UNPARSABLE, TOOL_NOT_FOUND. Retryable: TIMEOUT, KILLED_BY_SIGNAL, SPAWN_FAILED.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineWorker, type TaskCtx } from './runtime/define-worker';
import { terminal } from './runtime/errors';
import type { ExecResult } from './runtime/exec';
import type { ArtifactRef } from './runtime/artifacts';
import { parseJUnit, type JUnitReport } from './lib/firmware/junit';
import { exitMeaning, extractErrorLines, parseTestOutput, stripAnsi, type TestOutput } from './lib/firmware/pio-output';
import { chooseTool, commandEnv, hasPlatformioIni, inProject, lastLines, seconds, throwIfInterrupted } from './lib/firmware/project-step';
import { prepareSource, SourceSchema } from './lib/source';

const Input = z.object({
  ...SourceSchema,
  /** `platformio` runs `pio test`; `command` runs `command`. @default platformio when the project has a platformio.ini, else command */
  runner: z.enum(['platformio', 'command']).optional(),
  /** PlatformIO environments (`-e`, repeatable). @default the project's default_envs */
  envs: z.array(z.string().min(1)).optional(),
  /** PlatformIO test-suite globs (`-f` / `-i`), relative to the test dir. */
  filter: z.array(z.string().min(1)).optional(),
  ignore: z.array(z.string().min(1)).optional(),
  /** For runner=command, run in the project dir without a shell. */
  command: z.array(z.string().min(1)).min(1).default(['make', 'test']),
  /** Where the command writes its JUnit report, relative to the project dir (runner=command). */
  junitPath: z.string().min(1).default('build/junit.xml'),
  pioPath: z.string().min(1).default('pio'),
  timeoutS: z.number().positive().default(600),
  /** Added to the command's environment. */
  extraEnv: z.record(z.string()).optional(),
});

export interface TestSummary {
  total: number;
  passed: number;
  failed: number;
  errored: number;
  skipped: number;
  durationS: number;
}
export interface SuiteResult {
  name: string;
  /** For PlatformIO suites (`<env>:<test>`). */
  env?: string;
  status: 'PASSED' | 'FAILED' | 'ERRORED' | 'SKIPPED';
  total: number;
  failed: number;
  durationS: number;
}
export interface TestFailure {
  suite: string;
  case: string;
  message: string;
  file?: string;
  line?: number;
}
interface Results {
  summary: TestSummary;
  suites: SuiteResult[];
  failures: TestFailure[];
}

/** Failing cases named in the TESTS_FAILED message; all are in the task log and the details. */
const NAMED_IN_MESSAGE = 5;

export default defineWorker({
  taskType: 'test',
  description: 'Run unit tests (pio test or a JUnit-writing command) and report passes and failures',
  input: Input,
  async run(input, ctx) {
    const { dir, commit } = await prepareSource(input, ctx);
    const runner = await chooseTool(dir, input.runner);
    let cmd: string;
    let args: string[];
    let reportPath: string;
    if (runner === 'platformio') {
      if (!(await hasPlatformioIni(dir))) throw terminal('NOT_A_PROJECT', `${dir} has no platformio.ini`);
      // outside the project, so a report from an earlier run in the same dir is never read
      reportPath = join(await ctx.workspace(), 'pio-test-junit.xml');
      const many = (flag: string, values: string[] | undefined) => (values ?? []).flatMap((v) => [flag, v]);
      cmd = input.pioPath;
      args = ['test', ...many('-e', input.envs), ...many('-f', input.filter), ...many('-i', input.ignore), '--junit-output-path', reportPath];
    } else {
      reportPath = inProject(dir, input.junitPath, 'junitPath');
      [cmd, ...args] = input.command as [string, ...string[]];
    }
    // a report left by an earlier run must not pass for this one
    await rm(reportPath, { force: true });

    const label = [cmd, ...args].join(' ');
    ctx.log(`test: ${label} (in ${dir})`);
    const r = await ctx.exec(cmd, args, { cwd: dir, env: commandEnv(ctx, input.extraEnv), timeoutMs: input.timeoutS * 1000 });
    throwIfInterrupted(r, label, input.timeoutS);
    const text = stripAnsi(`${r.stdout}\n${r.stderr}`);
    if (runner === 'platformio') checkPioInvocation(r, text, label);

    const reports: { junit?: ArtifactRef } = {};
    if (await isFile(reportPath)) reports.junit = await ctx.artifacts.putFile(reportPath, 'junit.xml');
    const junit = await readJUnit(reportPath);
    const printed = runner === 'platformio' ? parseTestOutput(text) : undefined;
    const results = junit.report ? fromJUnit(junit.report, runner) : printed ? fromConsole(printed) : undefined;
    const extra = { exitCode: r.exitCode, reports };

    // PlatformIO reports a suite that did not build as one ERRORED case with this message
    if (runner === 'platformio' && /Building stage has failed/.test(text)) throw buildFailed(ctx, label, r, text, { ...extra, ...results });
    if (!results) {
      if (r.exitCode !== 0) throw buildFailed(ctx, label, r, text, extra);
      throw terminal('REPORT_UNPARSABLE', `${label} succeeded but its report is unusable: ${junit.problem}`, extra);
    }
    const { summary, failures } = results;
    if (summary.total === 0) throw terminal('NO_TESTS_COLLECTED', `${label} ran no tests`, { ...extra, ...results });
    if (failures.length > 0 || summary.failed + summary.errored > 0 || r.exitCode !== 0) {
      for (const f of failures) ctx.log(`FAILED ${f.suite} ${f.case}${f.file ? ` (${f.file}${f.line ? `:${f.line}` : ''})` : ''}: ${f.message}`);
      throw terminal('TESTS_FAILED', failedMessage(results, label, r), { ...extra, ...results });
    }
    ctx.log(`tests: ${summary.passed} passed, ${summary.skipped} skipped of ${summary.total}`);
    return { runner, exitCode: r.exitCode, ...results, reports, ...(commit ? { commit } : {}), durationS: seconds(r.durationMs) };
  },
});

/** Errors of the `pio test` invocation itself, before any test ran. */
function checkPioInvocation(r: ExecResult, text: string, label: string): void {
  const pioError = /^Error: (.*)$/m.exec(text)?.[1] ?? lastLines(r);
  if (exitMeaning(r.exitCode) === 'USAGE_ERROR') throw terminal('USAGE_ERROR', `${label}: ${pioError}`, { exitCode: r.exitCode });
  if (/Unknown environment names '/.test(text)) throw terminal('UNKNOWN_ENV', `${label}: ${pioError}`, { exitCode: r.exitCode });
  if (/Not a PlatformIO project/.test(text)) throw terminal('NOT_A_PROJECT', `${label}: ${pioError}`, { exitCode: r.exitCode });
}

function buildFailed(ctx: TaskCtx, label: string, r: ExecResult, text: string, details: Record<string, unknown>) {
  const errors = extractErrorLines(text).filter((l) => !l.startsWith('*** ['));
  if (errors.length) ctx.log(`build errors (${errors.length}):\n${errors.join('\n')}`);
  const why = errors.length ? errors.slice(0, 3).join('; ') : lastLines(r);
  return terminal('BUILD_FAILED', `the tests did not build or run (${label} exited ${r.exitCode}): ${why}`, details);
}

function failedMessage({ summary, failures }: Results, label: string, r: ExecResult): string {
  if (failures.length === 0) return `${label} exited ${r.exitCode} although its report lists no failing test`;
  const named = failures.slice(0, NAMED_IN_MESSAGE).map((f) => `${f.case} [${f.suite}]: ${f.message}`);
  const more = failures.length > NAMED_IN_MESSAGE ? `; and ${failures.length - NAMED_IN_MESSAGE} more` : '';
  return `${summary.failed + summary.errored} of ${summary.total} tests failed: ${named.join('; ')}${more}`;
}

async function readJUnit(path: string): Promise<{ report?: JUnitReport; problem?: string }> {
  let xml: string;
  try {
    xml = await readFile(path, 'utf8');
  } catch {
    return { problem: `${path} was not written` };
  }
  try {
    return { report: parseJUnit(xml) };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}

function fromJUnit(rep: JUnitReport, runner: string): Results {
  return {
    summary: { total: rep.total, passed: rep.passed, failed: rep.failed, errored: rep.errored, skipped: rep.skipped, durationS: rep.durationSeconds },
    suites: rep.suites.map((s) => {
      // PlatformIO names suites `<env>:<test>`
      const pio = runner === 'platformio' ? /^([^:]+):(.+)$/.exec(s.name) : null;
      const status = s.errored ? 'ERRORED' : s.failed ? 'FAILED' : s.passed ? 'PASSED' : 'SKIPPED';
      return { name: pio ? pio[2]! : s.name, ...(pio ? { env: pio[1]! } : {}), status, total: s.total, failed: s.failed + s.errored, durationS: s.durationSeconds };
    }),
    failures: rep.failures.map((f) => ({ suite: f.suite, case: f.name, message: f.message, ...(f.file ? { file: f.file } : {}), ...(f.line !== undefined ? { line: f.line } : {}) })),
  };
}

/** PlatformIO's console, when it wrote no report: the case lines and the closing totals line. */
function fromConsole(out: TestOutput): Results | undefined {
  if (!out.totals && out.cases.length === 0 && out.collected === undefined) return undefined;
  const count = (s: string) => out.cases.filter((c) => c.status === s).length;
  const t = out.totals;
  const summary: TestSummary = t
    ? { total: t.total, passed: t.succeeded, failed: t.failed, errored: t.errored, skipped: t.skipped, durationS: t.durationSeconds }
    : { total: out.cases.length, passed: count('PASSED'), failed: count('FAILED'), errored: count('ERRORED'), skipped: count('SKIPPED'), durationS: 0 };
  return {
    summary,
    suites: out.suites.map((s) => {
      const inSuite = out.cases.filter((c) => c.suite === `${s.env}:${s.name}`);
      const failed = inSuite.filter((c) => c.status === 'FAILED' || c.status === 'ERRORED').length;
      const status = s.status === 'WARNED' ? 'PASSED' : s.status;
      return { name: s.name, env: s.env, status, total: inSuite.length, failed, durationS: s.durationSeconds ?? 0 };
    }),
    failures: out.cases
      .filter((c) => c.status === 'FAILED' || c.status === 'ERRORED')
      .map((c) => ({ suite: c.suite ?? '', case: c.name, message: c.message ?? '', ...(c.file ? { file: c.file } : {}), ...(c.line !== undefined ? { line: c.line } : {}) })),
  };
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

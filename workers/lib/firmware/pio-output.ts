/**
 * Parsers for PlatformIO console output (`pio run`, `pio run -t size`, `pio test`), used by the
 * compile and test workers. Pure: text in, data out. Per the CI recipe, the exit code decides
 * success first; these parsers explain a failure and fill the result (size, diagnostics, cases).
 *
 * Input may carry ANSI colours (a TTY, or PLATFORMIO_NO_ANSI unset); they are stripped first.
 */

/** `pio` exit codes: 1 = a build/test failed or a PlatformioException; 2 = click usage error. */
export const PioExit = { OK: 0, FAILURE: 1, USAGE: 2 } as const;
export type PioExitMeaning = 'OK' | 'FAILURE' | 'USAGE_ERROR' | 'UNKNOWN';

export function exitMeaning(code: number | null): PioExitMeaning {
  if (code === PioExit.OK) return 'OK';
  if (code === PioExit.FAILURE) return 'FAILURE';
  if (code === PioExit.USAGE) return 'USAGE_ERROR';
  return 'UNKNOWN';
}

export function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '').replace(/\r\n?/g, '\n');
}

// ---- size ------------------------------------------------------------------------------

export interface MemoryUsage {
  used: number;
  max: number;
  /** Percent as printed (one decimal). */
  pct: number;
}
export interface SizeReport {
  ram?: MemoryUsage;
  flash?: MemoryUsage;
}

const SIZE_LINE = /^(RAM|Flash):\s+\[[= ]*\]\s+(-?[\d.]+)% \(used (\d+) bytes from (\d+) bytes\)/;

/** The `RAM:`/`Flash:` lines `checkprogsize` prints on every build. Last occurrence wins. */
export function parseSizeReport(text: string): SizeReport {
  const report: SizeReport = {};
  for (const line of lines(text)) {
    const m = SIZE_LINE.exec(line.trim());
    if (!m) continue;
    const usage = { used: Number(m[3]), max: Number(m[4]), pct: Number(m[2]) };
    if (m[1] === 'RAM') report.ram = usage;
    else report.flash = usage;
  }
  return report;
}

export interface BerkeleySize {
  text: number;
  data: number;
  bss: number;
  dec: number;
  hex: string;
  filename: string;
}

/** The table `pio run -t size` prints (`size -B -d`): a header row, then one row of numbers. */
export function parseBerkeleySize(text: string): BerkeleySize | undefined {
  const rows = lines(text).map((l) => l.trim());
  const header = rows.findIndex((l) => /^text\s+data\s+bss\s+dec\s+hex\s+filename$/.test(l));
  if (header < 0) return undefined;
  const m = /^(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([0-9a-fA-F]+)\s+(.+)$/.exec(rows[header + 1] ?? '');
  if (!m) return undefined;
  return { text: Number(m[1]), data: Number(m[2]), bss: Number(m[3]), dec: Number(m[4]), hex: m[5]!, filename: m[6]! };
}

export interface SizeOverflow {
  kind: 'program' | 'data';
  used: number;
  max: number;
}

/** Program (flash) overflow fails the build; data (RAM) overflow is only a warning. */
export function parseSizeOverflow(text: string): SizeOverflow[] {
  const out: SizeOverflow[] = [];
  const re = /The (program|data) size \((\d+) bytes\) is greater than maximum allowed \((\d+) bytes\)/g;
  for (const m of stripAnsi(text).matchAll(re)) {
    out.push({ kind: m[1] as 'program' | 'data', used: Number(m[2]), max: Number(m[3]) });
  }
  return out;
}

// ---- build summary -------------------------------------------------------------------

export type EnvStatus = 'SUCCESS' | 'FAILED' | 'IGNORED';
export interface EnvResult {
  env: string;
  status: EnvStatus;
  durationSeconds?: number;
}
export interface RunSummary {
  envs: EnvResult[];
  succeeded?: number;
  failed?: number;
  durationSeconds?: number;
}

/**
 * Per-env results of `pio run`. Each env ends with a `[SUCCESS] Took N seconds` bar after its
 * `Processing <env> (...)` header; with several envs a table and a final
 * `F failed, N succeeded in HH:MM:SS.mmm` line follow. The table is preferred when present.
 */
export function parseRunSummary(text: string): RunSummary {
  const all = lines(text);
  const fromTable = new Map<string, EnvResult>();
  const fromBars = new Map<string, EnvResult>();
  let current: string | undefined;
  let inTable = false;
  const summary: RunSummary = { envs: [] };
  for (const raw of all) {
    const line = raw.trim();
    const processing = /^Processing (\S+) \(/.exec(line);
    if (processing) current = processing[1];
    const bar = /\[(SUCCESS|FAILED|IGNORED)\] Took ([\d.]+) seconds/.exec(line);
    if (bar && current) fromBars.set(current, { env: current, status: bar[1] as EnvStatus, durationSeconds: Number(bar[2]) });
    if (/^Environment\s+Status\s+Duration$/.test(line)) {
      inTable = true;
      continue;
    }
    if (inTable) {
      const row = /^(\S+)\s+(SUCCESS|FAILED|IGNORED)(?:\s+(\d+:\d+:[\d.]+))?$/.exec(line);
      if (row) fromTable.set(row[1]!, withDuration({ env: row[1]!, status: row[2] as EnvStatus }, row[3]));
      else if (!/^[- ]+$/.test(line)) inTable = false;
    }
    const final = /(?:(\d+) failed, )?(\d+) succeeded in (\d+:\d+:[\d.]+)/.exec(line);
    if (final && !/test cases:/.test(line)) {
      summary.failed = Number(final[1] ?? 0);
      summary.succeeded = Number(final[2]);
      summary.durationSeconds = hmsToSeconds(final[3]!);
    }
  }
  summary.envs = [...(fromTable.size > 0 ? fromTable : fromBars).values()];
  return summary;
}

// ---- compiler diagnostics -------------------------------------------------------------

export type Severity = 'error' | 'warning' | 'note';
export interface Diagnostic {
  file: string;
  line: number;
  col?: number;
  severity: Severity;
  message: string;
}

// gcc: `file:line:col: error: msg`; `fatal error:` counts as an error. Column is optional
// (some tools omit it). The file part must not start with `*` (SCons lines) or spaces.
const GCC_DIAG = /^([^\s*][^:]*|[A-Za-z]:\\[^:]*):(\d+):(?:(\d+):)?\s+(fatal error|error|warning|note):\s+(.*)$/;

export function parseDiagnostics(text: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const line of lines(text)) {
    const m = GCC_DIAG.exec(line);
    if (!m) continue;
    const d: Diagnostic = {
      file: m[1]!,
      line: Number(m[2]),
      severity: m[4] === 'note' ? 'note' : m[4] === 'warning' ? 'warning' : 'error',
      message: m[5]!.trim(),
    };
    if (m[3]) d.col = Number(m[3]);
    out.push(d);
  }
  return out;
}

/**
 * Lines worth surfacing in a task log when a build fails: gcc errors, linker errors,
 * SCons `*** [...] Error 1` and PlatformIO `Error: ...` messages, in order.
 */
export function extractErrorLines(text: string): string[] {
  return lines(text).filter((l) =>
    /^(?:[^\s*].*?:\d+(?::\d+)?:\s+(?:fatal error|error):|\*\*\* \[|Error: |.*undefined reference to |collect2: error:)/.test(l),
  );
}

// ---- whole `pio run` ---------------------------------------------------------------------

/** Failure codes of the compile contract that the output itself can tell apart. */
export type RunFailureCode =
  | 'UNKNOWN_ENV'
  | 'NOT_A_PROJECT'
  | 'COMPILE_ERROR'
  | 'SIZE_OVERFLOW'
  | 'PACKAGE_DOWNLOAD_FAILED'
  | 'USAGE_ERROR'
  | 'BUILD_FAILED';

export interface RunOutput {
  exit: PioExitMeaning;
  summary: RunSummary;
  size: SizeReport;
  berkeley?: BerkeleySize;
  overflow: SizeOverflow[];
  diagnostics: Diagnostic[];
  errorLines: string[];
  /** Set when exit is not OK. */
  failure?: RunFailureCode;
}

export function parseRunOutput(exitCode: number | null, stdout: string, stderr = ''): RunOutput {
  const text = `${stdout}\n${stderr}`;
  const result: RunOutput = {
    exit: exitMeaning(exitCode),
    summary: parseRunSummary(text),
    size: parseSizeReport(text),
    overflow: parseSizeOverflow(text),
    diagnostics: parseDiagnostics(text),
    errorLines: extractErrorLines(text),
  };
  const berkeley = parseBerkeleySize(text);
  if (berkeley) result.berkeley = berkeley;
  if (result.exit !== 'OK') result.failure = classifyRunFailure(result, text);
  return result;
}

function classifyRunFailure(r: RunOutput, text: string): RunFailureCode {
  if (r.exit === 'USAGE_ERROR') return 'USAGE_ERROR';
  if (/Unknown environment names '/.test(text)) return 'UNKNOWN_ENV';
  if (/Not a PlatformIO project/.test(text)) return 'NOT_A_PROJECT';
  if (r.overflow.some((o) => o.kind === 'program')) return 'SIZE_OVERFLOW';
  if (r.diagnostics.some((d) => d.severity === 'error') || /undefined reference to |collect2: error:/.test(text)) {
    return 'COMPILE_ERROR';
  }
  // PlatformIO's wording when it cannot reach its registry [bg: not re-checked upstream].
  if (/not connected to the Internet|Could not (?:install|download) package|HTTPClientError/i.test(text)) {
    return 'PACKAGE_DOWNLOAD_FAILED';
  }
  return 'BUILD_FAILED';
}

// ---- `pio test` console ----------------------------------------------------------------

export type TestStatus = 'PASSED' | 'FAILED' | 'SKIPPED' | 'WARNED' | 'ERRORED';
export interface ConsoleTestCase {
  /** `<env>:<test>` of the enclosing `Processing <test> in <env> environment` block. */
  suite?: string;
  name: string;
  status: TestStatus;
  file?: string;
  line?: number;
  message?: string;
}
export interface ConsoleSuite {
  env: string;
  name: string;
  status: TestStatus;
  durationSeconds?: number;
}
export interface TestTotals {
  total: number;
  failed: number;
  errored: number;
  skipped: number;
  succeeded: number;
  durationSeconds: number;
}
export interface TestOutput {
  collected?: number;
  cases: ConsoleTestCase[];
  suites: ConsoleSuite[];
  totals?: TestTotals;
}

const STATUS = '(PASSED|FAILED|SKIPPED|WARNED|ERRORED)';
const CASE_LINE = new RegExp(`^(?:(.+?):(\\d+): )?([^\\s:]+)(?:: (.*?))?\\s+\\[${STATUS}\\]$`);
// What PlatformIO's Unity runner prints (platformio/test/runners/unity.py): Unity's own
// `file:line:name:PASS` with `:PASS` cut off, `file:line:name:FAIL: msg` kept whole, each followed
// by a tab and the status; `:IGNORE` (kept or cut, with its reason) becomes [IGNORED]. Names may contain `::` (C++ namespaces).
const UNITY_CASE_LINE = /^([^:\s][^:]*):(\d+):(\S+?)(?::(?:FAIL|IGNORE)(?::\s*(.*?))?)?\s+\[(PASSED|FAILED|IGNORED)\]$/;

export function parseTestOutput(text: string): TestOutput {
  const out: TestOutput = { cases: [], suites: [] };
  const suites = new Map<string, ConsoleSuite>();
  let suite: string | undefined;
  let inTable = false;
  for (const raw of lines(text)) {
    const line = raw.trim();
    const collected = /^Collected (\d+) tests?\b/.exec(line);
    if (collected) out.collected = Number(collected[1]);
    const processing = /^Processing (\S+) in (\S+) environment$/.exec(line);
    if (processing) {
      suite = `${processing[2]}:${processing[1]}`;
      continue;
    }
    const footer = new RegExp(`\\s(\\S+?):(\\S+) \\[${STATUS}\\] Took ([\\d.]+) seconds`).exec(` ${line}`);
    if (footer) {
      const key = `${footer[1]}:${footer[2]}`;
      suites.set(key, { env: footer[1]!, name: footer[2]!, status: footer[3] as TestStatus, durationSeconds: Number(footer[4]) });
      suite = undefined;
      continue;
    }
    if (/^Environment\s+Test\s+Status\s+Duration$/.test(line)) {
      inTable = true;
      continue;
    }
    if (inTable) {
      const row = new RegExp(`^(\\S+)\\s+(\\S+)\\s+${STATUS}(?:\\s+(\\d+:\\d+:[\\d.]+))?$`).exec(line);
      if (row) {
        const s: ConsoleSuite = { env: row[1]!, name: row[2]!, status: row[3] as TestStatus };
        if (row[4]) s.durationSeconds = hmsToSeconds(row[4]);
        suites.set(`${s.env}:${s.name}`, s);
        continue;
      }
      if (!/^[- ]+$/.test(line)) inTable = false;
    }
    const totals = /(\d+) test cases?: (.*?)(\d+) succeeded in (\d+:\d+:[\d.]+)/.exec(line);
    if (totals) {
      const part = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(totals[2]!)?.[1] ?? 0);
      out.totals = {
        total: Number(totals[1]),
        failed: part('failed'),
        errored: part('errored'),
        skipped: part('skipped'),
        succeeded: Number(totals[3]),
        durationSeconds: hmsToSeconds(totals[4]!),
      };
      continue;
    }
    // Case lines only count inside a Processing block: the summary repeats failures in
    // Unity's raw `file:line:name:FAIL: msg` form, which this regex does not match anyway.
    const c = suite ? CASE_LINE.exec(line) : null;
    if (c) {
      const tc: ConsoleTestCase = { suite, name: c[3]!, status: c[5] as TestStatus };
      if (c[1]) tc.file = c[1];
      if (c[2]) tc.line = Number(c[2]);
      if (c[4]) tc.message = c[4];
      out.cases.push(tc);
      continue;
    }
    const u = suite ? UNITY_CASE_LINE.exec(line) : null;
    if (u) {
      const tc: ConsoleTestCase = { suite, name: u[3]!, status: u[5] === 'IGNORED' ? 'SKIPPED' : (u[5] as TestStatus), file: u[1]!, line: Number(u[2]) };
      if (u[4]) tc.message = u[4];
      out.cases.push(tc);
    }
  }
  out.suites = [...suites.values()];
  return out;
}

// ---- helpers -----------------------------------------------------------------------------

/** `HH:MM:SS.mmm` (PlatformIO's summary durations) → seconds. */
export function hmsToSeconds(hms: string): number {
  const [h, m, s] = hms.split(':').map(Number);
  return Math.round(((h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0)) * 1000) / 1000;
}

function withDuration(r: EnvResult, hms: string | undefined): EnvResult {
  if (hms) r.durationSeconds = hmsToSeconds(hms);
  return r;
}

function lines(text: string): string[] {
  return stripAnsi(text).split('\n');
}

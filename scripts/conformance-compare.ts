/**
 * Side-by-side view of two runs of the conformance suite (test/conformance), one against Baton and
 * one against real Conductor OSS, from jest's JSON reports (`jest --json --outputFile=…`).
 *
 *   node dist/scripts/conformance-compare.js BATON.json CONDUCTOR.json
 *
 * Prints one row per scenario (file › name) with pass / FAIL / skip / - (absent) for each server,
 * then the scenarios whose outcomes differ and a closing line. Exit code 1 when any scenario
 * failed on either server or a report could not be read, else 0.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

type Outcome = 'pass' | 'FAIL' | 'skip' | '-';

interface JestAssertion {
  ancestorTitles: string[];
  title: string;
  status: string; // passed | failed | pending | skipped | todo | disabled | focused
  duration?: number | null;
}

interface JestFileResult {
  name: string;
  status: string;
  message?: string;
  startTime?: number;
  endTime?: number;
  assertionResults: JestAssertion[];
}

interface JestReport {
  startTime: number;
  numTotalTests: number;
  testResults: JestFileResult[];
}

export interface Run {
  label: string;
  outcomes: Map<string, Outcome>;
  /** Wall time of the run in ms (first file start to last file end), when the report has it. */
  wallMs?: number;
}

function outcomeOf(status: string): Outcome {
  if (status === 'passed') return 'pass';
  if (status === 'failed') return 'FAIL';
  return 'skip';
}

/** Reads one jest JSON report into scenario key → outcome. */
export function readRun(label: string, file: string): Run {
  const report = JSON.parse(readFileSync(file, 'utf8')) as JestReport;
  const outcomes = new Map<string, Outcome>();
  let end = 0;
  for (const f of report.testResults) {
    const fileName = basename(f.name).replace(/\.test\.ts$/, '');
    end = Math.max(end, f.endTime ?? 0);
    if (!f.assertionResults.length && f.status === 'failed') {
      outcomes.set(`${fileName} › (file failed to run)`, 'FAIL');
      continue;
    }
    for (const a of f.assertionResults) {
      outcomes.set([fileName, ...a.ancestorTitles.slice(1), a.title].join(' › '), outcomeOf(a.status));
    }
  }
  return { label, outcomes, wallMs: end && report.startTime ? end - report.startTime : undefined };
}

/** The table, the differing rows and the summary, as lines of text. */
export function compare(a: Run, b: Run, width = 100): { lines: string[]; failures: number } {
  const keys = [...new Set([...a.outcomes.keys(), ...b.outcomes.keys()])].sort();
  const col = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));
  const w = Math.min(width, Math.max(8, ...keys.map((k) => k.length)));
  const ca = Math.max(a.label.length, 4);
  const cb = Math.max(b.label.length, 4);
  const lines = [`${col('scenario', w)}  ${col(a.label, ca)}  ${col(b.label, cb)}`, `${'-'.repeat(w)}  ${'-'.repeat(ca)}  ${'-'.repeat(cb)}`];
  const differing: string[] = [];
  let failures = 0;
  for (const k of keys) {
    const oa = a.outcomes.get(k) ?? '-';
    const ob = b.outcomes.get(k) ?? '-';
    if (oa === 'FAIL' || ob === 'FAIL') failures++;
    if (oa !== ob) differing.push(`  ${k}: ${a.label} ${oa}, ${b.label} ${ob}`);
    lines.push(`${col(k, w)}  ${col(oa, ca)}  ${col(ob, cb)}`);
  }
  const count = (r: Run, o: Outcome) => [...r.outcomes.values()].filter((v) => v === o).length;
  const secs = (r: Run) => (r.wallMs === undefined ? '' : `, ${(r.wallMs / 1000).toFixed(1)} s`);
  lines.push('');
  for (const r of [a, b]) {
    lines.push(`${r.label}: ${count(r, 'pass')} passed, ${count(r, 'FAIL')} failed, ${count(r, 'skip')} skipped${secs(r)}`);
  }
  lines.push(differing.length ? `${differing.length} scenario${differing.length === 1 ? ' differs' : 's differ'}:` : 'no scenario differs');
  lines.push(...differing);
  return { lines, failures };
}

function main(argv: string[]): number {
  if (argv.length !== 2) {
    console.error('usage: conformance-compare BATON.json CONDUCTOR.json');
    return 2;
  }
  let runs: [Run, Run];
  try {
    runs = [readRun('baton', argv[0]), readRun('conductor', argv[1])];
  } catch (e) {
    console.error(`conformance-compare: ${(e as Error).message}`);
    return 1;
  }
  const { lines, failures } = compare(...runs);
  console.log(lines.join('\n'));
  return failures ? 1 : 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

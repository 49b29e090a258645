/**
 * JUnit XML → test summary, for the `test` worker.
 *
 * Accepts the dialect PlatformIO's `pio test --junit-output-path` writes (testcase carries
 * `status`, `file` and `line`; suite names are `<env>:<test>`) and the generic one written by
 * jest-junit, pytest and ctest. Counts come from the testcase elements whenever a suite has
 * any: runners disagree on what `tests`/`errors` include, the cases do not. Suite attributes
 * are only used for a suite that lists no cases.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export const CaseStatus = {
  PASSED: 'PASSED',
  FAILED: 'FAILED',
  ERRORED: 'ERRORED',
  SKIPPED: 'SKIPPED',
} as const;
export type CaseStatus = (typeof CaseStatus)[keyof typeof CaseStatus];

export interface Counts {
  total: number;
  passed: number;
  failed: number;
  errored: number;
  skipped: number;
  durationSeconds: number;
}

export interface JUnitCase {
  name: string;
  classname?: string;
  status: CaseStatus;
  durationSeconds: number;
  /** Failure/error/skip message: the `message` attribute, else the first line of the body. */
  message?: string;
  /** Body text of <failure>/<error> (stack, captured stdout). */
  details?: string;
  file?: string;
  line?: number;
}

export interface JUnitSuite extends Counts {
  name: string;
  timestamp?: string;
  cases: JUnitCase[];
}

export interface JUnitFailure {
  suite: string;
  name: string;
  kind: 'failure' | 'error';
  message: string;
  details: string;
  file?: string;
  line?: number;
}

export interface JUnitReport extends Counts {
  suites: JUnitSuite[];
  failures: JUnitFailure[];
}

/** Thrown for anything that is not a readable JUnit report. `code` is stable; tests assert it. */
export class JUnitParseError extends Error {
  readonly code = 'REPORT_UNPARSABLE';
  readonly retryable = false;
  constructor(
    message: string,
    readonly reason: 'MALFORMED_XML' | 'NOT_JUNIT',
    readonly line?: number,
    readonly col?: number,
  ) {
    super(message);
    this.name = 'JUnitParseError';
  }
}

type Node = Record<string, unknown>;
const LISTS = new Set(['testsuite', 'testcase', 'failure', 'error', 'skipped']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  textNodeName: '#text',
  // Keep every value a string: names like "007" or "1e3" must not become numbers.
  parseTagValue: false,
  parseAttributeValue: false,
  htmlEntities: true,
  isArray: (name) => LISTS.has(name),
});

export function parseJUnit(xml: string): JUnitReport {
  const text = xml.replace(/^\uFEFF/, '');
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new JUnitParseError(`Malformed JUnit XML at line ${line}${col ? `:${col}` : ''}: ${msg}`, 'MALFORMED_XML', line, col);
  }
  const doc = parser.parse(text) as Node;
  let roots: Node[];
  let rootTime: number | undefined;
  if (doc.testsuites !== undefined) {
    const root = isNode(doc.testsuites) ? doc.testsuites : {};
    roots = asNodes(root.testsuite);
    rootTime = num(root.time);
  } else if (doc.testsuite !== undefined) {
    roots = asNodes(doc.testsuite);
  } else {
    throw new JUnitParseError('Not a JUnit report: root element is neither <testsuites> nor <testsuite>', 'NOT_JUNIT');
  }

  const suites = roots.flatMap((node) => readSuites(node, ''));
  const failures = suites.flatMap((s) => collectFailures(s));
  const totals = sumCounts(suites);
  return { ...totals, durationSeconds: rootTime ?? totals.durationSeconds, suites, failures };
}

/** A suite may nest suites (some runners group by file, then by describe block); flatten them. */
function readSuites(node: Node, parentName: string): JUnitSuite[] {
  const own = str(node.name) ?? '';
  const name = parentName && own ? `${parentName} > ${own}` : own || parentName;
  const children = asNodes(node.testsuite).flatMap((child) => readSuites(child, name));
  const caseNodes = asNodes(node.testcase);
  if (caseNodes.length === 0 && children.length > 0) return children;

  const cases = caseNodes.map(readCase);
  const fromCases = countCases(cases);
  const counts: Counts = cases.length > 0 ? fromCases : countsFromAttributes(node);
  const time = num(node.time);
  const suite: JUnitSuite = { name, ...counts, durationSeconds: time ?? fromCases.durationSeconds, cases };
  const timestamp = str(node.timestamp);
  if (timestamp) suite.timestamp = timestamp;
  return [suite, ...children];
}

function readCase(node: Node): JUnitCase {
  const failure = asNodes(node.failure);
  const error = asNodes(node.error);
  const skipped = asNodes(node.skipped);
  const declared = str(node.status)?.toUpperCase();
  let status: CaseStatus = CaseStatus.PASSED;
  let outcome: Node | undefined;
  if (error.length > 0) [status, outcome] = [CaseStatus.ERRORED, error[0]];
  else if (failure.length > 0) [status, outcome] = [CaseStatus.FAILED, failure[0]];
  else if (skipped.length > 0) [status, outcome] = [CaseStatus.SKIPPED, skipped[0]];
  // PlatformIO's status attribute; ctest's "notrun"/"disabled" without a <skipped> child.
  else if (declared === 'FAILED' || declared === 'FAIL') status = CaseStatus.FAILED;
  else if (declared === 'ERRORED') status = CaseStatus.ERRORED;
  else if (declared === 'SKIPPED' || declared === 'NOTRUN' || declared === 'DISABLED') status = CaseStatus.SKIPPED;

  const result: JUnitCase = { name: str(node.name) ?? '', status, durationSeconds: num(node.time) ?? 0 };
  const classname = str(node.classname);
  if (classname) result.classname = classname;
  const file = str(node.file);
  if (file) result.file = file;
  const line = num(node.line);
  if (line !== undefined) result.line = line;
  if (outcome) {
    const details = ([failure, error].flat() as Node[]).map((n) => str(n['#text']) ?? '').filter(Boolean).join('\n');
    const body = details || (str(outcome['#text']) ?? '');
    const message = str(outcome.message) || firstLine(body);
    if (message) result.message = message;
    if (body) result.details = body;
  }
  return result;
}

function collectFailures(suite: JUnitSuite): JUnitFailure[] {
  return suite.cases
    .filter((c) => c.status === CaseStatus.FAILED || c.status === CaseStatus.ERRORED)
    .map((c) => {
      const f: JUnitFailure = {
        suite: suite.name,
        name: c.name,
        kind: c.status === CaseStatus.ERRORED ? 'error' : 'failure',
        message: c.message ?? '',
        details: c.details ?? '',
      };
      if (c.file) f.file = c.file;
      if (c.line !== undefined) f.line = c.line;
      return f;
    });
}

function countCases(cases: JUnitCase[]): Counts {
  const n = (s: CaseStatus) => cases.filter((c) => c.status === s).length;
  return {
    total: cases.length,
    passed: n(CaseStatus.PASSED),
    failed: n(CaseStatus.FAILED),
    errored: n(CaseStatus.ERRORED),
    skipped: n(CaseStatus.SKIPPED),
    durationSeconds: round(cases.reduce((t, c) => t + c.durationSeconds, 0)),
  };
}

function countsFromAttributes(node: Node): Counts {
  const total = num(node.tests) ?? 0;
  const failed = num(node.failures) ?? 0;
  const errored = num(node.errors) ?? 0;
  // ctest writes `disabled` besides `skipped`.
  const skipped = (num(node.skipped) ?? 0) + (num(node.disabled) ?? 0);
  const passed = Math.max(0, total - failed - errored - skipped);
  return { total, passed, failed, errored, skipped, durationSeconds: num(node.time) ?? 0 };
}

function sumCounts(suites: JUnitSuite[]): Counts {
  const add = (k: keyof Counts) => suites.reduce((t, s) => t + s[k], 0);
  return {
    total: add('total'),
    passed: add('passed'),
    failed: add('failed'),
    errored: add('errored'),
    skipped: add('skipped'),
    durationSeconds: round(add('durationSeconds')),
  };
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Elements come back as strings when they have neither attributes nor children. */
function asNodes(v: unknown): Node[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => (isNode(x) ? x : { '#text': typeof x === 'string' ? x : '' }));
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  // Some runners write "1,234.5" for long runs.
  const n = Number(v.replace(/,/g, ''));
  return Number.isFinite(n) ? n : undefined;
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0]?.trim() ?? '';
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/**
 * The test worker (reference/worker-domain.md §8.2) through executeTask: the sample C project's
 * `make test` (generic JUnit), and `pio test` through the fake `pio` (PlatformIO's JUnit dialect,
 * and its console output when no report is written).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import testWorker from '../../workers/test';
import { breakSource, copyFirmwareProject, createHarness, FAKE_PIO, pioProject, processGone, type Harness } from './harness';

let h: Harness;
beforeAll(() => (h = createHarness()));
afterAll(() => h.cleanup());

describe('the sample C project with make test', () => {
  test('all pass: COMPLETED, summary 3 passed, the JUnit report in the artifact store', async () => {
    const project = copyFirmwareProject(h.dir('fw-ok'));
    const r = await h.run(testWorker, { projectDir: project });
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toMatchObject({
      ok: true,
      runner: 'command',
      exitCode: 0,
      summary: { total: 3, passed: 3, failed: 0, errored: 0, skipped: 0 },
      suites: [{ name: 'app', status: 'PASSED', total: 3, failed: 0 }],
      failures: [],
    });
    const junit = readFileSync(join(project, 'build/junit.xml'));
    expect(r.output.reports.junit).toMatchObject({ sha256: createHash('sha256').update(junit).digest('hex'), name: 'junit.xml' });
    expect(await h.artifacts.read(r.output.reports.junit)).toEqual(junit);
  });

  test('FAIL=1: FAILED_WITH_TERMINAL_ERROR TESTS_FAILED naming the failing case, logged', async () => {
    const r = await h.run(testWorker, { projectDir: copyFirmwareProject(h.dir('fw-fail')), command: ['make', 'test', 'FAIL=1'] });
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'TESTS_FAILED' });
    expect(r.reasonForIncompletion).toMatch(/^TESTS_FAILED: 1 of 3 tests failed: test_led_blinks_half_period \[app\]: test\/test_app\.c:\d+: CHECK/);
    expect(r.output.error.details).toMatchObject({
      summary: { total: 3, passed: 2, failed: 1 },
      failures: [{ suite: 'app', case: 'test_led_blinks_half_period' }],
      reports: { junit: { name: 'junit.xml' } },
    });
    expect(h.logLines.some((l) => l.startsWith('FAILED app test_led_blinks_half_period: '))).toBe(true);
  });

  test('tests that do not compile: BUILD_FAILED with the compiler error', async () => {
    const project = copyFirmwareProject(h.dir('fw-broken'));
    breakSource(project);
    const r = await h.run(testWorker, { projectDir: project });
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'BUILD_FAILED' });
    expect(r.output.error.message).toMatch(/src\/app\.c:\d+:\d+: error: /);
  });

  test('no report, or one that is not XML: REPORT_UNPARSABLE; a report from an earlier run is not read', async () => {
    const dir = h.dir('no-report');
    mkdirSync(join(dir, 'build'));
    const passing = '<testsuites><testsuite name="old"><testcase name="t"/></testsuite></testsuites>';
    writeFileSync(join(dir, 'build/junit.xml'), passing);
    expect(await h.run(testWorker, { projectDir: dir, command: ['true'] })).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'REPORT_UNPARSABLE' });
    const garbage = await h.run(testWorker, { projectDir: dir, command: ['sh', '-c', 'echo "<testsuites><testsuite" > build/junit.xml'] });
    expect(garbage).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'REPORT_UNPARSABLE' });
  });
});

describe('PlatformIO (fake pio)', () => {
  let n = 0;
  const pio = (mode: string, input: Record<string, unknown> = {}, extraEnv: Record<string, string> = {}) =>
    h.run(testWorker, {
      projectDir: pioProject(h.dir(`pio-${++n}`)),
      pioPath: FAKE_PIO,
      envs: ['native'],
      extraEnv: { FAKE_PIO_MODE: mode, ...extraEnv },
      ...input,
    });

  test('tests_ok: COMPLETED from the JUnit report; envs, filter and ignore passed to pio test', async () => {
    const calls = join(h.root, 'pio-test-calls.txt');
    const r = await pio('tests_ok', { filter: ['test_*'], ignore: ['test_slow'] }, { FAKE_PIO_CALLS: calls });
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toMatchObject({
      runner: 'platformio',
      summary: { total: 3, passed: 3, failed: 0, errored: 0, skipped: 0, durationS: 0.41 },
      suites: [{ env: 'native', name: 'test_app', status: 'PASSED', total: 3 }],
      failures: [],
      reports: { junit: { name: 'junit.xml' } },
    });
    expect(readFileSync(calls, 'utf8')).toMatch(/^test -e native -f test_\* -i test_slow --junit-output-path \S+pio-test-junit\.xml$/m);
  });

  test('tests_fail: TESTS_FAILED naming the case, with its file and line from the report', async () => {
    const r = await pio('tests_fail');
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'TESTS_FAILED' });
    expect(r.reasonForIncompletion).toBe('TESTS_FAILED: 1 of 3 tests failed: test_led_blinks_half_period [native:test_app]: Expected 0 Was 1');
    expect(r.output.error.details.failures).toEqual([
      { suite: 'native:test_app', case: 'test_led_blinks_half_period', message: 'Expected 0 Was 1', file: 'test/test_app/test_main.c', line: 24 },
    ]);
  });

  test('without a JUnit report the console is read: tests_ok COMPLETED, tests_fail TESTS_FAILED', async () => {
    const ok = await pio('tests_ok', {}, { FAKE_PIO_NO_JUNIT: '1' });
    expect(ok.status).toBe('COMPLETED');
    expect(ok.output).toMatchObject({ summary: { total: 3, passed: 3 }, suites: [{ env: 'native', name: 'test_app', status: 'PASSED' }], reports: {} });
    const fail = await pio('tests_fail', {}, { FAKE_PIO_NO_JUNIT: '1' });
    expect(fail).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'TESTS_FAILED' });
    expect(fail.output.error.details.failures).toEqual([
      { suite: 'native:test_app', case: 'test_led_blinks_half_period', message: 'Expected 0 Was 1', file: 'test/test_app/test_main.c', line: 24 },
    ]);
  });

  test.each([
    ['tests_build_error', 'BUILD_FAILED', /fatal error: app\.h: No such file or directory/],
    ['no_tests', 'NO_TESTS_COLLECTED', /ran no tests/],
    ['unknown_env', 'UNKNOWN_ENV', /Unknown environment names 'native'/],
    ['usage_error', 'USAGE_ERROR', /No such option/],
  ])('%s: FAILED_WITH_TERMINAL_ERROR %s', async (mode, code, message) => {
    const r = await pio(mode);
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code });
    expect(r.output.error.message).toMatch(message);
  });

  test('hang with timeoutS 1: FAILED TIMEOUT (retryable), and the process group is gone', async () => {
    const pidfile = join(h.root, 'hang.pid');
    const r = await pio('hang', { timeoutS: 1 }, { FAKE_PIO_PIDFILE: pidfile });
    expect(r).toMatchObject({ status: 'FAILED', code: 'TIMEOUT' });
    expect(processGone(Number(readFileSync(pidfile, 'utf8')))).toBe(true);
  });
});

describe('invalid input: INVALID_INPUT naming the field', () => {
  test.each([
    [{}, 'repoUrl'],
    [{ projectDir: '/tmp', envs: 'native' }, 'envs'],
    [{ projectDir: '/tmp', junitPath: '' }, 'junitPath'],
    [{ projectDir: '/tmp', runner: 'ctest' }, 'runner'],
    [{ projectDir: '/tmp', command: [] }, 'command'],
  ])('%j → %s', async (input, field) => {
    const r = await h.run(testWorker, input);
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'INVALID_INPUT' });
    expect(r.output.error.details.field).toBe(field);
  });

  test('a junitPath outside the project', async () => {
    const r = await h.run(testWorker, { projectDir: h.dir('escape'), junitPath: '../../etc/passwd' });
    expect(r).toMatchObject({ code: 'INVALID_INPUT', output: { error: { details: { field: 'junitPath' } } } });
  });
});

/** PlatformIO console output and JUnit reports, in the formats PlatformIO and test runners write (reference/worker-domain.md §1). */
import { parseRunOutput, parseSizeReport, parseTestOutput, exitMeaning, extractErrorLines } from '../../../workers/lib/firmware/pio-output';
import { parseJUnit, JUnitParseError } from '../../../workers/lib/firmware/junit';

const SUCCESS = `Processing esp32dev (platform: espressif32; board: esp32dev; framework: arduino)
--------------------------------------------------------------------------------
Checking size .pio/build/esp32dev/firmware.elf
Advanced Memory Usage is available via "PlatformIO Home > Project Inspect"
RAM:   [=         ]  10.5% (used 34412 bytes from 327680 bytes)
Flash: [==        ]  20.6% (used 270377 bytes from 1310720 bytes)
Building .pio/build/esp32dev/firmware.bin
========================= [SUCCESS] Took 12.34 seconds =========================
`;

test('size lines give used, max and percent; a successful run has no failure', () => {
  expect(parseSizeReport(SUCCESS)).toEqual({ ram: { used: 34412, max: 327680, pct: 10.5 }, flash: { used: 270377, max: 1310720, pct: 20.6 } });
  const r = parseRunOutput(0, SUCCESS);
  expect(r.exit).toBe('OK');
  expect(r.failure).toBeUndefined();
});

test('exit codes: 0 ok, 1 failure, 2 usage error', () => {
  expect([exitMeaning(0), exitMeaning(1), exitMeaning(2), exitMeaning(null)]).toEqual(['OK', 'FAILURE', 'USAGE_ERROR', 'UNKNOWN']);
});

test('a compile error is told apart, with its gcc and SCons lines', () => {
  const out = `Compiling .pio/build/esp32dev/src/main.cpp.o
src/main.cpp:12:3: error: 'ledc' was not declared in this scope
src/main.cpp:20:1: warning: unused variable 'x' [-Wunused-variable]
*** [.pio/build/esp32dev/src/main.cpp.o] Error 1
========================== [FAILED] Took 3.21 seconds ==========================`;
  const r = parseRunOutput(1, out);
  expect(r.failure).toBe('COMPILE_ERROR');
  expect(r.diagnostics).toEqual([
    { file: 'src/main.cpp', line: 12, col: 3, severity: 'error', message: "'ledc' was not declared in this scope" },
    { file: 'src/main.cpp', line: 20, col: 1, severity: 'warning', message: "unused variable 'x' [-Wunused-variable]" },
  ]);
  expect(extractErrorLines(out)).toEqual(["src/main.cpp:12:3: error: 'ledc' was not declared in this scope", '*** [.pio/build/esp32dev/src/main.cpp.o] Error 1']);
});

test('unknown environment, program size overflow and usage errors get their codes', () => {
  expect(parseRunOutput(1, '', "Error: Unknown environment names 'esp32'. Valid names are 'esp32dev, native'").failure).toBe('UNKNOWN_ENV');
  expect(parseRunOutput(1, 'Error: The program size (1400000 bytes) is greater than maximum allowed (1310720 bytes)').failure).toBe('SIZE_OVERFLOW');
  // RAM over the limit only warns: not a failure by itself
  expect(parseRunOutput(0, 'Warning! The data size (400000 bytes) is greater than maximum allowed (327680 bytes)').failure).toBeUndefined();
  expect(parseRunOutput(2, "Error: No such option: --bogus").failure).toBe('USAGE_ERROR');
});

test('pio test console: Unity cases and the summary line', () => {
  const out = `Processing test_ota in native environment
--------------------------------------------------------------------------------
Building...
Testing...
test/test_ota/test_main.cpp:40:test_md5_ok\t[PASSED]
test/test_ota/test_main.cpp:57:test_md5_mismatch:FAIL: Expected 1 Was 0\t[FAILED]
test/test_ota/test_main.cpp:70:test_later:IGNORE\t[IGNORED]
---------------- native:test_ota [FAILED] Took 0.41 seconds ----------------
3 test cases: 1 failed, 1 skipped, 1 succeeded in 00:00:00.410`;
  const r = parseTestOutput(out);
  expect(r.cases.map((c) => [c.name, c.status])).toEqual([
    ['test_md5_ok', 'PASSED'],
    ['test_md5_mismatch', 'FAILED'],
    ['test_later', 'SKIPPED'],
  ]);
  expect(r.cases[1]).toMatchObject({ file: 'test/test_ota/test_main.cpp', line: 57, message: 'Expected 1 Was 0' });
  expect(r.totals).toMatchObject({ total: 3, failed: 1, skipped: 1, succeeded: 1 });
});

test('JUnit as pio test writes it: suites, cases, failures with file and line', () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="/data/fw" platformio_version="6.1.16" tests="3" errors="0" failures="1" time="0.41">
  <testsuite name="native:test_ota" tests="3" errors="0" failures="1" skipped="1" time="0.41" timestamp="2026-11-23T08:00:00">
    <testcase name="test_md5_ok" time="0.1" status="PASSED" file="test/test_ota/test_main.cpp" line="40"/>
    <testcase name="test_md5_mismatch" time="0.2" status="FAILED" file="test/test_ota/test_main.cpp" line="57">
      <failure message="Expected 1 Was 0">test/test_ota/test_main.cpp:57:test_md5_mismatch:FAIL: Expected 1 Was 0</failure>
    </testcase>
    <testcase name="test_later" time="0" status="SKIPPED"><skipped/></testcase>
  </testsuite>
</testsuites>`;
  const r = parseJUnit(xml);
  expect(r).toMatchObject({ total: 3, passed: 1, failed: 1, errored: 0, skipped: 1 });
  expect(r.failures).toEqual([
    expect.objectContaining({ suite: 'native:test_ota', name: 'test_md5_mismatch', kind: 'failure', message: 'Expected 1 Was 0', file: 'test/test_ota/test_main.cpp', line: 57 }),
  ]);
});

test('a single <testsuite> root and an <error> count too; garbage is refused', () => {
  const r = parseJUnit('<testsuite name="unit" tests="2"><testcase name="a"/><testcase name="b"><error type="Crash" message="segfault"/></testcase></testsuite>');
  expect(r).toMatchObject({ total: 2, passed: 1, errored: 1 });
  expect(r.failures[0]).toMatchObject({ name: 'b', kind: 'error', message: 'segfault' });
  expect(() => parseJUnit('not xml at all')).toThrow(JUnitParseError);
});

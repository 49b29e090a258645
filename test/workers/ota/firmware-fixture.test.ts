/**
 * test/fixtures/firmware-project: a make + cc "firmware build" that writes a real ESP32 app
 * image, and a C unit test suite that writes JUnit XML. Checked with the same parsers the
 * workers use (esp-image.ts, junit.ts), and pushed to the device simulator end to end.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEspImage } from '../../../workers/lib/firmware/esp-image';
import { parseJUnit } from '../../../workers/lib/firmware/junit';
import { espotaPush } from '../../../workers/lib/ota/espota-client';
import { startSim } from './sim-helpers';

const PROJECT = join(__dirname, '../../fixtures/firmware-project');
let tmp: string;
beforeAll(() => (tmp = mkdtempSync(join(tmpdir(), 'baton-fw-'))));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Run make in the fixture with its output in a build directory of its own. */
function make(build: string, ...vars: string[]) {
  const r = spawnSync('make', ['-s', '-C', PROJECT, `BUILD=${join(tmp, build)}`, ...vars], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, file: (name: string) => join(tmp, build, name) };
}

describe('firmware build (make)', () => {
  test('build/firmware.bin is a valid ESP32 image: header, descriptor, checksum and appended SHA256', () => {
    const r = make('a', 'VERSION=1.2.3', 'PROJECT=k1', 'IDF_VER=v5.2.1');
    expect(r.status).toBe(0);
    const bin = readFileSync(r.file('firmware.bin'));
    const img = parseEspImage(bin); // verifies checksum and SHA256, throws otherwise
    expect(img.header).toMatchObject({ segmentCount: 1, chipId: 0, hashAppended: true, entryAddr: 0x40080000 });
    expect(img.segments[0]).toMatchObject({ loadAddr: 0x3f400020, offset: 32 });
    expect(img.appDesc).toMatchObject({ version: '1.2.3', projectName: 'k1', idfVer: 'v5.2.1', secureVersion: 0 });
    expect(img.appDesc.date).toMatch(/^[A-Z][a-z]{2} [ \d]\d \d{4}$/);
    expect(img.appDesc.time).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(img.checksum.stored).toBe(img.checksum.computed);
    expect(img.sha256!.stored).toBe(img.sha256!.computed);
    expect(img.imageLength).toBe(bin.length);
    // app_elf_sha256 stands for the ELF hash: the SHA256 of the compiled app object.
    expect(img.appDesc.appElfSha256).toBe(createHash('sha256').update(readFileSync(r.file('app.o'))).digest('hex'));
  });

  test('without VERSION the version is `git describe --always --dirty`', () => {
    const r = make('b');
    expect(r.status).toBe(0);
    const git = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: PROJECT, encoding: 'utf8' });
    const expected = git.status === 0 ? git.stdout.trim() : '0.0.0-unknown';
    expect(parseEspImage(readFileSync(r.file('firmware.bin'))).appDesc.version).toBe(expected);
  });

  test('HASH=0 leaves the SHA256 off (hash_appended = 0)', () => {
    const r = make('c', 'VERSION=1.2.3', 'HASH=0');
    const img = parseEspImage(readFileSync(r.file('firmware.bin')));
    expect(img.header.hashAppended).toBe(false);
    expect(img.sha256).toBeNull();
  });

  test('a version that does not fit esp_app_desc_t.version (31 chars + NUL) fails the build', () => {
    const r = make('d', `VERSION=${'v'.repeat(32)}`);
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('at most 31 characters');
  });

  test('the built image goes through espota to the simulator, which then runs that version', async () => {
    const r = make('e', 'VERSION=2.0.0-rc1', 'PROJECT=k1');
    const image = readFileSync(r.file('firmware.bin'));
    const f = await startSim({ version: '1.0.0', password: 'pw' });
    try {
      await espotaPush({ host: '127.0.0.1', port: f.ports.otaPort, image, password: 'pw' });
      f.timers.advance(100);
      expect(f.sim.info()).toMatchObject({ version: '2.0.0-rc1', project: 'k1', ota_state: 'pending_verify' });
    } finally {
      await f.sim.stop();
    }
  });
});

describe('firmware unit tests (make test)', () => {
  test('all pass: exit 0 and a JUnit report with 3 passed cases', () => {
    const r = make('t1', 'test');
    expect(r.status).toBe(0);
    const report = parseJUnit(readFileSync(r.file('junit.xml'), 'utf8'));
    expect(report).toMatchObject({ total: 3, passed: 3, failed: 0, errored: 0 });
  });

  test('FAIL=1: one case fails, make exits non-zero, and the report names the case and the check', () => {
    const r = make('t2', 'test', 'FAIL=1');
    expect(r.status).not.toBe(0);
    const report = parseJUnit(readFileSync(r.file('junit.xml'), 'utf8'));
    expect(report).toMatchObject({ total: 3, passed: 2, failed: 1 });
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatchObject({ name: 'test_led_blinks_half_period', kind: 'failure' });
    expect(report.failures[0].message).toContain('CHECK(app_led_on(600, 1000) == expected_at_600)');
  });
});

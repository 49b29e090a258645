/**
 * The compile worker (reference/worker-domain.md §8.1) through executeTask: the sample C project
 * built with make (from a directory and from a git repository), and PlatformIO through the fake
 * `pio`, which prints PlatformIO's output and exits with its codes for each failure mode.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import compile from '../../workers/compile';
import { buildEspImage } from '../../workers/lib/firmware/esp-image';
import { breakSource, copyFirmwareProject, createHarness, FAKE_PIO, pioProject, processGone, type Harness } from './harness';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

let h: Harness;
let image: string;
beforeAll(() => {
  h = createHarness();
  image = join(h.root, 'image.bin');
  writeFileSync(image, buildEspImage({ desc: { version: '2.3.4', projectName: 'k1', idfVer: 'v5.1.4' }, payload: Buffer.alloc(1000, 7) }));
});
afterAll(() => h.cleanup());

describe('the sample C project with make', () => {
  test('from projectDir: COMPLETED, version from VERSION=, the image in the artifact store', async () => {
    const project = copyFirmwareProject(h.dir('fw-dir'));
    const r = await h.run(compile, { projectDir: project, command: ['make', 'VERSION=1.2.3'] });
    expect(r.status).toBe('COMPLETED');
    const built = readFileSync(join(project, 'build/firmware.bin'));
    expect(r.output).toMatchObject({
      ok: true,
      builder: 'command',
      version: '1.2.3',
      appDesc: { version: '1.2.3', projectName: 'baton-fw', idfVer: 'v5.1.4' },
      artifact: { uri: `artifact:sha256/${sha256(built)}`, sha256: sha256(built), size: built.length, name: 'firmware.bin', md5: md5(built) },
      diagnostics: [],
    });
    expect(r.output.commit).toBeUndefined();
    expect(await h.artifacts.read(r.output.artifact)).toEqual(built);
  });

  test('from repoUrl at commitSha: cloned into the workspace, version from git describe', async () => {
    const repo = copyFirmwareProject(h.dir('fw-repo'));
    const git = (...args: string[]) => {
      const r = spawnSync('git', ['-c', 'user.name=baton', '-c', 'user.email=baton@example.invalid', ...args], { cwd: repo, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    };
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'firmware');
    git('tag', '-a', 'v1.0.0', '-m', 'v1.0.0'); // git describe takes annotated tags only
    const sha = git('rev-parse', 'HEAD');

    const r = await h.run(compile, { repoUrl: repo, commitSha: sha });
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toMatchObject({ version: 'v1.0.0', commit: sha, appDesc: { version: 'v1.0.0' } });
    expect(h.logLines).toContain(`source: ${repo} at ${sha}`);
  });

  test('a syntax error: FAILED_WITH_TERMINAL_ERROR COMPILE_ERROR, the error: line in the message and the task log', async () => {
    const project = copyFirmwareProject(h.dir('fw-broken'));
    breakSource(project);
    const r = await h.run(compile, { projectDir: project, command: ['make', 'VERSION=1.2.3'] });
    expect(r.status).toBe('FAILED_WITH_TERMINAL_ERROR');
    expect(r.code).toBe('COMPILE_ERROR');
    expect(r.reasonForIncompletion).toMatch(/^COMPILE_ERROR: src\/app\.c:\d+:\d+: error: /);
    expect(r.output.error.details.errors[0]).toMatchObject({ file: 'src/app.c', severity: 'error' });
    expect(h.logLines.some((l) => /^src\/app\.c:\d+:\d+: error: /.test(l))).toBe(true);
  });

  test('a command killed by a signal: FAILED KILLED_BY_SIGNAL (retryable)', async () => {
    const r = await h.run(compile, { projectDir: h.dir('empty-1'), command: ['sh', '-c', 'kill -KILL $$'] });
    expect(r).toMatchObject({ status: 'FAILED', code: 'KILLED_BY_SIGNAL' });
  });

  test('a command that fails without diagnostics: BUILD_FAILED; a missing command: TOOL_NOT_FOUND', async () => {
    const dir = h.dir('empty-2');
    expect(await h.run(compile, { projectDir: dir, command: ['false'] })).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'BUILD_FAILED' });
    expect(await h.run(compile, { projectDir: dir, command: ['/nonexistent/make'] })).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'TOOL_NOT_FOUND' });
  });
});

describe('PlatformIO (fake pio)', () => {
  let n = 0;
  /** A fresh PlatformIO project per run, so no earlier build's firmware.bin is found. */
  const pio = (mode: string, input: Record<string, unknown> = {}, extraEnv: Record<string, string> = {}) =>
    h.run(compile, {
      projectDir: pioProject(h.dir(`pio-${++n}`)),
      pioPath: FAKE_PIO,
      env: 'esp32dev',
      extraEnv: { FAKE_PIO_MODE: mode, FAKE_PIO_IMAGE: image, ...extraEnv },
      ...input,
    });

  test('ok: clean then build with -j, artifact with md5, app descriptor, size report and warnings', async () => {
    const calls = join(h.root, 'pio-calls.txt');
    const r = await pio('ok', { clean: true, jobs: 2 }, { FAKE_PIO_CALLS: calls });
    expect(r.status).toBe('COMPLETED');
    const bytes = readFileSync(image);
    expect(r.output).toMatchObject({
      builder: 'platformio',
      env: 'esp32dev',
      version: '2.3.4',
      appDesc: { version: '2.3.4', projectName: 'k1', idfVer: 'v5.1.4' },
      artifact: { sha256: sha256(bytes), md5: md5(bytes), size: bytes.length, name: 'firmware.bin' },
      size: { ram: { used: 34412, max: 327680, pct: 10.5 }, flash: { used: 270377, max: 1310720, pct: 20.6 } },
      diagnostics: [{ file: 'src/main.cpp', line: 14, col: 7, severity: 'warning', message: "unused variable 'x' [-Wunused-variable]" }],
    });
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual(['run -e esp32dev -t clean', 'run -e esp32dev -j 2']);
  });

  test('without env: the artifact of the environment PlatformIO built (default_envs)', async () => {
    const r = await pio('ok', { env: undefined });
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toMatchObject({ env: 'esp32dev', version: '2.3.4' });
  });

  test.each([
    ['compile_error', 'COMPILE_ERROR', /src\/main\.cpp:9:3: error: 'undefined_call' was not declared/],
    ['size_overflow', 'SIZE_OVERFLOW', /1401234 bytes, more than the 1310720/],
    ['unknown_env', 'UNKNOWN_ENV', /Unknown environment names 'esp32dev'/],
    ['usage_error', 'USAGE_ERROR', /No such option/],
    ['no_artifact', 'ARTIFACT_MISSING', /\.pio\/build\/esp32dev\/firmware\.bin/],
  ])('%s: FAILED_WITH_TERMINAL_ERROR %s', async (mode, code, message) => {
    const r = await pio(mode);
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code });
    expect(r.output.error.message).toMatch(message);
  });

  test('an env that platformio.ini does not define: UNKNOWN_ENV', async () => {
    expect(await pio('ok', { env: 'esp32s3' })).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'UNKNOWN_ENV' });
  });

  test('an image with a wrong checksum: BAD_IMAGE with the parser message', async () => {
    const bad = Buffer.from(readFileSync(image));
    bad[400] ^= 0xff; // in the payload: the checksum no longer matches
    const badPath = join(h.root, 'bad.bin');
    writeFileSync(badPath, bad);
    const r = await pio('ok', {}, { FAKE_PIO_IMAGE: badPath });
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'BAD_IMAGE' });
    expect(r.output.error.message).toMatch(/checksum/);
    expect(r.output.error.details.imageError).toBe('IMAGE_BAD_CHECKSUM');
  });

  test('hang with timeoutS 1: FAILED TIMEOUT (retryable), and the build process group is gone', async () => {
    const pidfile = join(h.root, 'hang.pid');
    const r = await pio('hang', { timeoutS: 1 }, { FAKE_PIO_PIDFILE: pidfile });
    expect(r).toMatchObject({ status: 'FAILED', code: 'TIMEOUT' });
    expect(processGone(Number(readFileSync(pidfile, 'utf8')))).toBe(true);
  });

  test('builder platformio without platformio.ini: NOT_A_PROJECT; a missing pio: TOOL_NOT_FOUND', async () => {
    expect(await h.run(compile, { projectDir: h.dir('no-ini'), builder: 'platformio', pioPath: FAKE_PIO })).toMatchObject({ code: 'NOT_A_PROJECT' });
    expect(await pio('ok', { pioPath: '/nonexistent/pio' })).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'TOOL_NOT_FOUND' });
  });
});

describe('invalid input: INVALID_INPUT naming the field', () => {
  test.each([
    [{}, 'repoUrl'],
    [{ projectDir: '/tmp', timeoutS: 'soon' }, 'timeoutS'],
    [{ projectDir: '/tmp', command: [] }, 'command'],
    [{ projectDir: '/tmp', builder: 'scons' }, 'builder'],
    [{ projectDir: '/tmp', extraEnv: { A: 1 } }, 'extraEnv.A'],
    [{ repoUrl: '/tmp/x', commitSha: 'main' }, 'commitSha'],
  ])('%j → %s', async (input, field) => {
    const r = await h.run(compile, input);
    expect(r).toMatchObject({ status: 'FAILED_WITH_TERMINAL_ERROR', code: 'INVALID_INPUT' });
    expect(r.output.error.details.field).toBe(field);
    expect(r.reasonForIncompletion).toMatch(/^INVALID_INPUT: /);
    expect(r.reasonForIncompletion).toContain(field);
  });

  test('an artifactPath outside the project', async () => {
    const r = await h.run(compile, { projectDir: pioProject(h.dir('pio-escape')), pioPath: FAKE_PIO, artifactPath: '../image.bin', extraEnv: { FAKE_PIO_IMAGE: image } });
    expect(r).toMatchObject({ code: 'INVALID_INPUT', output: { error: { details: { field: 'artifactPath' } } } });
  });
});

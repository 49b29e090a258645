/**
 * The ota_deploy worker through executeTask (test/workers/harness.ts) against the device
 * simulator on 127.0.0.1: the http_pull method end to end (the worker's own image server, the
 * device's POST /ota/pull, the deployment registry), and how its failures reach Conductor.
 */
import { join } from 'node:path';
import otaDeploy from '../../../workers/ota_deploy';
import { createDeviceClient } from '../../../workers/lib/ota/http-ota';
import { createHarness, type Harness } from '../harness';
import { makeImage, startSim, type SimFixture } from './sim-helpers';

let h: Harness;
let f: SimFixture | undefined;
const saved = { registry: process.env.DEPLOYMENT_REGISTRY_PATH };

beforeAll(() => {
  h = createHarness();
  process.env.DEPLOYMENT_REGISTRY_PATH = join(h.root, 'deployments');
});

afterAll(() => {
  if (saved.registry === undefined) delete process.env.DEPLOYMENT_REGISTRY_PATH;
  else process.env.DEPLOYMENT_REGISTRY_PATH = saved.registry;
  h.cleanup();
});

afterEach(async () => {
  await f?.sim.stop();
  f = undefined;
});

async function input(version: string, extra: Record<string, unknown> = {}) {
  const artifact = await h.artifacts.putBytes(makeImage(version, 60000), 'firmware.bin');
  return { device: { id: 'k1-sim', host: '127.0.0.1', httpPort: f!.ports.httpPort }, artifact, method: 'http_pull', expectedVersion: version, timeouts: { resultS: 20 }, ...extra };
}

describe('ota_deploy method http_pull', () => {
  test('the device pulls the image from the worker and reboots into it pending_verify', async () => {
    f = await startSim({ version: '1.0.0' });
    const firstLog = h.logLines.length;
    const r = await h.run(otaDeploy, await input('1.1.0'));
    expect(r.status).toBe('COMPLETED');
    expect(r.output).toMatchObject({
      ok: true,
      deviceId: 'k1-sim',
      method: 'http_pull',
      expectedVersion: '1.1.0',
      previous: { version: '1.0.0' },
      skipped: false,
      rebootExpected: true,
      deviceAckedOk: true,
      authProtocol: 'none',
    });
    expect(r.output.bytesSent).toBeGreaterThan(60000);
    const log = h.logLines.slice(firstLog).join('\n');
    expect(log).toMatch(/http_pull: serving the image at http:\/\/127\.0\.0\.1:\d+/);
    expect(log).toMatch(/http_pull: device .* fetching \(ESP32-http-Update, runs 1\.0\.0\)/);
    expect(log).toMatch(/device downloaded \d+\/\d+ bytes \(100%\)/);
    expect(log).toContain('http_pull: device result: updated');
    expect(log).not.toMatch(/\/ota\/[0-9a-f]{32}\//); // the URL's secret path stays out of the task log
    expect(f.sim.state().pull.last).toMatchObject({ ok: true, version: '1.1.0' });

    f.timers.advance(100); // the device restarts
    expect(await createDeviceClient({ baseUrl: f.ports.baseUrl }).info()).toMatchObject({ version: '1.1.0', ota_state: 'pending_verify' });
  });

  test('an image the device rejects → FAILED_WITH_TERMINAL_ERROR IMAGE_REJECTED_MD5', async () => {
    f = await startSim({ version: '1.0.0', faults: { md5Mismatch: true } });
    const r = await h.run(otaDeploy, await input('1.2.0'));
    expect(r.status).toBe('FAILED_WITH_TERMINAL_ERROR');
    expect(r.code).toBe('IMAGE_REJECTED_MD5');
    expect(r.output.error).toMatchObject({ retryable: false, details: { deviceMessage: 'MD5 Check Failed' } });
  });

  test('a cut download → FAILED (retryable) TRANSFER_STALLED', async () => {
    f = await startSim({ version: '1.0.0', faults: { dropUpload: { afterBytes: 20000, times: 1 } } });
    const r = await h.run(otaDeploy, await input('1.3.0'));
    expect(r.status).toBe('FAILED');
    expect(r.code).toBe('TRANSFER_STALLED');
  });
});

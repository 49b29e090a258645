/**
 * The simulator's boot and rollback model (reference/worker-domain.md §2.3, §2.4, §2.6): pending
 * verification after an update, confirm, the confirm deadline, crash on boot, reject and
 * rollback. The simulator runs on a fake clock and manual timers: restarts, deadlines and
 * crashes happen when the test advances time.
 */
import { createDeviceClient, httpPush } from '../../../workers/lib/ota/http-ota';
import { OtaError, OtaErrorCode } from '../../../workers/lib/ota/errors';
import type { SimEvents } from '../../../tools/device-sim/types';
import { makeImage, startSim, type SimFixture } from './sim-helpers';

const DEADLINE = 60000;
let f: SimFixture | undefined;
afterEach(async () => {
  await f?.sim.stop();
  f = undefined;
});

/** Push `version` over HTTP and let the device restart into it. */
async function deploy(version: string): Promise<void> {
  await httpPush({ baseUrl: f!.ports.baseUrl, image: makeImage(version) });
  f!.timers.advance(100);
}

function record<K extends keyof SimEvents>(event: K): SimEvents[K][] {
  const seen: SimEvents[K][] = [];
  f!.sim.on(event, (p) => seen.push(p));
  return seen;
}

describe('after an update the image is on trial', () => {
  test('confirmed before the deadline: stays, becomes valid, no rollback later', async () => {
    f = await startSim({ version: '1.0.0', confirmDeadlineMs: DEADLINE });
    const dev = createDeviceClient({ baseUrl: f.ports.baseUrl });
    const before = await dev.info();
    await deploy('1.1.0');
    const trial = await dev.info();
    expect(trial).toMatchObject({ version: '1.1.0', ota_state: 'pending_verify', uptime_ms: 0, reset_reason: 'ESP_RST_SW' });
    expect(trial.boot_id).not.toBe(before.boot_id);

    f.timers.advance(DEADLINE - 1);
    expect(await dev.confirm()).toMatchObject({ ota_state: 'valid' });
    f.timers.advance(DEADLINE * 2);
    expect(await dev.info()).toMatchObject({ version: '1.1.0', ota_state: 'valid', boot_id: trial.boot_id, uptime_ms: DEADLINE * 3 - 1 });
  });

  test('not confirmed by the deadline: the device rejects it and reboots into the previous image', async () => {
    f = await startSim({ version: '1.0.0', confirmDeadlineMs: DEADLINE });
    const rollbacks = record('rollback');
    await deploy('1.1.0');
    f.timers.advance(DEADLINE - 1);
    expect(f.sim.info().version).toBe('1.1.0');
    f.timers.advance(1); // deadline
    f.timers.advance(100); // restart
    const info = await createDeviceClient({ baseUrl: f.ports.baseUrl }).info();
    expect(info).toMatchObject({
      version: '1.0.0',
      ota_state: 'valid',
      running_partition: 'ota_0',
      last_invalid: { version: '1.1.0' },
      other_slot: { version: '1.1.0', bootable: false, ota_state: 'invalid' },
    });
    expect(rollbacks).toEqual([{ from: '1.1.0', to: '1.0.0', reason: 'confirm deadline passed' }]);
  });

  test('boot loop (crashOnBoot): the new image resets before it can be confirmed and the bootloader rolls back', async () => {
    f = await startSim({ version: '1.0.0', faults: { crashOnBoot: true }, crashAfterMs: 500 });
    const boots = record('boot');
    const rollbacks = record('rollback');
    await deploy('1.1.0');
    expect(boots.map((b) => [b.version, b.otaState])).toEqual([['1.1.0', 'pending_verify']]);
    f.timers.advance(500);
    expect(boots.map((b) => [b.version, b.otaState, b.reason])).toEqual([
      ['1.1.0', 'pending_verify', 'ota'],
      ['1.0.0', 'valid', 'panic'],
    ]);
    expect(rollbacks).toEqual([{ from: '1.1.0', to: '1.0.0', reason: 'reset while pending_verify' }]);
    expect(f.sim.info()).toMatchObject({ reset_reason: 'ESP_RST_PANIC', last_invalid: { version: '1.1.0' }, other_slot: { ota_state: 'aborted' } });
    f.timers.advance(DEADLINE * 2);
    expect(f.sim.info().version).toBe('1.0.0'); // the old image stays; nothing boots the aborted one
  });

  test('unhealthy after boot: /health 503 and fps 0; POST /ota/reject reboots into the previous image, which is healthy', async () => {
    f = await startSim({ version: '1.0.0' });
    f.sim.setFaults({ unhealthy: true });
    await deploy('1.1.0');
    const dev = createDeviceClient({ baseUrl: f.ports.baseUrl });
    expect(await dev.health()).toMatchObject({ ok: false, status: 503, body: { status: 'fail', checks: { app: 'fail' } } });
    expect((await fetchText(`${f.ports.baseUrl}/metrics`)).text).toMatch(/^device_fps 0$/m);
    await dev.reject();
    f.timers.advance(100);
    expect(await dev.info()).toMatchObject({ version: '1.0.0', last_invalid: { version: '1.1.0' } });
    expect((await dev.health()).ok).toBe(true);
  });

  test('POST /ota/rollback after a confirmed update boots the other slot, which is then on trial itself', async () => {
    f = await startSim({ version: '1.0.0' });
    const dev = createDeviceClient({ baseUrl: f.ports.baseUrl });
    await deploy('1.1.0');
    await dev.confirm();
    await dev.rollback();
    f.timers.advance(100);
    expect(await dev.info()).toMatchObject({ version: '1.0.0', ota_state: 'pending_verify', other_slot: { version: '1.1.0', bootable: true } });
    await dev.confirm();
    expect((await dev.info()).ota_state).toBe('valid');
  });

  test('autoConfirm (the Arduino default) marks the new image valid at boot', async () => {
    f = await startSim({ version: '1.0.0', autoConfirm: true });
    await deploy('1.1.0');
    expect(f.sim.info()).toMatchObject({ version: '1.1.0', ota_state: 'valid' });
  });

  test('the reboot window: the HTTP port refuses connections until the device is back', async () => {
    f = await startSim({ version: '1.0.0', rebootMs: 3000 });
    const dev = createDeviceClient({ baseUrl: f.ports.baseUrl });
    await httpPush({ baseUrl: f.ports.baseUrl, image: makeImage('1.1.0') });
    f.timers.advance(100);
    const e = await dev.info().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(OtaError);
    expect((e as OtaError).code).toBe(OtaErrorCode.DEVICE_UNREACHABLE);
    const booted = f.sim.next('boot');
    f.timers.advance(3000);
    expect(await booted).toMatchObject({ version: '1.1.0', otaState: 'pending_verify' });
    expect((await dev.info()).version).toBe('1.1.0');
  });
});

describe('observability and control', () => {
  test('GET /metrics is Prometheus text with fps, free heap, uptime and a firmware info gauge', async () => {
    f = await startSim({ version: '1.0.0', project: 'k1' });
    f.clock.advance(2500);
    const { contentType, text } = await fetchText(`${f.ports.baseUrl}/metrics`);
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text).toContain('# TYPE device_fps gauge\ndevice_fps 60\n');
    expect(text).toMatch(/^device_free_heap_bytes \d+$/m);
    expect(text).toMatch(/^device_uptime_seconds 2\.5$/m);
    expect(text).toContain('device_firmware_info{version="1.0.0",project="k1",partition="ota_0",ota_state="valid",idf_ver="v5.1.4"} 1');
  });

  test('faults can be set over HTTP (POST /__sim/faults) and read back from /__sim/state', async () => {
    f = await startSim();
    const res = await fetch(`${f.ports.baseUrl}/__sim/faults`, { method: 'POST', body: JSON.stringify({ crashOnBoot: true, dropUpload: { afterBytes: 10, times: 2 } }) });
    expect(await res.json()).toMatchObject({ crashOnBoot: true, dropUpload: { afterBytes: 10, times: 2 } });
    const state = await (await fetch(`${f.ports.baseUrl}/__sim/state`)).json();
    expect(state).toMatchObject({ faults: { crashOnBoot: true }, running: 'ota_0', espota: 'idle' });
  });

  test('POST /__sim/reboot during the trial is a reset before confirmation: the bootloader rolls back', async () => {
    f = await startSim({ version: '1.0.0' });
    await deploy('1.1.0');
    const booted = f.sim.next('boot');
    await fetch(`${f.ports.baseUrl}/__sim/reboot`, { method: 'POST' });
    await booted;
    expect(f.sim.info()).toMatchObject({ version: '1.0.0', reset_reason: 'ESP_RST_POWERON', last_invalid: { version: '1.1.0' } });
  });
});

async function fetchText(url: string): Promise<{ contentType: string | null; text: string }> {
  const res = await fetch(url);
  return { contentType: res.headers.get('content-type'), text: await res.text() };
}

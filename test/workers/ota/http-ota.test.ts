/** HTTP push to HTTPUpdateServer's /update and the device API client, against the simulator on 127.0.0.1. */
import { createServer, type Server } from 'node:http';
import { createDeviceClient, httpPush } from '../../../workers/lib/ota/http-ota';
import { OtaError, OtaErrorCode } from '../../../workers/lib/ota/errors';
import { APP_DESC_OFFSET, APP_DESC_SIZE } from '../../../workers/lib/firmware/esp-image';
import { makeImage, startSim, type SimFixture } from './sim-helpers';

let f: SimFixture | undefined;
afterEach(async () => {
  await f?.sim.stop();
  f = undefined;
});

async function failure(p: Promise<unknown>): Promise<OtaError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof OtaError)) throw new Error(`expected an OtaError, got ${String(e)}`);
  return e;
}

describe('httpPush (POST /update, multipart)', () => {
  test('uploads the image as the "firmware" field; 200 "Update Success!"; the device reboots into it pending_verify', async () => {
    f = await startSim({ version: '1.0.0' });
    const image = makeImage('1.1.0', 100000);
    const progress: number[] = [];
    const r = await httpPush({ baseUrl: f.ports.baseUrl, image, onProgress: (n) => progress.push(n) });
    expect(r.status).toBe(200);
    expect(r.body).toContain('Update Success! Rebooting...');
    expect(r.bytesSent).toBe(image.length);
    expect(progress.at(-1)).toBe(image.length);
    f.timers.advance(100);
    expect(await createDeviceClient({ baseUrl: f.ports.baseUrl }).info()).toMatchObject({ version: '1.1.0', ota_state: 'pending_verify' });
  });

  test('a wrong Origin gets 200 "Update error: Wrong origin received!" → ORIGIN_REJECTED', async () => {
    f = await startSim();
    const e = await failure(httpPush({ baseUrl: f.ports.baseUrl, image: makeImage('1.1.0'), origin: 'http://evil.example' }));
    expect(e).toMatchObject({ code: OtaErrorCode.ORIGIN_REJECTED, retryable: false });
  });

  test('an image without the 0xE9 magic → IMAGE_REJECTED_MAGIC (from the 200 body)', async () => {
    f = await startSim();
    const image = makeImage('1.1.0');
    image[0] = 0x7f;
    const e = await failure(httpPush({ baseUrl: f.ports.baseUrl, image }));
    expect(e).toMatchObject({ code: OtaErrorCode.IMAGE_REJECTED_MAGIC, retryable: false });
    expect(e.details.deviceMessage).toBe('Wrong Magic Byte');
  });

  test('an image with a bad checksum → ACTIVATION_FAILED', async () => {
    f = await startSim();
    const image = makeImage('1.1.0');
    image[APP_DESC_OFFSET + APP_DESC_SIZE + 1] ^= 0x55;
    expect((await failure(httpPush({ baseUrl: f.ports.baseUrl, image }))).code).toBe(OtaErrorCode.ACTIVATION_FAILED);
  });

  test('update server credentials: none → AUTH_FAILED (401), the right ones → success', async () => {
    f = await startSim({ httpAuth: { username: 'admin', password: 'pw' } });
    const image = makeImage('1.1.0');
    expect((await failure(httpPush({ baseUrl: f.ports.baseUrl, image }))).code).toBe(OtaErrorCode.AUTH_FAILED);
    const r = await httpPush({ baseUrl: f.ports.baseUrl, image, username: 'admin', password: 'pw' });
    expect(r.body).toContain('Update Success');
  });

  test('connection cut mid-upload → TRANSFER_STALLED (retryable); the next push succeeds', async () => {
    f = await startSim({ faults: { dropUpload: { afterBytes: 30000, times: 1 } } });
    const image = makeImage('1.1.0', 200000);
    const e = await failure(httpPush({ baseUrl: f.ports.baseUrl, image }));
    expect(e).toMatchObject({ code: OtaErrorCode.TRANSFER_STALLED, retryable: true });
    expect((await httpPush({ baseUrl: f.ports.baseUrl, image })).status).toBe(200);
  });

  test('nothing listening → DEVICE_UNREACHABLE (retryable)', async () => {
    f = await startSim();
    const baseUrl = f.ports.baseUrl;
    await f.sim.stop();
    f = undefined;
    const e = await failure(httpPush({ baseUrl, image: makeImage('1.1.0') }));
    expect(e).toMatchObject({ code: OtaErrorCode.DEVICE_UNREACHABLE, retryable: true });
  });
});

describe('device API client', () => {
  test('GET /info carries the running image facts of the firmware contract', async () => {
    f = await startSim({ version: '1.4.1', project: 'k1' });
    const info = await createDeviceClient({ baseUrl: f.ports.baseUrl }).info();
    expect(info).toMatchObject({
      version: '1.4.1',
      project: 'k1',
      ota_state: 'valid',
      running_partition: 'ota_0',
      boot_count: 1,
      reset_reason: 'ESP_RST_POWERON',
      other_slot: null,
      last_invalid: null,
    });
    expect(info.app_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(info.image_md5).toMatch(/^[0-9a-f]{32}$/);
    expect(info.boot_id).toMatch(/^[0-9a-f]{16}$/);
  });

  test('GET /health is 200 ok on a healthy device', async () => {
    f = await startSim();
    expect(await createDeviceClient({ baseUrl: f.ports.baseUrl }).health()).toMatchObject({ ok: true, status: 200, body: { status: 'ok' } });
  });

  test('POST /ota/rollback with no other image → ROLLBACK_NOT_POSSIBLE (terminal)', async () => {
    f = await startSim();
    const e = await failure(createDeviceClient({ baseUrl: f.ports.baseUrl }).rollback());
    expect(e).toMatchObject({ code: OtaErrorCode.ROLLBACK_NOT_POSSIBLE, retryable: false });
  });

  test('a peer that does not speak the contract → INFO_UNPARSABLE', async () => {
    const server: Server = createServer((_req, res) => res.end('<html>hello</html>'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const { port } = server.address() as { port: number };
      const e = await failure(createDeviceClient({ baseUrl: `http://127.0.0.1:${port}` }).info());
      expect(e.code).toBe(OtaErrorCode.INFO_UNPARSABLE);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

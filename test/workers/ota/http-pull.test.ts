/**
 * HTTP pull (reference/worker-domain.md §2.2b, §2.6, §8.3): the simulator's `POST /ota/pull`
 * (HTTPUpdate's request and answers) and the worker side, `httpPull`, which serves the image from
 * a server of its own and waits for the device to fetch and judge it. Everything on 127.0.0.1,
 * ephemeral ports; the simulator's restarts happen when the test advances its timers.
 */
import { createHash } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { FakeClock } from '../../../engine/ports/clock';
import { OtaError, OtaErrorCode } from '../../../workers/lib/ota/errors';
import { createDeviceClient, httpPush } from '../../../workers/lib/ota/http-ota';
import { codeForPullError, httpPull, pullSourceFromEnv, startPullSource, type PullEvent } from '../../../workers/lib/ota/http-pull';
import type { PullOutcome } from '../../../tools/device-sim/types';
import { ManualTimers } from '../../helpers/manual-timers';
import { makeImage, startSim, type SimFixture } from './sim-helpers';

let f: SimFixture | undefined;
const servers: Server[] = [];
afterEach(async () => {
  await f?.sim.stop();
  f = undefined;
  await Promise.all(servers.splice(0).map(close));
});

function close(s: Server): Promise<void> {
  return new Promise((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });
}

/** A test HTTP server on 127.0.0.1 (closed after each test). */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ base: string; port: number; server: Server }> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return { base: `http://127.0.0.1:${port}`, port, server };
}

/** One raw request; resolves with the status and the body text. */
function raw(method: string, url: string, body?: string): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } });
    req.on('error', reject);
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8'), headers: res.headers }));
    });
    req.end(body);
  });
}

/** Whether something accepts connections at `origin` (http://host:port). */
function listening(origin: string): Promise<boolean> {
  const u = new URL(origin);
  return new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await close(s);
  return port;
}

async function failure(p: Promise<unknown>): Promise<OtaError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof OtaError)) throw new Error(`expected an OtaError, got ${String(e)}`);
  return e;
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** Serve `image` the way the worker does (200, Content-Length, x-MD5), recording the request headers. */
async function imageServer(image: Buffer, extra: Record<string, string> = {}) {
  const seen: IncomingHttpHeaders[] = [];
  const s = await serve((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-length': String(image.length), 'x-MD5': md5(image), ...extra });
    res.end(image);
  });
  return { ...s, url: `${s.base}/fw.bin`, seen };
}

describe('simulator: POST /ota/pull', () => {
  test('202, then a GET with HTTPUpdate headers; the image installs and the device restarts into it pending_verify', async () => {
    f = await startSim({ version: '1.0.0', mac: '24:0a:c4:12:34:56' });
    const before = await createDeviceClient({ baseUrl: f.ports.baseUrl }).info();
    const image = makeImage('1.1.0', 50000);
    const src = await imageServer(image);
    const end = f.sim.next('pull:end');
    const r = await raw('POST', `${f.ports.baseUrl}/ota/pull`, JSON.stringify({ url: src.url, md5: md5(image), version: '1.1.0' }));
    expect(r.status).toBe(202);
    expect(JSON.parse(r.body)).toMatchObject({ accepted: true, id: expect.stringMatching(/^[0-9a-f]+$/) });

    expect(await end).toMatchObject({ ok: true, result: 'updated', httpStatus: 200, bytes: image.length, url: src.url, version: '1.1.0' });
    expect(src.seen).toHaveLength(1);
    expect(src.seen[0]).toMatchObject({
      'user-agent': 'ESP32-http-Update',
      'cache-control': 'no-cache',
      'x-esp32-mode': 'sketch',
      'x-esp32-version': '1.0.0',
      'x-esp32-sketch-sha256': before.app_sha256,
      'x-esp32-sketch-md5': before.image_md5,
      'x-esp32-sta-mac': '24:0A:C4:12:34:56',
      'x-esp32-ap-mac': '24:0A:C4:12:34:57',
      'x-esp32-free-space': String(0x1e0000),
      'x-esp32-chip-size': String(4 * 1024 * 1024),
    });
    expect(Number(src.seen[0]['x-esp32-sketch-size'])).toBeGreaterThan(0);
    expect(src.seen[0]['x-esp32-sdk-version']).toBe(before.idf_ver);
    // the device remembers the outcome until it restarts
    expect(JSON.parse((await raw('GET', `${f.ports.baseUrl}/ota/pull`)).body)).toMatchObject({ state: 'idle', current: null, last: { result: 'updated' } });

    const boot = f.sim.next('boot');
    f.timers.advance(100);
    expect(await boot).toMatchObject({ version: '1.1.0', otaState: 'pending_verify', reason: 'ota' });
    expect(await createDeviceClient({ baseUrl: f.ports.baseUrl }).info()).toMatchObject({ version: '1.1.0', ota_state: 'pending_verify' });
    expect(JSON.parse((await raw('GET', `${f.ports.baseUrl}/ota/pull`)).body)).toMatchObject({ last: null });
    expect(f.sim.state().pull.last).toMatchObject({ result: 'updated' }); // the simulator's own record stays
  });

  test.each([
    ['no url', JSON.stringify({ md5: 'x' })],
    ['not a URL', JSON.stringify({ url: 'not a url' })],
    ['https', JSON.stringify({ url: 'https://127.0.0.1/fw.bin' })],
    ['bad md5', JSON.stringify({ url: 'http://127.0.0.1/fw.bin', md5: 'abc' })],
    ['not JSON', '{url:'],
    ['an array', '[]'],
  ])('bad body (%s) → 400, nothing fetched', async (_why, body) => {
    f = await startSim();
    const r = await raw('POST', `${f.ports.baseUrl}/ota/pull`, body);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error).toEqual(expect.any(String));
    expect(f.sim.state().pull).toEqual({ busy: false, current: null, last: null });
  });

  test('the device client reports a 400 as a terminal DEVICE_HTTP_ERROR', async () => {
    f = await startSim();
    const e = await failure(createDeviceClient({ baseUrl: f.ports.baseUrl }).pull({ url: 'ftp://x/fw.bin' }));
    expect(e).toMatchObject({ code: OtaErrorCode.DEVICE_HTTP_ERROR, retryable: false, details: { httpStatus: 400 } });
  });

  test('304 means "no update": nothing installed, no restart', async () => {
    f = await startSim({ version: '1.0.0' });
    const src = await serve((_req, res) => (res.writeHead(304), res.end()));
    const end = f.sim.next('pull:end');
    await createDeviceClient({ baseUrl: f.ports.baseUrl }).pull({ url: `${src.base}/fw.bin` });
    expect(await end).toMatchObject({ ok: true, result: 'no_update', httpStatus: 304, bytes: 0 });
    f.timers.advance(1000);
    expect(f.sim.state()).toMatchObject({ bootCount: 1, slots: [{ version: '1.0.0' }, { state: 'empty' }] });
  });

  test.each<[string, (image: Buffer) => (req: IncomingMessage, res: ServerResponse) => void, string]>([
    ['404', () => (_q, s) => (s.writeHead(404), s.end()), 'File Not Found (404)'],
    ['403', () => (_q, s) => (s.writeHead(403), s.end()), 'Forbidden (403)'],
    ['500', () => (_q, s) => (s.writeHead(500), s.end()), 'Wrong HTTP Code (500)'],
    ['no Content-Length', (img) => (_q, s) => (s.writeHead(200), s.write(img), s.end()), 'Server Did Not Report Size'],
    ['too big', () => (_q, s) => (s.writeHead(200, { 'content-length': String(0x1e0000 + 1) }), s.end()), 'Not Enough Space'],
    ['a malformed x-MD5', (img) => (_q, s) => (s.writeHead(200, { 'content-length': String(img.length), 'x-MD5': 'nope' }), s.end(img)), 'Wrong MD5'],
    ['a wrong x-MD5', (img) => (_q, s) => (s.writeHead(200, { 'content-length': String(img.length), 'x-MD5': 'f'.repeat(32) }), s.end(img)), 'MD5 Check Failed'],
    ['no 0xE9 magic', (img) => (_q, s) => (s.writeHead(200, { 'content-length': String(img.length) }), s.end(Buffer.concat([Buffer.from([0x7f]), img.subarray(1)]))), 'Verify Bin Header Failed'],
  ])('%s → the pull fails with HTTPUpdate\'s error; the device keeps its image', async (_why, handler, error) => {
    f = await startSim({ version: '1.0.0' });
    const src = await serve(handler(makeImage('1.1.0', 20000)));
    const end = f.sim.next('pull:end');
    await createDeviceClient({ baseUrl: f.ports.baseUrl }).pull({ url: `${src.base}/fw.bin` });
    const out: PullOutcome = await end;
    expect(out).toMatchObject({ ok: false, result: 'failed', error });
    const status = await createDeviceClient({ baseUrl: f.ports.baseUrl }).pullStatus();
    expect(status.body).toMatchObject({ state: 'idle', last: { ok: false, error } });
    f.timers.advance(1000);
    expect(f.sim.info()).toMatchObject({ version: '1.0.0', boot_count: 1 });
  });

  test('the md5 of the command is verified too ("MD5 Check Failed")', async () => {
    f = await startSim();
    const image = makeImage('1.1.0');
    const src = await imageServer(image);
    const end = f.sim.next('pull:end');
    await createDeviceClient({ baseUrl: f.ports.baseUrl }).pull({ url: src.url, md5: '0'.repeat(32) });
    expect(await end).toMatchObject({ ok: false, error: 'MD5 Check Failed' });
  });

  test('nothing listening at the URL → "connection refused"', async () => {
    f = await startSim();
    const end = f.sim.next('pull:end');
    await createDeviceClient({ baseUrl: f.ports.baseUrl }).pull({ url: `http://127.0.0.1:${await closedPort()}/fw.bin` });
    expect(await end).toMatchObject({ ok: false, result: 'failed', error: 'connection refused' });
  });

  test('dropUpload cuts a pull download too ("Stream Read Timeout"); the fault is then spent', async () => {
    f = await startSim({ faults: { dropUpload: { afterBytes: 30000, times: 1 } } });
    const image = makeImage('1.1.0', 200000);
    const src = await imageServer(image);
    const dev = createDeviceClient({ baseUrl: f.ports.baseUrl });
    let end = f.sim.next('pull:end');
    await dev.pull({ url: src.url });
    expect(await end).toMatchObject({ ok: false, error: 'Stream Read Timeout' });
    expect(f.sim.currentFaults().dropUpload).toBeNull();
    end = f.sim.next('pull:end');
    await dev.pull({ url: src.url });
    expect(await end).toMatchObject({ ok: true, result: 'updated' });
  });

  test('a server that dies mid-body → "Stream Read Timeout"; nothing installed', async () => {
    f = await startSim({ version: '1.0.0' });
    const image = makeImage('1.1.0', 100000);
    const src = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(image.length) });
      res.write(image.subarray(0, 40000), () => res.destroy());
    });
    const end = f.sim.next('pull:end');
    await createDeviceClient({ baseUrl: f.ports.baseUrl }).pull({ url: `${src.base}/fw.bin` });
    expect(await end).toMatchObject({ ok: false, result: 'failed', error: 'Stream Read Timeout' });
    expect((await end).bytes).toBeLessThan(image.length);
    f.timers.advance(1000);
    expect(f.sim.info()).toMatchObject({ version: '1.0.0', boot_count: 1 });
  });

  test('while a pull runs: another /ota/pull and /update answer 409; the read timeout ends a silent server', async () => {
    f = await startSim({ pullTimeoutMs: 8000 });
    let arrived!: () => void;
    const held = new Promise<void>((r) => (arrived = r));
    const src = await serve(() => arrived()); // never answers
    const dev = createDeviceClient({ baseUrl: f.ports.baseUrl });
    await dev.pull({ url: `${src.base}/fw.bin` });
    await held;
    expect(f.sim.state().pull).toMatchObject({ busy: true, current: { url: `${src.base}/fw.bin`, bytes: 0 } });
    expect((await raw('POST', `${f.ports.baseUrl}/ota/pull`, JSON.stringify({ url: `${src.base}/other.bin` }))).status).toBe(409);
    expect((await failure(dev.pull({ url: `${src.base}/other.bin` }))).code).toBe(OtaErrorCode.DEVICE_BUSY);
    expect((await failure(httpPush({ baseUrl: f.ports.baseUrl, image: makeImage('1.1.0') }))).code).toBe(OtaErrorCode.DEVICE_BUSY);
    expect((await dev.pullStatus()).body).toMatchObject({ state: 'downloading', current: { url: `${src.base}/fw.bin` } });

    const end = f.sim.next('pull:end');
    f.timers.advance(8000);
    expect(await end).toMatchObject({ ok: false, error: 'read Timeout' });
    expect(f.sim.state().pull.busy).toBe(false);
  });
});

describe('httpPull (the worker serves, the device fetches)', () => {
  test('success: served once with Content-Length and x-MD5; the device runs the new version pending_verify; the server is gone', async () => {
    f = await startSim({ version: '1.0.0' });
    const image = makeImage('1.1.0', 100000);
    const events: PullEvent[] = [];
    const progress: number[] = [];
    const r = await httpPull({ baseUrl: f.ports.baseUrl, image, version: '1.1.0', onEvent: (e) => events.push(e), onProgress: (n) => progress.push(n) });
    expect(r).toMatchObject({ bytesSent: image.length, fetches: 1, deviceResult: 'updated' });
    expect(progress.at(-1)).toBe(image.length);
    const types = events.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['serving', 'accepted', 'fetch']);
    expect(types).toContain('verdict');
    expect(events.find((e) => e.type === 'fetch')).toMatchObject({ userAgent: 'ESP32-http-Update', deviceVersion: '1.0.0', mode: 'sketch' });
    const origin = (events[0] as { origin: string }).origin;
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await listening(origin)).toBe(false);
    expect(f.sim.state().pull.last).toMatchObject({ ok: true, bytes: image.length, version: '1.1.0', url: expect.stringMatching(/\/ota\/[0-9a-f]{32}\/firmware\.bin$/) });

    f.timers.advance(100); // restart
    expect(await createDeviceClient({ baseUrl: f.ports.baseUrl }).info()).toMatchObject({ version: '1.1.0', ota_state: 'pending_verify', app_sha256: createHash('sha256').update(image).digest('hex') });
  });

  test('the device rejects the image (MD5 Check Failed) → IMAGE_REJECTED_MD5, terminal', async () => {
    f = await startSim({ version: '1.0.0', faults: { md5Mismatch: true } });
    const e = await failure(httpPull({ baseUrl: f.ports.baseUrl, image: makeImage('1.1.0') }));
    expect(e).toMatchObject({ code: OtaErrorCode.IMAGE_REJECTED_MD5, retryable: false, details: { deviceMessage: 'MD5 Check Failed' } });
    f.timers.advance(1000);
    expect(f.sim.info()).toMatchObject({ version: '1.0.0', boot_count: 1 });
  });

  test('the download is cut → TRANSFER_STALLED, retryable; the next pull succeeds', async () => {
    f = await startSim({ faults: { dropUpload: { afterBytes: 30000, times: 1 } } });
    const image = makeImage('1.1.0', 200000);
    const e = await failure(httpPull({ baseUrl: f.ports.baseUrl, image }));
    expect(e).toMatchObject({ code: OtaErrorCode.TRANSFER_STALLED, retryable: true });
    expect(f.sim.state().pull.last).toMatchObject({ ok: false, error: 'Stream Read Timeout' });
    expect(await httpPull({ baseUrl: f.ports.baseUrl, image })).toMatchObject({ deviceResult: 'updated' });
  });

  test('the device cannot reach the advertised URL → HTTP_PULL_SOURCE_UNREACHABLE, retryable (without waiting for the deadline)', async () => {
    f = await startSim();
    const publicUrl = `http://127.0.0.1:${await closedPort()}`;
    const events: PullEvent[] = [];
    const e = await failure(httpPull({ baseUrl: f.ports.baseUrl, image: makeImage('1.1.0'), source: { publicUrl }, timeoutMs: 60000, onEvent: (ev) => events.push(ev) }));
    expect(e).toMatchObject({ code: OtaErrorCode.HTTP_PULL_SOURCE_UNREACHABLE, retryable: true, details: { deviceMessage: 'connection refused', fetches: 0 } });
    expect(events.some((ev) => ev.type === 'fetch')).toBe(false);
    expect(await listening((events[0] as { origin: string }).origin)).toBe(false);
  });

  test('the advertised URL serves the image and nothing else; a device without GET /ota/pull is done once the whole image is sent', async () => {
    const posts: unknown[] = [];
    const device = await serve((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/ota/pull') {
          posts.push(JSON.parse(Buffer.concat(parts).toString('utf8')));
          res.writeHead(202, { 'content-type': 'application/json', connection: 'close' });
          return res.end('{"accepted":true}');
        }
        res.writeHead(404, { connection: 'close' });
        res.end();
      });
    });
    const timers = new ManualTimers(new FakeClock());
    let accepted!: () => void;
    const isAccepted = new Promise<void>((r) => (accepted = r));
    const events: PullEvent[] = [];
    const image = makeImage('1.1.0');
    const p = httpPull({ baseUrl: device.base, image, version: '1.1.0', timers, timeoutMs: 30000, onEvent: (e) => (events.push(e), e.type === 'accepted' && accepted()) });
    await isAccepted;
    expect(posts).toEqual([{ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/ota\/[0-9a-f]{32}\/firmware\.bin$/), md5: md5(image), version: '1.1.0' }]);
    const url = (posts[0] as { url: string }).url;
    expect((await raw('GET', url.replace(/\/ota\/[0-9a-f]+\//, '/ota/0123/'))).status).toBe(404);
    expect((await raw('POST', url, '{}')).status).toBe(404);
    expect(events.filter((e) => e.type === 'not-found')).toHaveLength(2);

    // the test plays the device: it downloads the image
    const got = await raw('GET', url);
    expect(got.status).toBe(200);
    expect(got.headers).toMatchObject({ 'content-length': String(image.length), 'x-md5': md5(image) });
    expect(Buffer.from(got.body, 'latin1').length).toBeGreaterThan(0);
    expect(await p).toMatchObject({ bytesSent: image.length, fetches: 1, deviceResult: 'unknown' });
    expect(await listening((events[0] as { origin: string }).origin)).toBe(false);
  });

  test('nobody fetches at all → HTTP_PULL_SOURCE_UNREACHABLE at the deadline', async () => {
    const device = await serve((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(req.method === 'POST' ? 202 : 404, { 'content-type': 'application/json', connection: 'close' });
        res.end(req.method === 'POST' ? '{"accepted":true}' : '');
      });
    });
    const timers = new ManualTimers(new FakeClock());
    let accepted!: () => void;
    const isAccepted = new Promise<void>((r) => (accepted = r));
    const p = failure(httpPull({ baseUrl: device.base, image: makeImage('1.1.0'), timers, timeoutMs: 30000, onEvent: (e) => e.type === 'accepted' && accepted() }));
    await isAccepted;
    timers.advance(29999);
    timers.advance(1);
    expect(await p).toMatchObject({ code: OtaErrorCode.HTTP_PULL_SOURCE_UNREACHABLE, retryable: true, details: { fetches: 0 } });
  });

  test('a busy device → DEVICE_BUSY; the signal aborts a wait (ABORTED) and closes the server', async () => {
    f = await startSim();
    let arrived!: () => void;
    const held = new Promise<void>((r) => (arrived = r));
    const silent = await serve(() => arrived());
    await createDeviceClient({ baseUrl: f.ports.baseUrl }).pull({ url: `${silent.base}/fw.bin` });
    await held;
    expect((await failure(httpPull({ baseUrl: f.ports.baseUrl, image: makeImage('1.1.0') }))).code).toBe(OtaErrorCode.DEVICE_BUSY);

    const device = await serve((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(req.method === 'POST' ? 202 : 404, { connection: 'close' });
        res.end();
      });
    });
    const ac = new AbortController();
    const events: PullEvent[] = [];
    const e = await failure(httpPull({ baseUrl: device.base, image: makeImage('1.1.0'), signal: ac.signal, onEvent: (ev) => (events.push(ev), ev.type === 'accepted' && ac.abort(new Error('cancelled'))) }));
    expect(e.code).toBe(OtaErrorCode.ABORTED);
    expect(await listening((events[0] as { origin: string }).origin)).toBe(false);
  });
});

describe('httpPull: the task ends while the device downloads', () => {
  test('the signal fires once the device fetches: ABORTED, and the server is closed', async () => {
    f = await startSim();
    const ac = new AbortController();
    const end = f.sim.next('pull:end');
    const events: PullEvent[] = [];
    const e = await failure(
      httpPull({ baseUrl: f.ports.baseUrl, image: makeImage('1.1.0', 300000), signal: ac.signal, onEvent: (ev) => (events.push(ev), ev.type === 'fetch' && ac.abort(new Error('task timeout'))) }),
    );
    expect(e.code).toBe(OtaErrorCode.ABORTED);
    expect(await listening((events[0] as { origin: string }).origin)).toBe(false);
    // bytes already in the socket may still reach the device; either way its pull ends
    expect(await end).toMatchObject({ url: expect.stringContaining('/ota/') });
  });
});

describe('the image server', () => {
  test('OTA_PULL_* from the environment; bad values are INVALID_INPUT', () => {
    expect(pullSourceFromEnv({})).toEqual({ bind: '127.0.0.1', port: 0 });
    expect(pullSourceFromEnv({ OTA_PULL_BIND: '0.0.0.0', OTA_PULL_PORT: '8070', OTA_PULL_PUBLIC_URL: 'http://10.0.4.2:8070' })).toEqual({ bind: '0.0.0.0', port: 8070, publicUrl: 'http://10.0.4.2:8070' });
    expect(() => pullSourceFromEnv({ OTA_PULL_PORT: 'eighty' })).toThrow(expect.objectContaining({ code: OtaErrorCode.INVALID_INPUT }));
    expect(() => pullSourceFromEnv({ OTA_PULL_PORT: '70000' })).toThrow(/OTA_PULL_PORT/);
  });

  test('a wildcard bind needs a public URL', async () => {
    const e = await failure(startPullSource(makeImage('1.1.0'), { bind: '0.0.0.0' }));
    expect(e).toMatchObject({ code: OtaErrorCode.INVALID_INPUT, retryable: false });
  });

  test('a public URL without a port gets the ephemeral one; with a path prefix it is kept', async () => {
    const image = makeImage('1.1.0');
    const s = await startPullSource(image, { bind: '127.0.0.1', port: 0, publicUrl: 'http://127.0.0.1/prefix/' });
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/prefix\/ota\/[0-9a-f]{32}\/firmware\.bin$/);
      const r = await raw('GET', s.url);
      expect(r.status).toBe(200);
      expect(r.headers['x-md5']).toBe(md5(image));
      expect((await raw('GET', `${s.origin}/`)).status).toBe(404);
    } finally {
      await s.close();
    }
    expect(await listening(s.origin)).toBe(false);
  });

  test('a fixed port already taken → HTTP_PULL_SOURCE_UNREACHABLE, retryable', async () => {
    const taken = await serve(() => undefined);
    const e = await failure(startPullSource(makeImage('1.1.0'), { port: taken.port }));
    expect(e).toMatchObject({ code: OtaErrorCode.HTTP_PULL_SOURCE_UNREACHABLE, retryable: true });
  });

  test('device error strings map to codes', () => {
    expect(codeForPullError('MD5 Check Failed')).toBe(OtaErrorCode.IMAGE_REJECTED_MD5);
    expect(codeForPullError('Wrong MD5')).toBe(OtaErrorCode.IMAGE_REJECTED_MD5);
    expect(codeForPullError('Verify Bin Header Failed')).toBe(OtaErrorCode.IMAGE_REJECTED_MAGIC);
    expect(codeForPullError('Not Enough space')).toBe(OtaErrorCode.NO_SPACE);
    expect(codeForPullError('connection refused')).toBe(OtaErrorCode.HTTP_PULL_SOURCE_UNREACHABLE);
    expect(codeForPullError('File Not Found (404)')).toBe(OtaErrorCode.HTTP_PULL_SOURCE_UNREACHABLE);
    expect(codeForPullError('Stream Read Timeout')).toBe(OtaErrorCode.TRANSFER_STALLED);
    expect(codeForPullError('read Timeout')).toBe(OtaErrorCode.TRANSFER_STALLED);
    expect(codeForPullError('Could Not Activate The Firmware')).toBe(OtaErrorCode.ACTIVATION_FAILED);
    expect(codeForPullError('something else')).toBe(OtaErrorCode.HTTP_UPDATE_ERROR);
  });
});

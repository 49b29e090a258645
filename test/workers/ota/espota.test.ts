/**
 * The espota push client against the device simulator, over real UDP and TCP on 127.0.0.1.
 * The simulator's restarts and deadlines run on manual timers; where a client timeout is the
 * outcome under test, the client gets manual timers too and the test advances them when the
 * client reports it is waiting. Nothing sleeps.
 */
import { createSocket } from 'node:dgram';
import { createHash } from 'node:crypto';
import { FakeClock } from '../../../engine/ports/clock';
import { APP_DESC_OFFSET, APP_DESC_SIZE } from '../../../workers/lib/firmware/esp-image';
import { espotaPush, type EspotaPushOptions } from '../../../workers/lib/ota/espota-client';
import { OtaError, OtaErrorCode } from '../../../workers/lib/ota/errors';
import { ManualTimers } from '../../helpers/manual-timers';
import { makeImage, makeImageOfSize, startSim, type SimFixture } from './sim-helpers';

const V = {
  md5Nonce: '50ccfac628d2fee6277bccf2b32dbac8',
  sha256Nonce: '8b797b333af130095c0fb0cca8f1ef453e6511a3721e64cee224c59a0d78e2b1',
  invitation: '0 34567 50000 669e22392a6d18f90995072a0aa42d5d\n',
  md5Auth: '200 901b6b0cdf3ee8b9fba5c29d08b8cc35 0aa1c9c3621fcdb626b914cf9c65e6f1\n',
  sha256Auth:
    '200 45c79a9a0230899ea8df03afcfd5d1e7964dc0fe6d7f9e539f7757fce2798f93 6593fc64858b6b451b3b1cc403d3feb515b2481f53e804eea1bcb503833263d6\n',
};

let f: SimFixture | undefined;
afterEach(async () => {
  await f?.sim.stop();
  f = undefined;
});

const push = (o: Partial<EspotaPushOptions> & { image: Buffer }) =>
  espotaPush({ host: '127.0.0.1', port: f!.ports.otaPort, fileName: 'fw.bin', ...o });

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(p: Promise<unknown>): Promise<OtaError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof OtaError)) throw new Error(`expected an OtaError, got ${String(e)}`);
  return e;
}

/** Send one datagram from a fresh socket and resolve with the first reply. */
function ask(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.on('error', reject);
    s.on('message', (m) => {
      s.close();
      resolve(m.toString('latin1'));
    });
    s.send(text, port, '127.0.0.1');
  });
}

describe('replaying the captured espota.py datagrams against the simulator', () => {
  test('MD5 scheme: AUTH with the captured nonce, then OK for the captured answer', async () => {
    f = await startSim({ password: 's3cret', auth: 'md5', nonce: () => V.md5Nonce, faults: { noConnectBack: true } });
    expect(await ask(f.ports.otaPort, V.invitation)).toBe(`AUTH ${V.md5Nonce}`);
    // espota answers from a new socket; the reply must go to that socket.
    expect(await ask(f.ports.otaPort, V.md5Auth)).toBe('OK');
  });

  test('SHA256 scheme: AUTH with the captured 64-hex nonce, then OK for the captured answer', async () => {
    f = await startSim({ password: 's3cret', auth: 'sha256', nonce: () => V.sha256Nonce, faults: { noConnectBack: true } });
    expect(await ask(f.ports.otaPort, V.invitation)).toBe(`AUTH ${V.sha256Nonce}`);
    expect(await ask(f.ports.otaPort, V.sha256Auth)).toBe('OK');
  });

  test('a wrong answer gets "Authentication Failed" and the device is idle again', async () => {
    f = await startSim({ password: 'other', auth: 'sha256', nonce: () => V.sha256Nonce, faults: { noConnectBack: true } });
    expect(await ask(f.ports.otaPort, V.invitation)).toBe(`AUTH ${V.sha256Nonce}`);
    expect(await ask(f.ports.otaPort, V.sha256Auth)).toBe('Authentication Failed');
    expect(f.sim.state().espota).toBe('idle');
  });
});

describe('espotaPush against the simulator', () => {
  test('no password: streams 1024-byte chunks, the device acks "1024"… and ends with "848OK", then boots the image pending_verify', async () => {
    f = await startSim({ version: '1.4.1' });
    const image = makeImageOfSize('1.4.2', 50000);
    const wire: string[] = [];
    f.sim.on('espota:write', (w) => wire.push(w.text));
    const progress: number[] = [];
    const r = await push({ image, onProgress: (sent) => progress.push(sent) });
    expect(r).toMatchObject({ authProtocol: 'none', bytesSent: 50000, bytesAcked: 50000, invitations: 1 });
    expect(r.md5).toBe(createHash('md5').update(image).digest('hex'));
    expect(wire.slice(0, 2)).toEqual(['1024', '1024']);
    expect(wire.at(-1)).toBe('848OK');
    expect(progress.at(-1)).toBe(50000);

    f.timers.advance(100); // the device restarts ~100 ms after OK
    const info = f.sim.info();
    expect(info).toMatchObject({ version: '1.4.2', ota_state: 'pending_verify', running_partition: 'ota_1', boot_count: 2 });
    expect(info.other_slot).toMatchObject({ version: '1.4.1', bootable: true });
    expect(info.app_sha256).toBe(createHash('sha256').update(image).digest('hex'));
  });

  test.each(['md5', 'sha256'] as const)('%s authentication with the right password', async (auth) => {
    f = await startSim({ password: 's3cret', auth });
    const r = await push({ image: makeImage('2.0.0'), password: 's3cret' });
    expect(r.authProtocol).toBe(auth);
    expect(r.invitations).toBe(1);
  });

  test('SHA256 scheme on a device that kept an MD5 password hash: the second round (MD5 hash) gets in', async () => {
    f = await startSim({ password: 's3cret', auth: 'sha256', passwordHash: 'md5' });
    const r = await push({ image: makeImage('2.0.0'), password: 's3cret' });
    expect(r).toMatchObject({ authProtocol: 'sha256', invitations: 2 });
  });

  test('wrong password, SHA256 scheme: two invitation+auth rounds, then AUTH_FAILED (terminal)', async () => {
    f = await startSim({ password: 's3cret', auth: 'sha256' });
    const rounds: boolean[] = [];
    f.sim.on('auth', (a) => rounds.push(a.ok));
    const e = await failure(push({ image: makeImage('2.0.0'), password: 'wrong' }));
    expect(e.code).toBe(OtaErrorCode.AUTH_FAILED);
    expect(e.retryable).toBe(false);
    expect(rounds).toEqual([false, false]);
  });

  test('wrong password, MD5 scheme: one round, AUTH_FAILED', async () => {
    f = await startSim({ password: 's3cret', auth: 'md5' });
    const e = await failure(push({ image: makeImage('2.0.0'), password: 'wrong' }));
    expect(e.code).toBe(OtaErrorCode.AUTH_FAILED);
  });

  test('authReject fault: the right password is refused too', async () => {
    f = await startSim({ password: 's3cret', auth: 'md5', faults: { authReject: true } });
    expect((await failure(push({ image: makeImage('2.0.0'), password: 's3cret' }))).code).toBe(OtaErrorCode.AUTH_FAILED);
  });

  test('a device that asks for a password when none was configured: AUTH_FAILED', async () => {
    f = await startSim({ password: 's3cret' });
    expect((await failure(push({ image: makeImage('2.0.0') }))).code).toBe(OtaErrorCode.AUTH_FAILED);
  });

  test('upload cut mid-stream: TRANSFER_STALLED (retryable) with how far it got; the retry succeeds', async () => {
    f = await startSim({ faults: { dropUpload: { afterBytes: 20000, times: 1 } } });
    const image = makeImage('3.0.0', 60000);
    const e = await failure(push({ image }));
    expect(e.code).toBe(OtaErrorCode.TRANSFER_STALLED);
    expect(e.retryable).toBe(true);
    expect(e.details.bytesAcked).toBeGreaterThan(0);
    expect(e.details.bytesAcked).toBeLessThanOrEqual(20000);
    expect(f.sim.state().espota).toBe('idle');

    const r = await push({ image });
    expect(r.bytesAcked).toBe(image.length);
  });

  test('md5Mismatch fault: the device answers "MD5 Check Failed" → IMAGE_REJECTED_MD5 (terminal)', async () => {
    f = await startSim({ faults: { md5Mismatch: true } });
    const e = await failure(push({ image: makeImage('3.0.0') }));
    expect(e).toMatchObject({ code: OtaErrorCode.IMAGE_REJECTED_MD5, retryable: false });
    expect(e.details.deviceMessage).toBe('MD5 Check Failed');
  });

  test('an image whose checksum is wrong fails activation → ACTIVATION_FAILED; the old image keeps running', async () => {
    f = await startSim({ version: '1.0.0' });
    const image = makeImage('3.0.0');
    image[APP_DESC_OFFSET + APP_DESC_SIZE + 10] ^= 0xff; // payload byte: the XOR checksum no longer matches
    const e = await failure(push({ image }));
    expect(e.code).toBe(OtaErrorCode.ACTIVATION_FAILED);
    f.timers.advance(1000);
    expect(f.sim.info()).toMatchObject({ version: '1.0.0', boot_count: 1 });
  });

  test('an image without the 0xE9 magic: the device stops acking and drops the connection → TRANSFER_STALLED', async () => {
    f = await startSim();
    const image = makeImage('3.0.0');
    image[0] = 0x00;
    expect((await failure(push({ image }))).code).toBe(OtaErrorCode.TRANSFER_STALLED);
  });

  test('nothing listens on the port (ICMP port unreachable): DEVICE_UNREACHABLE at once', async () => {
    const port = await freeUdpPort();
    const e = await failure(espotaPush({ host: '127.0.0.1', port, image: makeImage('1.0.0') }));
    expect(e).toMatchObject({ code: OtaErrorCode.DEVICE_UNREACHABLE, retryable: true });
  });

  test('a silent device: the invitation is re-sent inviteTries times, then DEVICE_UNREACHABLE', async () => {
    f = await startSim({ faults: { silent: true } });
    const timers = new ManualTimers(new FakeClock());
    const attempts: number[] = [];
    const e = await failure(
      push({
        image: makeImage('1.0.0'),
        timers,
        timeouts: { inviteTries: 3 },
        onEvent: (ev) => {
          if (ev.type !== 'invite') return;
          attempts.push(ev.attempt);
          void Promise.resolve().then(() => timers.advance(10000));
        },
      }),
    );
    expect(e.code).toBe(OtaErrorCode.DEVICE_UNREACHABLE);
    expect(attempts).toEqual([1, 2, 3]);
  });

  test('the device says OK but never connects back: NO_CONNECT_BACK (retryable)', async () => {
    f = await startSim({ faults: { noConnectBack: true } });
    const timers = new ManualTimers(new FakeClock());
    const e = await failure(
      push({
        image: makeImage('1.0.0'),
        timers,
        onEvent: (ev) => ev.type === 'connect-wait' && void Promise.resolve().then(() => timers.advance(10000)),
      }),
    );
    expect(e).toMatchObject({ code: OtaErrorCode.NO_CONNECT_BACK, retryable: true });
  });

  test('the AbortSignal stops a push that is waiting, with ABORTED', async () => {
    f = await startSim({ faults: { noConnectBack: true } });
    const ac = new AbortController();
    const e = await failure(
      push({ image: makeImage('1.0.0'), signal: ac.signal, onEvent: (ev) => ev.type === 'connect-wait' && ac.abort(new Error('task timed out')) }),
    );
    expect(e.code).toBe(OtaErrorCode.ABORTED);
  });

  test('command 100 (filesystem) uploads without touching the app slots', async () => {
    f = await startSim({ version: '1.0.0' });
    const invitations: number[] = [];
    f.sim.on('invitation', (i) => invitations.push(i.command));
    await push({ image: Buffer.alloc(3000, 0xff), kind: 'filesystem' });
    expect(invitations).toEqual([100]);
    f.timers.advance(100);
    expect(f.sim.info()).toMatchObject({ version: '1.0.0', other_slot: null });
  });
});

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

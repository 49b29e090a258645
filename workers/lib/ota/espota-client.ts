/**
 * espota push client: uploads an image to an ESP32 running ArduinoOTA, speaking the same bytes
 * as arduino-esp32's espota.py (reference/worker-domain.md §2.1), with typed errors instead of
 * espota's single exit code.
 *
 * Stages (each with its own timeout, all cancelled by the AbortSignal):
 *   listen      open our TCP listener first; its port goes into the invitation
 *   invite      UDP invitation, re-sent up to `inviteTries` times, `inviteMs` apart
 *   auth        on "AUTH <nonce>": MD5 or SHA256 scheme chosen by the nonce length; with the
 *               SHA256 scheme and `passwordHash: 'auto'`, a rejected SHA256-hashed password is
 *               retried once as an MD5 hash after a fresh invitation, as espota does
 *   connect     wait for the device to connect back to our listener
 *   upload      1024-byte chunks, waiting for a reply after each (the device's byte counts)
 *   result      read until "OK" (it can be glued to the last count) or an error line
 */
import { createHash } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { OtaError, OtaErrorCode, codeForUpdateError } from './errors';
import {
  AckReader,
  DEFAULT_ESPOTA_PORT,
  EspotaCommand,
  authResponse,
  formatAuth,
  formatInvitation,
  makeCnonce,
  parseInviteReply,
  storedPasswordHash,
  type AuthScheme,
  type PasswordHash,
} from './espota-protocol';
import { realTimers, type Timers } from './timers';
import { Waiter } from './waiter';

export interface EspotaTimeouts {
  /** Wait for a reply to each invitation. @default 10000 */
  inviteMs?: number;
  /** Invitations sent before giving up. @default 10 */
  inviteTries?: number;
  /** Wait for the device to connect back after its OK. @default 10000 */
  connectBackMs?: number;
  /** Wait for the device's reply after each chunk. @default 10000 */
  chunkAckMs?: number;
  /** Wait for "OK" after the last chunk. @default 60000 */
  resultMs?: number;
}

export interface EspotaPushOptions {
  /** Device address as given (IP or name); also part of espota's cnonce. */
  host: string;
  /** @default 3232 */
  port?: number;
  image: Buffer;
  /** `flash` sends command 0 (app), `filesystem` command 100 (SPIFFS/LittleFS). @default 'flash' */
  kind?: 'flash' | 'filesystem';
  password?: string;
  /** Refuse a device that asks for another scheme. @default 'auto' */
  authProtocol?: 'auto' | 'none' | AuthScheme;
  /** SHA256 scheme only: which hash of the password the device stores. @default 'auto' (sha256, then md5) */
  passwordHash?: 'auto' | PasswordHash;
  /** Name that goes into the cnonce, as espota uses the -f argument. @default 'firmware.bin' */
  fileName?: string;
  /**
   * Where our TCP listener binds; the device connects back to the address it got the
   * invitation from. @default { ip: '127.0.0.1' for a loopback device, else '0.0.0.0'; port: 0 }
   */
  hostBind?: { ip?: string; port?: number };
  /** @default 1024, espota's chunk size */
  chunkSize?: number;
  timeouts?: EspotaTimeouts;
  signal?: AbortSignal;
  onProgress?: (bytesSent: number, total: number) => void;
  /** Stage changes, for task logs (and for tests that drive time by hand). */
  onEvent?: (e: EspotaEvent) => void;
  /** @default real timers */
  timers?: Timers;
}

export type EspotaEvent =
  | { type: 'listening'; tcpPort: number }
  | { type: 'invite'; attempt: number }
  | { type: 'auth'; scheme: AuthScheme; passwordHash: PasswordHash }
  | { type: 'connect-wait' }
  | { type: 'connected'; remote: string }
  | { type: 'result-wait'; bytesSent: number };

export interface EspotaPushResult {
  authProtocol: 'none' | AuthScheme;
  bytesSent: number;
  bytesAcked: number;
  md5: string;
  durationMs: number;
  /** Invitations sent in total (auth retries included). */
  invitations: number;
}

const DEFAULTS = { inviteMs: 10000, inviteTries: 10, connectBackMs: 10000, chunkAckMs: 10000, resultMs: 60000 };

export async function espotaPush(opts: EspotaPushOptions): Promise<EspotaPushResult> {
  const started = Date.now();
  const t = { ...DEFAULTS, ...opts.timeouts };
  const port = opts.port ?? DEFAULT_ESPOTA_PORT;
  const chunkSize = opts.chunkSize ?? 1024;
  if (!opts.image?.length) throw new OtaError(OtaErrorCode.INVALID_INPUT, 'image is empty');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new OtaError(OtaErrorCode.INVALID_INPUT, `bad port ${port}`);
  if (!(chunkSize > 0) || t.inviteTries < 1) throw new OtaError(OtaErrorCode.INVALID_INPUT, 'chunkSize and inviteTries must be positive');
  const md5 = createHash('md5').update(opts.image).digest('hex');
  const w = new Waiter(opts.timers ?? realTimers, opts.signal);
  const emit = (e: EspotaEvent): void => opts.onEvent?.(e);
  const closers: (() => void)[] = [];
  try {
    w.throwIfAborted();
    const server = await listen(opts.hostBind?.ip ?? defaultBindIp(opts.host), opts.hostBind?.port ?? 0);
    closers.push(() => server.close());
    const accepted = acceptFirst(server);
    closers.push(() => accepted.socket?.destroy());
    const tcpPort = (server.address() as { port: number }).port;
    emit({ type: 'listening', tcpPort });

    const command = opts.kind === 'filesystem' ? EspotaCommand.SPIFFS : EspotaCommand.FLASH;
    const invitation = formatInvitation(command, tcpPort, opts.image.length, md5);
    const ctx: NegotiateCtx = { opts, port, md5, invitation, t, w, emit, invitations: 0 };
    const authProtocol = await negotiate(ctx);

    emit({ type: 'connect-wait' });
    const socket = await w.until<Socket>(
      (done) => {
        if (accepted.socket) return done(accepted.socket);
        accepted.onSocket = done;
      },
      t.connectBackMs,
      () => new OtaError(OtaErrorCode.NO_CONNECT_BACK, `device said OK but did not connect back to port ${tcpPort} within ${t.connectBackMs} ms (firewall or NAT between us?)`, { stage: 'connect-back' }),
    );
    server.close();
    emit({ type: 'connected', remote: `${socket.remoteAddress}:${socket.remotePort}` });

    const { bytesSent, bytesAcked } = await upload(socket, opts, chunkSize, t, w, emit);
    return { authProtocol, bytesSent, bytesAcked, md5, durationMs: Date.now() - started, invitations: ctx.invitations };
  } finally {
    for (const close of closers) close();
  }
}

interface NegotiateCtx {
  opts: EspotaPushOptions;
  port: number;
  md5: string;
  invitation: string;
  t: typeof DEFAULTS;
  w: Waiter;
  emit: (e: EspotaEvent) => void;
  invitations: number;
}

/** Invitation and, when asked, authentication. Resolves with the scheme used once the device said OK. */
async function negotiate(c: NegotiateCtx): Promise<'none' | AuthScheme> {
  const { opts } = c;
  let reply = await invite(c);
  // A device without a password answers OK whatever protocol was asked for; pushing is harmless.
  if (reply.kind === 'ok') return 'none';
  if (reply.kind !== 'auth') throw new OtaError(OtaErrorCode.PROTOCOL_ERROR, `unexpected reply to invitation: ${JSON.stringify(reply.text)}`, { stage: 'invite', deviceMessage: reply.text });
  const scheme = reply.scheme;
  if (!scheme) throw new OtaError(OtaErrorCode.PROTOCOL_ERROR, `nonce of unknown length: ${JSON.stringify(reply.nonce)}`, { stage: 'invite' });
  if (opts.password === undefined) throw new OtaError(OtaErrorCode.AUTH_FAILED, 'device requires a password and none was given', { stage: 'auth' });
  if (opts.authProtocol && opts.authProtocol !== 'auto' && opts.authProtocol !== scheme) {
    throw new OtaError(OtaErrorCode.AUTH_FAILED, `device asks for the ${scheme} scheme, ${opts.authProtocol} was required`, { stage: 'auth' });
  }
  const hashes: PasswordHash[] =
    scheme === 'md5' ? ['md5'] : !opts.passwordHash || opts.passwordHash === 'auto' ? ['sha256', 'md5'] : [opts.passwordHash];
  for (let i = 0; i < hashes.length; i++) {
    if (i > 0) {
      // After "Authentication Failed" the device is idle again and wants a fresh invitation.
      reply = await invite(c);
      if (reply.kind === 'ok') return 'none';
      if (reply.kind !== 'auth' || reply.scheme !== scheme) {
        throw new OtaError(OtaErrorCode.PROTOCOL_ERROR, 'device changed its answer between invitations', { stage: 'invite' });
      }
    }
    c.emit({ type: 'auth', scheme, passwordHash: hashes[i] });
    const cnonce = makeCnonce(scheme, opts.fileName ?? 'firmware.bin', opts.image.length, c.md5, opts.host);
    const response = authResponse(scheme, storedPasswordHash(opts.password, hashes[i]), reply.nonce, cnonce);
    // espota sends the answer from a new socket; a device must reply to whoever sent it.
    const answer = await udpExchange(c, formatAuth(cnonce, response), 'auth');
    if (answer === null) throw new OtaError(OtaErrorCode.DEVICE_UNREACHABLE, `no answer to our authentication within ${c.t.inviteMs} ms`, { stage: 'auth' });
    if (answer.trim() === 'OK') return scheme;
    if (!answer.includes('Authentication Failed')) {
      throw new OtaError(OtaErrorCode.PROTOCOL_ERROR, `unexpected reply to authentication: ${JSON.stringify(answer)}`, { stage: 'auth', deviceMessage: answer });
    }
  }
  throw new OtaError(OtaErrorCode.AUTH_FAILED, `device rejected the password (${scheme} scheme, tried ${hashes.join(' then ')} hash)`, { stage: 'auth' });
}

async function invite(c: NegotiateCtx): Promise<ReturnType<typeof parseInviteReply>> {
  const sock = await openUdp(c.opts.host, c.port, c.w);
  try {
    for (let attempt = 1; attempt <= c.t.inviteTries; attempt++) {
      c.invitations++;
      const text = await sendAndWait(sock, c.invitation, c, 'invite', () => c.emit({ type: 'invite', attempt }));
      if (text !== null) return parseInviteReply(text);
    }
  } finally {
    closeQuietly(sock);
  }
  throw new OtaError(OtaErrorCode.DEVICE_UNREACHABLE, `no reply to ${c.t.inviteTries} invitations to ${c.opts.host}:${c.port}`, { stage: 'invite' });
}

async function udpExchange(c: NegotiateCtx, payload: string, stage: string): Promise<string | null> {
  const sock = await openUdp(c.opts.host, c.port, c.w);
  try {
    return await sendAndWait(sock, payload, c, stage);
  } finally {
    closeQuietly(sock);
  }
}

/**
 * Send one datagram on a connected UDP socket and wait for the next one back, or null on timeout.
 * Connecting the socket lets the kernel report ICMP port unreachable as ECONNREFUSED, which we
 * treat as "nothing listens there" at once instead of waiting out every retry.
 */
function sendAndWait(sock: UdpSocket, payload: string, c: NegotiateCtx, stage: string, sent?: () => void): Promise<string | null> {
  return c.w.until<string | null>(
    (done, fail) => {
      const onMessage = (m: Buffer): void => done(m.toString('latin1'));
      const onError = (e: NodeJS.ErrnoException): void =>
        fail(new OtaError(OtaErrorCode.DEVICE_UNREACHABLE, `${c.opts.host}:${c.port}: ${e.code ?? e.message}`, { stage }));
      sock.on('message', onMessage);
      sock.on('error', onError);
      sock.send(payload, (err) => (err ? onError(err) : undefined));
      sent?.();
      return () => {
        sock.off('message', onMessage);
        sock.off('error', onError);
      };
    },
    c.t.inviteMs,
    () => null,
  );
}

function openUdp(host: string, port: number, w: Waiter): Promise<UdpSocket> {
  const sock = createSocket('udp4');
  // Errors outside a sendAndWait (a late ICMP refusal) must not crash the process.
  sock.on('error', () => {});
  return w
    .until<UdpSocket>(
      (done, fail) => {
        const onError = (e: NodeJS.ErrnoException): void =>
          fail(new OtaError(OtaErrorCode.DEVICE_UNREACHABLE, `${host}: ${e.code ?? e.message}`, { stage: 'invite' }));
        sock.once('error', onError);
        sock.connect(port, host, () => done(sock));
        return () => sock.off('error', onError);
      },
      30000,
      () => new OtaError(OtaErrorCode.DEVICE_UNREACHABLE, `cannot resolve ${host}`, { stage: 'invite' }),
    )
    .catch((e: unknown) => {
      closeQuietly(sock);
      throw e;
    });
}

function closeQuietly(sock: UdpSocket): void {
  try {
    sock.close();
  } catch {
    // already closed
  }
}

async function upload(
  socket: Socket,
  opts: EspotaPushOptions,
  chunkSize: number,
  t: typeof DEFAULTS,
  w: Waiter,
  emit: (e: EspotaEvent) => void,
): Promise<{ bytesSent: number; bytesAcked: number }> {
  const image = opts.image;
  const reader = new AckReader();
  let sent = 0;
  let closed = false;
  let wake = (): void => {};
  socket.setNoDelay(true);
  socket.on('data', (d: Buffer) => {
    reader.feed(d.toString('latin1'), sent);
    wake();
  });
  const onGone = (): void => {
    closed = true;
    wake();
  };
  socket.on('close', onGone);
  socket.on('error', onGone);
  // Resolves when `ready()` holds, re-checked on every data/close event.
  const waitUntil = (ready: () => boolean, ms: number, onTimeout: () => OtaError): Promise<void> =>
    w.until<void>(
      (done) => {
        wake = () => (ready() ? done() : undefined);
        wake();
        return () => (wake = () => {});
      },
      ms,
      onTimeout,
    );
  const details = (stage: string) => ({ stage, bytesSent: sent, bytesAcked: reader.bytesAcked });
  const deviceError = (stage: string): OtaError | undefined => {
    const text = reader.errorText(closed);
    if (text === undefined) return undefined;
    const code = codeForUpdateError(text) ?? OtaErrorCode.UPDATE_FAILED;
    return new OtaError(code, `device reported: ${text}`, { ...details(stage), deviceMessage: text });
  };

  while (sent < image.length && !reader.ok) {
    const before = reader.replies;
    const piece = image.subarray(sent, sent + chunkSize);
    if (!closed) socket.write(piece);
    sent += piece.length;
    opts.onProgress?.(sent, image.length);
    await waitUntil(
      () => reader.replies > before || closed,
      t.chunkAckMs,
      () => new OtaError(OtaErrorCode.TRANSFER_STALLED, `no ack within ${t.chunkAckMs} ms`, details('upload')),
    );
    const err = deviceError('upload');
    if (err) throw err;
    if (closed && !reader.ok) {
      throw new OtaError(OtaErrorCode.TRANSFER_STALLED, `device closed the connection after ${reader.bytesAcked} of ${image.length} bytes`, details('upload'));
    }
  }
  emit({ type: 'result-wait', bytesSent: sent });
  await waitUntil(
    () => reader.ok || closed || reader.errorText(false) !== undefined,
    t.resultMs,
    () => new OtaError(OtaErrorCode.NO_RESULT, `image sent but no OK within ${t.resultMs} ms`, details('result')),
  );
  if (reader.ok) return { bytesSent: sent, bytesAcked: reader.bytesAcked };
  const err = deviceError('result');
  if (err) throw err;
  throw new OtaError(OtaErrorCode.NO_RESULT, 'device closed the connection without OK', details('result'));
}

function listen(ip: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (e) => reject(new OtaError(OtaErrorCode.INVALID_INPUT, `cannot listen on ${ip}:${port}: ${e.message}`, { stage: 'listen' })));
    server.listen(port, ip, () => resolve(server));
  });
}

/** Keep the first connection; refuse any other (a second upload stream makes no sense). */
function acceptFirst(server: Server): { socket?: Socket; onSocket?: (s: Socket) => void } {
  const slot: { socket?: Socket; onSocket?: (s: Socket) => void } = {};
  server.on('connection', (s) => {
    s.on('error', () => {}); // reported through 'close' once the upload listens
    if (slot.socket) return s.destroy();
    slot.socket = s;
    slot.onSocket?.(s);
  });
  return slot;
}

function defaultBindIp(host: string): string {
  return /^(127\.|localhost$)/.test(host) ? '127.0.0.1' : '0.0.0.0';
}

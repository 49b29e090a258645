/**
 * The device side of espota (ArduinoOTA), as arduino-esp32 implements it
 * (reference/worker-domain.md §2.1).
 *
 * States:
 *   idle       waiting for an invitation "<0|100> <port> <size> <md5>\n"; anything else is ignored
 *   waitauth   sent "AUTH <nonce>"; the next datagram must be "200 <cnonce> <response>\n",
 *              anything else drops back to idle
 *   runupdate  connecting back to the sender of the last datagram on the invited port and
 *              receiving; datagrams are ignored (the real device is busy in its loop)
 *
 * Replies always go to the sender of the datagram being answered: the new espota sends its
 * authentication from a different socket than its invitation.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import {
  authResponse,
  hexLengthFor,
  md5hex,
  parseAuth,
  parseInvitation,
  sha256hex,
  storedPasswordHash,
  type AuthScheme,
  type Invitation,
  type PasswordHash,
} from '../../workers/lib/ota/espota-protocol';
import type { TimerHandle } from '../../workers/lib/ota/timers';
import type { DeviceCore } from './types';

export interface EspotaDeviceOptions {
  host: string;
  port: number;
  /** null = no password: the invitation is answered "OK". */
  auth: { scheme: AuthScheme; password: string; passwordHash: PasswordHash } | null;
  /** Nonce source; tests pin it to replay captured vectors. */
  nonce?: (scheme: AuthScheme) => string;
  /** ArduinoOTA's `_ota_timeout`: silence before re-sending the last count (3 times), then "Receive Failed". */
  receiveTimeoutMs: number;
}

/** Update.write() takes at most this much per read (the device's buffer). */
const READ_SIZE = 1460;
const IMAGE_MAGIC = 0xe9;

export class EspotaDevice {
  state: 'idle' | 'waitauth' | 'runupdate' = 'idle';
  private udp: UdpSocket | null = null;
  private nonce = '';
  private invitation: Invitation | null = null;
  private upload: Socket | null = null;

  constructor(
    private readonly core: DeviceCore,
    private readonly opts: EspotaDeviceOptions,
  ) {}

  async start(): Promise<number> {
    const udp = createSocket('udp4');
    this.udp = udp;
    udp.on('message', (msg, rinfo) => this.onDatagram(msg.toString('latin1'), rinfo.address, rinfo.port));
    udp.on('error', (e) => this.core.log(`espota udp: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.opts.port, this.opts.host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    return udp.address().port;
  }

  async stop(): Promise<void> {
    this.abortUpload();
    const udp = this.udp;
    this.udp = null;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }

  /** A reset kills whatever transfer was running. */
  abortUpload(): void {
    this.upload?.destroy();
    this.upload = null;
    this.state = 'idle';
  }

  private reply(text: string, address: string, port: number): void {
    this.udp?.send(text, port, address);
  }

  private onDatagram(text: string, address: string, port: number): void {
    if (!this.core.isUp() || this.core.faults.silent) return;
    this.core.emit('datagram', { from: `${address}:${port}`, text });
    if (this.state === 'idle') return this.onInvitation(text, address, port);
    if (this.state === 'waitauth') return this.onAuth(text, address, port);
    // runupdate: busy, the datagram is dropped.
  }

  private onInvitation(text: string, address: string, port: number): void {
    const inv = parseInvitation(text);
    if (!inv) return this.core.log(`espota: ignored ${JSON.stringify(text)}`);
    this.invitation = inv;
    this.core.emit('invitation', { command: inv.command, size: inv.size, md5: inv.md5, from: `${address}:${port}` });
    const auth = this.opts.auth;
    if (auth) {
      this.nonce = this.opts.nonce?.(auth.scheme) ?? defaultNonce(auth.scheme);
      this.state = 'waitauth';
      return this.reply(`AUTH ${this.nonce}`, address, port);
    }
    this.reply('OK', address, port);
    this.runUpdate(address);
  }

  private onAuth(text: string, address: string, port: number): void {
    const auth = this.opts.auth!;
    const a = parseAuth(text);
    const len = hexLengthFor(auth.scheme);
    if (!a || a.cnonce.length !== len || a.response.length !== len) {
      // The device logs "auth param fail" (or "200 was expected") and goes idle without answering.
      this.state = 'idle';
      return;
    }
    const stored = storedPasswordHash(auth.password, auth.passwordHash);
    const ok = !this.core.faults.authReject && a.response === authResponse(auth.scheme, stored, this.nonce, a.cnonce);
    this.core.emit('auth', { ok, scheme: auth.scheme });
    if (!ok) {
      this.state = 'idle';
      return this.reply('Authentication Failed', address, port);
    }
    this.reply('OK', address, port);
    this.runUpdate(address);
  }

  /** ArduinoOTA `_runUpdate`: Update.begin, connect back, read/ack until the size is reached. */
  private runUpdate(address: string): void {
    const inv = this.invitation!;
    const kind = inv.command === 100 ? 'filesystem' : 'flash';
    this.state = 'runupdate';
    const beginError = this.core.begin(inv.size, kind);
    if (beginError || this.core.faults.noConnectBack) {
      // The real device logs the error and goes idle without connecting: the client sees no connect-back.
      this.core.log(`espota: not connecting back (${beginError ?? 'noConnectBack fault'})`);
      this.state = 'idle';
      return;
    }
    this.core.emit('upload:start', { method: 'espota', size: inv.size });
    const sock = connect({ port: inv.hostPort, host: address });
    this.upload = sock;
    const parts: Buffer[] = [];
    let total = 0;
    let lastWritten = 0;
    let tries = 0;
    let timer: TimerHandle | null = null;
    let ended = false;
    const end = (ok: boolean, error?: string): void => {
      if (ended) return;
      ended = true;
      timer?.cancel();
      if (this.upload === sock) {
        this.upload = null;
        this.state = 'idle';
      }
      this.core.emit('upload:end', { method: 'espota', ok, bytes: total, error });
    };
    const write = (text: string): void => {
      this.core.emit('espota:write', { text });
      sock.write(text);
    };
    // No data for receiveTimeoutMs: re-send the last count up to 3 times, then give up.
    const arm = (): void => {
      timer?.cancel();
      timer = this.core.timers.after(this.opts.receiveTimeoutMs, () => {
        if (ended) return;
        if (lastWritten && tries++ < 3) {
          write(String(lastWritten));
          return arm();
        }
        sock.destroy();
        end(false, 'Receive Failed');
      });
    };
    sock.on('connect', arm);
    sock.on('error', () => {});
    sock.on('close', () => end(false, total < inv.size ? 'Aborted' : undefined));
    sock.on('data', (data: Buffer) => {
      for (let off = 0; off < data.length && !ended; off += READ_SIZE) {
        let piece = data.subarray(off, off + READ_SIZE);
        if (total + piece.length > inv.size) piece = piece.subarray(0, inv.size - total);
        if (kind === 'flash' && total === 0 && piece[0] !== IMAGE_MAGIC) {
          // Update.write refuses the first block; no count goes back and the device gives up.
          sock.destroy();
          return end(false, 'Wrong Magic Byte');
        }
        if (this.core.takeDrop(total + piece.length)) {
          sock.destroy();
          return end(false, 'dropUpload fault');
        }
        parts.push(piece);
        total += piece.length;
        lastWritten = piece.length;
        tries = 0;
        if (total < inv.size) {
          write(String(lastWritten));
          continue;
        }
        // Last read: the count and the result leave in one go, which is how "848OK" is seen on the wire.
        const error = this.core.install(Buffer.concat(parts), { method: 'espota', kind, expectedMd5: inv.md5 });
        write(error ? `${lastWritten}${error}\n` : `${lastWritten}OK`);
        sock.end();
        end(!error, error ?? undefined);
        if (!error) this.core.restart('ota');
        return;
      }
      if (!ended) arm();
    });
  }
}

/** ArduinoOTA hashes micros() into the nonce; any random hex of the right length will do. */
function defaultNonce(scheme: AuthScheme): string {
  const r = randomBytes(16);
  return scheme === 'md5' ? md5hex(r) : sha256hex(r);
}

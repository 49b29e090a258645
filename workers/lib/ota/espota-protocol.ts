/**
 * The espota (ArduinoOTA) wire format, without I/O. Both the push client and the device
 * simulator use these functions; the golden vectors captured from the real espota.py
 * (reference/worker-domain.md §2.1) pin them in test/workers/ota/espota-protocol.test.ts.
 *
 *   host → device UDP   "<cmd> <host tcp port> <size> <md5 hex32>\n"     cmd 0 flash, 100 spiffs
 *   device → host UDP   "OK" | "AUTH <nonce>"                            no newline
 *   host → device UDP   "200 <cnonce> <response>\n"                      32-hex MD5 or 64-hex SHA256 scheme
 *   device → host UDP   "OK" | "Authentication Failed"
 *   device → host TCP   connects back; host streams the image, device answers the decimal
 *                       count of bytes written per read ("1024", "848"), then "OK" (may be glued:
 *                       "848OK") or an Update error string + "\n".
 */
import { createHash, pbkdf2Sync } from 'node:crypto';

export const EspotaCommand = { FLASH: 0, SPIFFS: 100, AUTH: 200 } as const;
export type EspotaCommand = (typeof EspotaCommand)[keyof typeof EspotaCommand];

/** The default UDP port of ArduinoOTA on the ESP32 (8266 on the ESP8266). */
export const DEFAULT_ESPOTA_PORT = 3232;

/** MD5 challenge (cores before 3.3.1, 32-hex fields) or PBKDF2-SHA256 (3.3.1+, 64-hex fields). */
export type AuthScheme = 'md5' | 'sha256';
/** Which hash of the password the device stores; 3.3.1+ devices may have kept an MD5 one. */
export type PasswordHash = 'md5' | 'sha256';

/** PBKDF2 rounds of the SHA256 scheme. */
const PBKDF2_ITERATIONS = 10000;

export const md5hex = (s: string | Buffer): string => createHash('md5').update(s).digest('hex');
export const sha256hex = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

export function formatInvitation(command: number, hostPort: number, size: number, md5: string): string {
  return `${command} ${hostPort} ${size} ${md5}\n`;
}

export interface Invitation {
  command: number;
  hostPort: number;
  size: number;
  md5: string;
}

/**
 * Parse an invitation the way the device does: three integers then 32 characters of MD5.
 * Returns null for what the device silently ignores (unknown command, bad MD5 length).
 */
export function parseInvitation(text: string): Invitation | null {
  const m = /^\s*(\d+) +(\d+) +(\d+) (\S*)\s*$/.exec(text);
  if (!m) return null;
  const command = Number(m[1]);
  if (command !== EspotaCommand.FLASH && command !== EspotaCommand.SPIFFS) return null;
  if (m[4].length !== 32) return null;
  return { command, hostPort: Number(m[2]), size: Number(m[3]), md5: m[4] };
}

export function formatAuth(cnonce: string, response: string): string {
  return `${EspotaCommand.AUTH} ${cnonce} ${response}\n`;
}

/** Parse "200 <cnonce> <response>\n"; null when the command is not 200. */
export function parseAuth(text: string): { cnonce: string; response: string } | null {
  const m = /^\s*(\d+) ([^ ]*) ([^\n]*)\n?$/.exec(text);
  if (!m || Number(m[1]) !== EspotaCommand.AUTH) return null;
  return { cnonce: m[2], response: m[3].trim() };
}

export type InviteReply = { kind: 'ok' } | { kind: 'auth'; nonce: string; scheme: AuthScheme | undefined } | { kind: 'other'; text: string };

export function parseInviteReply(text: string): InviteReply {
  const t = text.trim();
  if (t === 'OK') return { kind: 'ok' };
  if (t.startsWith('AUTH ')) {
    const nonce = t.slice(5).trim();
    return { kind: 'auth', nonce, scheme: schemeForNonce(nonce) };
  }
  return { kind: 'other', text: t };
}

/** A modern client picks the scheme from the nonce length. */
export function schemeForNonce(nonce: string): AuthScheme | undefined {
  if (/^[0-9a-f]{32}$/i.test(nonce)) return 'md5';
  if (/^[0-9a-f]{64}$/i.test(nonce)) return 'sha256';
  return undefined;
}

export function hexLengthFor(scheme: AuthScheme): number {
  return scheme === 'md5' ? 32 : 64;
}

/**
 * espota's client nonce: H(filename + size + md5 + device address), so it is deterministic per
 * file. The device only checks its length; we keep espota's recipe so captures compare.
 */
export function makeCnonce(scheme: AuthScheme, fileName: string, size: number, md5: string, deviceAddress: string): string {
  const text = `${fileName}${size}${md5}${deviceAddress}`;
  return scheme === 'md5' ? md5hex(text) : sha256hex(text);
}

/** What the device stores for a password (setPassword); setPasswordHash stores it directly. */
export function storedPasswordHash(password: string, hash: PasswordHash): string {
  return hash === 'md5' ? md5hex(password) : sha256hex(password);
}

/** The challenge response for a stored password hash, nonce and cnonce. */
export function authResponse(scheme: AuthScheme, stored: string, nonce: string, cnonce: string): string {
  if (scheme === 'md5') return md5hex(`${stored}:${nonce}:${cnonce}`);
  // The PBKDF2 password is the ASCII hex string of the stored hash, not its bytes.
  const key = pbkdf2Sync(stored, `${nonce}:${cnonce}`, PBKDF2_ITERATIONS, 32, 'sha256').toString('hex');
  return sha256hex(`${key}:${nonce}:${cnonce}`);
}

/**
 * Reads the device's TCP answers during an upload. The device writes bare decimal counts with
 * no separator, then "OK" or an error line, and TCP may glue them ("848OK", even "536488" when
 * the device split one chunk in two reads). Digit runs are split greedily into counts no larger
 * than the bytes still unacknowledged; counts beyond that (the device re-sends its last count
 * when it waits) are ignored. So `bytesAcked` never exceeds what was sent.
 */
export class AckReader {
  /** Data events seen; the client waits for this to move after each chunk, as espota does. */
  replies = 0;
  bytesAcked = 0;
  /** Everything after the acks: "OK" or an error string. */
  tail = '';

  feed(text: string, bytesSent: number): void {
    this.replies++;
    let rest = text;
    if (!this.tail) {
      const digits = /^\d*/.exec(rest)![0];
      this.countAcks(digits, bytesSent);
      rest = rest.slice(digits.length);
    }
    this.tail += rest;
  }

  /** "Contains OK", never equality: the OK can arrive glued to the last count. */
  get ok(): boolean {
    return this.tail.includes('OK');
  }

  /** The device's error line, once it is complete (newline seen, or the socket closed). */
  errorText(closed: boolean): string | undefined {
    if (this.ok) return undefined;
    const t = this.tail.trim();
    if (!t) return undefined;
    return closed || this.tail.includes('\n') ? t : undefined;
  }

  private countAcks(digits: string, bytesSent: number): void {
    let i = 0;
    while (i < digits.length) {
      const outstanding = bytesSent - this.bytesAcked;
      let take = 0;
      for (let n = 1; n <= Math.min(10, digits.length - i); n++) {
        const v = Number(digits.slice(i, i + n));
        if (v <= outstanding) take = n;
        else break;
      }
      if (take === 0 || Number(digits.slice(i, i + take)) === 0) return; // duplicate or noise
      this.bytesAcked += Number(digits.slice(i, i + take));
      i += take;
    }
  }
}

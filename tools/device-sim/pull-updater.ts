/**
 * The device side of an HTTP pull (reference/worker-domain.md §2.2b): the firmware's
 * `POST /ota/pull {url, md5?, version?, mode?}` handler runs Arduino's HTTPUpdate against `url`.
 *
 * What HTTPUpdate does, and so what this does:
 *   - GET with `User-Agent: ESP32-http-Update`, `Cache-Control: no-cache` and the `x-ESP32-*`
 *     headers describing the running sketch (`x-ESP32-version` is the running version, the
 *     `currentVersion` a sketch passes);
 *   - 304 → "no update"; 404/403 → "File Not Found (404)" / "Forbidden (403)"; any other non-200
 *     → "Wrong HTTP Code"; 200 needs a non-zero Content-Length ("Server Did Not Report Size")
 *     that fits the slot, and an `x-MD5` of 32 hex digits when sent ("Wrong MD5");
 *   - the first byte of an app image must be 0xE9 ("Verify Bin Header Failed"), checked before
 *     anything is written;
 *   - the body goes through Update (the simulator's install path: MD5 from `x-MD5` and from the
 *     command, esp_image_verify, activation, the image flaws), then the device restarts.
 * Connection failures use HTTPClient's strings: "connection refused" before a connection,
 * "connection lost" before the answer, "read Timeout" when no answer comes in time, and a body
 * cut short is Update's "Stream Read Timeout".
 *
 * Time goes through the device's injected timers (the read timeout), like everything else.
 */
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type { TimerHandle } from '../../workers/lib/ota/timers';
import type { DeviceCore, InstallKind, PullOutcome } from './types';

export interface PullCommand {
  url: string;
  md5?: string;
  version?: string;
  mode: 'sketch' | 'spiffs';
}

/** What the `x-ESP32-*` headers describe: the running sketch and the chip. */
export interface PullDeviceFacts {
  staMac: string;
  apMac: string;
  freeSpace: number;
  sketchSize: number;
  sketchMd5: string;
  sketchSha256: string;
  chipSize: number;
  sdkVersion: string;
  version: string;
}

export interface PullUpdaterOptions {
  /** HTTPUpdate's HTTPClient timeout: no answer, or no body bytes, for this long. @default 8000 */
  timeoutMs: number;
  facts(): PullDeviceFacts;
}

/** The pull in progress, as `GET /ota/pull` shows it. */
export interface PullInProgress {
  id: string;
  url: string;
  version?: string;
  bytes: number;
}

const IMAGE_MAGIC = 0xe9;

/** Parse a `POST /ota/pull` body: the command, or the reason for a 400. */
export function parsePullCommand(body: unknown): PullCommand | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON object';
  const b = body as Record<string, unknown>;
  if (typeof b.url !== 'string' || !b.url) return 'url is required';
  let url: URL;
  try {
    url = new URL(b.url);
  } catch {
    return `url is not a URL: ${b.url}`;
  }
  if (url.protocol !== 'http:') return `only http:// URLs are supported, got ${url.protocol}`;
  if (b.md5 !== undefined && (typeof b.md5 !== 'string' || !/^[0-9a-fA-F]{32}$/.test(b.md5))) return 'md5 must be 32 hex digits';
  if (b.version !== undefined && typeof b.version !== 'string') return 'version must be a string';
  if (b.mode !== undefined && b.mode !== 'sketch' && b.mode !== 'spiffs') return 'mode must be sketch or spiffs';
  return { url: b.url, md5: b.md5 as string | undefined, version: b.version as string | undefined, mode: (b.mode as PullCommand['mode']) ?? 'sketch' };
}

export class PullUpdater {
  /** The download under way, if any. */
  current: PullInProgress | null = null;
  /** The device's memory of the last outcome: what `GET /ota/pull` reports; a reset forgets it. */
  last: PullOutcome | null = null;
  /** The simulator's record of the last outcome, kept across resets (for tests and /__sim/state). */
  lastOutcome: PullOutcome | null = null;
  private req: ClientRequest | null = null;
  private timer: TimerHandle | null = null;
  private finishCurrent: ((o: Omit<PullOutcome, 'id' | 'url' | 'version'>) => void) | null = null;

  constructor(
    private readonly core: DeviceCore,
    private readonly o: PullUpdaterOptions,
  ) {}

  get busy(): boolean {
    return this.current !== null;
  }

  /** Start the download (the caller has answered 202 or is about to); returns the pull id. */
  start(cmd: PullCommand): string {
    if (this.current) throw new Error('a pull is already under way');
    const id = randomBytes(6).toString('hex');
    const cur: PullInProgress = { id, url: cmd.url, version: cmd.version, bytes: 0 };
    this.current = cur;
    const kind: InstallKind = cmd.mode === 'spiffs' ? 'filesystem' : 'flash';
    const f = this.o.facts();
    const headers: Record<string, string> = {
      'User-Agent': 'ESP32-http-Update',
      'Cache-Control': 'no-cache',
      'x-ESP32-STA-MAC': f.staMac,
      'x-ESP32-AP-MAC': f.apMac,
      'x-ESP32-free-space': String(f.freeSpace),
      'x-ESP32-sketch-size': String(f.sketchSize),
      'x-ESP32-sketch-md5': f.sketchMd5,
      'x-ESP32-sketch-sha256': f.sketchSha256,
      'x-ESP32-chip-size': String(f.chipSize),
      'x-ESP32-sdk-version': f.sdkVersion,
      'x-ESP32-mode': cmd.mode,
      'x-ESP32-version': f.version,
      // HTTP/1.0 semantics: one request per connection.
      Connection: 'close',
    };
    this.core.log(`pull ${id}: GET ${cmd.url}`);
    this.core.emit('pull:start', { id, url: cmd.url, version: cmd.version });

    let answered = false;
    let connected = false;
    const finish = (r: Omit<PullOutcome, 'id' | 'url' | 'version'>): void => {
      if (this.current !== cur) return;
      this.timer?.cancel();
      this.timer = null;
      this.finishCurrent = null;
      const req = this.req;
      this.req = null;
      this.current = null;
      req?.destroy();
      const outcome: PullOutcome = { id, url: cmd.url, ...(cmd.version !== undefined ? { version: cmd.version } : {}), ...r };
      this.last = outcome;
      this.lastOutcome = outcome;
      this.core.log(`pull ${id}: ${outcome.result}${outcome.error ? ` (${outcome.error})` : ''}`);
      this.core.emit('pull:end', outcome);
      if (outcome.result === 'updated') this.core.restart('ota');
    };
    this.finishCurrent = finish;
    const fail = (error: string, httpStatus?: number): void =>
      finish({ ok: false, result: 'failed', error, bytes: cur.bytes, ...(httpStatus !== undefined ? { httpStatus } : {}) });
    const arm = (): void => {
      this.timer?.cancel();
      this.timer = this.core.timers.after(this.o.timeoutMs, () => fail(answered ? 'Stream Read Timeout' : 'read Timeout'));
    };
    arm();

    const req = request(cmd.url, { method: 'GET', headers, agent: false });
    this.req = req;
    req.on('socket', (s) => s.once('connect', () => (connected = true)));
    req.on('error', () => fail(connected ? (answered ? 'Stream Read Timeout' : 'connection lost') : 'connection refused'));
    req.on('response', (res: IncomingMessage) => {
      answered = true;
      arm();
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        res.resume();
        if (status === 304) return finish({ ok: true, result: 'no_update', httpStatus: 304, bytes: 0 });
        if (status === 404) return fail('File Not Found (404)', status);
        if (status === 403) return fail('Forbidden (403)', status);
        return fail(`Wrong HTTP Code (${status})`, status);
      }
      const size = Number(res.headers['content-length'] ?? 0);
      if (!Number.isInteger(size) || size <= 0) return fail('Server Did Not Report Size', status);
      const tooBig = this.core.begin(size, kind);
      if (tooBig) return fail(tooBig, status);
      const headerMd5 = typeof res.headers['x-md5'] === 'string' ? res.headers['x-md5'] : undefined;
      if (headerMd5 !== undefined && !/^[0-9a-fA-F]{32}$/.test(headerMd5)) return fail('Wrong MD5', status);
      this.core.emit('upload:start', { method: 'pull', size });
      const parts: Buffer[] = [];
      let received = 0;
      const ended = (ok: boolean, error?: string): void => this.core.emit('upload:end', { method: 'pull', ok, bytes: received, error });
      res.on('data', (d: Buffer) => {
        if (this.current !== cur) return;
        if (received === 0 && kind === 'flash' && d[0] !== IMAGE_MAGIC) {
          ended(false, 'Verify Bin Header Failed');
          return fail('Verify Bin Header Failed', status);
        }
        const take = d.subarray(0, Math.max(0, size - received));
        received += take.length;
        cur.bytes = received;
        if (this.core.takeDrop(received)) {
          ended(false, 'dropUpload fault');
          return fail('Stream Read Timeout', status);
        }
        parts.push(take);
        arm();
      });
      // A server that goes away mid-body: 'close' below sees the short count.
      res.on('error', () => {});
      res.on('close', () => {
        if (this.current !== cur) return;
        if (received < size) {
          ended(false, 'Stream Read Timeout');
          return fail('Stream Read Timeout', status);
        }
        const image = Buffer.concat(parts);
        // HTTPUpdate hands x-MD5 to Update.setMD5; the firmware's handler checks the command's md5 too.
        const actual = createHash('md5').update(image).digest('hex');
        const wanted = [headerMd5, cmd.md5].filter((m): m is string => !!m).map((m) => m.toLowerCase());
        const expectedMd5 = wanted.find((m) => m !== actual) ?? wanted[0];
        const error = this.core.install(image, { method: 'pull', kind, expectedMd5 });
        ended(!error, error ?? undefined);
        if (error) return fail(error, status);
        finish({ ok: true, result: 'updated', httpStatus: status, bytes: received });
      });
    });
    req.end();
    return id;
  }

  /** A reset (or the end of the simulator) while downloading: the download dies with the device. */
  abort(): void {
    if (!this.current) return;
    this.finishCurrent?.({ ok: false, result: 'failed', error: 'reset during download', bytes: this.current.bytes });
  }

  /** At boot: RAM is gone, so is the device's memory of the last pull. */
  forget(): void {
    this.last = null;
  }
}

/**
 * HTTP side of a device: push an image to HTTPUpdateServer's `POST /update`
 * (reference/worker-domain.md §2.2a) and call the firmware contract's JSON API (§2.4):
 * `GET /info`, `GET /health`, `POST /ota/confirm|reject|rollback`, and `POST|GET /ota/pull`
 * (the pull command, §2.2b; the image server is in http-pull.ts).
 *
 * Uses node:http with a fresh connection per request (no keep-alive pool), because a device
 * serves one client at a time and reboots under us; a pooled socket would outlive the reboot.
 * HTTPUpdateServer answers 200 for both success and failure, so the body decides.
 */
import { randomBytes } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import { OtaError, OtaErrorCode, codeForUpdateError } from './errors';
import { realTimers, type Timers } from './timers';

/** `GET /info` as the firmware contract (§2.4) defines it; field names are the wire's. */
export interface DeviceInfo {
  version: string;
  project: string;
  idf_ver: string;
  build_date: string;
  /** SHA256 of the running image file, the same hash the pipeline records for the artifact. */
  app_sha256: string;
  /** `esp_app_desc_t.app_elf_sha256`, when the device reports it. */
  app_elf_sha256?: string;
  image_md5: string;
  secure_version?: number;
  running_partition: string;
  ota_state: 'valid' | 'pending_verify' | 'undefined' | string;
  boot_id: string;
  boot_count: number;
  uptime_ms: number;
  reset_reason: string;
  free_heap: number;
  other_slot: { partition: string; version: string; bootable: boolean; ota_state: string } | null;
  last_invalid: { version: string } | null;
}

export interface HealthResult {
  /** 200 means healthy; 503 carries the failing checks. */
  ok: boolean;
  status: number;
  body: unknown;
}

export interface HttpPushOptions {
  /** e.g. `http://10.0.4.17` or `http://127.0.0.1:8080` */
  baseUrl: string;
  image: Buffer;
  /** Form field `firmware` (app) or `filesystem`. @default 'flash' */
  kind?: 'flash' | 'filesystem';
  /** @default '/update' */
  path?: string;
  /** @default 'firmware.bin' */
  fileName?: string;
  /** HTTP Basic credentials, when the update server has them set. */
  username?: string;
  password?: string;
  /** The CSRF check wants `http://` + Host. @default derived from baseUrl */
  origin?: string;
  /** Whole request, upload and answer. @default 120000 */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (bytesSent: number, total: number) => void;
  timers?: Timers;
}

export interface HttpPushResult {
  bytesSent: number;
  status: number;
  body: string;
  durationMs: number;
}

/** Upload `image` as multipart/form-data, as a browser submits HTTPUpdateServer's form. */
export async function httpPush(opts: HttpPushOptions): Promise<HttpPushResult> {
  const started = Date.now();
  if (!opts.image?.length) throw new OtaError(OtaErrorCode.INVALID_INPUT, 'image is empty');
  const url = parseBaseUrl(opts.baseUrl, opts.path ?? '/update');
  const boundary = `----BatonOta${randomBytes(12).toString('hex')}`;
  const field = opts.kind === 'filesystem' ? 'filesystem' : 'firmware';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${opts.fileName ?? 'firmware.bin'}"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const headers: Record<string, string> = {
    'content-type': `multipart/form-data; boundary=${boundary}`,
    // A known length: the device's WebServer does not take chunked request bodies.
    'content-length': String(head.length + opts.image.length + tail.length),
    origin: opts.origin ?? `http://${url.host}`,
  };
  if (opts.username !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`;
  }
  let bytesSent = 0;
  const res = await send(url, 'POST', headers, opts, async (write) => {
    await write(head);
    for (let off = 0; off < opts.image.length; off += 16384) {
      const piece = opts.image.subarray(off, off + 16384);
      await write(piece);
      bytesSent += piece.length;
      opts.onProgress?.(bytesSent, opts.image.length);
    }
    await write(tail);
  }, () => bytesSent);
  const base = { stage: 'http', httpStatus: res.status, bytesSent, deviceMessage: res.body.slice(0, 500) };
  if (res.status === 401) throw new OtaError(OtaErrorCode.AUTH_FAILED, 'update server refused our credentials (401)', base);
  if (res.status === 409 || res.status === 503) throw new OtaError(OtaErrorCode.DEVICE_BUSY, `device busy (${res.status})`, base);
  if (res.status !== 200) {
    throw new OtaError(OtaErrorCode.DEVICE_HTTP_ERROR, `unexpected status ${res.status} from ${url.pathname}`, base, res.status >= 500);
  }
  const m = /Update error: ?([^<\r\n]*)/.exec(res.body);
  if (m) {
    const text = m[1].trim();
    if (/wrong origin/i.test(text)) throw new OtaError(OtaErrorCode.ORIGIN_REJECTED, `device rejected Origin ${headers.origin}`, base);
    throw new OtaError(codeForUpdateError(text) ?? OtaErrorCode.HTTP_UPDATE_ERROR, `device reported: ${text}`, { ...base, deviceMessage: text });
  }
  if (!/Update Success/i.test(res.body)) {
    throw new OtaError(OtaErrorCode.PROTOCOL_ERROR, 'answer is neither "Update Success" nor "Update error"', base);
  }
  return { bytesSent, status: res.status, body: res.body, durationMs: Date.now() - started };
}

export interface DeviceClientOptions {
  baseUrl: string;
  /** Per request. @default 5000 */
  timeoutMs?: number;
  timers?: Timers;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface DeviceClient {
  info(o?: CallOptions): Promise<DeviceInfo>;
  health(o?: CallOptions): Promise<HealthResult>;
  /** esp_ota_mark_app_valid_cancel_rollback(); answers the new /info-like state. */
  confirm(o?: CallOptions): Promise<unknown>;
  /** esp_ota_mark_app_invalid_rollback_and_reboot(). */
  reject(o?: CallOptions): Promise<unknown>;
  /** Update.rollBack() + restart: boot the other slot. */
  rollback(o?: CallOptions): Promise<unknown>;
  /**
   * `POST /ota/pull {url, md5?, version?, mode?}`: have the device fetch an image itself
   * (HTTPUpdate, reference/worker-domain.md §2.2b). Answers once the device accepted the command
   * (202); the download runs after that. 409/503 are DEVICE_BUSY.
   */
  pull(cmd: PullCommand, o?: CallOptions): Promise<PullAccepted>;
  /** `GET /ota/pull`: the pull in progress and the last outcome since boot (404: not supported). */
  pullStatus(o?: CallOptions): Promise<{ status: number; body: PullStatus | undefined }>;
}

/** The command body of `POST /ota/pull`. */
export interface PullCommand {
  url: string;
  /** MD5 of the image, verified by the device before it activates it. */
  md5?: string;
  /** The version the image carries (for the device's log and state). */
  version?: string;
  /** HTTPUpdate's `x-ESP32-mode`: the app (`sketch`, default) or the filesystem (`spiffs`). */
  mode?: 'sketch' | 'spiffs';
}

export interface PullAccepted {
  accepted: boolean;
  id?: string;
}

/** One finished pull as `GET /ota/pull` reports it. */
export interface PullOutcome {
  id?: string;
  url: string;
  ok: boolean;
  /** `updated` (installed, restarting), `no_update` (304) or `failed`. */
  result: 'updated' | 'no_update' | 'failed' | string;
  httpStatus?: number;
  bytes?: number;
  /** HTTPUpdate's last error string, e.g. "MD5 Check Failed", "connection refused". */
  error?: string;
}

export interface PullStatus {
  state: 'idle' | 'downloading' | string;
  current: { id?: string; url: string; bytes?: number } | null;
  last: PullOutcome | null;
}

/** A client for the firmware contract's JSON endpoints. Connection failures are DEVICE_UNREACHABLE. */
export function createDeviceClient(opts: DeviceClientOptions): DeviceClient {
  const call = async (method: string, path: string, o: CallOptions = {}, body?: unknown) => {
    const url = parseBaseUrl(opts.baseUrl, path);
    const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = method === 'POST' ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {};
    const res = await send(url, method, headers, { timeoutMs: opts.timeoutMs ?? 5000, signal: o.signal, timers: opts.timers }, async (write) => {
      if (payload.length) await write(payload);
    }, () => 0);
    return { ...res, json: tryJson(res.body) };
  };
  const action = async (path: string, refused: OtaErrorCode, o?: CallOptions) => {
    const res = await call('POST', path, o);
    if (res.status === 200) return res.json ?? res.body;
    const details = { stage: 'http', httpStatus: res.status, deviceMessage: res.body.slice(0, 500) };
    if (res.status === 503) throw new OtaError(OtaErrorCode.DEVICE_BUSY, `${path}: device busy (503)`, details);
    if (res.status === 409 || res.status === 400) throw new OtaError(refused, `${path} refused (${res.status}): ${res.body.slice(0, 200)}`, details);
    throw new OtaError(OtaErrorCode.DEVICE_HTTP_ERROR, `${path}: unexpected status ${res.status}`, details, res.status >= 500);
  };
  return {
    async info(o) {
      const res = await call('GET', '/info', o);
      const details = { stage: 'http', httpStatus: res.status, deviceMessage: res.body.slice(0, 500) };
      if (res.status === 503) throw new OtaError(OtaErrorCode.DEVICE_BUSY, '/info: device busy (503)', details);
      if (res.status !== 200) throw new OtaError(OtaErrorCode.DEVICE_HTTP_ERROR, `/info: status ${res.status}`, details, res.status >= 500);
      const j = res.json as Partial<DeviceInfo> | undefined;
      if (!j || typeof j.version !== 'string' || typeof j.ota_state !== 'string' || typeof j.boot_id !== 'string') {
        throw new OtaError(OtaErrorCode.INFO_UNPARSABLE, '/info is not the JSON the firmware contract defines', details);
      }
      return j as DeviceInfo;
    },
    async health(o) {
      const res = await call('GET', '/health', o);
      return { ok: res.status === 200, status: res.status, body: res.json ?? res.body };
    },
    confirm: (o) => action('/ota/confirm', OtaErrorCode.CONFIRM_FAILED, o),
    reject: (o) => action('/ota/reject', OtaErrorCode.ROLLBACK_NOT_POSSIBLE, o),
    rollback: (o) => action('/ota/rollback', OtaErrorCode.ROLLBACK_NOT_POSSIBLE, o),
    async pull(cmd, o) {
      const res = await call('POST', '/ota/pull', o, cmd);
      if (res.status === 200 || res.status === 202) return { accepted: true, ...(res.json as object | undefined) } as PullAccepted;
      const details = { stage: 'http', httpStatus: res.status, deviceMessage: res.body.slice(0, 500) };
      if (res.status === 409 || res.status === 503) throw new OtaError(OtaErrorCode.DEVICE_BUSY, `/ota/pull: device busy (${res.status})`, details);
      if (res.status === 401) throw new OtaError(OtaErrorCode.AUTH_FAILED, '/ota/pull: device refused our credentials (401)', details);
      const what = res.status === 404 ? 'the device does not offer /ota/pull' : `/ota/pull refused (${res.status}): ${res.body.slice(0, 200)}`;
      throw new OtaError(OtaErrorCode.DEVICE_HTTP_ERROR, what, details, res.status >= 500);
    },
    async pullStatus(o) {
      const res = await call('GET', '/ota/pull', o);
      const j = res.json as Partial<PullStatus> | undefined;
      const ok = res.status === 200 && !!j && typeof j === 'object' && 'last' in j;
      return { status: res.status, body: ok ? ({ state: j.state ?? 'idle', current: j.current ?? null, last: j.last ?? null } as PullStatus) : undefined };
    },
  };
}

interface SendOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  timers?: Timers;
}

/** Connect-level failures: the device is not there (yet). Anything else once bytes flowed is a cut transfer. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT']);

/**
 * One HTTP exchange. `writeBody` streams the request body with backpressure; `sent` says how far
 * it got, for the error details. Resolves with the status and the body text (capped at 64 KiB).
 */
function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  opts: SendOptions,
  writeBody: (write: (b: Buffer) => Promise<void>) => Promise<void>,
  sent: () => number,
): Promise<{ status: number; body: string }> {
  const timers = opts.timers ?? realTimers;
  const timeoutMs = opts.timeoutMs ?? 120000;
  return new Promise((resolve, reject) => {
    let settled = false;
    let connected = false;
    const req = request(url, { method, headers, agent: false });
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      timer.cancel();
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const fail = (e: OtaError): void =>
      finish(() => {
        req.destroy();
        reject(e);
      });
    const onAbort = (): void => fail(new OtaError(OtaErrorCode.ABORTED, `aborted: ${String(opts.signal?.reason ?? '')}`, { stage: 'http', bytesSent: sent() }));
    const timer = timers.after(timeoutMs, () =>
      fail(
        connected
          ? new OtaError(OtaErrorCode.TRANSFER_STALLED, `${method} ${url.pathname}: no answer within ${timeoutMs} ms`, { stage: 'http', bytesSent: sent() })
          : new OtaError(OtaErrorCode.DEVICE_UNREACHABLE, `${url.host}: no connection within ${timeoutMs} ms`, { stage: 'http' }),
      ),
    );
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('socket', (s) => s.once('connect', () => (connected = true)));
    req.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? '';
      fail(
        !connected || UNREACHABLE.has(code)
          ? new OtaError(OtaErrorCode.DEVICE_UNREACHABLE, `${url.host}: ${code || e.message}`, { stage: 'http' })
          : new OtaError(OtaErrorCode.TRANSFER_STALLED, `${method} ${url.pathname}: ${code || e.message} after ${sent()} bytes`, { stage: 'http', bytesSent: sent() }),
      );
    });
    req.on('response', (res: IncomingMessage) => {
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (d: Buffer) => {
        if (size < 65536) parts.push(d);
        size += d.length;
      });
      res.on('end', () => finish(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') })));
      res.on('error', () => fail(new OtaError(OtaErrorCode.TRANSFER_STALLED, 'answer cut off', { stage: 'http', bytesSent: sent() })));
    });
    const write = (b: Buffer): Promise<void> =>
      new Promise((ok) => {
        // A destroyed request never drains; the error handler above settles the exchange.
        if (settled || req.destroyed) return ok();
        if (req.write(b)) ok();
        else req.once('drain', ok);
      });
    writeBody(write).then(
      () => !settled && req.end(),
      () => {},
    );
  });
}

function parseBaseUrl(baseUrl: string, path: string): URL {
  let url: URL;
  try {
    url = new URL(path, baseUrl);
  } catch {
    throw new OtaError(OtaErrorCode.INVALID_INPUT, `bad device URL ${JSON.stringify(baseUrl)}`);
  }
  if (url.protocol !== 'http:') throw new OtaError(OtaErrorCode.INVALID_INPUT, `only http:// devices are supported, got ${url.protocol}`);
  return url;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * HTTP pull (reference/worker-domain.md §2.2b, §8.3 `http_pull`): instead of pushing, the
 * worker publishes the image on a short-lived HTTP server of its own and tells the device to
 * fetch it with `POST /ota/pull {url, md5, version}`; the device runs Arduino's HTTPUpdate
 * against that URL, installs the image and restarts.
 *
 *   1. listen on OTA_PULL_BIND:OTA_PULL_PORT (127.0.0.1, ephemeral by default) and serve the
 *      image under a random path (`/ota/<128-bit hex>/firmware.bin`), with Content-Length and
 *      `x-MD5`; every other request gets 404;
 *   2. `POST /ota/pull` on the device (refusals keep the device client's codes: DEVICE_BUSY...);
 *   3. wait, within `timeoutMs`, until the server has sent the whole body, then for the device's
 *      verdict from `GET /ota/pull` (a device that has restarted, or that offers no status,
 *      counts as done: verify_device judges the boot);
 *   4. close the server, whatever happened.
 *
 * Failures: no fetch by the deadline, or the device reporting it could not reach the URL →
 * HTTP_PULL_SOURCE_UNREACHABLE; the download cut → TRANSFER_STALLED (both retryable); the
 * device's Update errors map like the other methods' (MD5 Check Failed → IMAGE_REJECTED_MD5...).
 */
import { EventEmitter } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { OtaError, OtaErrorCode, codeForUpdateError } from './errors';
import { createDeviceClient, type PullStatus } from './http-ota';
import { realTimers, type TimerHandle, type Timers } from './timers';
import { Waiter } from './waiter';

/** Where the image server listens and the address the device is told to use. */
export interface PullSourceOptions {
  /** Bind address. @default '127.0.0.1' */
  bind?: string;
  /**
   * 0 = ephemeral. @default 0. A fixed port serves one task at a time: a second task of the same
   * worker process fails to listen (EADDRINUSE, retryable HTTP_PULL_SOURCE_UNREACHABLE), so pair
   * it with WORKER_OTA_DEPLOY_CONCURRENCY=1.
   */
  port?: number;
  /**
   * Base URL the device reaches the server at (NAT, another interface, a reverse proxy), e.g.
   * `http://10.0.4.2:8070`. Without a port and with `port` 0, the bound port is filled in.
   * @default http://<bind>:<bound port>
   */
  publicUrl?: string;
}

/** OTA_PULL_BIND, OTA_PULL_PORT, OTA_PULL_PUBLIC_URL. A bad value is terminal INVALID_INPUT. */
export function pullSourceFromEnv(env: Readonly<Record<string, string | undefined>>): PullSourceOptions {
  const bind = env.OTA_PULL_BIND?.trim() || '127.0.0.1';
  const rawPort = env.OTA_PULL_PORT?.trim() || '0';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new OtaError(OtaErrorCode.INVALID_INPUT, `OTA_PULL_PORT must be a port number 0-65535 (got ${JSON.stringify(rawPort)})`);
  }
  const publicUrl = env.OTA_PULL_PUBLIC_URL?.trim() || undefined;
  return { bind, port, ...(publicUrl ? { publicUrl } : {}) };
}

export type PullEvent =
  | { type: 'serving'; origin: string }
  | { type: 'accepted'; id?: string }
  | { type: 'fetch'; from: string; userAgent?: string; deviceVersion?: string; mode?: string }
  | { type: 'not-found'; from: string; method: string }
  | { type: 'sent'; bytes: number }
  | { type: 'cut'; bytes: number }
  | { type: 'verdict'; result: string; error?: string };

export interface HttpPullOptions {
  /** The device's HTTP base URL, e.g. `http://10.0.4.17`. */
  baseUrl: string;
  image: Buffer;
  /** `flash` → `x-ESP32-mode: sketch`, `filesystem` → `spiffs`. @default 'flash' */
  kind?: 'flash' | 'filesystem';
  /** The version the image carries, passed on in the command. */
  version?: string;
  source?: PullSourceOptions;
  /** From the command until the device has downloaded the image and judged it. @default 60000 */
  timeoutMs?: number;
  /** How often the device's `GET /ota/pull` is read while waiting. @default 250 */
  pollIntervalMs?: number;
  /** Per device request. @default 5000 */
  requestTimeoutMs?: number;
  signal?: AbortSignal;
  /** Bytes of the image handed to the device's connection. */
  onProgress?: (bytesSent: number, total: number) => void;
  onEvent?: (e: PullEvent) => void;
  timers?: Timers;
}

export interface HttpPullResult {
  /** Image bytes the server sent on the completed download. */
  bytesSent: number;
  durationMs: number;
  /** GET requests for the image (1 unless the device retried). */
  fetches: number;
  /**
   * What the device said last: `updated` (its own report), `rebooted` (gone or forgotten after
   * the download, as a restarting device is), `unknown` (it offers no `GET /ota/pull`).
   */
  deviceResult: 'updated' | 'rebooted' | 'unknown';
}

const CHUNK = 16384;
const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** HTTPUpdate's own error strings, beyond Update's (codeForUpdateError). */
const PULL_ERRORS: [RegExp, OtaErrorCode][] = [
  [/Verify Bin Header Failed/i, OtaErrorCode.IMAGE_REJECTED_MAGIC],
  [/Wrong MD5/i, OtaErrorCode.IMAGE_REJECTED_MD5],
  [/Does Not Fit Flash/i, OtaErrorCode.NO_SPACE],
  [/connection refused|no HTTP server|not connected|File Not Found|Forbidden|Wrong HTTP Code|Server Did Not Report Size/i, OtaErrorCode.HTTP_PULL_SOURCE_UNREACHABLE],
  [/connection lost|read Timeout|Stream/i, OtaErrorCode.TRANSFER_STALLED],
];

/** The code for an error string a device reports for its pull. */
export function codeForPullError(text: string): OtaErrorCode {
  return codeForUpdateError(text) ?? PULL_ERRORS.find(([re]) => re.test(text))?.[1] ?? OtaErrorCode.HTTP_UPDATE_ERROR;
}

/** The image server of one pull. */
export interface PullSource {
  /** The URL the device is told to GET. */
  url: string;
  /** scheme://host:port of `url`, for logs (the path is the secret). */
  origin: string;
  /** 'fetch' | 'not-found' | 'sent' | 'cut' | 'progress' events. */
  events: EventEmitter;
  fetches: number;
  close(): Promise<void>;
}

/** Listen and serve `image` under a random path until close(). */
export async function startPullSource(image: Buffer, o: PullSourceOptions = {}, fileName = 'firmware.bin'): Promise<PullSource> {
  const bind = o.bind ?? '127.0.0.1';
  const port = o.port ?? 0;
  let base: URL | null = null;
  if (o.publicUrl) {
    try {
      base = new URL(o.publicUrl);
    } catch {
      throw new OtaError(OtaErrorCode.INVALID_INPUT, `OTA_PULL_PUBLIC_URL is not a URL: ${JSON.stringify(o.publicUrl)}`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new OtaError(OtaErrorCode.INVALID_INPUT, `OTA_PULL_PUBLIC_URL must be http(s), got ${base.protocol}`);
  } else if (WILDCARDS.has(bind)) {
    throw new OtaError(OtaErrorCode.INVALID_INPUT, `OTA_PULL_BIND=${bind} listens everywhere: set OTA_PULL_PUBLIC_URL to the address the device must use`);
  }
  const path = `/ota/${randomBytes(16).toString('hex')}/${fileName}`;
  const md5 = createHash('md5').update(image).digest('hex');
  const events = new EventEmitter();
  const source = { events, fetches: 0 } as PullSource;

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const from = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const reqPath = (req.url ?? '/').split('?')[0];
    // A proxy may keep its own prefix in front of ours.
    const ours = reqPath === path || reqPath.endsWith(path);
    if (!ours || (req.method !== 'GET' && req.method !== 'HEAD')) {
      events.emit('not-found', { from, method: req.method ?? '' });
      res.writeHead(404, { 'content-type': 'text/plain', 'content-length': '10', connection: 'close' });
      return void res.end('Not Found\n');
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(image.length),
      'x-MD5': md5,
      'cache-control': 'no-store',
      connection: 'close',
    });
    if (req.method === 'HEAD') return void res.end();
    source.fetches++;
    events.emit('fetch', {
      from,
      userAgent: req.headers['user-agent'],
      deviceVersion: header(req, 'x-esp32-version'),
      mode: header(req, 'x-esp32-mode'),
    });
    let off = 0;
    res.on('close', () => {
      if (res.writableFinished) events.emit('sent', { bytes: off });
      else events.emit('cut', { bytes: off });
    });
    const pump = (): void => {
      while (off < image.length && !res.destroyed) {
        const piece = image.subarray(off, off + CHUNK);
        off += piece.length;
        events.emit('progress', off);
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    pump();
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const msg = `image server cannot listen on ${bind}:${port}: ${e.code ?? e.message}`;
      // a fixed port another task holds frees up; a bad address or a privileged port does not
      reject(new OtaError(OtaErrorCode.HTTP_PULL_SOURCE_UNREACHABLE, msg, { stage: 'serve' }, e.code === 'EADDRINUSE'));
    });
    server.listen(port, bind, () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  let url: URL;
  if (base) {
    url = new URL(base.toString());
    if (!url.port && port === 0) url.port = String(bound);
    url.pathname = url.pathname.replace(/\/+$/, '') + path;
  } else {
    url = new URL(`http://${isIP(bind) === 6 ? `[${bind}]` : bind}:${bound}${path}`);
  }
  source.url = url.toString();
  source.origin = url.origin;
  source.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return source;
}

/**
 * Serve the image, command the device to pull it, wait for the download and the device's verdict.
 * The server is closed on every path out.
 */
export async function httpPull(opts: HttpPullOptions): Promise<HttpPullResult> {
  const started = Date.now();
  if (!opts.image?.length) throw new OtaError(OtaErrorCode.INVALID_INPUT, 'image is empty');
  const timers = opts.timers ?? realTimers;
  const waiter = new Waiter(timers, opts.signal);
  waiter.throwIfAborted();
  const filesystem = opts.kind === 'filesystem';
  const source = await startPullSource(opts.image, opts.source, filesystem ? 'filesystem.bin' : 'firmware.bin');
  // Device calls made while waiting stop when the wait ends.
  const polls = new AbortController();
  const onAbort = (): void => polls.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    opts.onEvent?.({ type: 'serving', origin: source.origin });
    const client = createDeviceClient({ baseUrl: opts.baseUrl, timeoutMs: opts.requestTimeoutMs ?? 5000, timers });
    const md5 = createHash('md5').update(opts.image).digest('hex');
    const accepted = await client.pull(
      { url: source.url, md5, ...(opts.version ? { version: opts.version } : {}), ...(filesystem ? { mode: 'spiffs' as const } : {}) },
      { signal: opts.signal },
    );
    opts.onEvent?.({ type: 'accepted', id: accepted.id });
    const timeoutMs = opts.timeoutMs ?? 60000;
    const r = await waitForDevice(waiter, timers, source, opts, timeoutMs, () => client.pullStatus({ signal: polls.signal }));
    return { ...r, fetches: source.fetches, durationMs: Date.now() - started };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    polls.abort();
    await source.close();
  }
}

type Phase = 'waiting' | 'downloading' | 'sent' | 'cut';

function waitForDevice(
  waiter: Waiter,
  timers: Timers,
  source: PullSource,
  opts: HttpPullOptions,
  timeoutMs: number,
  readStatus: () => Promise<{ status: number; body: PullStatus | undefined }>,
): Promise<Omit<HttpPullResult, 'durationMs' | 'fetches'>> {
  const total = opts.image.length;
  const pollMs = opts.pollIntervalMs ?? 250;
  let phase: Phase = 'waiting';
  let bytesSent = 0;
  let lastProgress = 0;
  /** Whether the device answers GET /ota/pull at all. */
  let statusSupported = true;
  const details = (): Record<string, unknown> => ({ stage: 'pull', bytesSent: phase === 'sent' ? bytesSent : lastProgress, fetches: source.fetches });

  return waiter.until<Omit<HttpPullResult, 'durationMs' | 'fetches'>>(
    (done, fail) => {
      let stopped = false;
      let polling = false;
      let pollTimer: TimerHandle | null = null;
      const succeed = (deviceResult: HttpPullResult['deviceResult']): void => {
        opts.onEvent?.({ type: 'verdict', result: deviceResult });
        done({ bytesSent: total, deviceResult });
      };
      const stalled = (why: string): void => fail(new OtaError(OtaErrorCode.TRANSFER_STALLED, `download cut: ${why}`, details()));

      const schedule = (ms: number): void => {
        if (stopped || !statusSupported) return;
        pollTimer?.cancel();
        pollTimer = timers.after(ms, () => void poll());
      };
      const decide = (st: { status: number; body: PullStatus | undefined } | undefined, err: unknown): void => {
        if (err) {
          // A device that went away right after the whole download is restarting into the image.
          const code = (err as OtaError).code;
          const gone = code === OtaErrorCode.DEVICE_UNREACHABLE || code === OtaErrorCode.TRANSFER_STALLED;
          if (gone && phase === 'sent') return succeed('rebooted');
          if (gone && phase === 'cut') return stalled(`the device went away after ${lastProgress}/${total} bytes`);
          return; // a glitch while it downloads: ask again
        }
        if (!st) return;
        if (st.status === 404 || (st.status === 200 && !st.body)) {
          statusSupported = false;
          if (phase === 'sent') return succeed('unknown');
          if (phase === 'cut') return stalled(`after ${lastProgress}/${total} bytes`);
          return;
        }
        if (st.status !== 200 || !st.body) return; // busy: ask again
        const { last, current } = st.body;
        if (last && last.url === source.url) {
          opts.onEvent?.({ type: 'verdict', result: last.result, error: last.error });
          if (last.ok && last.result === 'updated') return done({ bytesSent: total, deviceResult: 'updated' });
          if (last.ok) return fail(new OtaError(OtaErrorCode.PROTOCOL_ERROR, `device reported "${last.result}" for an image it was served`, details()));
          const text = last.error ?? 'unknown error';
          const code = codeForPullError(text);
          const msg =
            code === OtaErrorCode.HTTP_PULL_SOURCE_UNREACHABLE
              ? `device could not fetch ${source.origin}: ${text}`
              : `device reported: ${text}`;
          return fail(new OtaError(code, msg, { ...details(), deviceMessage: text, ...(last.httpStatus ? { httpStatus: last.httpStatus } : {}) }));
        }
        if (current && current.url === source.url) return; // still at it
        // The device no longer knows our pull: after the download that is a restart.
        if (phase === 'sent') return succeed('rebooted');
        if (phase === 'cut') return stalled(`after ${lastProgress}/${total} bytes`);
      };
      const poll = async (): Promise<void> => {
        if (stopped || polling) return;
        polling = true;
        let st: { status: number; body: PullStatus | undefined } | undefined;
        let err: unknown;
        try {
          st = await readStatus();
        } catch (e) {
          err = e;
        }
        polling = false;
        if (stopped) return;
        decide(st, err);
        schedule(phase === 'sent' || phase === 'cut' ? Math.min(pollMs, 50) : pollMs);
      };

      const onFetch = (e: { from: string; userAgent?: string; deviceVersion?: string; mode?: string }): void => {
        phase = 'downloading';
        opts.onEvent?.({ type: 'fetch', ...e });
      };
      const onNotFound = (e: { from: string; method: string }): void => opts.onEvent?.({ type: 'not-found', ...e });
      const onProgress = (n: number): void => {
        lastProgress = n;
        opts.onProgress?.(n, total);
      };
      const onSent = (e: { bytes: number }): void => {
        phase = 'sent';
        bytesSent = e.bytes;
        opts.onEvent?.({ type: 'sent', bytes: e.bytes });
        if (!statusSupported) return succeed('unknown');
        // The device installs right after the last byte: ask now, then often.
        pollTimer?.cancel();
        void poll();
      };
      const onCut = (e: { bytes: number }): void => {
        if (phase === 'sent') return;
        phase = 'cut';
        opts.onEvent?.({ type: 'cut', bytes: e.bytes });
        if (!statusSupported) return stalled(`after ${e.bytes}/${total} bytes`);
        // The device may say why (a bad header, a full slot); otherwise it is a cut transfer.
        pollTimer?.cancel();
        void poll();
      };
      source.events.on('fetch', onFetch);
      source.events.on('not-found', onNotFound);
      source.events.on('progress', onProgress);
      source.events.on('sent', onSent);
      source.events.on('cut', onCut);
      schedule(pollMs);
      return () => {
        stopped = true;
        pollTimer?.cancel();
        source.events.off('fetch', onFetch);
        source.events.off('not-found', onNotFound);
        source.events.off('progress', onProgress);
        source.events.off('sent', onSent);
        source.events.off('cut', onCut);
      };
    },
    timeoutMs,
    () => {
      const s = timeoutMs / 1000;
      if (phase === 'waiting') {
        return new OtaError(OtaErrorCode.HTTP_PULL_SOURCE_UNREACHABLE, `the device did not fetch the image from ${source.origin} within ${s} s`, details());
      }
      if (phase === 'sent') return new OtaError(OtaErrorCode.NO_RESULT, `the device downloaded the image but reported no result within ${s} s`, details());
      return new OtaError(OtaErrorCode.TRANSFER_STALLED, `the download did not complete within ${s} s (${lastProgress}/${total} bytes)`, details());
    },
  );
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

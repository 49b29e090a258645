/**
 * The device's HTTP server: HTTPUpdateServer's `/update` (reference/worker-domain.md §2.2a), the
 * pull command `/ota/pull` (§2.2b, §2.6), the firmware contract's JSON API (§2.4), `/metrics`,
 * and the simulator's own `/__sim/*` control.
 * Routing is a plain switch: a handful of fixed paths, no framework needed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import busboy from 'busboy';
import type { DeviceInfo } from '../../workers/lib/ota/http-ota';
import { METRICS_CONTENT_TYPE } from './metrics';
import type { DeviceCore, Faults } from './types';

/** What the HTTP side asks of the simulator beyond the protocol core. */
export interface HttpDeviceApi {
  core: DeviceCore;
  info(): DeviceInfo;
  health(): { ok: boolean; checks: Record<string, string> };
  metrics(): string;
  confirm(): { ok: boolean; state: string };
  /** /ota/reject and /ota/rollback: false when no other bootable image exists. */
  reject(): boolean;
  rollback(): boolean;
  /** An update is under way (espota upload or pull): /update and /ota/pull answer 409. */
  busy(): boolean;
  /** `POST /ota/pull`: 202 accepted (the download runs after the answer), 400 bad body, 409 busy. */
  pull(body: unknown): { status: number; body: unknown };
  /** `GET /ota/pull`: the pull in progress and the last outcome since boot. */
  pullStatus(): unknown;
  state(): unknown;
  setFaults(f: Partial<Faults>): Faults;
  powerCycle(reason: string): void;
  httpAuth?: { username: string; password: string };
}

const UPDATE_FORM =
  '<html><body><form method="POST" action="/update" enctype="multipart/form-data">' +
  'Firmware: <input type="file" name="firmware"><br>Filesystem: <input type="file" name="filesystem">' +
  '<input type="submit" value="Update"></form></body></html>';
const UPDATE_SUCCESS = '<META http-equiv="refresh" content="15;URL=/">Update Success! Rebooting...';

export class HttpDevice {
  private server: Server | null = null;
  port = 0;

  constructor(
    private readonly api: HttpDeviceApi,
    private readonly host: string,
  ) {}

  /** Listen; `port` 0 picks one the first time, and a reboot re-listens on the same one. */
  async listen(port: number): Promise<number> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  /** Stop listening and cut open connections (a reset, or the end of a test). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    const route = `${req.method} ${path}`;
    const a = this.api;
    switch (route) {
      case 'GET /info':
        return json(res, 200, a.info());
      case 'GET /health': {
        const h = a.health();
        return json(res, h.ok ? 200 : 503, { status: h.ok ? 'ok' : 'fail', checks: h.checks });
      }
      case 'GET /metrics':
        res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
        return void res.end(a.metrics());
      case 'POST /ota/confirm': {
        const r = a.confirm();
        return json(res, 200, { ota_state: r.state, changed: r.ok });
      }
      case 'POST /ota/reject':
      case 'POST /ota/rollback': {
        const ok = path === '/ota/reject' ? a.reject() : a.rollback();
        if (!ok) return json(res, 409, { error: 'ESP_ERR_OTA_ROLLBACK_FAILED', message: 'no other bootable app' });
        return json(res, 200, { rebooting: true });
      }
      case 'GET /update':
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end(UPDATE_FORM);
      case 'POST /update':
        return this.update(req, res);
      case 'POST /ota/pull':
        return void readJson(req).then(
          (body) => {
            const r = a.pull(body);
            json(res, r.status, r.body);
          },
          () => json(res, 400, { error: 'body must be a JSON object {url, md5?, version?, mode?}' }),
        );
      case 'GET /ota/pull':
        return json(res, 200, a.pullStatus());
      case 'GET /__sim/state':
        return json(res, 200, a.state());
      case 'POST /__sim/faults':
        return void readJson(req).then(
          (body) => json(res, 200, a.setFaults(body as Partial<Faults>)),
          () => json(res, 400, { error: 'body must be a JSON object of faults' }),
        );
      case 'POST /__sim/reboot':
        // Cut the power only once the answer is out: a reboot closes every connection.
        res.on('finish', () => a.powerCycle('power_on'));
        return json(res, 200, { rebooting: true });
      default:
        return json(res, 404, { error: `no route ${route}` });
    }
  }

  /** HTTPUpdateServer: credentials and Origin first, then the multipart upload; 200 either way. */
  private update(req: IncomingMessage, res: ServerResponse): void {
    const a = this.api;
    const creds = a.httpAuth;
    const originOk = req.headers.origin === `http://${req.headers.host}`;
    // Refusals answer after the body is drained, so the client reads the answer instead of an EPIPE.
    const refuse = (answer: () => void): void => {
      req.resume();
      req.on('end', answer);
    };
    if (creds && (!basicOk(req, creds) || !originOk)) {
      // With credentials set, a wrong Origin also shows up as a challenge (a real device's quirk).
      return refuse(() => {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="Login Required"', connection: 'close' });
        res.end();
      });
    }
    if (!originOk) return refuse(() => text(res, 200, 'Update error: Wrong origin received!'));
    if (a.busy()) return refuse(() => text(res, 409, 'busy'));
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers });
    } catch {
      return text(res, 400, 'Update error: Bad Argument');
    }
    let error: string | null = null;
    let received = 0;
    let seenFile = false;
    bb.on('file', (name, stream) => {
      if (seenFile) return void stream.resume();
      seenFile = true;
      const kind = name === 'filesystem' ? 'filesystem' : 'flash';
      a.core.emit('upload:start', { method: 'http', size: null });
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => {
        received += d.length;
        if (a.core.takeDrop(received)) {
          a.core.emit('upload:end', { method: 'http', ok: false, bytes: received, error: 'dropUpload fault' });
          req.socket.destroy();
          return;
        }
        parts.push(d);
      });
      stream.on('end', () => {
        if (req.socket.destroyed) return;
        error = a.core.install(Buffer.concat(parts), { method: 'http', kind });
        a.core.emit('upload:end', { method: 'http', ok: !error, bytes: received, error: error ?? undefined });
      });
    });
    bb.on('close', () => {
      if (req.socket.destroyed) return;
      if (!seenFile) return text(res, 200, 'Update error: No file given');
      if (error) return text(res, 200, `Update error: ${error}`);
      text(res, 200, UPDATE_SUCCESS);
      a.core.restart('ota');
    });
    bb.on('error', () => text(res, 400, 'Update error: Bad Argument'));
    req.pipe(bb);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify(body));
}

function text(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/html', connection: 'close' });
  res.end(body);
}

function basicOk(req: IncomingMessage, c: { username: string; password: string }): boolean {
  const h = req.headers.authorization ?? '';
  if (!h.startsWith('Basic ')) return false;
  return Buffer.from(h.slice(6), 'base64').toString('utf8') === `${c.username}:${c.password}`;
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('error', reject);
    req.on('end', () => {
      try {
        const v = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}');
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return reject(new Error('not an object'));
        resolve(v);
      } catch (e) {
        reject(e);
      }
    });
  });
}

/**
 * An ESP32 running ArduinoOTA + HTTPUpdateServer + the firmware contract's API, on loopback
 * (reference/worker-domain.md §2.6). Tests and demos push real images to it with the real
 * protocols and watch it boot, wait for a confirm, and roll back.
 *
 *   const sim = new DeviceSimulator({ password: 's3cret', clock, timers });
 *   const { otaPort, baseUrl } = await sim.start();   // 127.0.0.1, ephemeral ports
 *   ...
 *   await sim.stop();
 *
 * Life of an update: upload (or a pull: `POST /ota/pull` makes the device GET the image, see
 * pull-updater.ts) → Update.end() checks the MD5, the magic byte, and esp_image_verify
 * (via esp-image.ts) → the passive slot becomes `new` → restart after `restartDelayMs` → the
 * bootloader boots it pending_verify → the pipeline must POST /ota/confirm within
 * `confirmDeadlineMs`, else the device rejects the image and reboots into the previous one. An
 * image flawed with `crashOnBoot` resets before that, and the bootloader rolls it back.
 *
 * Time: every delay goes through the injected `timers`, uptime through `clock`, so tests pass a
 * fake clock + manual timers and advance them instead of sleeping.
 */
import { EventEmitter } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { buildEspImage, EspImageError, ImageErrorCode, parseEspImage, type AppDesc } from '../../workers/lib/firmware/esp-image';
import type { AuthScheme, PasswordHash } from '../../workers/lib/ota/espota-protocol';
import type { DeviceInfo } from '../../workers/lib/ota/http-ota';
import { realTimers, systemClock, type Clock, type TimerHandle, type Timers } from '../../workers/lib/ota/timers';
import { EspotaDevice } from './espota-device';
import { Flash } from './flash';
import { HttpDevice, type HttpDeviceApi } from './http-device';
import { renderMetrics } from './metrics';
import { parsePullCommand, PullUpdater } from './pull-updater';
import { NO_FAULTS, type DeviceCore, type Faults, type InstallKind, type SimEvents, type UpdateMethod } from './types';

export interface DeviceSimulatorOptions {
  /** Loopback only unless a demo asks otherwise. @default '127.0.0.1' */
  host?: string;
  /** espota UDP port; 0 = ephemeral (read it back from start()). @default 0 */
  otaPort?: number;
  /** @default 0 */
  httpPort?: number;
  /** ArduinoOTA password; unset = no authentication. */
  password?: string;
  /** Scheme a password-protected device asks for (nonce length follows). @default 'sha256' */
  auth?: AuthScheme;
  /** SHA256 scheme only: the stored hash of the password (3.3.1+ devices that kept an MD5 one use 'md5'). @default 'sha256' */
  passwordHash?: PasswordHash;
  /** Nonce source; tests pin it to replay captured vectors. */
  nonce?: (scheme: AuthScheme) => string;
  /** HTTPUpdateServer credentials (Basic); unset = none. */
  httpAuth?: { username: string; password: string };
  /** Image in ota_0 at power-on (valid). @default a built image of `version`/`project` */
  image?: Buffer;
  /** @default '1.0.0' */
  version?: string;
  /** @default 'baton-sim' */
  project?: string;
  /** App slot size; bigger invitations fail Update.begin. @default 0x1E0000 (1.875 MiB) */
  partitionSize?: number;
  /** Confirm new images at boot, as the Arduino core does unless verifyRollbackLater(). @default false */
  autoConfirm?: boolean;
  /** A pending image not confirmed within this is rejected and rolled back. @default 60000 */
  confirmDeadlineMs?: number;
  /** How long a crashOnBoot image runs before it resets. @default 500 */
  crashAfterMs?: number;
  /** Delay between answering an update (or reject/rollback) and the restart. @default 100 */
  restartDelayMs?: number;
  /** How long HTTP and espota stay down during a reboot; 0 = reboot instantly. @default 0 */
  rebootMs?: number;
  /** ArduinoOTA's receive timeout per read. @default 1000 */
  receiveTimeoutMs?: number;
  /** HTTPUpdate's timeout for a pull (`POST /ota/pull`): no answer or no body bytes for this long. @default 8000 */
  pullTimeoutMs?: number;
  /** Station MAC the pull reports in `x-ESP32-STA-MAC` (the AP MAC is the next one). @default random, Espressif OUI */
  mac?: string;
  faults?: Partial<Faults>;
  clock?: Clock;
  timers?: Timers;
  /** Reported while healthy. @default 60 */
  fps?: number;
  /** @default 183456 */
  freeHeap?: number;
  log?: (line: string) => void;
}

export interface SimPorts {
  host: string;
  otaPort: number;
  httpPort: number;
  /** http://host:httpPort */
  baseUrl: string;
}

const RESET_REASON: Record<string, string> = {
  power_on: 'ESP_RST_POWERON',
  ota: 'ESP_RST_SW',
  reject: 'ESP_RST_SW',
  rollback: 'ESP_RST_SW',
  confirm_deadline: 'ESP_RST_SW',
  panic: 'ESP_RST_PANIC',
};

export class DeviceSimulator {
  private readonly o: Required<Pick<DeviceSimulatorOptions, 'host' | 'partitionSize' | 'confirmDeadlineMs' | 'crashAfterMs' | 'restartDelayMs' | 'rebootMs' | 'fps' | 'freeHeap'>> &
    DeviceSimulatorOptions;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly events = new EventEmitter();
  private readonly flash: Flash;
  private readonly core: DeviceCore;
  private readonly espota: EspotaDevice;
  private readonly http: HttpDevice;
  private readonly pull: PullUpdater;
  private readonly mac: string;
  private faults: Faults;
  private up = false;
  private stopped = false;
  private bootId = '';
  private bootCount = 0;
  private bootedAt = 0;
  private resetReason = 'ESP_RST_POWERON';
  /** Timers of the current boot (restart, crash, reboot); a reset cancels them. */
  private bootTimers: TimerHandle[] = [];
  /** The confirm deadline of a pending image; a confirm cancels only this. */
  private deadline: TimerHandle | null = null;
  private updates = new Map<string, number>();
  private ports: SimPorts | null = null;

  constructor(opts: DeviceSimulatorOptions = {}) {
    this.o = {
      host: '127.0.0.1',
      partitionSize: 0x1e0000,
      confirmDeadlineMs: 60000,
      crashAfterMs: 500,
      restartDelayMs: 100,
      rebootMs: 0,
      fps: 60,
      freeHeap: 183456,
      ...opts,
    };
    this.clock = opts.clock ?? systemClock;
    this.timers = opts.timers ?? realTimers;
    this.faults = mergeFaults(NO_FAULTS, opts.faults ?? {});
    const image = opts.image ?? defaultImage(opts.version ?? '1.0.0', opts.project ?? 'baton-sim');
    this.flash = new Flash(image, parseEspImage(image).appDesc);
    this.core = this.makeCore();
    const auth = opts.password === undefined ? null : { scheme: opts.auth ?? 'sha256', password: opts.password, passwordHash: opts.auth === 'md5' ? 'md5' : (opts.passwordHash ?? 'sha256') };
    this.espota = new EspotaDevice(this.core, { host: this.o.host, port: opts.otaPort ?? 0, auth, nonce: opts.nonce, receiveTimeoutMs: opts.receiveTimeoutMs ?? 1000 });
    this.mac = opts.mac ?? `24:0a:c4:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
    this.pull = new PullUpdater(this.core, { timeoutMs: opts.pullTimeoutMs ?? 8000, facts: () => this.pullFacts() });
    this.http = new HttpDevice(this.httpApi(), this.o.host);
  }

  /** Bind both ports and power on. */
  async start(): Promise<SimPorts> {
    const otaPort = await this.espota.start();
    const httpPort = await this.http.listen(this.o.httpPort ?? 0);
    this.ports = { host: this.o.host, otaPort, httpPort, baseUrl: `http://${this.o.host}:${httpPort}` };
    this.boot('power_on');
    return this.ports;
  }

  /** Close every socket and cancel every timer. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelBootTimers();
    this.pull.abort();
    await this.espota.stop();
    await this.http.close();
  }

  get address(): SimPorts {
    if (!this.ports) throw new Error('simulator not started');
    return this.ports;
  }

  on<K extends keyof SimEvents>(event: K, fn: (p: SimEvents[K]) => void): this {
    this.events.on(event, fn);
    return this;
  }

  off<K extends keyof SimEvents>(event: K, fn: (p: SimEvents[K]) => void): this {
    this.events.off(event, fn);
    return this;
  }

  /** The next emission of `event`; what tests await instead of sleeping. */
  next<K extends keyof SimEvents>(event: K): Promise<SimEvents[K]> {
    return new Promise((resolve) => this.events.once(event, resolve));
  }

  setFaults(f: Partial<Faults>): Faults {
    this.faults = mergeFaults(this.faults, f);
    return this.currentFaults();
  }

  currentFaults(): Faults {
    return { ...this.faults, dropUpload: this.faults.dropUpload && { ...this.faults.dropUpload } };
  }

  /** Pull the plug and plug it back in (a pending image is then rolled back by the bootloader). */
  powerCycle(reason = 'power_on'): void {
    if (this.stopped) return;
    this.cancelBootTimers();
    this.espota.abortUpload();
    this.pull.abort();
    this.up = false;
    if (this.o.rebootMs <= 0) return this.boot(reason);
    // The listener stops accepting at once (connection refused, as from a rebooting device);
    // the timer is armed now so a test can advance past the reboot without waiting for the close.
    const closed = this.http.close();
    const port = this.address.httpPort;
    this.bootTimers.push(
      this.timers.after(this.o.rebootMs, () => {
        void closed
          .then(() => (this.stopped ? undefined : this.http.listen(port)))
          .then(() => this.boot(reason))
          .catch((e: Error) => this.core.log(`reboot: cannot listen again on ${port}: ${e.message}`));
      }),
    );
  }

  /** GET /info, as the firmware contract defines it. */
  info(): DeviceInfo {
    const s = this.flash.runningSlot;
    const d = s.desc!;
    const o = this.flash.otherSlot;
    return {
      version: d.version,
      project: d.projectName,
      idf_ver: d.idfVer,
      build_date: `${d.date} ${d.time}`,
      app_sha256: s.sha256,
      app_elf_sha256: d.appElfSha256,
      image_md5: s.md5,
      secure_version: d.secureVersion,
      running_partition: s.partition,
      ota_state: s.state === 'pending_verify' ? 'pending_verify' : 'valid',
      boot_id: this.bootId,
      boot_count: this.bootCount,
      uptime_ms: this.clock.now() - this.bootedAt,
      reset_reason: this.resetReason,
      free_heap: this.o.freeHeap,
      other_slot: o.desc ? { partition: o.partition, version: o.desc.version, bootable: this.flash.isBootable(o), ota_state: o.state } : null,
      last_invalid: this.flash.lastInvalid ? { version: this.flash.lastInvalid.version } : null,
    };
  }

  /** Everything a test may want to assert on, JSON-safe (also GET /__sim/state). */
  state() {
    return {
      up: this.up,
      espota: this.espota.state,
      faults: this.currentFaults(),
      bootId: this.bootId,
      bootCount: this.bootCount,
      running: this.flash.runningSlot.partition,
      lastInvalid: this.flash.lastInvalid?.version ?? null,
      slots: this.flash.slots.map((s) => ({
        partition: s.partition,
        state: s.state,
        version: s.desc?.version ?? null,
        md5: s.md5,
        sha256: s.sha256,
        flaws: s.flaws,
      })),
      updates: Object.fromEntries(this.updates),
      pull: { busy: this.pull.busy, current: this.pull.current && { ...this.pull.current }, last: this.pull.lastOutcome },
    };
  }

  private boot(reason: string): void {
    if (this.stopped) return;
    const r = this.flash.boot();
    const s = this.flash.runningSlot;
    this.bootId = randomBytes(8).toString('hex');
    this.bootCount++;
    this.bootedAt = this.clock.now();
    this.resetReason = RESET_REASON[reason] ?? 'ESP_RST_UNKNOWN';
    this.pull.forget();
    this.up = true;
    this.core.log(`boot #${this.bootCount} ${s.partition} ${s.desc!.version} (${s.state}) after ${reason}`);
    this.core.emit('boot', { bootId: this.bootId, partition: s.partition, version: s.desc!.version, otaState: s.state, reason });
    if (r.rolledBack) this.core.emit('rollback', { from: r.from?.version ?? '', to: s.desc!.version, reason: 'reset while pending_verify' });
    if (s.state !== 'pending_verify') return;
    if (s.flaws.crashOnBoot) {
      this.bootTimers.push(this.timers.after(this.o.crashAfterMs, () => this.powerCycle('panic')));
    } else if (this.o.autoConfirm) {
      this.flash.markValid();
      this.core.emit('confirm', { version: s.desc!.version });
    } else {
      this.deadline = this.timers.after(this.o.confirmDeadlineMs, () => {
          if (this.flash.runningSlot.state !== 'pending_verify') return;
          const from = this.flash.runningSlot.desc!.version;
          if (!this.flash.markInvalid()) return;
          this.core.emit('rollback', { from, to: this.flash.otherSlot.desc!.version, reason: 'confirm deadline passed' });
          this.powerCycle('confirm_deadline');
        });
    }
  }

  private cancelBootTimers(): void {
    for (const t of this.bootTimers) t.cancel();
    this.bootTimers = [];
    this.deadline?.cancel();
    this.deadline = null;
  }

  private unhealthy(): boolean {
    return this.flash.runningSlot.flaws.unhealthy;
  }

  /** The running sketch and chip, as HTTPUpdate's x-ESP32-* headers describe them. */
  private pullFacts() {
    const s = this.flash.runningSlot;
    const last = Number.parseInt(this.mac.slice(-2), 16);
    return {
      staMac: this.mac.toUpperCase(),
      apMac: `${this.mac.slice(0, -2)}${((last + 1) & 0xff).toString(16).padStart(2, '0')}`.toUpperCase(),
      freeSpace: this.o.partitionSize,
      sketchSize: s.image?.length ?? 0,
      sketchMd5: s.md5,
      sketchSha256: s.sha256,
      chipSize: 4 * 1024 * 1024,
      sdkVersion: s.desc?.idfVer ?? '',
      version: s.desc?.version ?? '',
    };
  }

  private count(method: UpdateMethod, ok: boolean): void {
    const k = `${method}:${ok ? 'ok' : 'error'}`;
    this.updates.set(k, (this.updates.get(k) ?? 0) + 1);
  }

  /** The device behind both protocol front ends. */
  private makeCore(): DeviceCore {
    const sim = this;
    return {
      timers: this.timers,
      get faults() {
        return sim.faults;
      },
      isUp: () => this.up && !this.stopped,
      begin: (size, kind) => (kind === 'flash' && size > this.o.partitionSize ? 'Not Enough Space' : null),
      install: (image, o) => {
        const error = this.install(image, o.kind, o.expectedMd5);
        this.count(o.method, !error);
        return error;
      },
      takeDrop: (bytes) => {
        const d = this.faults.dropUpload;
        if (!d || d.times <= 0 || bytes <= d.afterBytes) return false;
        d.times--;
        if (d.times <= 0) this.faults.dropUpload = null;
        return true;
      },
      restart: (reason) => {
        this.bootTimers.push(this.timers.after(this.o.restartDelayMs, () => this.powerCycle(reason)));
      },
      emit: (event, payload) => {
        this.events.emit(event, payload);
      },
      log: (msg) => this.o.log?.(`[device-sim] ${msg}`),
    };
  }

  /** Update.end() and esp_ota_set_boot_partition(): null on success, else the Update error string. */
  private install(image: Buffer, kind: InstallKind, expectedMd5?: string): string | null {
    if (kind === 'filesystem') return null; // kept out of the app slots; nothing boots from it
    if (this.faults.md5Mismatch) return 'MD5 Check Failed';
    if (expectedMd5 && createHash('md5').update(image).digest('hex') !== expectedMd5.toLowerCase()) return 'MD5 Check Failed';
    if (image[0] !== 0xe9) return 'Wrong Magic Byte';
    if (image.length > this.o.partitionSize) return 'Not Enough Space';
    let desc: AppDesc;
    try {
      // esp_image_verify: header, segments, checksum, appended SHA256, app descriptor.
      desc = parseEspImage(image).appDesc;
    } catch (e) {
      if (e instanceof EspImageError && e.code === ImageErrorCode.BAD_MAGIC) return 'Wrong Magic Byte';
      return 'Could Not Activate The Firmware';
    }
    if (this.faults.activateFail) return 'Could Not Activate The Firmware';
    this.flash.install(image, desc, { crashOnBoot: this.faults.crashOnBoot, unhealthy: this.faults.unhealthy });
    return null;
  }

  private httpApi(): HttpDeviceApi {
    return {
      core: this.core,
      httpAuth: this.o.httpAuth,
      info: () => this.info(),
      health: () => {
        const bad = this.unhealthy();
        const checks: Record<string, string> = { app: bad ? 'fail' : 'ok', fps: bad ? 'fail' : 'ok', wifi: 'ok' };
        return { ok: !bad, checks };
      },
      metrics: () => {
        const s = this.flash.runningSlot;
        return renderMetrics({
          fps: this.unhealthy() ? 0 : this.o.fps,
          freeHeapBytes: this.o.freeHeap,
          uptimeSeconds: (this.clock.now() - this.bootedAt) / 1000,
          bootCount: this.bootCount,
          firmware: { version: s.desc!.version, project: s.desc!.projectName, partition: s.partition, otaState: s.state, idfVer: s.desc!.idfVer },
          updates: [...this.updates].map(([k, count]) => {
            const [method, result] = k.split(':');
            return { method, result, count };
          }),
        });
      },
      confirm: () => {
        const ok = this.flash.markValid();
        if (ok) {
          this.deadline?.cancel();
          this.deadline = null;
          this.core.emit('confirm', { version: this.flash.runningSlot.desc!.version });
        }
        return { ok, state: this.info().ota_state };
      },
      reject: () => this.leave('reject', () => this.flash.markInvalid()),
      rollback: () => this.leave('rollback', () => this.flash.rollBack()),
      busy: () => this.espota.state === 'runupdate' || this.pull.busy,
      pull: (body: unknown) => {
        const cmd = parsePullCommand(body);
        if (typeof cmd === 'string') return { status: 400, body: { error: cmd } };
        if (this.espota.state === 'runupdate' || this.pull.busy) return { status: 409, body: { error: 'busy: an update is under way' } };
        const id = this.pull.start(cmd);
        return { status: 202, body: { accepted: true, id } };
      },
      pullStatus: () => ({ state: this.pull.busy ? 'downloading' : 'idle', current: this.pull.current && { ...this.pull.current }, last: this.pull.last }),
      state: () => this.state(),
      setFaults: (f: Partial<Faults>) => this.setFaults(f),
      powerCycle: (reason: string) => this.powerCycle(reason),
    };
  }

  /** /ota/reject and /ota/rollback: switch slots, then restart into the other image. */
  private leave(reason: 'reject' | 'rollback', flip: () => boolean): boolean {
    const from = this.flash.runningSlot.desc!.version;
    if (!flip()) return false;
    this.cancelBootTimers();
    this.core.emit('rollback', { from, to: this.flash.otherSlot.desc!.version, reason });
    this.core.restart(reason);
    return true;
  }
}

function mergeFaults(base: Faults, f: Partial<Faults>): Faults {
  const out = { ...base, ...f };
  out.dropUpload = out.dropUpload ? { afterBytes: out.dropUpload.afterBytes, times: out.dropUpload.times ?? 1 } : null;
  return out;
}

function defaultImage(version: string, project: string): Buffer {
  return buildEspImage({ desc: { version, projectName: project }, payload: Buffer.alloc(4096, 0x5a) });
}

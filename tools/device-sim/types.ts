/** Shapes shared by the simulator's parts: faults, events, and what the protocol sides need from the device. */
import type { Timers } from '../../workers/lib/ota/timers';

/**
 * Injectable faults (reference/worker-domain.md §2.6). Set them in the options, with
 * `sim.setFaults()`, or with `POST /__sim/faults` (JSON, merged into the current set).
 */
export interface Faults {
  /** Answer "Authentication Failed" whatever the password (a wrong password as seen by the client). */
  authReject: boolean;
  /** Ignore every datagram: a device that is off, or busy in a long task. */
  silent: boolean;
  /** Answer OK to the invitation but never connect back. */
  noConnectBack: boolean;
  /**
   * Cut the upload (espota TCP or HTTP) or the pull download once `afterBytes` of image have
   * arrived, `times` times (then the fault clears itself). null = off.
   */
  dropUpload: { afterBytes: number; times: number } | null;
  /** Update.end() fails with "MD5 Check Failed". */
  md5Mismatch: boolean;
  /** Activation fails with "Could Not Activate The Firmware". */
  activateFail: boolean;
  /** The next image installed resets before it can be confirmed, so the bootloader rolls back. */
  crashOnBoot: boolean;
  /** The next image installed boots but /health answers 503 (and fps drops to 0). */
  unhealthy: boolean;
}

export const NO_FAULTS: Faults = {
  authReject: false,
  silent: false,
  noConnectBack: false,
  dropUpload: null,
  md5Mismatch: false,
  activateFail: false,
  crashOnBoot: false,
  unhealthy: false,
};

/** Events the simulator emits; tests await them instead of sleeping (`await sim.next('boot')`). */
export interface SimEvents {
  datagram: { from: string; text: string };
  invitation: { command: number; size: number; md5: string; from: string };
  auth: { ok: boolean; scheme: string };
  'upload:start': { method: UpdateMethod; size: number | null };
  'upload:end': { method: UpdateMethod; ok: boolean; bytes: number; error?: string };
  /** `POST /ota/pull` accepted: the device is about to GET `url`. */
  'pull:start': { id: string; url: string; version?: string };
  /** The pull is over: installed (then restarting), 304 "no update", or failed with HTTPUpdate's error string. */
  'pull:end': PullOutcome;
  boot: { bootId: string; partition: string; version: string; otaState: string; reason: string };
  confirm: { version: string };
  rollback: { from: string; to: string; reason: string };
  /** Bytes the simulator wrote on an espota upload connection, one entry per write. */
  'espota:write': { text: string };
}

export type InstallKind = 'flash' | 'filesystem';

/** How an image reached the device: espota upload, HTTP POST /update, or a pull (/ota/pull). */
export type UpdateMethod = 'espota' | 'http' | 'pull';

/** The outcome of one `/ota/pull`, as `GET /ota/pull`, the `pull:end` event and the state report it. */
export interface PullOutcome {
  id: string;
  url: string;
  version?: string;
  ok: boolean;
  /** `updated`: installed, restarting; `no_update`: the server answered 304; `failed`: see `error`. */
  result: 'updated' | 'no_update' | 'failed';
  /** The server's status, when it answered. */
  httpStatus?: number;
  /** Image bytes received. */
  bytes: number;
  /** HTTPUpdate's error string ("connection refused", "File Not Found (404)", "MD5 Check Failed", ...). */
  error?: string;
}

/** What the protocol front ends (espota, HTTP) need from the device behind them. */
export interface DeviceCore {
  readonly timers: Timers;
  readonly faults: Faults;
  isUp(): boolean;
  /** Update.begin(size): null, or the error string when the image cannot fit. */
  begin(size: number, kind: InstallKind): string | null;
  /** Update.end() and activation: null on success, else the Update error string. */
  install(image: Buffer, o: { method: UpdateMethod; kind: InstallKind; expectedMd5?: string }): string | null;
  /** Whether a dropUpload fault cuts an upload that has now received `bytes`; consumes one. */
  takeDrop(bytes: number): boolean;
  /** ESP.restart() shortly after answering. */
  restart(reason: string): void;
  emit<K extends keyof SimEvents>(event: K, payload: SimEvents[K]): void;
  log(msg: string): void;
}

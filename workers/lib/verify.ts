/**
 * Confirming that a device runs an expected image and stays healthy, shared by verify_device
 * and rollback (which verifies the last known good after rolling back). Three phases:
 *   1. wait (up to rebootTimeoutS) until /info reports the expected version (and sha256);
 *   2. soak for soakS: /health every intervalS, and /info must keep its boot_id and version;
 *   3. confirm the image (POST /ota/confirm) when it is pending verification.
 * Failures carry the codes of the verify_device contract; the device's answers are evidence.
 */
import { z } from 'zod';
import type { DeviceClient, DeviceInfo } from './ota/http-ota';
import type { TaskCtx } from '../runtime/define-worker';
import { retryable, terminal } from '../runtime/errors';

export const VerifyTimingSchema = z.object({
  rebootTimeoutS: z.number().positive().max(3600).default(90),
  soakS: z.number().min(0).max(3600).default(30),
  intervalS: z.number().positive().max(300).default(2),
  /** Consecutive failed health checks tolerated during the soak. */
  failuresAllowed: z.number().int().min(0).default(1),
  confirm: z.boolean().default(true),
});
export type VerifyTiming = z.output<typeof VerifyTimingSchema>;

export interface Expectation {
  version: string;
  sha256?: string;
  project?: string;
}

export interface VerifyResult {
  runningVersion: string;
  runningSha256: string;
  bootId: string;
  otaStateBefore: string;
  otaStateAfter: string;
  confirmed: boolean;
  healthSamples: number;
  healthFailures: number;
  evidence: { t: number; what: string; status?: number; body?: unknown }[];
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    const onAbort = () => (clearTimeout(t), reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
  });

const matches = (i: DeviceInfo, e: Expectation) => i.version === e.version && (!e.sha256 || i.app_sha256 === e.sha256);

export async function verifyRunning(client: DeviceClient, expect: Expectation, timing: VerifyTiming, ctx: Pick<TaskCtx, 'log' | 'signal'>): Promise<VerifyResult> {
  const started = Date.now();
  const t = () => Math.round((Date.now() - started) / 100) / 10;
  const evidence: VerifyResult['evidence'] = [];
  const note = (what: string, extra: Partial<VerifyResult['evidence'][number]> = {}) => {
    if (evidence.length < 50) evidence.push({ t: t(), what, ...extra });
  };
  const readInfo = async (): Promise<DeviceInfo | undefined> => {
    try {
      return await client.info({ signal: ctx.signal });
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      note(`info: ${(e as Error).message}`);
      return undefined; // rebooting, or a single bad read: keep looking until the deadline
    }
  };

  // 1. the expected image comes up
  let info: DeviceInfo | undefined;
  let last: DeviceInfo | undefined;
  const deadline = started + timing.rebootTimeoutS * 1000;
  for (;;) {
    info = await readInfo();
    if (info) last = info;
    if (info && matches(info, expect)) break;
    if (info && info.version === expect.version && expect.sha256 && info.app_sha256 !== expect.sha256) {
      throw terminal('SHA_MISMATCH', `device runs version ${info.version} but its image hashes to ${info.app_sha256}, not ${expect.sha256}`, { evidence });
    }
    if (info && info.last_invalid?.version === expect.version) {
      throw terminal('ROLLED_BACK_BY_DEVICE', `the device rejected ${expect.version} and went back to ${info.version}`, { runningVersion: info.version, evidence });
    }
    if (Date.now() >= deadline) {
      if (last) throw terminal('VERSION_MISMATCH', `device runs ${last.version}, expected ${expect.version} within ${timing.rebootTimeoutS} s`, { runningVersion: last.version, evidence });
      throw retryable('NOT_BACK_YET', `device did not answer within ${timing.rebootTimeoutS} s`, { evidence });
    }
    await sleep(timing.intervalS * 1000, ctx.signal);
  }
  if (expect.project && info.project !== expect.project) {
    throw terminal('VERSION_MISMATCH', `device runs project ${info.project}, expected ${expect.project}`, { evidence });
  }
  ctx.log(`device runs ${info.version} (${info.ota_state}, boot ${info.boot_id}); soaking ${timing.soakS} s`);
  const bootId = info.boot_id;
  const otaStateBefore = info.ota_state;

  // 2. soak: healthy, and no reboot
  let samples = 0;
  let failures = 0;
  let inARow = 0;
  const soakEnd = Date.now() + timing.soakS * 1000;
  while (Date.now() < soakEnd) {
    await sleep(Math.min(timing.intervalS * 1000, Math.max(0, soakEnd - Date.now())), ctx.signal);
    samples++;
    let ok = false;
    try {
      const h = await client.health({ signal: ctx.signal });
      ok = h.ok;
      if (!ok) note('health', { status: h.status, body: h.body });
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      note(`health: ${(e as Error).message}`);
    }
    const now = await readInfo();
    if (now && now.boot_id !== bootId) {
      if (now.version !== expect.version) throw terminal('ROLLED_BACK_BY_DEVICE', `the device rebooted into ${now.version} during the soak`, { runningVersion: now.version, evidence });
      throw terminal('REBOOT_LOOP', `the device rebooted during the soak (boot ${bootId} → ${now.boot_id})`, { evidence });
    }
    if (!ok) {
      failures++;
      inARow++;
      if (inARow > timing.failuresAllowed) throw terminal('UNHEALTHY', `health check failed ${inARow} times in a row during the soak`, { healthSamples: samples, healthFailures: failures, evidence });
    } else inARow = 0;
  }

  // 3. confirm
  let confirmed = false;
  let after = (await readInfo()) ?? info;
  if (timing.confirm && after.ota_state === 'pending_verify') {
    try {
      await client.confirm({ signal: ctx.signal });
    } catch (e) {
      throw terminal('CONFIRM_FAILED', `/ota/confirm: ${(e as Error).message}`, { evidence });
    }
    after = (await readInfo()) ?? after;
    if (after.ota_state !== 'valid') throw terminal('CONFIRM_FAILED', `state is ${after.ota_state} after /ota/confirm`, { evidence });
    confirmed = true;
    ctx.log(`confirmed ${after.version}: the device keeps it`);
  }
  return {
    runningVersion: after.version,
    runningSha256: after.app_sha256,
    bootId,
    otaStateBefore,
    otaStateAfter: after.ota_state,
    confirmed,
    healthSamples: samples,
    healthFailures: failures,
    evidence,
  };
}

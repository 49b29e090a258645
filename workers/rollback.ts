/**
 * rollback: bring a device back to its last known good image after a failed deployment, trying
 * the gentlest strategy first: reject a pending image (the bootloader boots the other slot),
 * switch to the other slot when it holds the good image, or reflash the good image from the
 * artifact store. Each attempt is verified (and confirmed) before it counts. A device already
 * running the good image is just verified, so running rollback twice is harmless.
 */
import { z } from 'zod';
import { defineWorker } from './runtime/define-worker';
import { terminal, WorkerError } from './runtime/errors';
import { DeviceSchema } from './lib/device';
import { registryFromEnv } from './lib/deployments';
import { verifyRunning, VerifyTimingSchema, type Expectation } from './lib/verify';
import { createDeviceClient } from './lib/ota/http-ota';
import { AuthSchema, OtaMethodSchema, pushImage, TimeoutsSchema } from './ota_deploy';

const Strategy = z.enum(['reject_pending', 'switch_slot', 'reflash_lkg']);

const Input = z.object({
  device: DeviceSchema,
  /** The workflow whose deployment failed; when it pushed nothing, there is nothing to undo. */
  failedWorkflowId: z.string().min(1).optional(),
  reason: z.string().optional(),
  strategy: z.array(Strategy).min(1).default(['reject_pending', 'switch_slot', 'reflash_lkg']),
  verify: VerifyTimingSchema.default({}),
  method: OtaMethodSchema.default('espota'),
  auth: AuthSchema,
  timeouts: TimeoutsSchema,
});

type Attempt = { strategy: string; ok?: boolean; skipped?: string; error?: string };

export default defineWorker({
  taskType: 'rollback',
  description: "Roll a device back to its last known good firmware and verify it",
  input: Input,
  concurrency: 2,
  async run(input, ctx) {
    const device = input.device;
    const registry = registryFromEnv(ctx.env);
    const record = await registry.get(device.id);
    const failed = input.failedWorkflowId ? await registry.byWorkflow(device.id, input.failedWorkflowId) : undefined;
    if (input.failedWorkflowId && !failed) {
      ctx.log(`workflow ${input.failedWorkflowId} deployed nothing to ${device.id}: nothing to roll back`);
      return { deviceId: device.id, skipped: true, reason: 'NOTHING_DEPLOYED' };
    }
    // the good image: the registry's last confirmed one, else what the device ran before the failed push
    const lkg = record.lastKnownGood && record.lastKnownGood.sha256 !== failed?.sha256 ? record.lastKnownGood : undefined;
    const target = lkg ?? (failed?.previous ? { ...failed.previous, artifact: undefined } : undefined);
    if (!target) throw terminal('NO_LKG', `no last known good image is recorded for ${device.id}`);
    const expect: Expectation = { version: target.version, sha256: target.sha256 };
    ctx.log(`rolling ${device.id} back to ${target.version} (${target.sha256.slice(0, 12)})${input.reason ? `: ${input.reason}` : ''}`);

    const client = createDeviceClient({ baseUrl: device.baseUrl });
    const attempts: Attempt[] = [];
    const verifyNow = () => verifyRunning(client, expect, input.verify, ctx);
    const finish = async (strategyUsed: string, v: Awaited<ReturnType<typeof verifyNow>>) => {
      if (failed) await registry.mark(device.id, failed.id, 'rolled_back', input.reason);
      await registry.markGood(device.id, target.sha256);
      return { deviceId: device.id, skipped: false, strategyUsed, attempts, target: { version: target.version, sha256: target.sha256 }, runningVersion: v.runningVersion, runningSha256: v.runningSha256, confirmed: v.confirmed };
    };

    const info = await client.info({ signal: ctx.signal });
    if (info.app_sha256 === target.sha256) {
      ctx.log(`device already runs ${target.version} (${info.ota_state}); verifying`);
      return finish('already_running', await verifyNow());
    }
    for (const strategy of input.strategy) {
      const now = await client.info({ signal: ctx.signal });
      try {
        if (strategy === 'reject_pending') {
          if (now.ota_state !== 'pending_verify') {
            attempts.push({ strategy, skipped: `state=${now.ota_state}` });
            continue;
          }
          await client.reject({ signal: ctx.signal });
        } else if (strategy === 'switch_slot') {
          if (!now.other_slot?.bootable || now.other_slot.version !== target.version) {
            attempts.push({ strategy, skipped: `other slot holds ${now.other_slot?.version ?? 'nothing'}${now.other_slot && !now.other_slot.bootable ? ' (not bootable)' : ''}` });
            continue;
          }
          await client.rollback({ signal: ctx.signal });
        } else {
          if (!lkg) {
            attempts.push({ strategy, skipped: 'no artifact of the good image is recorded' });
            continue;
          }
          const image = await ctx.artifacts.read(lkg.artifact, 'lastKnownGood.artifact').catch((e: WorkerError) => {
            throw terminal('LKG_ARTIFACT_MISSING', e.message);
          });
          await pushImage(ctx, device, image, { method: input.method, kind: 'flash', auth: input.auth, timeouts: input.timeouts, version: lkg.version });
        }
        ctx.log(`${strategy}: done; verifying ${target.version}`);
        const v = await verifyNow();
        attempts.push({ strategy, ok: true });
        return finish(strategy, v);
      } catch (e) {
        if (ctx.signal.aborted) throw e;
        const err = e as WorkerError;
        attempts.push({ strategy, ok: false, error: `${err.code ?? 'ERROR'}: ${err.message}` });
        ctx.log(`${strategy} failed: ${err.message}`);
        // a transient fault is worth a retry of the whole task rather than a harsher strategy
        if (err.retryable) throw e;
      }
    }
    const tried = attempts.filter((a) => !a.skipped);
    if (tried.length === 0) throw terminal('ROLLBACK_NOT_POSSIBLE', `no strategy applies: ${attempts.map((a) => `${a.strategy} (${a.skipped})`).join(', ')}`, { attempts });
    throw terminal('VERIFY_AFTER_ROLLBACK_FAILED', `the device is not back on ${target.version}: ${tried.map((a) => `${a.strategy}: ${a.error}`).join('; ')}`, { attempts });
  },
});

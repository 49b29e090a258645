/**
 * verify_device: wait until the device runs the expected image, watch its health for a soak
 * period, then confirm the image (so the bootloader keeps it). Success marks the deployment as
 * the device's last known good; a terminal failure marks it bad and fails the workflow, whose
 * failure workflow rolls the device back.
 */
import { z } from 'zod';
import { defineWorker } from './runtime/define-worker';
import { WorkerError } from './runtime/errors';
import { DeviceSchema } from './lib/device';
import { registryFromEnv } from './lib/deployments';
import { verifyRunning, VerifyTimingSchema } from './lib/verify';
import { createDeviceClient } from './lib/ota/http-ota';

const Input = z
  .object({
    device: DeviceSchema,
    expect: z.object({
      version: z.string().min(1),
      sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
      project: z.string().optional(),
    }),
  })
  .merge(VerifyTimingSchema);

export default defineWorker({
  taskType: 'verify_device',
  description: 'Confirm a device runs the expected firmware and stays healthy, then confirm the image',
  input: Input,
  concurrency: 4,
  async run(input, ctx) {
    const client = createDeviceClient({ baseUrl: input.device.baseUrl });
    const registry = registryFromEnv(ctx.env);
    try {
      const r = await verifyRunning(client, input.expect, input, ctx);
      if (input.expect.sha256) await registry.markGood(input.device.id, input.expect.sha256);
      return { deviceId: input.device.id, ...r };
    } catch (e) {
      if (e instanceof WorkerError && !e.retryable && input.expect.sha256) {
        const d = await registry.latestOf(input.device.id, input.expect.sha256);
        if (d) await registry.mark(input.device.id, d.id, 'bad', `${e.code}: ${e.message}`);
      }
      throw e;
    }
  },
});

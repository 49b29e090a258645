/**
 * ota_deploy: push a firmware image to a device over the air: espota (ArduinoOTA's UDP
 * invitation + TCP upload, MD5 or SHA256 auth) or HTTP POST to the device's /update. The image
 * is checked before anything is sent (its sha256 in the artifact store, its ESP32 header and
 * version); a device already running it is left alone. The push is recorded as a pending
 * deployment, with the image the device ran before, so rollback knows where to go back to.
 */
import { z } from 'zod';
import { defineWorker, type TaskCtx } from './runtime/define-worker';
import { terminal } from './runtime/errors';
import { ArtifactRefSchema, DeviceSchema, type Device } from './lib/device';
import { registryFromEnv } from './lib/deployments';
import { parseEspImage } from './lib/firmware/esp-image';
import { espotaPush } from './lib/ota/espota-client';
import { createDeviceClient, httpPush, type DeviceInfo } from './lib/ota/http-ota';
import { md5hex } from './lib/ota/espota-protocol';

export const AuthSchema = z
  .object({
    /** Name of the environment variable holding the OTA password (never the password itself). */
    passwordSecret: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
    protocol: z.enum(['auto', 'none', 'md5', 'sha256']).default('auto'),
  })
  .default({});

export const TimeoutsSchema = z
  .object({
    inviteS: z.number().positive().default(10),
    inviteTries: z.number().int().min(1).default(10),
    connectBackS: z.number().positive().default(10),
    chunkAckS: z.number().positive().default(10),
    resultS: z.number().positive().default(60),
  })
  .default({});

const Input = z.object({
  device: DeviceSchema,
  artifact: ArtifactRefSchema,
  method: z.enum(['espota', 'http_push']).default('espota'),
  kind: z.enum(['flash', 'filesystem']).default('flash'),
  /** The version the image must carry (from compile's app descriptor). */
  expectedVersion: z.string().min(1).optional(),
  auth: AuthSchema,
  timeouts: TimeoutsSchema,
  skipIfRunning: z.boolean().default(true),
});

/** Push bytes with the chosen method; errors keep the OTA library's codes. */
export async function pushImage(
  ctx: TaskCtx,
  device: Device,
  image: Buffer,
  o: { method: 'espota' | 'http_push'; kind: 'flash' | 'filesystem'; auth: z.output<typeof AuthSchema>; timeouts: z.output<typeof TimeoutsSchema> },
): Promise<{ bytesSent: number; authProtocol: string; durationMs: number }> {
  const password = ctx.optionalSecret(o.auth.passwordSecret);
  if (o.auth.passwordSecret && password === undefined && o.auth.protocol !== 'none') {
    // the workflow names a secret the worker host does not have: no retry will help
    ctx.secret(o.auth.passwordSecret);
  }
  let lastPct = -1;
  const onProgress = (sent: number, total: number) => {
    const pct = Math.floor((sent / total) * 4) * 25;
    if (pct !== lastPct) ctx.log(`uploaded ${sent}/${total} bytes (${pct}%)`), (lastPct = pct);
  };
  if (o.method === 'http_push') {
    const r = await httpPush({ baseUrl: device.baseUrl, image, kind: o.kind, password, username: password ? 'admin' : undefined, signal: ctx.signal, onProgress, timeoutMs: o.timeouts.resultS * 1000 });
    return { bytesSent: r.bytesSent, authProtocol: password ? 'basic' : 'none', durationMs: r.durationMs };
  }
  const t = o.timeouts;
  const r = await espotaPush({
    host: device.host,
    port: device.otaPort,
    image,
    kind: o.kind,
    password,
    authProtocol: o.auth.protocol,
    signal: ctx.signal,
    onProgress,
    onEvent: (e) => ctx.log(`espota: ${e.type}${'attempt' in e ? ` #${e.attempt}` : ''}${'scheme' in e ? ` ${e.scheme}` : ''}`),
    timeouts: { inviteMs: t.inviteS * 1000, inviteTries: t.inviteTries, connectBackMs: t.connectBackS * 1000, chunkAckMs: t.chunkAckS * 1000, resultMs: t.resultS * 1000 },
  });
  return { bytesSent: r.bytesSent, authProtocol: r.authProtocol, durationMs: r.durationMs };
}

export default defineWorker({
  taskType: 'ota_deploy',
  description: 'Push a firmware image to a device over the air (espota or HTTP /update) and record the deployment',
  input: Input,
  // one device takes one update at a time; the task definition's rate limit spaces them out
  concurrency: 2,
  async run(input, ctx) {
    const image = await ctx.artifacts.read(input.artifact, 'artifact');
    let version: string;
    try {
      version = parseEspImage(image).appDesc?.version ?? '';
    } catch (e) {
      throw terminal('ARTIFACT_INVALID', `artifact is not a valid ESP32 image: ${(e as Error).message}`);
    }
    if (input.expectedVersion && version !== input.expectedVersion) {
      throw terminal('ARTIFACT_INVALID', `artifact carries version ${version || '(none)'}, expected ${input.expectedVersion}`);
    }
    const device = input.device;
    const client = createDeviceClient({ baseUrl: device.baseUrl });
    const before: DeviceInfo = await client.info({ signal: ctx.signal });
    const previous = { version: before.version, sha256: before.app_sha256 };
    const registry = registryFromEnv(ctx.env);
    const deploymentId = `${ctx.workflowId}/${ctx.taskId}`;
    const artifact = { uri: `artifact:sha256/${input.artifact.sha256}`, sha256: input.artifact.sha256, size: image.length, name: input.artifact.name ?? 'firmware.bin' };
    const base = { deviceId: device.id, method: input.method, previous, expectedVersion: version, deploymentId };

    if (input.skipIfRunning && before.app_sha256 === input.artifact.sha256 && before.ota_state !== 'pending_verify') {
      ctx.log(`device ${device.id} already runs ${version} (${input.artifact.sha256.slice(0, 12)}): nothing to push`);
      await registry.recordPending(device.id, { id: deploymentId, workflowId: ctx.workflowId, version, sha256: input.artifact.sha256, artifact, previous });
      return { ...base, skipped: true, rebootExpected: false, bytesSent: 0 };
    }

    // recorded before the push: a worker that dies mid-upload still leaves the way back
    await registry.recordPending(device.id, { id: deploymentId, workflowId: ctx.workflowId, version, sha256: input.artifact.sha256, artifact, previous });
    ctx.log(`pushing ${version} (${image.length} bytes, md5 ${md5hex(image)}) to ${device.id} by ${input.method}; device runs ${previous.version}`);
    const r = await pushImage(ctx, device, image, input);
    ctx.log(`device acknowledged the image in ${(r.durationMs / 1000).toFixed(1)} s; it reboots into ${version}`);
    return { ...base, skipped: false, rebootExpected: true, deviceAckedOk: true, authProtocol: r.authProtocol, bytesSent: r.bytesSent, durationS: r.durationMs / 1000 };
  },
});

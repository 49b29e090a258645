/**
 * ota_deploy: push a firmware image to a device over the air: espota (ArduinoOTA's UDP
 * invitation + TCP upload, MD5 or SHA256 auth), HTTP POST to the device's /update, or HTTP pull
 * (the worker serves the image on a short-lived server of its own, OTA_PULL_BIND/OTA_PULL_PORT/
 * OTA_PULL_PUBLIC_URL, and has the device fetch it with POST /ota/pull). The image
 * is checked before anything is sent (its sha256 in the artifact store, its ESP32 header and
 * version); a device already running it is left alone. The push is recorded as a pending
 * deployment, with the image the device ran before, so rollback knows where to go back to.
 */
import { z } from 'zod';
import { defineWorker, type TaskCtx } from './runtime/define-worker';
import { terminal } from './runtime/errors';
import { DeviceSchema, type Device } from './lib/device';
import { ArtifactRefSchema } from './runtime/artifacts';
import { registryFromEnv } from './lib/deployments';
import { parseEspImage } from './lib/firmware/esp-image';
import { espotaPush } from './lib/ota/espota-client';
import { createDeviceClient, httpPush, type DeviceInfo } from './lib/ota/http-ota';
import { httpPull, pullSourceFromEnv, type PullEvent } from './lib/ota/http-pull';
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

export const OtaMethodSchema = z.enum(['espota', 'http_push', 'http_pull']);
export type OtaMethod = z.output<typeof OtaMethodSchema>;

const Input = z.object({
  device: DeviceSchema,
  artifact: ArtifactRefSchema,
  method: OtaMethodSchema.default('espota'),
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
  o: {
    method: OtaMethod;
    kind: 'flash' | 'filesystem';
    auth: z.output<typeof AuthSchema>;
    timeouts: z.output<typeof TimeoutsSchema>;
    /** The image's version, passed on to a pulling device. */
    version?: string;
  },
): Promise<{ bytesSent: number; authProtocol: string; durationMs: number }> {
  let lastPct = -1;
  const progress = (verb: string) => (sent: number, total: number) => {
    const pct = Math.floor((sent / total) * 4) * 25;
    if (pct !== lastPct) ctx.log(`${verb} ${sent}/${total} bytes (${pct}%)`), (lastPct = pct);
  };
  if (o.method === 'http_pull') {
    // the device fetches the image from us: no OTA password is involved (the URL's random path is
    // the only key, and the server lives for this task only)
    const r = await httpPull({
      baseUrl: device.baseUrl,
      image,
      kind: o.kind,
      version: o.version,
      source: pullSourceFromEnv(ctx.env),
      timeoutMs: o.timeouts.resultS * 1000,
      signal: ctx.signal,
      onProgress: progress('device downloaded'),
      onEvent: (e) => ctx.log(`http_pull: ${describePullEvent(e)}`),
    });
    return { bytesSent: r.bytesSent, authProtocol: 'none', durationMs: r.durationMs };
  }
  const password = ctx.optionalSecret(o.auth.passwordSecret);
  if (o.auth.passwordSecret && password === undefined && o.auth.protocol !== 'none') {
    // the workflow names a secret the worker host does not have: no retry will help
    ctx.secret(o.auth.passwordSecret);
  }
  const onProgress = progress('uploaded');
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

function describePullEvent(e: PullEvent): string {
  switch (e.type) {
    case 'serving':
      return `serving the image at ${e.origin}`;
    case 'accepted':
      return 'device accepted the pull command';
    case 'fetch':
      return `device ${e.from} fetching (${e.userAgent ?? 'no user agent'}, runs ${e.deviceVersion ?? '?'})`;
    case 'not-found':
      return `404 for a ${e.method} from ${e.from}`;
    case 'sent':
      return `whole image sent (${e.bytes} bytes)`;
    case 'cut':
      return `download cut after ${e.bytes} bytes`;
    case 'verdict':
      return `device result: ${e.result}${e.error ? ` (${e.error})` : ''}`;
  }
}

export default defineWorker({
  taskType: 'ota_deploy',
  description: 'Push a firmware image to a device over the air (espota, HTTP /update, or HTTP pull) and record the deployment',
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
    const r = await pushImage(ctx, device, image, { ...input, version });
    ctx.log(`device acknowledged the image in ${(r.durationMs / 1000).toFixed(1)} s; it reboots into ${version}`);
    return { ...base, skipped: false, rebootExpected: true, deviceAckedOk: true, authProtocol: r.authProtocol, bytesSent: r.bytesSent, durationS: r.durationMs / 1000 };
  },
});

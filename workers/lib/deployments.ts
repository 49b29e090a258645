/**
 * The deployment registry: per device, every image pushed to it and what became of it, and the
 * last known good one (the last image verify_device confirmed). ota_deploy records a pending
 * deployment, verify_device marks it good or bad, rollback reads the last known good.
 *
 * One JSON file per device under DEPLOYMENT_REGISTRY_PATH, replaced atomically (write + rename),
 * with writes serialised in-process; workers of one registry run on one host.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { ArtifactRef } from '../runtime/artifacts';

export type DeploymentStatus = 'pending' | 'good' | 'bad' | 'rolled_back';

export interface Deployment {
  /** `<workflowId>/<taskId>` of the ota_deploy task. */
  id: string;
  workflowId: string;
  version: string;
  sha256: string;
  artifact: ArtifactRef;
  status: DeploymentStatus;
  deployedAt: number;
  updatedAt: number;
  /** What the device ran before this deployment. */
  previous?: { version: string; sha256: string };
  reason?: string;
}

export interface DeviceRecord {
  deviceId: string;
  deployments: Deployment[];
  lastKnownGood?: { version: string; sha256: string; artifact: ArtifactRef; deploymentId: string; at: number };
}

const HISTORY = 50;

export class DeploymentRegistry {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    readonly root: string,
    private readonly now: () => number = Date.now,
  ) {}

  private file(deviceId: string): string {
    return join(this.root, `${encodeURIComponent(deviceId)}.json`);
  }

  async get(deviceId: string): Promise<DeviceRecord> {
    try {
      return JSON.parse(await readFile(this.file(deviceId), 'utf8')) as DeviceRecord;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { deviceId, deployments: [] };
      throw e;
    }
  }

  /** Read-modify-write one device's record, one change at a time. */
  private update(deviceId: string, change: (r: DeviceRecord) => void): Promise<DeviceRecord> {
    const prev = this.locks.get(deviceId) ?? Promise.resolve();
    const next = prev.then(async () => {
      const r = await this.get(deviceId);
      change(r);
      r.deployments = r.deployments.slice(-HISTORY);
      await mkdir(this.root, { recursive: true });
      const tmp = `${this.file(deviceId)}.${randomUUID()}.tmp`;
      await writeFile(tmp, JSON.stringify(r, null, 2));
      await rename(tmp, this.file(deviceId));
      return r;
    });
    this.locks.set(deviceId, next.catch(() => undefined));
    return next;
  }

  /** Record a push (idempotent by id: a retried task updates its own entry). */
  recordPending(deviceId: string, d: Omit<Deployment, 'status' | 'deployedAt' | 'updatedAt'>): Promise<DeviceRecord> {
    return this.update(deviceId, (r) => {
      const at = this.now();
      const existing = r.deployments.find((x) => x.id === d.id);
      if (existing) Object.assign(existing, d, { status: 'pending', updatedAt: at });
      else r.deployments.push({ ...d, status: 'pending', deployedAt: at, updatedAt: at });
    });
  }

  /** The newest deployment of this image to the device (by sha256). */
  async latestOf(deviceId: string, sha256: string): Promise<Deployment | undefined> {
    return (await this.get(deviceId)).deployments.filter((d) => d.sha256 === sha256).pop();
  }

  async byWorkflow(deviceId: string, workflowId: string): Promise<Deployment | undefined> {
    return (await this.get(deviceId)).deployments.filter((d) => d.workflowId === workflowId).pop();
  }

  markGood(deviceId: string, sha256: string): Promise<DeviceRecord> {
    return this.update(deviceId, (r) => {
      const d = r.deployments.filter((x) => x.sha256 === sha256).pop();
      if (!d) return; // verified an image this registry never pushed: nothing to remember
      d.status = 'good';
      d.updatedAt = this.now();
      r.lastKnownGood = { version: d.version, sha256: d.sha256, artifact: d.artifact, deploymentId: d.id, at: d.updatedAt };
    });
  }

  mark(deviceId: string, deploymentId: string, status: 'bad' | 'rolled_back', reason?: string): Promise<DeviceRecord> {
    return this.update(deviceId, (r) => {
      const d = r.deployments.find((x) => x.id === deploymentId);
      if (!d) return;
      d.status = status;
      d.reason = reason ?? d.reason;
      d.updatedAt = this.now();
    });
  }
}

export function registryFromEnv(env: Readonly<Record<string, string | undefined>>): DeploymentRegistry {
  return new DeploymentRegistry(env.DEPLOYMENT_REGISTRY_PATH || './data/deployments');
}

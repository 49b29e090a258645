/**
 * Content-addressed artifact store in a directory (ARTIFACT_STORAGE_PATH): a file lives at
 * sha256/<aa>/<full sha256>, so the same bytes are stored once and a reference names exactly one
 * content. Tasks pass references `{uri, sha256, size, name}` between each other, never the bytes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { terminal } from './errors';

export interface ArtifactRef {
  /** artifact:sha256/<hex> */
  uri: string;
  sha256: string;
  size: number;
  /** The original file name (e.g. firmware.bin), for people and for uploads. */
  name?: string;
  /** Where the bytes are on this host (informational: other hosts resolve the uri). */
  path?: string;
}

const SHA = /^[0-9a-f]{64}$/;

/** An artifact reference in a task's input (as a worker output it: compile, crawl, lora_train, ...). */
export const ArtifactRefSchema = z.object({
  uri: z.string().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'),
  size: z.number().int().nonnegative().optional(),
  name: z.string().optional(),
  path: z.string().optional(),
  md5: z.string().optional(),
});


export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export class ArtifactStore {
  constructor(readonly root: string) {}

  pathOf(sha256: string): string {
    return join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }

  /** Copy a file into the store (a no-op when the content is already there). */
  async putFile(src: string, name?: string): Promise<ArtifactRef> {
    const sha256 = await sha256File(src);
    const dest = this.pathOf(sha256);
    const size = (await stat(src)).size;
    if (!(await exists(dest))) {
      await mkdir(join(this.root, 'sha256', sha256.slice(0, 2)), { recursive: true });
      const tmp = `${dest}.${randomUUID()}.tmp`;
      await copyFile(src, tmp);
      await rename(tmp, dest); // atomic: a reader never sees half a file
    }
    return { uri: `artifact:sha256/${sha256}`, sha256, size, name, path: dest };
  }

  async putBytes(bytes: Buffer | string, name?: string): Promise<ArtifactRef> {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
    const sha256 = createHash('sha256').update(buf).digest('hex');
    const dest = this.pathOf(sha256);
    if (!(await exists(dest))) {
      await mkdir(join(this.root, 'sha256', sha256.slice(0, 2)), { recursive: true });
      const tmp = `${dest}.${randomUUID()}.tmp`;
      await writeFile(tmp, buf);
      await rename(tmp, dest);
    }
    return { uri: `artifact:sha256/${sha256}`, sha256, size: buf.length, name, path: dest };
  }

  /**
   * The local path of a reference, after checking the bytes still hash to its sha256 (a changed
   * or truncated file must never be deployed). Missing → ARTIFACT_MISSING, changed → ARTIFACT_INVALID.
   */
  async resolve(ref: unknown, field = 'artifact'): Promise<string> {
    const sha = shaOf(ref, field);
    const path = this.pathOf(sha);
    if (!(await exists(path))) throw terminal('ARTIFACT_MISSING', `${field}: artifact ${sha} is not in the store at ${this.root}`, { sha256: sha });
    const actual = await sha256File(path);
    if (actual !== sha) throw terminal('ARTIFACT_INVALID', `${field}: stored bytes hash to ${actual}, not ${sha}`, { sha256: sha, actual });
    return path;
  }

  async read(ref: unknown, field = 'artifact'): Promise<Buffer> {
    return readFile(await this.resolve(ref, field));
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }
}

function shaOf(ref: unknown, field: string): string {
  const r = ref as Partial<ArtifactRef> | undefined;
  const fromUri = typeof r?.uri === 'string' ? /^artifact:sha256\/([0-9a-f]{64})$/.exec(r.uri)?.[1] : undefined;
  const sha = fromUri ?? r?.sha256;
  if (typeof sha !== 'string' || !SHA.test(sha)) throw terminal('INVALID_INPUT', `${field}: not an artifact reference (need uri artifact:sha256/<hex> or sha256)`, { field });
  if (fromUri && r?.sha256 && r.sha256 !== fromUri) throw terminal('INVALID_INPUT', `${field}: uri and sha256 disagree`, { field });
  return sha;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

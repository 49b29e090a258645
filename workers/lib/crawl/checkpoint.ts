/**
 * Where a crawl's state lives between calls, so it resumes instead of starting over:
 * - the state (frontier, visited sets, robots cache, host timings, content hashes, counters) and
 *   the references of the record chunks kept so far go into the artifact store as one JSON
 *   checkpoint, so any worker host sharing the store can continue;
 * - the task's IN_PROGRESS output carries that checkpoint's reference (the same task polled again,
 *   on this worker or another, reads it from `ctx.previousOutput`);
 * - a frontier file `<WORKSPACE_PATH>/crawl-frontiers/<key>.json` points at the newest checkpoint,
 *   keyed by the workflow id and the crawl's input, for when the task is retried as a new task
 *   (after a worker crash or a retryable failure) and `previousOutput` is empty.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ArtifactRef, ArtifactStore } from '../../runtime/artifacts';
import { terminal } from '../../runtime/errors';
import type { CrawlStateJson } from './crawler';

export interface Checkpoint {
  version: 1;
  key: string;
  crawl: CrawlStateJson;
  /** JSONL chunks of the records kept so far, in order. */
  chunks: ArtifactRef[];
  savedAt: string;
}

/** JSON with object keys sorted, so equal inputs give equal keys. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The crawl's identity: the workflow and everything in the input that shapes the crawl. */
export function crawlKey(workflowId: string, input: unknown): string {
  return createHash('sha256').update(`${workflowId}\n${stableJson(input)}`).digest('hex').slice(0, 32);
}

/** Reference fields only (`path` is host-local). */
export const refOnly = (r: ArtifactRef): ArtifactRef => ({ uri: r.uri, sha256: r.sha256, size: r.size, ...(r.name ? { name: r.name } : {}) });

/** Errors writing the store or the workspace: terminal OUTPUT_NOT_WRITABLE. */
export async function writing<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    throw terminal('OUTPUT_NOT_WRITABLE', `cannot write ${what}: ${(e as Error)?.message ?? e}`, code ? { errno: code } : undefined);
  }
}

export class CheckpointStore {
  constructor(
    private readonly artifacts: ArtifactStore,
    readonly key: string,
    /** The frontier file. */
    readonly file: string,
  ) {}

  /** The frontier file under the workspace root (the parent of the task's workspace). */
  static forTask(artifacts: ArtifactStore, taskWorkspace: string, key: string): CheckpointStore {
    return new CheckpointStore(artifacts, key, join(dirname(taskWorkspace), 'crawl-frontiers', `${key}.json`));
  }

  async load(ref: unknown, key: string): Promise<Checkpoint | undefined> {
    try {
      const cp = JSON.parse((await this.artifacts.read(ref, 'checkpoint')).toString('utf8')) as Checkpoint;
      return cp.version === 1 && cp.key === key ? cp : undefined;
    } catch {
      return undefined;
    }
  }

  /** The checkpoint the frontier file points at, if any. */
  async fromFile(key: string): Promise<{ cp: Checkpoint; ref: ArtifactRef } | undefined> {
    let ref: ArtifactRef;
    try {
      ref = (JSON.parse(await readFile(this.file, 'utf8')) as { checkpoint: ArtifactRef }).checkpoint;
    } catch {
      return undefined;
    }
    const cp = await this.load(ref, key);
    return cp ? { cp, ref } : undefined;
  }

  /** Store a checkpoint, point the frontier file at it, and drop the one it replaces. */
  async save(cp: Checkpoint, replaces?: ArtifactRef): Promise<ArtifactRef> {
    const ref = refOnly(await writing('the crawl checkpoint', () => this.artifacts.putBytes(JSON.stringify(cp), 'crawl-checkpoint.json')));
    await writing(this.file, async () => {
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${randomUUID()}.tmp`;
      await writeFile(tmp, JSON.stringify({ key: cp.key, checkpoint: ref, savedAt: cp.savedAt }));
      await rename(tmp, this.file);
    });
    if (replaces && replaces.sha256 !== ref.sha256) await this.artifacts.remove(replaces.sha256).catch(() => undefined);
    return ref;
  }

  /** The crawl is over: the frontier file goes (a retry then starts afresh). */
  async clear(): Promise<void> {
    await rm(this.file, { force: true }).catch(() => undefined);
  }
}

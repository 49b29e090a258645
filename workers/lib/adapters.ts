/**
 * Deployed LoRA adapters on this host, under ADAPTERS_PATH (default ./data/adapters):
 *
 *   <name>/current          → symlink to releases/<stamp>-<sha12> (what serving loads: <name>/current/<file>)
 *   <name>/releases/<id>/   the current adapter's files + baton-adapter.json (manifest)
 *   <name>/backups/<stamp>/ earlier adapters, complete and self-describing, newest N kept
 *
 * Promotion is atomic for readers: the new release is staged in a temporary directory, renamed
 * into releases/, and `current` is switched by renaming a fresh symlink over it (rename(2) replaces
 * atomically, so a reader sees the old adapter or the new one, never none or half of one). Only
 * then is the previous release moved (renamed) to backups/. A crash at any point leaves a
 * consistent `current`; leftovers (staging dirs, an orphaned previous release) are cleaned up by
 * the next promotion (orphans are backed up, never lost).
 *
 * Writers are serialised per name: in-process by a promise chain, across processes by an O_EXCL
 * lock file holding the owner's pid (a dead owner's lock is taken over).
 */
import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, open, readdir, readFile, readlink, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import type { ArtifactStore } from '../runtime/artifacts';
import { invalidInput, retryable } from '../runtime/errors';
import { ArtifactRefSchema } from '../runtime/artifacts';

export const MANIFEST = 'baton-adapter.json';
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface AdapterFile {
  name: string;
  sha256: string;
  size: number;
}

export interface AdapterManifest {
  name: string;
  /** The adapter's identity: the file's sha256 (one file) or the sha256 of its sorted file list. */
  sha256: string;
  files: AdapterFile[];
  deployedAt: string;
  workflowId?: string;
  taskId?: string;
  score?: number;
  metric?: string;
  /** What was current before this one, and where it was backed up. */
  previous?: { sha256: string | null; deployedAt?: string } | null;
  backup?: string | null;
}

export interface Release {
  /** The directory `current` points to. */
  dir: string;
  manifest: AdapterManifest | null;
}

export interface PromoteResult {
  changed: boolean;
  manifest: AdapterManifest;
  current: string;
  previous: { sha256: string | null; deployedAt?: string } | null;
  /** The backup directory holding the previous adapter. */
  backup: string | null;
  pruned: string[];
}

export interface BackupResult {
  backup: string | null;
  sha256: string | null;
  /** Why nothing new was written. */
  skipped?: 'no_current' | 'already_backed_up';
  pruned: string[];
}

/**
 * An adapter as a task input: one artifact (its sha256 is the adapter's identity), or several
 * named files as lora_train outputs them (`{files: [{name, sha256, uri?}], ...}`; identity = the
 * sha256 of the sorted `name sha256` lines).
 */
export const AdapterInputSchema = z.union([ArtifactRefSchema, z.object({ files: z.array(ArtifactRefSchema.extend({ name: z.string().min(1) })).min(1) })]);
export type AdapterInput = z.output<typeof AdapterInputSchema>;

export interface ResolvedAdapter {
  sha256: string;
  files: { name: string; src: string; sha256: string; size: number }[];
}

/** Check the file names and every file's bytes against its hash (ARTIFACT_MISSING / ARTIFACT_INVALID). */
export async function resolveAdapter(adapter: AdapterInput, store: ArtifactStore, field: string): Promise<ResolvedAdapter> {
  const multi = 'files' in adapter;
  const files = multi ? adapter.files : [{ ...adapter, name: adapter.name ?? 'adapter.bin' }];
  const names = new Set<string>();
  for (const [i, f] of files.entries()) {
    const n = f.name;
    const where = multi ? `${field}.files.${i}.name` : `${field}.name`;
    if (n !== basename(n) || n.startsWith('.') || n === MANIFEST) throw invalidInput(where, `"${n}" is not a plain file name`);
    if (names.has(n)) throw invalidInput(where, `"${n}" appears twice`);
    names.add(n);
  }
  const resolved: ResolvedAdapter['files'] = [];
  for (const [i, f] of files.entries()) {
    const src = await store.resolve(f, multi ? `${field}.files.${i}` : field);
    resolved.push({ name: f.name, src, sha256: f.sha256, size: (await stat(src)).size });
  }
  const sha256 = multi
    ? createHash('sha256')
        .update(
          resolved
            .map((f) => `${f.name} ${f.sha256}`)
            .sort()
            .join('\n'),
        )
        .digest('hex')
    : resolved[0]!.sha256;
  return { sha256, files: resolved };
}

const stampOf = (d: Date) => d.toISOString().replace(/[:.]/g, '-');

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function readManifest(dir: string): Promise<AdapterManifest | null> {
  try {
    return JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as AdapterManifest;
  } catch {
    return null;
  }
}

export class AdapterStore {
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(
    readonly root: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  dirOf(name: string): string {
    if (!NAME_RE.test(name)) throw new Error(`adapter name "${name}" is not [A-Za-z0-9._-]`);
    return resolve(this.root, name);
  }

  /** What `current` points to (null when nothing is deployed). */
  async current(name: string): Promise<Release | null> {
    const cur = join(this.dirOf(name), 'current');
    let st;
    try {
      st = await lstat(cur);
    } catch {
      return null;
    }
    const dir = st.isSymbolicLink() ? resolve(this.dirOf(name), await readlink(cur)) : cur;
    if (!(await exists(dir))) return null;
    return { dir, manifest: await readManifest(dir) };
  }

  /** Backup directory names, oldest first. */
  async backups(name: string): Promise<string[]> {
    try {
      return (await readdir(join(this.dirOf(name), 'backups'), { withFileTypes: true }))
        .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
        .map((d) => d.name)
        .sort();
    } catch {
      return [];
    }
  }

  /**
   * Make the given files the current adapter of `name`. Idempotent: when `current` already holds
   * this sha256, nothing changes and the manifest recorded at its promotion is returned.
   */
  promote(
    name: string,
    adapter: { sha256: string; files: { name: string; src: string; sha256: string; size: number }[] },
    meta: { workflowId?: string; taskId?: string; score?: number; metric?: string },
    keep: number,
  ): Promise<PromoteResult> {
    return this.locked(name, async () => {
      const base = this.dirOf(name);
      const cur = await this.current(name);
      if (cur?.manifest?.sha256 === adapter.sha256) {
        const backup = cur.manifest.backup ? join(base, 'backups', cur.manifest.backup) : null;
        return { changed: false, manifest: cur.manifest, current: join(base, 'current'), previous: cur.manifest.previous ?? null, backup, pruned: [] };
      }
      await this.cleanup(name, cur?.dir, adapter.sha256);

      const when = this.now();
      const releaseId = `${stampOf(when)}-${adapter.sha256.slice(0, 12)}`;
      const previous = cur ? { sha256: cur.manifest?.sha256 ?? null, ...(cur.manifest?.deployedAt ? { deployedAt: cur.manifest.deployedAt } : {}) } : null;
      const manifest: AdapterManifest = {
        name,
        sha256: adapter.sha256,
        files: adapter.files.map((f) => ({ name: f.name, sha256: f.sha256, size: f.size })),
        deployedAt: when.toISOString(),
        ...meta,
        previous,
        backup: null,
      };

      // 1. stage the complete release where no reader looks
      const staging = join(base, `.staging-${randomUUID()}`);
      await mkdir(staging, { recursive: true });
      for (const f of adapter.files) await copyFile(f.src, join(staging, f.name), constants.COPYFILE_FICLONE);
      // where the previous adapter will be backed up is decided now, so the manifest can say it
      const backupName = cur ? await this.backupSlot(name, when, cur.manifest?.sha256 ?? null) : null;
      manifest.backup = backupName?.name ?? null;
      await writeFile(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
      await mkdir(join(base, 'releases'), { recursive: true });
      const release = join(base, 'releases', releaseId);
      await rename(staging, release);

      // 2. switch current (a symlink renamed over the old one: atomic)
      const link = join(base, `.current-${randomUUID()}`);
      await symlink(join('releases', releaseId), link);
      const curPath = join(base, 'current');
      let from = cur?.dir;
      if (cur && cur.dir === curPath) {
        // a real directory someone put there cannot be replaced atomically: moved aside first
        from = join(base, `.legacy-${randomUUID()}`);
        await rename(curPath, from);
      }
      await rename(link, curPath);

      // 3. the previous release goes to backups/ (or away, when the newest backup already holds it)
      if (from && backupName) {
        if (backupName.reuse) await rm(from, { recursive: true, force: true });
        else {
          await mkdir(join(base, 'backups'), { recursive: true });
          await rename(from, join(base, 'backups', backupName.name));
        }
      }
      const pruned = await this.prune(name, keep, manifest.backup);
      return { changed: true, manifest, current: curPath, previous, backup: manifest.backup ? join(base, 'backups', manifest.backup) : null, pruned };
    });
  }

  /** Copy the current adapter into backups/ unless the newest backup already holds it; then prune. */
  backupCurrent(name: string, keep: number): Promise<BackupResult> {
    return this.locked(name, async () => {
      const base = this.dirOf(name);
      const cur = await this.current(name);
      if (!cur) return { backup: null, sha256: null, skipped: 'no_current', pruned: await this.prune(name, keep) };
      const slot = await this.backupSlot(name, this.now(), cur.manifest?.sha256 ?? null);
      if (slot.reuse) return { backup: join(base, 'backups', slot.name), sha256: cur.manifest?.sha256 ?? null, skipped: 'already_backed_up', pruned: await this.prune(name, keep, slot.name) };
      const staging = join(base, `.staging-${randomUUID()}`);
      await mkdir(staging, { recursive: true });
      for (const e of await readdir(cur.dir, { withFileTypes: true })) if (e.isFile()) await copyFile(join(cur.dir, e.name), join(staging, e.name), constants.COPYFILE_FICLONE);
      await mkdir(join(base, 'backups'), { recursive: true });
      await rename(staging, join(base, 'backups', slot.name));
      return { backup: join(base, 'backups', slot.name), sha256: cur.manifest?.sha256 ?? null, pruned: await this.prune(name, keep, slot.name) };
    });
  }

  /** A fresh backup name for `when`, or the newest backup when it already holds `sha256`. */
  private async backupSlot(name: string, when: Date, sha256: string | null): Promise<{ name: string; reuse: boolean }> {
    const all = await this.backups(name);
    const newest = all[all.length - 1];
    if (sha256 && newest && (await readManifest(join(this.dirOf(name), 'backups', newest)))?.sha256 === sha256) return { name: newest, reuse: true };
    let candidate = stampOf(when);
    for (let i = 1; all.includes(candidate); i++) candidate = `${stampOf(when)}-${i}`;
    return { name: candidate, reuse: false };
  }

  /** Keep the newest `keep` backups (and never the one just written). */
  private async prune(name: string, keep: number, protect?: string | null): Promise<string[]> {
    const all = await this.backups(name);
    const excess = all.slice(0, Math.max(0, all.length - keep)).filter((b) => b !== protect);
    for (const b of excess) await rm(join(this.dirOf(name), 'backups', b), { recursive: true, force: true });
    return excess;
  }

  /** Remove what an interrupted promotion left: staging dirs and stale links; back up orphaned releases. */
  private async cleanup(name: string, currentDir: string | undefined, incomingSha: string): Promise<void> {
    const base = this.dirOf(name);
    const orphans: string[] = [];
    for (const e of await readdir(base).catch(() => [] as string[])) {
      if (e.startsWith('.staging-') || e.startsWith('.current-')) await rm(join(base, e), { recursive: true, force: true });
      if (e.startsWith('.legacy-')) orphans.push(join(base, e));
    }
    const releases = join(base, 'releases');
    for (const e of await readdir(releases).catch(() => [] as string[])) orphans.push(join(releases, e));
    for (const dir of orphans) {
      if (currentDir && resolve(dir) === resolve(currentDir)) continue;
      const m = await readManifest(dir);
      // a release staged for this very adapter and never switched to: staged again below
      if (m && m.sha256 === incomingSha) {
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      // a previous current whose move to backups/ was interrupted
      const slot = await this.backupSlot(name, this.now(), m?.sha256 ?? null);
      if (slot.reuse) await rm(dir, { recursive: true, force: true });
      else {
        await mkdir(join(base, 'backups'), { recursive: true });
        await rename(dir, join(base, 'backups', slot.name));
      }
    }
  }

  private locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const key = this.dirOf(name);
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(async () => {
      await mkdir(key, { recursive: true });
      const release = await fileLock(join(key, '.lock'));
      try {
        return await fn();
      } finally {
        await release();
      }
    });
    this.chains.set(key, next.catch(() => undefined));
    return next;
  }
}

/** An O_EXCL lock file with the owner's pid; a lock whose owner process is gone is taken over. */
async function fileLock(path: string): Promise<() => Promise<void>> {
  const me = `${process.pid} ${hostname()}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(me);
      await fh.close();
      return () => unlink(path).catch(() => undefined);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const [pidText, host] = (await readFile(path, 'utf8').catch(() => '')).split(' ');
      const pid = Number(pidText);
      const alive = host === hostname() && Number.isInteger(pid) && pid > 0 ? isAlive(pid) : true;
      if (alive && host !== undefined && host !== '') throw retryable('ADAPTER_LOCKED', `another deployment holds ${path} (pid ${pidText} on ${host})`, { lock: path });
      await unlink(path).catch(() => undefined); // the owner died (or left an empty file)
    }
  }
  throw retryable('ADAPTER_LOCKED', `could not take ${path}`, { lock: path });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const stores = new Map<string, AdapterStore>();

/** One store per root in this process, so promotions of a name stay serialised. */
export function adapterStoreFromEnv(env: Readonly<Record<string, string | undefined>>): AdapterStore {
  const root = resolve(env.ADAPTERS_PATH || './data/adapters');
  let s = stores.get(root);
  if (!s) stores.set(root, (s = new AdapterStore(root)));
  return s;
}

/**
 * backup_adapters: the nightly workflow's last step ("old adapters are backed up"), run after the
 * deploy/hold SWITCH on both branches. For each adapter name it copies `current` into
 * `<name>/backups/<timestamp>` unless the newest backup already holds the same adapter (so it is
 * a no-op after deploy_adapter, which backs up the adapter it replaces, and when run twice), then
 * prunes the backups to the newest `keepBackups`. Nothing under `current` is touched.
 *
 * Failures. Terminal: INVALID_INPUT. Retryable: ADAPTER_LOCKED (a promotion of that name is running).
 */
import { readdir } from 'node:fs/promises';
import { z } from 'zod';
import { defineWorker } from './runtime/define-worker';
import { adapterStoreFromEnv, NAME_RE } from './lib/adapters';

const Input = z.object({
  /** Adapter names under ADAPTERS_PATH. @default every name there */
  names: z.array(z.string().regex(NAME_RE, 'letters, digits, . _ - (no slashes)')).optional(),
  keepBackups: z.number().int().min(1).max(1000).default(5),
});

export default defineWorker({
  taskType: 'backup_adapters',
  description: 'Back up the current LoRA adapters (skipping ones already backed up) and prune old backups',
  input: Input,
  async run(input, ctx) {
    const store = adapterStoreFromEnv(ctx.env);
    const names =
      input.names ??
      (await readdir(store.root, { withFileTypes: true }).catch(() => []))
        .filter((d) => d.isDirectory() && NAME_RE.test(d.name))
        .map((d) => d.name)
        .sort();
    const backedUp: { name: string; sha256: string | null; backup: string }[] = [];
    const skipped: { name: string; reason: string; backup?: string }[] = [];
    const pruned: { name: string; backups: string[] }[] = [];
    for (const name of names) {
      const r = await store.backupCurrent(name, input.keepBackups);
      if (r.skipped) skipped.push({ name, reason: r.skipped, ...(r.backup ? { backup: r.backup } : {}) });
      else backedUp.push({ name, sha256: r.sha256, backup: r.backup! });
      if (r.pruned.length) pruned.push({ name, backups: r.pruned });
      ctx.log(`backup_adapters: ${name}: ${r.skipped ?? `backed up ${r.sha256?.slice(0, 12) ?? '(no manifest)'} to ${r.backup}`}${r.pruned.length ? `; pruned ${r.pruned.join(', ')}` : ''}`);
    }
    return { backedUp, skipped, pruned, root: store.root };
  },
});

/**
 * deploy_adapter: promote a LoRA adapter to `<ADAPTERS_PATH>/<name>/current`, backing up the
 * previous one to `<name>/backups/<timestamp>` (newest `keepBackups` kept), and record the
 * evaluation that justified it as the new baseline, so the next evaluate gates against it
 * (lib/adapters.ts has the layout and the atomic switch). Runs after evaluate's decision=deploy.
 *
 * Idempotent: when `current` already holds this adapter (same sha256), nothing moves and the
 * output is the first promotion's (`changed: false`); the baseline write is repeated (a no-op when
 * equal), so a retry after a crash between the switch and the baseline write completes it.
 *
 * The adapter is one artifact (its sha256 is the adapter's identity) or several files, as
 * lora_train outputs them (`{files: [{name, sha256, uri?}]}`; identity = sha256 of the sorted
 * `name sha256` lines). Every file is checked against its hash before anything changes.
 *
 * Failures. Terminal: INVALID_INPUT, ARTIFACT_MISSING, ARTIFACT_INVALID. Retryable: ADAPTER_LOCKED
 * (another promotion of the same name is running).
 */
import { z } from 'zod';
import { defineWorker } from './runtime/define-worker';
import { invalidInput } from './runtime/errors';
import { AdapterInputSchema, adapterStoreFromEnv, NAME_RE, resolveAdapter } from './lib/adapters';
import { baselineStoreFromEnv, type BaselineKey } from './lib/eval/baseline';

const Input = z.object({
  /** The model line, a directory under ADAPTERS_PATH (and the baseline's model, unless the evaluation names another). */
  name: z.string().regex(NAME_RE, 'letters, digits, . _ - (no slashes)'),
  adapter: AdapterInputSchema,
  /** evaluate's output (or the fields below of it): the new baseline. Without it the baseline is left alone. */
  evaluation: z
    .object({
      score: z.number().min(0).max(1),
      metric: z.string().min(1),
      metrics: z.record(z.number()).optional(),
      evalSet: z.object({ name: z.string().min(1).optional(), sha256: z.string().optional() }).optional(),
      baselineKey: z.object({ model: z.string().min(1), evalSet: z.string().min(1) }).optional(),
      counts: z.object({ items: z.number().optional() }).passthrough().optional(),
    })
    .passthrough()
    .optional(),
  /** Backups of this name to keep (the newest). */
  keepBackups: z.number().int().min(1).max(1000).default(5),
});

export default defineWorker({
  taskType: 'deploy_adapter',
  description: 'Promote a LoRA adapter to <name>/current (atomic), back up the previous one, update the eval baseline',
  input: Input,
  async run(input, ctx) {
    let key: BaselineKey | undefined;
    if (input.evaluation) {
      const ev = input.evaluation;
      const evalSet = ev.baselineKey?.evalSet ?? ev.evalSet?.name;
      if (!evalSet) throw invalidInput('evaluation.evalSet.name', "the eval set is needed for the baseline (pass evaluate's output)");
      key = { model: ev.baselineKey?.model ?? input.name, evalSet };
      if (key.model !== input.name) ctx.log(`deploy_adapter: the evaluation's baseline is keyed ${key.model}, the adapter is deployed as ${input.name}`);
    }
    // every file is checked against its hash before anything changes
    const { sha256, files: resolved } = await resolveAdapter(input.adapter, ctx.artifacts, 'adapter');

    const store = adapterStoreFromEnv(ctx.env);
    const r = await store.promote(input.name, { sha256, files: resolved }, { workflowId: ctx.workflowId, taskId: ctx.taskId, score: input.evaluation?.score, metric: input.evaluation?.metric }, input.keepBackups);
    if (r.changed) ctx.log(`deploy_adapter: ${input.name} is now ${sha256.slice(0, 12)} (was ${r.previous?.sha256?.slice(0, 12) ?? 'nothing'}${r.backup ? `, backed up to ${r.backup}` : ''})`);
    else ctx.log(`deploy_adapter: ${input.name} already runs ${sha256.slice(0, 12)} (deployed ${r.manifest.deployedAt}): nothing to do`);
    if (r.pruned.length) ctx.log(`deploy_adapter: removed old backups ${r.pruned.join(', ')}`);

    let baseline: Record<string, unknown> | null = null;
    if (key && input.evaluation) {
      const ev = input.evaluation;
      const rec = await baselineStoreFromEnv(ctx.env).put({
        ...key,
        score: ev.score,
        metric: ev.metric,
        metrics: { ...(ev.metrics ?? {}), [ev.metric]: ev.score },
        evalSetSha256: ev.evalSet?.sha256,
        n: ev.counts?.items,
        adapterSha256: sha256,
        source: 'deploy_adapter',
        workflowId: ctx.workflowId,
      });
      baseline = { model: rec.model, evalSet: rec.evalSet, metric: rec.metric, score: rec.score, updatedAt: rec.updatedAt };
      ctx.log(`deploy_adapter: baseline ${key.model} on ${key.evalSet} is now ${ev.metric} = ${ev.score}`);
    }

    return {
      deployed: true,
      changed: r.changed,
      name: input.name,
      adapter: { sha256, files: r.manifest.files },
      current: r.current,
      deployedAt: r.manifest.deployedAt,
      previous: r.previous,
      backup: r.backup,
      pruned: r.pruned,
      baselineUpdated: baseline !== null,
      baseline,
    };
  },
});

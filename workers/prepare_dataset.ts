/**
 * prepare_dataset: one clean training set from several JSONL sources (yesterday's misses, the
 * crawler's training set, ...): every line validated (bad lines reported with their source and
 * line number), converted to one format, de-duplicated by content, and nothing that appears in
 * the held-out evaluation set kept (no leakage into the score the deploy gate trusts).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineWorker } from './runtime/define-worker';
import { terminal } from './runtime/errors';
import { ArtifactRefSchema } from './runtime/artifacts';
import { recordText, validateJsonl, detectFormat } from './lib/ml/dataset';

const Input = z.object({
  /**
   * JSONL files: artifact references, or paths (e.g. a dataset another workflow published). Null
   * entries (a step that produced nothing) and paths that do not exist yet are skipped.
   */
  sources: z.array(z.union([ArtifactRefSchema, z.string().min(1)]).nullable()).min(1),
  /** The held-out evaluation set (JSONL with prompt/answer; an artifact or a local path): its prompts never reach training. */
  heldOut: z.union([ArtifactRefSchema, z.string().min(1)]).optional(),
  /** No usable example → COMPLETED with dataset null (a quiet night), instead of DATASET_EMPTY. */
  allowEmpty: z.boolean().default(false),
  /** `text` (every trainer reads it) or `prompt_completion` (sources without a prompt are dropped). */
  format: z.enum(['text', 'prompt_completion']).default('text'),
  minExamples: z.number().int().min(1).default(1),
  maxExamples: z.number().int().min(1).default(1_000_000),
});

const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
const hash = (s: string) => createHash('sha256').update(s).digest('hex');

export default defineWorker({
  taskType: 'prepare_dataset',
  description: 'Validate, convert, de-duplicate and de-leak JSONL sources into one training dataset',
  input: Input,
  async run(input, ctx) {
    const heldOutPrompts = new Set<string>();
    if (input.heldOut) {
      const text = typeof input.heldOut === 'string' ? await readFile(input.heldOut, 'utf8').catch(() => { throw terminal('DATASET_MISSING', `heldOut: cannot read ${input.heldOut}`); }) : (await ctx.artifacts.read(input.heldOut, 'heldOut')).toString('utf8');
      for (const raw of text.split('\n')) {
        try {
          const p = (JSON.parse(raw) as { prompt?: unknown }).prompt;
          if (typeof p === 'string') heldOutPrompts.add(norm(p));
        } catch {
          /* the evaluate step reports bad held-out lines */
        }
      }
    }
    const out: string[] = [];
    const seen = new Set<string>();
    const counts = { sources: 0, lines: 0, valid: 0, invalid: 0, duplicates: 0, leaked: 0, dropped: 0, kept: 0 };
    const badLines: { source: number; line: number; reason: string }[] = [];
    for (const [i, ref] of input.sources.entries()) {
      if (!ref) continue;
      let text: string;
      if (typeof ref === 'string') {
        const t = await readFile(ref, 'utf8').catch(() => undefined);
        if (t === undefined) {
          ctx.log(`sources[${i}]: ${ref} does not exist (yet); skipped`);
          continue;
        }
        text = t;
      } else text = (await ctx.artifacts.read(ref, `sources[${i}]`)).toString('utf8');
      counts.sources++;
      const v = validateJsonl(text, { format: 'auto', dedupe: false, maxReported: 50 });
      counts.lines += v.report.lines;
      counts.valid += v.report.valid;
      counts.invalid += v.report.invalid;
      for (const b of v.report.badLines) badLines.push({ source: i, ...b });
      for (const rec of v.records) {
        const prompt = detectFormat(rec) === 'prompt_completion' && typeof rec.prompt === 'string' ? rec.prompt : undefined;
        if (prompt !== undefined && heldOutPrompts.has(norm(prompt))) {
          counts.leaked++;
          continue;
        }
        let line: string;
        if (input.format === 'text') line = JSON.stringify({ text: recordText(rec) });
        else if (prompt !== undefined && typeof rec.completion === 'string') line = JSON.stringify({ prompt, completion: rec.completion });
        else {
          counts.dropped++;
          continue;
        }
        const h = hash(norm(line));
        if (seen.has(h)) {
          counts.duplicates++;
          continue;
        }
        seen.add(h);
        if (out.length < input.maxExamples) out.push(line);
      }
    }
    counts.kept = out.length;
    for (const b of badLines.slice(0, 20)) ctx.log(`bad line: sources[${b.source}] line ${b.line}: ${b.reason}`);
    ctx.log(`dataset: ${counts.kept} examples from ${counts.sources} source(s); ${counts.invalid} invalid, ${counts.duplicates} duplicates, ${counts.leaked} in the held-out set`);
    if (counts.kept === 0 && input.allowEmpty) return { dataset: null, format: input.format, counts, badLines: badLines.slice(0, 50) };
    if (counts.kept < input.minExamples) throw terminal('DATASET_EMPTY', `${counts.kept} usable examples, at least ${input.minExamples} needed`, { counts, badLines: badLines.slice(0, 50) });
    const dataset = await ctx.artifacts.putBytes(`${out.join('\n')}\n`, 'train.jsonl');
    return { dataset, format: input.format, counts, badLines: badLines.slice(0, 50) };
  },
});

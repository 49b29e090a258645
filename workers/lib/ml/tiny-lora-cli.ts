/**
 * The tiny LoRA trainer as a training command: what lora_train's local backend runs by default
 * and what the tests run on the loopback sshd (`node dist/workers/lib/ml/tiny-lora-cli.js …`).
 * It speaks the same contract as tools/lora/train_lora.py: reads a JSONL dataset, appends one JSON
 * line per step to the progress file ({step, loss, lr, max_steps, ts}), writes
 * adapter_model.safetensors and adapter_config.json into the output dir, exits 0 on success.
 *
 *   node tiny-lora-cli.js --dataset data.jsonl --output-dir out --progress progress.jsonl
 *        [--base-model tiny-charlm] [--steps 100] [--r 4] [--alpha 8] [--lr 0.02] [--batch 64] [--seed 42]
 *
 * Exit codes: 0 done, 2 bad arguments or no usable example, 1 anything else.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeBadLines, recordText, validateJsonl } from './dataset';
import { adapterFiles, trainTinyLora } from './tiny-lora';

class UsageError extends Error {}

function num(v: string | undefined, name: string, int: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (int && !Number.isInteger(n))) throw new UsageError(`--${name} must be a positive ${int ? 'integer' : 'number'}, not ${v}`);
  return n;
}

/** Write a file so that a reader sees the old content or the whole new one, never half. */
function writeAtomic(path: string, data: Buffer | string): void {
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}

export async function main(argv: string[]): Promise<number> {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      dataset: { type: 'string' },
      'output-dir': { type: 'string' },
      progress: { type: 'string' },
      'base-model': { type: 'string', default: 'tiny-charlm' },
      steps: { type: 'string' },
      r: { type: 'string' },
      alpha: { type: 'string' },
      lr: { type: 'string' },
      batch: { type: 'string' },
      seed: { type: 'string' },
    },
    strict: true,
  });
  if (!a.dataset || !a['output-dir'] || !a.progress) throw new UsageError('--dataset, --output-dir and --progress are required');
  const ds = validateJsonl(readFileSync(a.dataset, 'utf8'));
  console.log(`dataset: ${ds.report.valid} examples (${ds.report.format ?? 'no format'}), ${ds.report.invalid} invalid lines, ${ds.report.duplicates} duplicates`);
  if (ds.report.invalid) console.log(`invalid lines: ${describeBadLines(ds.report)}`);
  if (ds.report.valid === 0) throw new UsageError('the dataset has no valid example');

  const progress = a.progress;
  const result = await trainTinyLora({
    texts: ds.records.map(recordText),
    baseModel: a['base-model']!,
    steps: num(a.steps, 'steps', true),
    r: num(a.r, 'r', true),
    alpha: num(a.alpha, 'alpha', false),
    lr: num(a.lr, 'lr', false),
    batch: num(a.batch, 'batch', true),
    seed: a.seed === undefined ? undefined : Number(a.seed),
    onStep: (p) => appendFileSync(progress, `${JSON.stringify({ ...p, ts: Date.now() / 1000 })}\n`),
  });
  const out = a['output-dir'];
  mkdirSync(out, { recursive: true });
  const files = adapterFiles(result, a['base-model']!);
  writeAtomic(join(out, 'adapter_model.safetensors'), files.safetensors);
  writeAtomic(join(out, 'adapter_config.json'), `${JSON.stringify(files.config, null, 2)}\n`);
  console.log(JSON.stringify({ done: true, steps: result.steps, firstLoss: result.firstLoss, finalLoss: result.finalLoss, baseUnchanged: result.baseSha256Before === result.baseSha256After }));
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`tiny-lora: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1);
    },
  );
}

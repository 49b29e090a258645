/**
 * collect_misses: gather yesterday's misses (requests the deployed model got wrong, logged by
 * the serving side as JSONL files named YYYY-MM-DD.jsonl under MISSES_PATH) into one dataset
 * artifact of prompt/completion examples for the nightly training.
 *
 * A miss line is `{prompt, expected}` (or `{prompt, completion}`; extra fields are ignored).
 * Bad lines are reported with file and line number; an empty window is not an error (the
 * workflow skips training), a window with only bad lines is terminal MISSES_INVALID.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defineWorker } from './runtime/define-worker';
import { terminal } from './runtime/errors';

const DAY = 86_400_000;
const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);

const Input = z.object({
  /** Folder of YYYY-MM-DD.jsonl files. @default MISSES_PATH or ./data/misses */
  source: z.string().min(1).optional(),
  /** Last day of the window (UTC, YYYY-MM-DD). @default yesterday */
  until: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD').optional(),
  /** Days in the window, ending at `until`. @default 1 */
  days: z.number().int().min(1).max(366).default(1),
  maxExamples: z.number().int().min(1).default(100_000),
});

export default defineWorker({
  taskType: 'collect_misses',
  description: "Collect the deployed model's misses of the last day(s) into a prompt/completion dataset",
  input: Input,
  async run(input, ctx) {
    const dir = input.source ?? ctx.env.MISSES_PATH ?? './data/misses';
    const until = input.until ? Date.parse(`${input.until}T00:00:00Z`) : Date.parse(`${isoDay(Date.now() - DAY)}T00:00:00Z`);
    const days = Array.from({ length: input.days }, (_, i) => isoDay(until - i * DAY)).reverse();
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') names = [];
      else throw e;
    }
    const examples: string[] = [];
    const bad: { file: string; line: number; reason: string }[] = [];
    const files: string[] = [];
    let lines = 0;
    for (const day of days) {
      const file = `${day}.jsonl`;
      if (!names.includes(file)) continue;
      files.push(file);
      const text = await readFile(join(dir, file), 'utf8');
      text.split('\n').forEach((raw, i) => {
        if (!raw.trim()) return;
        lines++;
        let rec: Record<string, unknown>;
        try {
          rec = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          return void bad.push({ file, line: i + 1, reason: 'not JSON' });
        }
        const prompt = rec?.prompt;
        const completion = rec?.expected ?? rec?.completion;
        if (typeof prompt !== 'string' || !prompt.trim()) return void bad.push({ file, line: i + 1, reason: 'prompt missing' });
        if (typeof completion !== 'string' || !completion.trim()) return void bad.push({ file, line: i + 1, reason: 'expected missing' });
        if (examples.length < input.maxExamples) examples.push(JSON.stringify({ prompt, completion }));
      });
    }
    for (const b of bad.slice(0, 20)) ctx.log(`bad miss: ${b.file}:${b.line}: ${b.reason}`);
    if (lines > 0 && examples.length === 0) throw terminal('MISSES_INVALID', `none of the ${lines} miss lines in ${files.join(', ')} is usable`, { badLines: bad.slice(0, 50) });
    ctx.log(`collected ${examples.length} misses from ${files.length} file(s) for ${days[0]}..${days[days.length - 1]}`);
    const dataset = examples.length ? await ctx.artifacts.putBytes(`${examples.join('\n')}\n`, 'misses.jsonl') : null;
    return { dataset, count: examples.length, window: { from: days[0], until: days[days.length - 1] }, files, invalid: bad.length, badLines: bad.slice(0, 50) };
  },
});

/**
 * CLI for demos: serve a lookup-table model until Ctrl-C.
 *
 *   npm run build && node dist/tools/model-endpoint/main.js --table eval.jsonl --quality 0.8
 *
 * The table is a JSON file (`{prompt: answer}` or `[{prompt, answer, wrong?, samples?}]`) or a
 * .jsonl/.ndjson eval set (`{prompt, answer}` lines; lines with messages use the last user message, lines
 * with answers use the first). Prints one JSON line `{ready, url, port}`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startModelEndpoint, type Faults, type TableEntry } from './model-endpoint';

const USAGE = `usage: model-endpoint --table FILE [options]
  --table FILE       JSON {prompt: answer} / [{prompt, answer, wrong?, samples?}], or a .jsonl eval set
  --quality Q        fraction of the table answered correctly, 0..1 (default 1)
  --seed S           which prompts a partial-quality model gets right (default baton)
  --api-key KEY      require Authorization: Bearer KEY
  --host IP          bind address (default 127.0.0.1)
  --port N           port (default 0 = ephemeral)
  --faults JSON      e.g. '{"status429":1,"status500":1,"garbage":0,"slowMs":2000,"slowCount":1}'`;

function loadTable(file: string): TableEntry[] | Record<string, string> {
  const text = readFileSync(file, 'utf8');
  if (!/\.(jsonl|ndjson)$/i.test(file)) return JSON.parse(text) as TableEntry[] | Record<string, string>;
  const out: TableEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const o = JSON.parse(line) as { prompt?: string; messages?: { role: string; content: string }[]; answer?: unknown; answers?: unknown[] };
      const prompt = o.prompt ?? [...(o.messages ?? [])].reverse().find((m) => m.role === 'user')?.content;
      const answer = o.answer ?? o.answers?.[0];
      if (typeof prompt === 'string' && answer !== undefined) out.push({ prompt, answer: String(answer) });
    } catch {
      // an invalid line is the evaluate worker's business; the model just does not know it
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      table: { type: 'string' },
      quality: { type: 'string' },
      seed: { type: 'string' },
      'api-key': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      faults: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!values.table) throw new Error('--table is required');
  const quality = values.quality === undefined ? 1 : Number(values.quality);
  if (!(quality >= 0 && quality <= 1)) throw new Error('--quality must be between 0 and 1');
  const ep = await startModelEndpoint({
    table: loadTable(values.table),
    quality,
    seed: values.seed,
    apiKey: values['api-key'],
    host: values.host,
    port: values.port === undefined ? 0 : Number(values.port),
    faults: values.faults ? (JSON.parse(values.faults) as Faults) : undefined,
  });
  console.log(JSON.stringify({ ready: true, url: ep.url, port: ep.port }));
  const stop = (): void => void ep.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  console.error(USAGE);
  process.exit(2);
});

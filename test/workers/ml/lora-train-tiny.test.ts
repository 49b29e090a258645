/**
 * The pieces of lora_train that need no host: the tiny tfjs LoRA trainer (it really trains: the
 * loss falls, the frozen base weights stay bit-identical), the safetensors writer and parser,
 * dataset validation, progress lines, budgets, the command template, host key fingerprints.
 */
import { createHash } from 'node:crypto';
import { adapterFiles, adapterFromTensors, meanLoss, tinyBaseWeights, trainTinyLora, D_IN, VOCAB } from '../../../workers/lib/ml/tiny-lora';
import { decodeSafetensors, encodeSafetensors, parseSafetensorsHeader, SafetensorsError } from '../../../workers/lib/ml/safetensors';
import { recordText, validateJsonl } from '../../../workers/lib/ml/dataset';
import { completeLines, parseProgressLine, summarize } from '../../../workers/lib/ml/progress';
import { checkBudget, hostLimitS } from '../../../workers/lib/ml/budget';
import { renderCommand, PLACEHOLDERS } from '../../../workers/lib/ml/command';
import { fingerprint, normalizeFingerprint } from '../../../workers/lib/ml/ssh';
import { shq } from '../../../workers/lib/ml/remote-job';
import { qaLines } from './ml-harness';

const sha = (a: Float32Array) => createHash('sha256').update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

describe('the tiny tfjs LoRA trainer', () => {
  const texts = validateJsonl(qaLines(40).join('\n')).records.map(recordText);
  let result: Awaited<ReturnType<typeof trainTinyLora>>;
  const steps: { step: number; loss: number; lr: number }[] = [];

  beforeAll(async () => {
    result = await trainTinyLora({ texts, baseModel: 'tiny-test', r: 4, alpha: 8, lr: 0.05, steps: 80, seed: 7, onStep: (p) => steps.push(p) });
  });

  test('trains: one progress report per step, the loss falls well below where it started', () => {
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    expect(steps.every((s) => s.lr === 0.05 && Number.isFinite(s.loss))).toBe(true);
    const first = steps.slice(0, 5).reduce((a, s) => a + s.loss, 0) / 5;
    const last = steps.slice(-5).reduce((a, s) => a + s.loss, 0) / 5;
    expect(first).toBeGreaterThan(4); // about ln(96): the random base knows nothing
    expect(last).toBeLessThan(first * 0.5);
    expect(result).toMatchObject({ steps: 80, firstLoss: steps[0]!.loss, finalLoss: steps[79]!.loss, r: 4, alpha: 8 });
  });

  test('the base weights are frozen: bit-identical before, after, and when generated again', () => {
    expect(result.baseSha256After).toBe(result.baseSha256Before);
    expect(sha(tinyBaseWeights('tiny-test'))).toBe(result.baseSha256Before);
    expect(sha(tinyBaseWeights('another-base'))).not.toBe(result.baseSha256Before);
  });

  test('the adapter is what lowers the loss: the base alone does worse on the training texts', async () => {
    const withAdapter = await meanLoss('tiny-test', texts, result);
    const baseOnly = await meanLoss('tiny-test', texts);
    expect(withAdapter).toBeLessThan(baseOnly * 0.5);
  });

  test('the same seed trains the same way (the first 20 steps, bit for bit)', async () => {
    const again = await trainTinyLora({ texts, baseModel: 'tiny-test', r: 4, alpha: 8, lr: 0.05, steps: 20, seed: 7 });
    expect(again.losses).toEqual(result.losses.slice(0, 20));
  });

  test('adapter files: PEFT names and shapes in a real safetensors file, peft-style config; they load back', async () => {
    const { safetensors, config } = adapterFiles(result, 'tiny-test');
    const n = Number(safetensors.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(safetensors.subarray(8, 8 + n).toString('utf8'));
    expect(header['base_model.model.lm_head.lora_A.weight']).toEqual({ dtype: 'F32', shape: [4, D_IN], data_offsets: [0, 4 * D_IN * 4] });
    expect(header['base_model.model.lm_head.lora_B.weight']).toEqual({ dtype: 'F32', shape: [VOCAB, 4], data_offsets: [4 * D_IN * 4, 4 * D_IN * 4 + VOCAB * 4 * 4] });
    expect(header.__metadata__).toMatchObject({ format: 'pt' });
    expect(safetensors.length).toBe(8 + n + (4 * D_IN + VOCAB * 4) * 4);
    expect(config).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['lm_head'], base_model_name_or_path: 'tiny-test', task_type: 'CAUSAL_LM' });

    const loaded = adapterFromTensors(decodeSafetensors(safetensors).tensors, config as { r: number; lora_alpha: number });
    expect(sha(loaded.A)).toBe(sha(result.A));
    expect(sha(loaded.B)).toBe(sha(result.B));
    expect(await meanLoss('tiny-test', texts, loaded)).toBeCloseTo(await meanLoss('tiny-test', texts, result), 5);
  });
});

describe('safetensors', () => {
  const file = encodeSafetensors({ b: { shape: [2], data: Float32Array.from([1.5, -2]) }, a: { shape: [1, 3], data: Float32Array.from([0, 1, 2]) } }, { k: 'v' });

  test('round trip: little-endian length, JSON header in name order, raw float32 data', () => {
    const h = parseSafetensorsHeader(file);
    expect(Object.keys(h.tensors)).toEqual(['a', 'b']);
    expect(h.tensors.a).toEqual({ dtype: 'F32', shape: [1, 3], dataOffsets: [0, 12] });
    expect(h.tensors.b).toEqual({ dtype: 'F32', shape: [2], dataOffsets: [12, 20] });
    expect(h.metadata).toEqual({ k: 'v' });
    expect(file.readFloatLE(h.dataStart + 12)).toBe(1.5);
    expect(Array.from(decodeSafetensors(file).tensors.b!.data)).toEqual([1.5, -2]);
  });

  test('a truncated file, a header past the end, offsets outside the data, a shape that does not fit: rejected', () => {
    expect(() => parseSafetensorsHeader(file.subarray(0, file.length - 4))).toThrow(/outside/);
    expect(() => parseSafetensorsHeader(file.subarray(0, 6))).toThrow(SafetensorsError);
    const huge = Buffer.from(file);
    huge.writeBigUInt64LE(BigInt(file.length), 0);
    expect(() => parseSafetensorsHeader(huge)).toThrow(/past the end/);
    const bad = (header: object) => {
      const json = Buffer.from(JSON.stringify(header));
      const b = Buffer.alloc(8 + json.length + 8);
      b.writeBigUInt64LE(BigInt(json.length), 0);
      json.copy(b, 8);
      return () => parseSafetensorsHeader(b);
    };
    expect(bad({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } })).toThrow(/8 bytes for shape/);
    expect(bad({ x: { dtype: 'Q4', shape: [2], data_offsets: [0, 8] } })).toThrow(/unknown dtype/);
    expect(bad({ x: { dtype: 'F16', shape: [4], data_offsets: [0, 8] } })).not.toThrow();
  });
});

describe('dataset validation', () => {
  test('bad lines are reported by number with a reason; the valid ones are kept', () => {
    const lines = [
      JSON.stringify({ prompt: 'a', completion: 'b' }),
      '{not json',
      '',
      JSON.stringify({ prompt: 'c' }),
      JSON.stringify([1, 2]),
      JSON.stringify({ prompt: 'd', completion: 'e' }),
      JSON.stringify({ text: 'a text record' }),
      JSON.stringify({ prompt: 'a', completion: 'b' }),
    ];
    const { report, records, jsonl } = validateJsonl(lines.join('\r\n'));
    expect(report).toMatchObject({ format: 'prompt_completion', lines: 7, valid: 2, invalid: 4, duplicates: 1 });
    expect(report.badLines.map((b) => b.line)).toEqual([2, 4, 5, 7]);
    expect(report.badLines[0]!.reason).toMatch(/^not JSON/);
    expect(report.badLines[2]!.reason).toBe('not a JSON object');
    expect(report.badLines[3]!.reason).toMatch(/a text record, but the dataset is prompt_completion \(from line 1\)/);
    expect(records).toHaveLength(2);
    expect(jsonl.split('\n')).toHaveLength(3);
  });

  test('each format: what makes a record valid', () => {
    const ok = (o: object, format?: 'messages' | 'alpaca' | 'text' | 'prompt_completion') => validateJsonl(JSON.stringify(o), { format }).report.valid === 1;
    expect(ok({ messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }] })).toBe(true);
    expect(ok({ messages: [{ role: 'user', content: 'q' }] })).toBe(false); // last must be the assistant
    expect(ok({ messages: [{ role: 'user', content: 'q' }, { role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }] })).toBe(false);
    expect(ok({ messages: [{ role: 'robot', content: 'q' }, { role: 'assistant', content: 'a' }] })).toBe(false);
    expect(ok({ instruction: 'do', input: '', output: 'done' })).toBe(true);
    expect(ok({ instruction: 'do', output: '' })).toBe(false);
    expect(ok({ text: '   ' })).toBe(false);
    expect(ok({ prompt: [{ role: 'user', content: 'q' }], completion: [{ role: 'assistant', content: 'a' }] })).toBe(true);
    expect(ok({ text: 'x' }, 'alpaca')).toBe(false);
    expect(validateJsonl('{"foo": 1}').report.badLines[0]!.reason).toMatch(/no known format/);
  });

  test('nothing valid: valid 0 and every line reported', () => {
    const r = validateJsonl('x\n{"a":1}\n').report;
    expect(r).toMatchObject({ valid: 0, invalid: 2, lines: 2 });
  });
});

describe('progress lines', () => {
  test('ours and Hugging Face names; NaN marks divergence; other lines are ignored', () => {
    expect(parseProgressLine('{"step":3,"loss":1.5,"lr":0.01,"max_steps":10}')).toEqual({ step: 3, loss: 1.5, lr: 0.01, maxSteps: 10, diverged: false });
    expect(parseProgressLine('{"global_step":4,"train_loss":0.5,"learning_rate":2e-4}')).toMatchObject({ step: 4, loss: 0.5, lr: 2e-4 });
    expect(parseProgressLine('{"step": 5, "loss": NaN, "lr": 0.1}')).toMatchObject({ step: 5, loss: undefined, diverged: true });
    expect(parseProgressLine('{"eval_loss": 1.0}')).toBeUndefined();
    expect(parseProgressLine('Loading checkpoint shards')).toBeUndefined();
    expect(summarize('{"step":1,"loss":4}\nnoise\n{"step":2,"loss":3,"lr":0.1}\n')).toEqual({ points: 2, steps: 2, firstLoss: 4, finalLoss: 3, lr: 0.1, diverged: false, maxSteps: undefined });
  });

  test('only complete lines are consumed; a partial last line waits for the next poll', () => {
    expect(completeLines(Buffer.from('{"step":1}\n{"step":2}\n{"st'))).toEqual({ lines: ['{"step":1}', '{"step":2}'], consumed: 22 });
    expect(completeLines(Buffer.from('{"st'))).toEqual({ lines: [], consumed: 0 });
  });
});

describe('budgets, the command template, fingerprints, quoting', () => {
  test('wall time and cost; the host limit backs the cost budget up after two polls and the grace', () => {
    const b = { maxWallS: 3600, maxCostUsd: 2, costPerHourUsd: 3600, killGraceS: 5 };
    expect(checkBudget(b, 1)).toEqual({ elapsedS: 1, costUsd: 1 });
    expect(checkBudget(b, 2)).toEqual({ elapsedS: 2, costUsd: 2, exceeded: 'cost' });
    expect(checkBudget({ ...b, maxWallS: 2 }, 2).exceeded).toBe('wall');
    expect(hostLimitS(b, 30)).toBe(2 + 60 + 5);
    expect(hostLimitS({ ...b, maxCostUsd: undefined }, 30)).toBe(3600);
  });

  test('placeholders are filled per word; an unknown one is INVALID_INPUT', () => {
    const vars = Object.fromEntries(PLACEHOLDERS.map((p) => [p, `<${p}>`])) as Record<(typeof PLACEHOLDERS)[number], string>;
    expect(renderCommand(['python3', '--data={dataset}', '{outputDir}'], vars)).toEqual(['python3', '--data=<dataset>', '<outputDir>']);
    expect(() => renderCommand(['{datset}'], vars)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  test('fingerprints: OpenSSH form; pins compare with or without prefix and padding', () => {
    const fp = fingerprint(Buffer.from('key blob'));
    expect(fp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(normalizeFingerprint(`${fp.slice(7)}=`)).toBe(fp);
    expect(normalizeFingerprint(`sha256:${fp.slice(7)}`)).toBe(fp);
    expect(shq("it's")).toBe(`'it'\\''s'`);
  });
});

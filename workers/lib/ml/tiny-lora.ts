/**
 * A tiny but real LoRA trainer in pure-JS tfjs (reference/worker-domain.md §4.7), used as the local
 * backend of lora_train, by the tests and by the demo; GPU hosts run tools/lora/train_lora.py.
 *
 * The "base model" is a character-level next-character predictor: the two previous characters,
 * one-hot ([2·V]), times a frozen weight W [2·V × V] give the logits over V characters. W is
 * generated deterministically from the base model's name, so every run and every host has the
 * same base. LoRA adds ΔW = (α/r)·A·B with A [2·V × r] (small uniform init) and B [r × V]
 * (zeros); Adam updates A and B only, W never changes. The adapter is saved the way PEFT saves
 * one for a `lm_head` target: lora_A.weight [r × in], lora_B.weight [out × r].
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { encodeSafetensors } from './safetensors';

/** Printable ASCII 32..126, and one slot for everything else. */
export const VOCAB = 96;
export const CONTEXT = 2;
export const D_IN = CONTEXT * VOCAB;
export const TARGET_MODULE = 'lm_head';
const A_NAME = `base_model.model.${TARGET_MODULE}.lora_A.weight`;
const B_NAME = `base_model.model.${TARGET_MODULE}.lora_B.weight`;

export interface StepProgress {
  step: number;
  loss: number;
  lr: number;
  max_steps: number;
}

export interface TinyLoraOptions {
  /** The training texts (one per example). */
  texts: string[];
  /** Names the frozen base weights (any string; the same name gives the same weights). */
  baseModel: string;
  /** @default 4 */
  r?: number;
  /** @default 2·r */
  alpha?: number;
  /** @default 0.02 */
  lr?: number;
  /** @default 100 */
  steps?: number;
  /** Examples per step. @default 64 */
  batch?: number;
  /** @default 42 */
  seed?: number;
  onStep?: (p: StepProgress) => void;
  signal?: AbortSignal;
}

export interface TinyAdapter {
  r: number;
  alpha: number;
  /** [D_IN × r], row-major. */
  A: Float32Array;
  /** [r × VOCAB], row-major. */
  B: Float32Array;
}

export interface TinyLoraResult extends TinyAdapter {
  steps: number;
  firstLoss: number;
  finalLoss: number;
  losses: number[];
  /** sha256 of the base weights before and after training: equal, since W is frozen. */
  baseSha256Before: string;
  baseSha256After: string;
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seedOf = (s: string) => createHash('sha256').update(s).digest().readUInt32LE(0);

export function charIndex(code: number): number {
  return code >= 32 && code <= 126 ? code - 32 : VOCAB - 1;
}

/** The frozen base weights W [D_IN × VOCAB] for a base model name (normal, std 0.1). */
export function tinyBaseWeights(baseModel: string): Float32Array {
  const rand = prng(seedOf(`baton-tiny-base:${baseModel}`));
  const w = new Float32Array(D_IN * VOCAB);
  for (let i = 0; i < w.length; i++) {
    const u = Math.max(rand(), 1e-12);
    w[i] = 0.1 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  }
  return w;
}

/** (previous two characters → next character) pairs from the texts, at most `max`. */
export function examples(texts: string[], max = 50_000): { c1: number[]; c2: number[]; next: number[] } {
  const c1: number[] = [];
  const c2: number[] = [];
  const next: number[] = [];
  for (const text of texts) {
    const ids = [VOCAB - 1, VOCAB - 1, ...Array.from(text, (ch) => charIndex(ch.codePointAt(0)!))];
    for (let i = CONTEXT; i < ids.length && next.length < max; i++) {
      c1.push(ids[i - 2]!);
      c2.push(ids[i - 1]!);
      next.push(ids[i]!);
    }
  }
  return { c1, c2, next };
}

function logits(W: tf.Tensor2D, c1: number[], c2: number[], adapter?: { A: tf.Tensor2D; B: tf.Tensor2D; scale: number }): tf.Tensor2D {
  const x = tf.concat([tf.oneHot(tf.tensor1d(c1, 'int32'), VOCAB), tf.oneHot(tf.tensor1d(c2, 'int32'), VOCAB)], 1).toFloat() as tf.Tensor2D;
  const base = tf.matMul(x, W) as tf.Tensor2D;
  if (!adapter) return base;
  return tf.add(base, tf.mul(tf.matMul(tf.matMul(x, adapter.A), adapter.B), adapter.scale)) as tf.Tensor2D;
}

/** The pure-JS CPU backend, without debug checks and without the "install tfjs-node" banner. */
async function useCpu(): Promise<void> {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
}

const sha = (a: Float32Array) => createHash('sha256').update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

/** Train a LoRA adapter on the texts. */
export async function trainTinyLora(o: TinyLoraOptions): Promise<TinyLoraResult> {
  const r = o.r ?? 4;
  const alpha = o.alpha ?? 2 * r;
  const lr = o.lr ?? 0.02;
  const steps = o.steps ?? 100;
  const batch = o.batch ?? 64;
  const seed = o.seed ?? 42;
  await useCpu();
  const data = examples(o.texts);
  if (data.next.length === 0) throw new Error('the texts hold no characters to learn');

  const baseValues = tinyBaseWeights(o.baseModel);
  const baseSha256Before = sha(baseValues);
  const rand = prng(seed);
  const bound = 1 / Math.sqrt(D_IN);
  const aInit = Float32Array.from({ length: D_IN * r }, () => (2 * rand() - 1) * bound);
  const W = tf.tensor2d(baseValues, [D_IN, VOCAB]); // a constant: the optimizer is never given it
  const A = tf.variable(tf.tensor2d(aInit, [D_IN, r]), true);
  const B = tf.variable(tf.zeros([r, VOCAB]) as tf.Tensor2D, true);
  const optimizer = tf.train.adam(lr);
  const losses: number[] = [];
  try {
    for (let step = 1; step <= steps; step++) {
      if (o.signal?.aborted) throw new Error('training aborted');
      const pick = Array.from({ length: Math.min(batch, data.next.length) }, () => Math.floor(rand() * data.next.length));
      const cost = optimizer.minimize(
        () => {
          const out = logits(W, pick.map((i) => data.c1[i]!), pick.map((i) => data.c2[i]!), { A, B, scale: alpha / r });
          const labels = tf.oneHot(tf.tensor1d(pick.map((i) => data.next[i]!), 'int32'), VOCAB).toFloat();
          return tf.losses.softmaxCrossEntropy(labels, out) as tf.Scalar;
        },
        true,
        [A, B],
      );
      const loss = cost!.dataSync()[0]!;
      cost!.dispose();
      losses.push(loss);
      o.onStep?.({ step, loss, lr, max_steps: steps });
      if (step % 20 === 0) await new Promise((res) => setImmediate(res)); // let timers and signals through
    }
    return {
      r,
      alpha,
      A: A.dataSync() as Float32Array,
      B: B.dataSync() as Float32Array,
      steps,
      firstLoss: losses[0]!,
      finalLoss: losses[losses.length - 1]!,
      losses,
      baseSha256Before,
      baseSha256After: sha(W.dataSync() as Float32Array),
    };
  } finally {
    optimizer.dispose();
    tf.dispose([W, A, B]);
  }
}

/** Mean next-character cross-entropy of the texts under the base model, with the adapter if given. */
export async function meanLoss(baseModel: string, texts: string[], adapter?: TinyAdapter): Promise<number> {
  await useCpu();
  const data = examples(texts);
  return tf.tidy(() => {
    const W = tf.tensor2d(tinyBaseWeights(baseModel), [D_IN, VOCAB]);
    const ad = adapter ? { A: tf.tensor2d(adapter.A, [D_IN, adapter.r]), B: tf.tensor2d(adapter.B, [adapter.r, VOCAB]), scale: adapter.alpha / adapter.r } : undefined;
    const out = logits(W, data.c1, data.c2, ad);
    return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(data.next, 'int32'), VOCAB).toFloat(), out).dataSync()[0]!;
  });
}

function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j]!;
  return t;
}

/** adapter_model.safetensors and adapter_config.json, as PEFT writes them for this model. */
export function adapterFiles(a: TinyAdapter, baseModel: string): { safetensors: Buffer; config: Record<string, unknown> } {
  const safetensors = encodeSafetensors(
    {
      [A_NAME]: { shape: [a.r, D_IN], data: transpose(a.A, D_IN, a.r) },
      [B_NAME]: { shape: [VOCAB, a.r], data: transpose(a.B, a.r, VOCAB) },
    },
    { format: 'pt', 'baton.trainer': 'tiny-lora', 'baton.vocab': String(VOCAB), 'baton.context': String(CONTEXT) },
  );
  const config = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    revision: null,
    r: a.r,
    lora_alpha: a.alpha,
    lora_dropout: 0,
    target_modules: [TARGET_MODULE],
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    use_rslora: false,
    use_dora: false,
    modules_to_save: null,
  };
  return { safetensors, config };
}

/** The adapter back from its two files' contents (decoded safetensors tensors). */
export function adapterFromTensors(tensors: Record<string, { shape: number[]; data: Float32Array }>, config: { r: number; lora_alpha: number }): TinyAdapter {
  const a = tensors[A_NAME];
  const b = tensors[B_NAME];
  if (!a || !b) throw new Error(`not a tiny-lora adapter: needs ${A_NAME} and ${B_NAME}`);
  const r = config.r;
  return { r, alpha: config.lora_alpha, A: transpose(a.data, r, D_IN), B: transpose(b.data, VOCAB, r) };
}

/**
 * Greedy generation with the base model (and the adapter, if given): the next character from
 * the previous two, until a newline or `maxChars`. Training texts are `prompt\ncompletion`, so a
 * completion is generated from the prompt followed by a newline. Plain JS: no tensors needed
 * for one row at a time.
 */
export function generateTiny(W: Float32Array, adapter: TinyAdapter | undefined, prompt: string, maxChars = 32): string {
  const ids = [VOCAB - 1, VOCAB - 1, ...Array.from(`${prompt}\n`, (ch) => charIndex(ch.codePointAt(0)!))];
  const scale = adapter ? adapter.alpha / adapter.r : 0;
  let out = '';
  for (let n = 0; n < maxChars; n++) {
    const c1 = ids[ids.length - 2]!;
    const c2 = VOCAB + ids[ids.length - 1]!;
    // the input's low-rank projection x·A (x is one-hot at c1 and c2)
    const xa = adapter ? Array.from({ length: adapter.r }, (_, k) => adapter.A[c1 * adapter.r + k]! + adapter.A[c2 * adapter.r + k]!) : [];
    let best = 0;
    let bestLogit = -Infinity;
    for (let j = 0; j < VOCAB; j++) {
      let v = W[c1 * VOCAB + j]! + W[c2 * VOCAB + j]!;
      if (adapter) for (let k = 0; k < adapter.r; k++) v += scale * xa[k]! * adapter.B[k * VOCAB + j]!;
      if (v > bestLogit) (bestLogit = v), (best = j);
    }
    const ch = best === VOCAB - 1 ? '\n' : String.fromCharCode(best + 32);
    if (ch === '\n') break;
    out += ch;
    ids.push(best);
  }
  return out;
}

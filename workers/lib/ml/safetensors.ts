/**
 * The safetensors file format (reference/worker-domain.md §4.3), for LoRA adapters: an 8-byte
 * little-endian header length N, N bytes of UTF-8 JSON (`{name: {dtype, shape, data_offsets}}` plus
 * an optional `__metadata__` of string values; offsets relative to the first byte after the
 * header), then the raw little-endian row-major tensor bytes. Only F32 is written; parsing
 * accepts every dtype and checks the layout, so an adapter from a real GPU host can be validated.
 */

export interface F32Tensor {
  shape: number[];
  data: Float32Array;
}

export interface TensorInfo {
  dtype: string;
  shape: number[];
  /** [begin, end) relative to the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  tensors: Record<string, TensorInfo>;
  metadata: Record<string, string>;
  /** Where the data section starts in the file (8 + header length). */
  dataStart: number;
}

export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
}

const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

/** Serialise tensors in name order; the header is padded with spaces to a multiple of 8 bytes. */
export function encodeSafetensors(tensors: Record<string, F32Tensor>, metadata: Record<string, string> = {}): Buffer {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new SafetensorsError(`${name}: shape ${JSON.stringify(t.shape)} holds ${count} values, data has ${t.data.length}`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // spaces keep it valid JSON
  const head = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + head.length + offset);
  out.writeBigUInt64LE(BigInt(head.length), 0);
  head.copy(out, 8);
  let at = 8 + head.length;
  for (const name of names) {
    const data = tensors[name]!.data;
    for (let i = 0; i < data.length; i++, at += 4) out.writeFloatLE(data[i]!, at);
  }
  return out;
}

/**
 * Parse and check the header of a safetensors file: JSON, dtypes, shapes and offsets within the
 * file. `buf` is the whole file, or its start (at least the header) with the file's size.
 */
export function parseSafetensorsHeader(buf: Buffer, fileSize = buf.length): SafetensorsHeader {
  if (buf.length < 8 || fileSize < 8) throw new SafetensorsError(`${fileSize} bytes: too short for a header length`);
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(fileSize - 8) || n > 100_000_000n) throw new SafetensorsError(`header length ${n} is past the end of the ${fileSize}-byte file`);
  const dataStart = 8 + Number(n);
  if (buf.length < dataStart) throw new SafetensorsError(`only ${buf.length} bytes given for a ${dataStart}-byte header`);
  let raw: unknown;
  try {
    raw = JSON.parse(buf.subarray(8, dataStart).toString('utf8'));
  } catch (e) {
    throw new SafetensorsError(`header is not JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SafetensorsError('header is not a JSON object');
  const dataLen = fileSize - dataStart;
  const tensors: Record<string, TensorInfo> = {};
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Object.values(v).some((x) => typeof x !== 'string')) throw new SafetensorsError('__metadata__ must map names to strings');
      metadata = v as Record<string, string>;
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const size = typeof t.dtype === 'string' ? DTYPE_BYTES[t.dtype] : undefined;
    if (size === undefined) throw new SafetensorsError(`${name}: unknown dtype ${JSON.stringify(t.dtype)}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new SafetensorsError(`${name}: bad shape`);
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0)) throw new SafetensorsError(`${name}: bad data_offsets`);
    const [begin, end] = off as [number, number];
    if (begin > end || end > dataLen) throw new SafetensorsError(`${name}: data_offsets [${begin}, ${end}] outside the ${dataLen}-byte data section`);
    const count = (t.shape as number[]).reduce((a, b) => a * b, 1);
    if (count * size !== end - begin) throw new SafetensorsError(`${name}: ${end - begin} bytes for shape ${JSON.stringify(t.shape)} of ${t.dtype}`);
    tensors[name] = { dtype: t.dtype as string, shape: t.shape as number[], dataOffsets: [begin, end] };
  }
  return { tensors, metadata, dataStart };
}

/** Read a whole F32 file back (tests, and the tiny trainer loading an adapter). */
export function decodeSafetensors(buf: Buffer): { tensors: Record<string, F32Tensor>; metadata: Record<string, string> } {
  const h = parseSafetensorsHeader(buf);
  const tensors: Record<string, F32Tensor> = {};
  for (const [name, t] of Object.entries(h.tensors)) {
    if (t.dtype !== 'F32') throw new SafetensorsError(`${name}: ${t.dtype} is not supported here (F32 only)`);
    const data = new Float32Array((t.dataOffsets[1] - t.dataOffsets[0]) / 4);
    for (let i = 0; i < data.length; i++) data[i] = buf.readFloatLE(h.dataStart + t.dataOffsets[0] + i * 4);
    tensors[name] = { shape: t.shape, data };
  }
  return { tensors, metadata: h.metadata };
}

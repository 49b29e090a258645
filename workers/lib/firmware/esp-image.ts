/**
 * ESP32 application image: parser and builder.
 *
 * Layout (esp_image_format.h / esp_app_format.h):
 *   header   24 bytes   magic 0xE9, segment count, SPI mode/speed/size, entry address,
 *                       chip id, chip revisions, hash_appended flag at byte 23
 *   segments n × (8-byte header {load_addr u32 LE, data_len u32 LE} + data)
 *   padding  zeros up to the last byte of a 16-byte block
 *   checksum 1 byte: 0xEF XOR every byte of every segment's data
 *   sha256   32 bytes over everything before it, present when hash_appended == 1
 * The first segment (DROM) starts with the 256-byte esp_app_desc_t, so the descriptor sits at
 * file offset 32. Workers read the version from it, so no separate version input can drift.
 */
import { createHash } from 'node:crypto';

export const IMAGE_MAGIC = 0xe9;
export const APP_DESC_MAGIC = 0xabcd5432;
export const HEADER_SIZE = 24;
export const SEGMENT_HEADER_SIZE = 8;
export const APP_DESC_SIZE = 256;
export const APP_DESC_OFFSET = HEADER_SIZE + SEGMENT_HEADER_SIZE;
const CHECKSUM_SEED = 0xef;
/** esp_image_format.h caps the segment count at 16. */
const MAX_SEGMENTS = 16;

/** The esp_app_desc_t fields Baton uses (strings are NUL-padded on disk). */
export interface AppDesc {
  secureVersion: number;
  version: string;
  projectName: string;
  time: string;
  date: string;
  idfVer: string;
  /** 64 hex chars. */
  appElfSha256: string;
}

export interface ImageHeader {
  segmentCount: number;
  spiMode: number;
  spiSpeedSize: number;
  entryAddr: number;
  chipId: number;
  hashAppended: boolean;
}

export interface ImageSegment {
  loadAddr: number;
  /** Offset of the segment's data in the file. */
  offset: number;
  length: number;
}

export interface ParsedImage {
  header: ImageHeader;
  segments: ImageSegment[];
  appDesc: AppDesc;
  checksum: { stored: number; computed: number };
  /** Null when the header says no hash is appended. */
  sha256: { stored: string; computed: string } | null;
  /** Bytes covered by header, segments, checksum and hash; anything after is ignored. */
  imageLength: number;
}

export const ImageErrorCode = {
  TRUNCATED: 'IMAGE_TRUNCATED',
  BAD_MAGIC: 'IMAGE_BAD_MAGIC',
  BAD_SEGMENTS: 'IMAGE_BAD_SEGMENTS',
  BAD_APP_DESC: 'IMAGE_BAD_APP_DESC',
  BAD_CHECKSUM: 'IMAGE_BAD_CHECKSUM',
  BAD_SHA256: 'IMAGE_BAD_SHA256',
} as const;
export type ImageErrorCode = (typeof ImageErrorCode)[keyof typeof ImageErrorCode];

export class EspImageError extends Error {
  constructor(
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EspImageError';
  }
}

export interface ParseOptions {
  /** Check the XOR checksum and appended SHA256 (what esp_image_verify does). @default true */
  verify?: boolean;
}

/** Parse (and by default verify) an ESP32 app image. Throws EspImageError. */
export function parseEspImage(buf: Buffer, opts: ParseOptions = {}): ParsedImage {
  const verify = opts.verify ?? true;
  if (buf.length < 1 || buf[0] !== IMAGE_MAGIC) {
    throw new EspImageError(ImageErrorCode.BAD_MAGIC, `first byte is not 0xE9`);
  }
  if (buf.length < APP_DESC_OFFSET + APP_DESC_SIZE) {
    throw new EspImageError(ImageErrorCode.TRUNCATED, `image is ${buf.length} bytes, too short for a header and app descriptor`);
  }
  const header: ImageHeader = {
    segmentCount: buf[1],
    spiMode: buf[2],
    spiSpeedSize: buf[3],
    entryAddr: buf.readUInt32LE(4),
    chipId: buf.readUInt16LE(12),
    hashAppended: buf[23] === 1,
  };
  if (header.segmentCount < 1 || header.segmentCount > MAX_SEGMENTS) {
    throw new EspImageError(ImageErrorCode.BAD_SEGMENTS, `segment count ${header.segmentCount} out of range 1..${MAX_SEGMENTS}`);
  }
  const segments: ImageSegment[] = [];
  let pos = HEADER_SIZE;
  let computed = CHECKSUM_SEED;
  for (let i = 0; i < header.segmentCount; i++) {
    if (pos + SEGMENT_HEADER_SIZE > buf.length) {
      throw new EspImageError(ImageErrorCode.TRUNCATED, `segment ${i} header runs past the end`);
    }
    const loadAddr = buf.readUInt32LE(pos);
    const length = buf.readUInt32LE(pos + 4);
    const offset = pos + SEGMENT_HEADER_SIZE;
    if (offset + length > buf.length) {
      throw new EspImageError(ImageErrorCode.TRUNCATED, `segment ${i} (${length} bytes) runs past the end`);
    }
    for (let j = offset; j < offset + length; j++) computed ^= buf[j];
    segments.push({ loadAddr, offset, length });
    pos = offset + length;
  }
  const checksumAt = checksumOffset(pos);
  if (checksumAt >= buf.length) throw new EspImageError(ImageErrorCode.TRUNCATED, 'checksum byte missing');
  const checksum = { stored: buf[checksumAt], computed };
  let end = checksumAt + 1;
  let sha256: ParsedImage['sha256'] = null;
  if (header.hashAppended) {
    if (end + 32 > buf.length) throw new EspImageError(ImageErrorCode.TRUNCATED, 'appended SHA256 missing');
    sha256 = {
      stored: buf.subarray(end, end + 32).toString('hex'),
      computed: createHash('sha256').update(buf.subarray(0, end)).digest('hex'),
    };
    end += 32;
  }
  if (segments[0].length < APP_DESC_SIZE) {
    throw new EspImageError(ImageErrorCode.BAD_APP_DESC, 'first segment is too short to hold esp_app_desc_t');
  }
  const appDesc = decodeAppDesc(buf.subarray(APP_DESC_OFFSET, APP_DESC_OFFSET + APP_DESC_SIZE));
  if (verify) {
    if (checksum.stored !== checksum.computed) {
      throw new EspImageError(
        ImageErrorCode.BAD_CHECKSUM,
        `checksum 0x${hex2(checksum.stored)} != computed 0x${hex2(checksum.computed)}`,
      );
    }
    if (sha256 && sha256.stored !== sha256.computed) {
      throw new EspImageError(ImageErrorCode.BAD_SHA256, `appended SHA256 does not match the image`);
    }
  }
  return { header, segments, appDesc, checksum, sha256, imageLength: end };
}

/** Read only the app descriptor (no checksum work); what a worker needs for the version. */
export function readAppDesc(buf: Buffer): AppDesc {
  return parseEspImage(buf, { verify: false }).appDesc;
}

export function decodeAppDesc(d: Buffer): AppDesc {
  const magic = d.readUInt32LE(0);
  if (magic !== APP_DESC_MAGIC) {
    throw new EspImageError(ImageErrorCode.BAD_APP_DESC, `app descriptor magic 0x${magic.toString(16)} != 0xabcd5432`);
  }
  return {
    secureVersion: d.readUInt32LE(4),
    version: cstr(d, 16, 32),
    projectName: cstr(d, 48, 32),
    time: cstr(d, 80, 16),
    date: cstr(d, 96, 16),
    idfVer: cstr(d, 112, 32),
    appElfSha256: d.subarray(144, 176).toString('hex'),
  };
}

export function encodeAppDesc(desc: Partial<AppDesc> & { version: string; projectName: string }): Buffer {
  const d = Buffer.alloc(APP_DESC_SIZE);
  d.writeUInt32LE(APP_DESC_MAGIC, 0);
  d.writeUInt32LE(desc.secureVersion ?? 0, 4);
  putStr(d, 16, 32, desc.version, 'version');
  putStr(d, 48, 32, desc.projectName, 'projectName');
  putStr(d, 80, 16, desc.time ?? '00:00:00', 'time');
  putStr(d, 96, 16, desc.date ?? 'Jan  1 2026', 'date');
  putStr(d, 112, 32, desc.idfVer ?? 'v5.1.4', 'idfVer');
  const elf = desc.appElfSha256 ?? '';
  if (elf && !/^[0-9a-f]{64}$/i.test(elf)) throw new RangeError('appElfSha256 must be 64 hex chars');
  if (elf) Buffer.from(elf, 'hex').copy(d, 144);
  return d;
}

export interface BuildOptions {
  desc: Partial<AppDesc> & { version: string; projectName: string };
  /** Bytes placed after the descriptor in the first (DROM) segment. */
  payload?: Buffer;
  /** Further segments, e.g. code for IRAM. */
  extraSegments?: { loadAddr: number; data: Buffer }[];
  /** @default 0x3f400020 (DROM on the ESP32) */
  loadAddr?: number;
  /** @default 0x40080000 */
  entryAddr?: number;
  /** 0 = ESP32. @default 0 */
  chipId?: number;
  /** Append the SHA256 as IDF builds do. @default true */
  hashAppended?: boolean;
}

/** Build a structurally valid image with a correct checksum (and SHA256 unless disabled). */
export function buildEspImage(opts: BuildOptions): Buffer {
  const first = Buffer.concat([encodeAppDesc(opts.desc), opts.payload ?? Buffer.alloc(0)]);
  const segs = [{ loadAddr: opts.loadAddr ?? 0x3f400020, data: first }, ...(opts.extraSegments ?? [])];
  if (segs.length > MAX_SEGMENTS) throw new RangeError(`at most ${MAX_SEGMENTS} segments`);
  const hashAppended = opts.hashAppended ?? true;
  const header = Buffer.alloc(HEADER_SIZE);
  header[0] = IMAGE_MAGIC;
  header[1] = segs.length;
  header[2] = 2; // SPI mode DIO, as esptool's default
  header[3] = 0x20; // 4MB flash, 40 MHz
  header.writeUInt32LE(opts.entryAddr ?? 0x40080000, 4);
  header[8] = 0xee; // wp_pin: disabled
  header.writeUInt16LE(opts.chipId ?? 0, 12);
  header.writeUInt16LE(0xffff, 17); // max_chip_rev_full: no upper limit
  header[23] = hashAppended ? 1 : 0;
  const parts: Buffer[] = [header];
  let len = HEADER_SIZE;
  let sum = CHECKSUM_SEED;
  for (const s of segs) {
    const sh = Buffer.alloc(SEGMENT_HEADER_SIZE);
    sh.writeUInt32LE(s.loadAddr, 0);
    sh.writeUInt32LE(s.data.length, 4);
    parts.push(sh, s.data);
    len += SEGMENT_HEADER_SIZE + s.data.length;
    for (const b of s.data) sum ^= b;
  }
  const at = checksumOffset(len);
  parts.push(Buffer.alloc(at - len), Buffer.from([sum]));
  const body = Buffer.concat(parts);
  if (!hashAppended) return body;
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

/** The checksum is the last byte of a 16-byte block: pad so that (offset + 1) % 16 == 0. */
function checksumOffset(afterSegments: number): number {
  return afterSegments + (15 - (afterSegments % 16));
}

function cstr(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

function putStr(b: Buffer, off: number, len: number, v: string, name: string): void {
  const bytes = Buffer.from(v, 'utf8');
  // One byte stays NUL so C code can read the field as a string.
  if (bytes.length > len - 1) throw new RangeError(`${name} is longer than ${len - 1} bytes`);
  bytes.copy(b, off);
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

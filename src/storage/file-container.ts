/**
 * The envelope every checkpoint file is written in (DESIGN.md, "Files"):
 *
 *   off size
 *    0   4  magic "WEIR"
 *    4   1  format version (1)
 *    5   1  file kind (FILE_KIND)
 *    6   1  codec id (CODEC_ID)
 *    7   1  reserved, 0
 *    8   4  raw length       (u32 LE, before compression)
 *   12   4  stored length    (u32 LE, the payload that follows)
 *   16   4  CRC32 of the stored payload
 *   20   4  CRC32 of the raw payload
 *   24   …  stored payload
 *
 * The stored CRC rejects a corrupt file before it reaches a decompressor; the raw CRC catches what
 * the codec (or a flipped codec id) got wrong. The header has no CRC of its own: every field is
 * checked for a value it could hold, and the lengths and codec id are cross-checked by the CRCs.
 */
import { crc32 } from 'node:zlib';
import { ByteFormatError, ByteReader } from '../state/byte-reader.js';
import { ByteWriter } from '../state/byte-writer.js';
import { defaultCodecs, type Codec, type CodecRegistry } from './codec.js';
import { StorageFormatError } from './storage-error.js';

/** "WEIR" as the first four bytes, read as a little-endian u32. */
export const CONTAINER_MAGIC = 0x52494557;
const MAGIC_BYTES = [0x57, 0x45, 0x49, 0x52];
/** Bump when the header changes; readers reject versions they do not know. */
export const CONTAINER_VERSION = 1;
/** Bytes before the stored payload. */
export const CONTAINER_HEADER_BYTES = 24;

/** What a file holds, so a file copied to the wrong place is refused rather than misparsed. */
export const FILE_KIND = { stateSegment: 1, metadata: 2, operatorState: 3 } as const;

/** One of the {@link FILE_KIND} codes. */
export type FileKind = (typeof FILE_KIND)[keyof typeof FILE_KIND];

const KIND_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(FILE_KIND).map(([name, code]) => [code, name] as const),
);

function kindLabel(code: number): string {
  const name = KIND_NAMES.get(code);
  return name === undefined ? `unknown kind ${code}` : `${name} (${code})`;
}

/** The parsed header, for tools that inspect files without decompressing them. */
export interface ContainerHeader {
  readonly version: number;
  readonly kind: FileKind;
  readonly codecId: number;
  readonly rawLength: number;
  readonly storedLength: number;
  readonly storedCrc: number;
  readonly rawCrc: number;
}

/**
 * Compresses `raw` with `codec` and wraps it in the container header.
 *
 * @example const bytes = await encodeFile(FILE_KIND.metadata, json, createCodec('deflate'));
 */
export async function encodeFile(kind: FileKind, raw: Uint8Array, codec: Codec): Promise<Uint8Array> {
  if (!KIND_NAMES.has(kind)) throw new RangeError(`encodeFile: unknown file kind ${kind}`);
  if (raw.length > 0xffffffff) {
    throw new RangeError(`encodeFile: ${raw.length} bytes exceeds the container's 4 GiB limit`);
  }
  const stored = await codec.compress(raw);
  if (stored.length > 0xffffffff) {
    throw new RangeError(`encodeFile: ${codec.name} produced ${stored.length} bytes, over the 4 GiB limit`);
  }
  const w = new ByteWriter(CONTAINER_HEADER_BYTES + stored.length);
  w.u32(CONTAINER_MAGIC);
  w.u8(CONTAINER_VERSION);
  w.u8(kind);
  w.u8(codec.id);
  w.u8(0);
  w.u32(raw.length);
  w.u32(stored.length);
  w.u32(crc32(stored) >>> 0);
  w.u32(crc32(raw) >>> 0);
  w.raw(stored);
  return w.bytes();
}

/**
 * Validates everything the header alone can tell: magic, version, kind, reserved byte and that the
 * payload is exactly `storedLength` bytes. Does not look at the payload.
 */
export function readContainerHeader(bytes: Uint8Array, expectedKind?: FileKind): ContainerHeader {
  if (bytes.length < CONTAINER_HEADER_BYTES) {
    // A short file that starts like ours (or is empty) is most often a torn write: say "truncated".
    if (isMagicPrefix(bytes)) {
      throw new StorageFormatError(
        'truncated',
        `truncated: ${bytes.length} bytes is shorter than the ${CONTAINER_HEADER_BYTES}-byte header`,
      );
    }
    throw new StorageFormatError('magic', `not a weir checkpoint file: bad magic ${hexPrefix(bytes)}`);
  }
  try {
    const r = new ByteReader(bytes, 0, bytes.length, 'checkpoint file');
    const magic = r.u32();
    if (magic !== CONTAINER_MAGIC) {
      throw new StorageFormatError('magic', `not a weir checkpoint file: bad magic 0x${magic.toString(16)}`);
    }
    const version = r.u8();
    if (version !== CONTAINER_VERSION) {
      throw new StorageFormatError(
        'version',
        `unsupported container format version ${version} (this weir reads ${CONTAINER_VERSION})`,
      );
    }
    const kind = r.u8();
    if (!KIND_NAMES.has(kind)) throw new StorageFormatError('kind', `unknown file kind ${kind}`);
    if (expectedKind !== undefined && kind !== expectedKind) {
      throw new StorageFormatError('kind', `expected a ${kindLabel(expectedKind)} file but found ${kindLabel(kind)}`);
    }
    const codecId = r.u8();
    const reserved = r.u8();
    if (reserved !== 0) throw new StorageFormatError('header', `reserved header byte is ${reserved}, must be 0`);
    const rawLength = r.u32();
    const storedLength = r.u32();
    const storedCrc = r.u32();
    const rawCrc = r.u32();
    const actual = r.remaining();
    if (actual < storedLength) {
      throw new StorageFormatError(
        'truncated',
        `truncated: header says ${storedLength} payload bytes but only ${actual} follow`,
      );
    }
    if (actual > storedLength) {
      throw new StorageFormatError(
        'length',
        `header says ${storedLength} payload bytes but ${actual} follow (${actual - storedLength} trailing)`,
      );
    }
    return { version, kind: kind as FileKind, codecId, rawLength, storedLength, storedCrc, rawCrc };
  } catch (e) {
    if (e instanceof ByteFormatError) throw new StorageFormatError('truncated', e.message);
    throw e;
  }
}

/**
 * Validates a whole file and returns its raw payload (for codec `none`, a view into `bytes`).
 * Throws {@link StorageFormatError}; `expectedKind` guards against reading, say, a state segment
 * as metadata.
 */
export async function decodeFile(
  bytes: Uint8Array,
  expectedKind: FileKind,
  codecs: CodecRegistry = defaultCodecs,
): Promise<Uint8Array> {
  const h = readContainerHeader(bytes, expectedKind);
  const codec = codecs.forId(h.codecId);
  const stored = bytes.subarray(CONTAINER_HEADER_BYTES);
  const storedCrc = crc32(stored) >>> 0;
  if (storedCrc !== h.storedCrc) {
    throw new StorageFormatError(
      'checksum',
      `stored payload checksum mismatch (header 0x${hex32(h.storedCrc)}, computed 0x${hex32(storedCrc)}): ` +
        'the file is corrupt',
    );
  }
  let raw: Uint8Array;
  try {
    raw = await codec.decompress(stored, h.rawLength);
  } catch (e) {
    if (e instanceof StorageFormatError) throw e;
    throw new StorageFormatError('payload', `${codec.name}: could not decompress payload (${(e as Error).message})`);
  }
  const rawCrc = crc32(raw) >>> 0;
  if (rawCrc !== h.rawCrc) {
    throw new StorageFormatError(
      'checksum',
      `raw payload checksum mismatch after ${codec.name} (header 0x${hex32(h.rawCrc)}, computed 0x${hex32(rawCrc)})`,
    );
  }
  return raw;
}

/** True when every byte present matches the magic's start (so also for an empty buffer). */
function isMagicPrefix(bytes: Uint8Array): boolean {
  for (let i = 0; i < Math.min(bytes.length, 4); i++) if (bytes[i] !== MAGIC_BYTES[i]) return false;
  return true;
}

function hexPrefix(bytes: Uint8Array): string {
  return `0x${Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function hex32(v: number): string {
  return v.toString(16).padStart(8, '0');
}

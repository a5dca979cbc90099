/**
 * Compression codecs for checkpoint files. A file's header records only the codec id, so any weir
 * can read a file whatever level it was written with; the level is a writer-side setting.
 *
 * Every codec here works off the JS thread (FACTS.md, "Compression": a synchronous 150 MB compress
 * stalls record processing for seconds): node:zlib's async calls run on the libuv thread pool and
 * fflate's async API runs in worker threads.
 */
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { deflate as fflateDeflate, inflate as fflateInflate, type DeflateOptions } from 'fflate';
import { StorageFormatError } from './storage-error.js';

/**
 * A compression algorithm at a fixed level. `decompress` returns exactly `rawLength` bytes or throws
 * a {@link StorageFormatError}, so a corrupt length in a header can neither over-allocate nor pass
 * silently.
 *
 * @example
 * const codec = createCodec('deflate', 1);
 * const stored = await codec.compress(raw);
 * const back = await codec.decompress(stored, raw.length);
 */
export interface Codec {
  /** Written to the file header; never reuse an id for another format. */
  readonly id: number;
  readonly name: string;
  readonly level: number;
  compress(data: Uint8Array): Promise<Uint8Array>;
  decompress(data: Uint8Array, rawLength: number): Promise<Uint8Array>;
}

/** The levels a codec accepts; `default` is what {@link createCodec} uses when no level is given. */
export interface LevelRange {
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

/** Makes a codec at a validated level; the unit a {@link CodecRegistry} holds. */
export interface CodecFactory {
  readonly id: number;
  readonly name: string;
  readonly levels: LevelRange;
  create(level: number): Codec;
}

/** Codec ids as stored in file headers. Fixed forever: old files must stay readable. */
export const CODEC_ID = { none: 0, deflate: 1, brotli: 2, fflate: 3 } as const;

/** Output chunk for node:zlib: fewer, larger chunks mean fewer JS callbacks per multi-MB snapshot. */
const ZLIB_CHUNK = 64 * 1024;

/** DEFLATE's best case: a 258-byte match costs at least 2 bits. */
const DEFLATE_MAX_RATIO = 1032;

const deflateRawAsync = promisify(zlib.deflateRaw);
const inflateRawAsync = promisify(zlib.inflateRaw);
const brotliCompressAsync = promisify(zlib.brotliCompress);
const brotliDecompressAsync = promisify(zlib.brotliDecompress);

/** Enforces the "exactly rawLength bytes" contract of {@link Codec.decompress}. */
function checkRawLength(name: string, out: Uint8Array, rawLength: number): Uint8Array {
  if (out.length !== rawLength) {
    throw new StorageFormatError(
      'length',
      `${name}: payload decompresses to ${out.length} bytes but the header says ${rawLength}`,
    );
  }
  return out;
}

/** Maps a node:zlib failure to a format error; an over-long output is a length problem, not corruption. */
function zlibFailure(name: string, rawLength: number, e: unknown): StorageFormatError {
  if (e instanceof StorageFormatError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ERR_BUFFER_TOO_LARGE') {
    return new StorageFormatError(
      'length',
      `${name}: payload decompresses to more than the header's raw length ${rawLength}`,
    );
  }
  return new StorageFormatError('payload', `${name}: payload is not valid ${name} data (${err.message})`);
}

/** zlib refuses a zero output limit; one byte still exposes any output for an empty raw payload. */
function outputLimit(rawLength: number): number {
  return Math.max(1, rawLength);
}

/** Stores bytes as they are: for already-compressed state, and as the floor codecs are read against. */
export const noneCodecFactory: CodecFactory = {
  id: CODEC_ID.none,
  name: 'none',
  levels: { min: 0, max: 0, default: 0 },
  create: (level) => ({
    id: CODEC_ID.none,
    name: 'none',
    level,
    compress: async (data) => data,
    decompress: async (data, rawLength) => checkRawLength('none', data, rawLength),
  }),
};

/**
 * Runs a node:zlib decompression capped at the expected size (a corrupt header cannot make it
 * inflate without bound) and checks the result is exactly that size.
 */
async function zlibDecompress(
  name: string,
  rawLength: number,
  run: (opts: { chunkSize: number; maxOutputLength: number }) => Promise<Uint8Array>,
): Promise<Uint8Array> {
  try {
    const out = await run({ chunkSize: ZLIB_CHUNK, maxOutputLength: outputLimit(rawLength) });
    return checkRawLength(name, out, rawLength);
  } catch (e) {
    throw zlibFailure(name, rawLength, e);
  }
}

/** node:zlib raw DEFLATE (no zlib/gzip wrapper: the container already carries CRCs). */
export const deflateCodecFactory: CodecFactory = {
  id: CODEC_ID.deflate,
  name: 'deflate',
  levels: { min: 0, max: 9, default: 1 },
  create: (level) => ({
    id: CODEC_ID.deflate,
    name: 'deflate',
    level,
    compress: (data) => deflateRawAsync(data, { level, chunkSize: ZLIB_CHUNK }),
    decompress: (data, rawLength) =>
      zlibDecompress('deflate', rawLength, (opts) => inflateRawAsync(data, opts)),
  }),
};

/** node:zlib Brotli; `level` is Brotli's quality (0–11). */
export const brotliCodecFactory: CodecFactory = {
  id: CODEC_ID.brotli,
  name: 'brotli',
  levels: { min: 0, max: 11, default: 1 },
  create: (level) => ({
    id: CODEC_ID.brotli,
    name: 'brotli',
    level,
    compress: (data) =>
      brotliCompressAsync(data, {
        chunkSize: ZLIB_CHUNK,
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: level,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
        },
      }),
    decompress: (data, rawLength) =>
      zlibDecompress('brotli', rawLength, (opts) => brotliDecompressAsync(data, opts)),
  }),
};

/**
 * fflate's raw DEFLATE in worker threads. Kept because it also runs in browsers; its output is
 * ordinary raw DEFLATE, but it keeps its own id so a file says which writer produced it.
 */
export const fflateCodecFactory: CodecFactory = {
  id: CODEC_ID.fflate,
  name: 'fflate',
  levels: { min: 0, max: 9, default: 1 },
  create: (level) => ({
    id: CODEC_ID.fflate,
    name: 'fflate',
    level,
    compress: (data) =>
      new Promise<Uint8Array>((resolve, reject) => {
        // consume: false (the default) copies into the worker, so the caller's buffer stays usable.
        fflateDeflate(data, { level: level as DeflateOptions['level'] }, (err, out) => (err ? reject(err) : resolve(out)));
      }),
    decompress: (data, rawLength) =>
      new Promise<Uint8Array>((resolve, reject) => {
        // fflate allocates `size` up front: refuse a raw length DEFLATE cannot reach from this input
        // (at most ~1032:1) rather than let a corrupt header allocate gigabytes.
        if (rawLength > data.length * DEFLATE_MAX_RATIO + 64) {
          reject(
            new StorageFormatError(
              'length',
              `fflate: ${data.length} stored bytes cannot decompress to the header's raw length ${rawLength}`,
            ),
          );
          return;
        }
        // fflate silently truncates to `size`; one spare byte turns an over-long payload into a
        // length mismatch instead of a quietly shortened result.
        fflateInflate(data, { size: rawLength + 1 }, (err, out) => {
          if (err) {
            reject(new StorageFormatError('payload', `fflate: payload is not valid fflate data (${err.message})`));
          } else {
            try {
              resolve(checkRawLength('fflate', out, rawLength));
            } catch (e) {
              reject(e);
            }
          }
        });
      }),
  }),
};

/**
 * Codecs by header id and by configured name. Readers resolve ids; writers resolve names from the
 * checkpoint settings. Separate instances keep tests and embedders from mutating a global.
 */
export class CodecRegistry {
  /** Invariant: byId and byName hold the same factories. */
  private readonly byId = new Map<number, CodecFactory>();
  private readonly byName = new Map<string, CodecFactory>();
  /** One default-level instance per id, reused by readers (level does not matter to decompress). */
  private readonly readers = new Map<number, Codec>();

  constructor(factories: readonly CodecFactory[] = []) {
    for (const f of factories) this.register(f);
  }

  /** Adds a codec; ids are one header byte and must not collide with an existing one. */
  register(factory: CodecFactory): void {
    const { id, name } = factory;
    if (!Number.isInteger(id) || id < 0 || id > 255) {
      throw new RangeError(`codec "${name}": id ${id} does not fit the header's codec byte (0..255)`);
    }
    const clash = this.byId.get(id);
    if (clash) throw new RangeError(`codec "${name}": id ${id} is already taken by "${clash.name}"`);
    if (this.byName.has(name)) throw new RangeError(`codec "${name}" is already registered`);
    this.byId.set(id, factory);
    this.byName.set(name, factory);
  }

  /** Registered names, for configuration errors and help texts. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** A codec for writing; throws a RangeError naming the bad name or level. */
  create(name: string, level?: number): Codec {
    const f = this.byName.get(name);
    if (!f) throw new RangeError(`unknown codec "${name}" (known: ${this.names().join(', ')})`);
    const { min, max } = f.levels;
    const lvl = level ?? f.levels.default;
    if (typeof lvl !== 'number' || !Number.isInteger(lvl) || lvl < min || lvl > max) {
      throw new RangeError(`codec "${name}": compression level ${String(lvl)} is not an integer in ${min}..${max}`);
    }
    return f.create(lvl);
  }

  /** The codec a file header names; an unknown id is a {@link StorageFormatError} with reason `codec`. */
  forId(id: number): Codec {
    let codec = this.readers.get(id);
    if (codec) return codec;
    const f = this.byId.get(id);
    if (!f) {
      const known = [...this.byId.values()].map((k) => `${k.id} ${k.name}`).join(', ');
      throw new StorageFormatError('codec', `unknown codec id ${id} (this weir knows: ${known})`);
    }
    codec = f.create(f.levels.default);
    this.readers.set(id, codec);
    return codec;
  }
}

/** The codecs weir ships with; what {@link createCodec} and the file reader use unless given another. */
export const defaultCodecs = new CodecRegistry([
  noneCodecFactory,
  deflateCodecFactory,
  brotliCodecFactory,
  fflateCodecFactory,
]);

/**
 * A built-in codec by name, at `level` or the codec's default. Defaults favour speed (level 1):
 * FACTS.md measured level 6 at 4× the time for ~15 % better ratio.
 *
 * @example createCodec('brotli', 4)
 */
export function createCodec(name: string, level?: number): Codec {
  return defaultCodecs.create(name, level);
}

/** The built-in codec for a header's codec id; throws {@link StorageFormatError} for an unknown id. */
export function codecForId(id: number): Codec {
  return defaultCodecs.forId(id);
}

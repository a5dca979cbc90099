import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  CodecRegistry,
  codecForId,
  createCodec,
  deflateCodecFactory,
  noneCodecFactory,
  type Codec,
} from '../src/storage/codec.js';
import { StorageFormatError } from '../src/storage/storage-error.js';
import { randomBytes, snapshotLikeBytes } from './support/payloads.js';

const CODECS = ['none', 'deflate', 'brotli', 'fflate'] as const;
const MB = 1024 * 1024;

const INPUTS: readonly { name: string; bytes: Uint8Array }[] = [
  { name: 'empty', bytes: new Uint8Array(0) },
  { name: 'small', bytes: new TextEncoder().encode('weir checkpoint payload 🙂 '.repeat(5)) },
  { name: '5 MB random', bytes: randomBytes(5 * MB) },
  { name: '5 MB compressible', bytes: snapshotLikeBytes(5 * MB) },
];

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
}

describe('codecs round-trip', () => {
  for (const name of CODECS) {
    for (const input of INPUTS) {
      it(`${name}: ${input.name}`, async () => {
        const codec = createCodec(name);
        const stored = await codec.compress(input.bytes);
        const back = await codec.decompress(stored, input.bytes.length);
        expect(back.length).toBe(input.bytes.length);
        expect(Buffer.compare(back, input.bytes)).toBe(0);
        if (name !== 'none' && input.name === '5 MB compressible') {
          expect(stored.length).toBeLessThan(input.bytes.length / 2);
        }
      });
    }
  }

  it('every level of every codec round-trips', async () => {
    const data = snapshotLikeBytes(64 * 1024);
    for (const name of CODECS) {
      const { min, max } = levelsOf(name);
      for (let level = min; level <= max; level++) {
        const codec = createCodec(name, level);
        expect(codec.level).toBe(level);
        const back = await codec.decompress(await codec.compress(data), data.length);
        expect(Buffer.compare(back, data), `${name} level ${level}`).toBe(0);
      }
    }
  });

  it('leaves the caller’s input usable (fflate must not transfer it to its worker)', async () => {
    const data = snapshotLikeBytes(256 * 1024);
    const copy = data.slice();
    for (const name of CODECS) await createCodec(name).compress(data);
    expect(data.length).toBe(copy.length);
    expect(Buffer.compare(data, copy)).toBe(0);
  });

  it('reads with the id-resolved codec whatever level wrote the data', async () => {
    const data = snapshotLikeBytes(100_000);
    for (const name of CODECS) {
      const writer = createCodec(name, levelsOf(name).max);
      const reader = codecForId(writer.id);
      expect(reader.name).toBe(name);
      expect(Buffer.compare(await reader.decompress(await writer.compress(data), data.length), data)).toBe(0);
    }
  });
});

function levelsOf(name: string): { min: number; max: number } {
  const max = { none: 0, deflate: 9, brotli: 11, fflate: 9 }[name];
  if (max === undefined) throw new Error(name);
  return { min: 0, max };
}

describe('codec configuration errors', () => {
  for (const name of CODECS) {
    const { max } = levelsOf(name);
    for (const bad of [-1, max + 1, 1.5, Number.NaN, Infinity]) {
      it(`${name} rejects level ${bad}, naming it`, () => {
        expect(() => createCodec(name, bad)).toThrow(RangeError);
        expect(() => createCodec(name, bad)).toThrow(`codec "${name}": compression level ${String(bad)}`);
      });
    }
  }

  it('an unknown codec name is refused, listing the known ones', () => {
    expect(() => createCodec('zstd')).toThrow('unknown codec "zstd" (known: none, deflate, brotli, fflate)');
  });

  it('an unknown codec id on read is a StorageFormatError naming the id', () => {
    const err = (() => {
      try {
        codecForId(42);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(StorageFormatError);
    expect((err as StorageFormatError).reason).toBe('codec');
    expect((err as Error).message).toContain('unknown codec id 42');
  });

  it('a registry refuses colliding ids and names, and ids that do not fit a byte', () => {
    const r = new CodecRegistry([noneCodecFactory]);
    expect(() => r.register({ ...deflateCodecFactory, id: 0 })).toThrow('id 0 is already taken by "none"');
    expect(() => r.register({ ...deflateCodecFactory, name: 'none' })).toThrow('codec "none" is already registered');
    expect(() => r.register({ ...deflateCodecFactory, id: 256 })).toThrow('id 256 does not fit');
    r.register(deflateCodecFactory);
    expect(r.names()).toEqual(['none', 'deflate']);
    expect(() => r.forId(2)).toThrow('unknown codec id 2 (this weir knows: 0 none, 1 deflate)');
  });
});

describe('decompressed length must equal the header’s raw length', () => {
  const data = snapshotLikeBytes(50_000);
  for (const name of CODECS) {
    for (const claimed of [0, data.length - 1, data.length + 1, data.length * 2]) {
      it(`${name}: claimed ${claimed} for ${data.length} bytes`, async () => {
        const codec = createCodec(name);
        const stored = await codec.compress(data);
        const err = await rejection(codec.decompress(stored, claimed));
        expect(err).toBeInstanceOf(StorageFormatError);
        expect((err as StorageFormatError).reason).toBe('length');
        expect((err as Error).message).toContain(`${claimed}`);
      });
    }
  }

  it('fflate refuses a raw length no DEFLATE stream of that size can reach, before allocating', async () => {
    const codec = createCodec('fflate');
    const err = await rejection(codec.decompress(new Uint8Array(10), 0xffffffff));
    expect((err as StorageFormatError).reason).toBe('length');
  });
});

describe('corrupt compressed data', () => {
  for (const name of ['deflate', 'brotli', 'fflate'] as const) {
    it(`${name} rejects garbage with a StorageFormatError`, async () => {
      const err = await rejection(createCodec(name).decompress(randomBytes(1000, 7), 5000));
      expect(err).toBeInstanceOf(StorageFormatError);
      expect(['payload', 'length']).toContain((err as StorageFormatError).reason);
      expect((err as Error).message).toContain(name);
    });
  }
});

describe('compression runs off the event loop', () => {
  const big = snapshotLikeBytes(24 * MB);

  /** Counts timer ticks while `work` runs; a blocked event loop cannot tick. */
  async function ticksDuring(work: () => Promise<unknown>): Promise<number> {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      await work();
    } finally {
      clearInterval(timer);
    }
    return ticks;
  }

  it('control: a synchronous compress lets no tick through', async () => {
    expect(await ticksDuring(async () => deflateRawSync(big, { level: 1 }))).toBe(0);
  });

  for (const name of ['deflate', 'brotli', 'fflate'] as const) {
    it(`${name} compress and decompress keep the timer ticking`, async () => {
      const codec: Codec = createCodec(name, 6);
      let stored: Uint8Array = new Uint8Array(0);
      expect(await ticksDuring(async () => (stored = await codec.compress(big)))).toBeGreaterThan(0);
      expect(await ticksDuring(() => codec.decompress(stored, big.length))).toBeGreaterThan(0);
    });
  }
});

import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CodecRegistry, createCodec, noneCodecFactory } from '../src/storage/codec.js';
import {
  CONTAINER_HEADER_BYTES,
  CONTAINER_VERSION,
  decodeFile,
  encodeFile,
  FILE_KIND,
  readContainerHeader,
  type FileKind,
} from '../src/storage/file-container.js';
import { StorageFormatError, type StorageFormatReason } from '../src/storage/storage-error.js';
import { randomBytes, snapshotLikeBytes } from './support/payloads.js';

const CODECS = ['none', 'deflate', 'brotli', 'fflate'] as const;
const KINDS = Object.values(FILE_KIND);
const MB = 1024 * 1024;

const INPUTS: readonly { name: string; bytes: Uint8Array }[] = [
  { name: 'empty', bytes: new Uint8Array(0) },
  { name: 'small', bytes: new TextEncoder().encode('{"checkpoint":7,"operators":["map","sink"]}') },
  { name: '5 MB random', bytes: randomBytes(5 * MB) },
  { name: '5 MB compressible', bytes: snapshotLikeBytes(5 * MB) },
];

/** Awaits a decode that must fail and returns the error, checked to be a StorageFormatError. */
async function decodeError(bytes: Uint8Array, kind: FileKind = FILE_KIND.stateSegment): Promise<StorageFormatError> {
  const err = await decodeFile(bytes, kind).then(
    () => expect.fail('decodeFile accepted a bad file'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StorageFormatError);
  return err as StorageFormatError;
}

function flipped(bytes: Uint8Array, at: number, mask: number): Uint8Array {
  const copy = bytes.slice();
  copy[at]! ^= mask;
  return copy;
}

describe('container round-trip', () => {
  for (const name of CODECS) {
    for (const input of INPUTS) {
      it(`${name}: ${input.name}, every kind`, async () => {
        const codec = createCodec(name);
        for (const kind of KINDS) {
          const file = await encodeFile(kind, input.bytes, codec);
          const h = readContainerHeader(file, kind);
          expect(h).toMatchObject({ kind, codecId: codec.id, rawLength: input.bytes.length });
          expect(file.length).toBe(CONTAINER_HEADER_BYTES + h.storedLength);
          const raw = await decodeFile(file, kind);
          expect(Buffer.compare(raw, input.bytes)).toBe(0);
        }
      });
    }
  }

  it('lays the header out as documented', async () => {
    const raw = new TextEncoder().encode('hello');
    const file = await encodeFile(FILE_KIND.operatorState, raw, createCodec('none'));
    expect(new TextDecoder().decode(file.subarray(0, 4))).toBe('WEIR');
    expect([...file.subarray(4, 8)]).toEqual([CONTAINER_VERSION, FILE_KIND.operatorState, 0, 0]);
    const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
    expect(v.getUint32(8, true)).toBe(5);
    expect(v.getUint32(12, true)).toBe(5);
    expect(v.getUint32(16, true)).toBe(crc32(raw) >>> 0);
    expect(v.getUint32(20, true)).toBe(crc32(raw) >>> 0);
    expect(new TextDecoder().decode(file.subarray(24))).toBe('hello');
  });

  it('refuses to encode an unknown kind', async () => {
    await expect(encodeFile(9 as FileKind, new Uint8Array(1), createCodec('none'))).rejects.toThrow(
      'unknown file kind 9',
    );
  });
});

/** What a fully inverted header byte must be reported as, by offset. */
function expectedReason(offset: number): readonly StorageFormatReason[] {
  if (offset < 4) return ['magic'];
  if (offset === 4) return ['version'];
  if (offset === 5) return ['kind'];
  if (offset === 6) return ['codec'];
  if (offset === 7) return ['header'];
  if (offset < 12) return ['length']; // raw length: the codec's output cannot match it
  if (offset < 16) return ['truncated', 'length']; // stored length: longer or shorter than the payload
  return ['checksum'];
}

const MESSAGE_BY_REASON: Record<StorageFormatReason, RegExp> = {
  magic: /bad magic/,
  version: /unsupported container format version/,
  kind: /kind/,
  codec: /unknown codec id \d+/,
  header: /reserved header byte/,
  length: /length|bytes/,
  truncated: /truncated/,
  checksum: /checksum mismatch/,
  payload: /payload/,
};

describe('a flipped header byte is rejected with the right reason', () => {
  const raw = snapshotLikeBytes(20_000);
  for (const name of CODECS) {
    it(`${name}: every header byte, all bits inverted`, async () => {
      const file = await encodeFile(FILE_KIND.stateSegment, raw, createCodec(name));
      for (let at = 0; at < CONTAINER_HEADER_BYTES; at++) {
        const err = await decodeError(flipped(file, at, 0xff));
        expect(expectedReason(at), `offset ${at}: ${err.message}`).toContain(err.reason);
        expect(err.message).toMatch(MESSAGE_BY_REASON[err.reason]);
      }
    });

    it(`${name}: every header byte, lowest bit flipped`, async () => {
      const file = await encodeFile(FILE_KIND.stateSegment, raw, createCodec(name));
      for (let at = 0; at < CONTAINER_HEADER_BYTES; at++) {
        const err = await decodeError(flipped(file, at, 0x01));
        // Bit 0 of the codec id turns none↔deflate and brotli↔fflate: a real codec reading another's
        // payload fails to decode it, decodes to the wrong length, or fails the raw CRC.
        const allowed = at === 6 ? ['payload', 'length', 'checksum'] : at === 5 ? ['kind'] : expectedReason(at);
        expect(allowed, `offset ${at}: ${err.message}`).toContain(err.reason);
      }
    });
  }

  it('names both kinds when a valid file of another kind is read', async () => {
    const file = await encodeFile(FILE_KIND.stateSegment, new Uint8Array(3), createCodec('none'));
    const err = await decodeError(file, FILE_KIND.metadata);
    expect(err.reason).toBe('kind');
    expect(err.message).toBe('expected a metadata (2) file but found stateSegment (1)');
  });

  it('an unknown codec id is named', async () => {
    const file = await encodeFile(FILE_KIND.metadata, new Uint8Array(3), createCodec('none'));
    file[6] = 200;
    const err = await decodeError(file, FILE_KIND.metadata);
    expect(err.reason).toBe('codec');
    expect(err.message).toContain('unknown codec id 200');
  });

  it('a reader with its own registry rejects ids it does not hold', async () => {
    const file = await encodeFile(FILE_KIND.metadata, new Uint8Array(3), createCodec('deflate'));
    const err = await decodeFile(file, FILE_KIND.metadata, new CodecRegistry([noneCodecFactory])).catch((e) => e);
    expect(err).toBeInstanceOf(StorageFormatError);
    expect((err as StorageFormatError).message).toContain('unknown codec id 1 (this weir knows: 0 none)');
  });
});

describe('a flipped payload byte is rejected by the stored CRC', () => {
  for (const name of CODECS) {
    it(`${name}: 5 MB compressible, bytes across the payload`, async () => {
      const file = await encodeFile(FILE_KIND.stateSegment, snapshotLikeBytes(5 * MB), createCodec(name));
      const payload = file.length - CONTAINER_HEADER_BYTES;
      const positions = [0, 1, payload >> 1, payload - 2, payload - 1, ...[0.1, 0.3, 0.7, 0.9].map((f) => Math.floor(payload * f))];
      for (const p of positions) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const err = await decodeError(flipped(file, CONTAINER_HEADER_BYTES + p, mask));
          expect(err.reason, `payload byte ${p}`).toBe('checksum');
          expect(err.message).toContain('stored payload checksum mismatch');
        }
      }
    });
  }

  it('a payload whose stored CRC was fixed up is still caught by the raw CRC', async () => {
    const raw = snapshotLikeBytes(10_000);
    const file = await encodeFile(FILE_KIND.stateSegment, raw, createCodec('none'));
    file[CONTAINER_HEADER_BYTES + 100]! ^= 0x10;
    new DataView(file.buffer, file.byteOffset).setUint32(16, crc32(file.subarray(CONTAINER_HEADER_BYTES)) >>> 0, true);
    const err = await decodeError(file);
    expect(err.reason).toBe('checksum');
    expect(err.message).toContain('raw payload checksum mismatch after none');
  });
});

describe('truncation', () => {
  for (const name of CODECS) {
    it(`${name}: cut at header and payload lengths`, async () => {
      const file = await encodeFile(FILE_KIND.stateSegment, snapshotLikeBytes(100_000), createCodec(name));
      const cuts = [0, 1, 3, 4, 5, 8, 12, 23, 24, 25, file.length >> 1, file.length - 1];
      for (const n of cuts) {
        const err = await decodeError(file.subarray(0, n));
        expect(err.reason, `cut at ${n}`).toBe('truncated');
        expect(err.message).toContain('truncated');
      }
    });
  }

  it('says how many payload bytes are missing', async () => {
    const file = await encodeFile(FILE_KIND.stateSegment, new Uint8Array(100), createCodec('none'));
    const err = await decodeError(file.subarray(0, 60));
    expect(err.message).toBe('truncated: header says 100 payload bytes but only 36 follow');
  });

  it('trailing bytes after the payload are a length error', async () => {
    const file = await encodeFile(FILE_KIND.stateSegment, new Uint8Array(10), createCodec('deflate'));
    const longer = new Uint8Array(file.length + 3);
    longer.set(file);
    const err = await decodeError(longer);
    expect(err.reason).toBe('length');
    expect(err.message).toContain('3 trailing');
  });

  it('a short file that is not ours is reported as bad magic, not truncation', async () => {
    const err = await decodeError(new TextEncoder().encode('{"json": 1}'));
    expect(err.reason).toBe('magic');
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { murmur3 } from '../src/state/murmur3.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const hashOf = (bytes: Uint8Array, seed = 0) => murmur3(bytes, 0, bytes.length, seed);

// MurmurHash3_x86_32 reference vectors (SMHasher); each was re-computed with a C build of the
// reference implementation before being written here.
const VECTORS: ReadonlyArray<readonly [string, Uint8Array, number, number]> = [
  ['empty, seed 0', new Uint8Array(0), 0, 0x00000000],
  ['empty, seed 1', new Uint8Array(0), 1, 0x514e28b7],
  ['empty, seed 0xffffffff', new Uint8Array(0), 0xffffffff, 0x81f16f39],
  ['four zero bytes', new Uint8Array(4), 0, 0x2362f9de],
  ['"a" (1-byte tail)', utf8('a'), 0, 0x3c2569b2],
  ['"ab" (2-byte tail)', utf8('ab'), 0, 0x9bbfd75f],
  ['"abc" (3-byte tail)', utf8('abc'), 0, 0xb3dd93fa],
  ['"abcd" (one block)', utf8('abcd'), 0, 0x43ed676a],
  ['"hello"', utf8('hello'), 0, 0x248bfa47],
  ['"aaaa", seed 0x9747b28c', utf8('aaaa'), 0x9747b28c, 0x5a97808a],
  ['"Hello, world!", seed 0x9747b28c', utf8('Hello, world!'), 0x9747b28c, 0x24884cba],
  ['quick brown fox', utf8('The quick brown fox jumps over the lazy dog'), 0, 0x2e4ff723],
  ['"你好" (UTF-8, high bytes)', utf8('你好'), 0, 0x141baa24],
  ['bytes 0..255, seed 42', Uint8Array.from({ length: 256 }, (_, i) => i), 42, 0xa89526f3],
  ['number key 1.0 (tag 0x01 + f64 LE)', Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f), 0, 0x9da0f1fd],
];

describe('murmur3 (x86 32-bit)', () => {
  it.each(VECTORS)('%s', (_name, bytes, seed, expected) => {
    expect(hashOf(bytes, seed)).toBe(expected);
  });

  it('returns an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), (bytes, seed) => {
        const h = hashOf(bytes, seed);
        return Number.isInteger(h) && h >= 0 && h <= 0xffffffff;
      }),
    );
  });

  it('hashes the sub-range [start, end) exactly like a copy of those bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 9 }),
        (prefix, middle, suffix) => {
          const all = new Uint8Array([...prefix, ...middle, ...suffix]);
          expect(murmur3(all, prefix.length, prefix.length + middle.length)).toBe(hashOf(middle.slice()));
        },
      ),
    );
  });

  it('depends on every byte (changing one byte changes the hash)', () => {
    const base = utf8('weir-keyed-state');
    const h = hashOf(base);
    for (let i = 0; i < base.length; i++) {
      const changed = base.slice();
      changed[i] = changed[i]! ^ 0x01;
      expect(hashOf(changed), `byte ${i}`).not.toBe(h);
    }
  });
});

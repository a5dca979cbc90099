import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteFormatError } from '../src/state/byte-reader.js';
import { ByteWriter } from '../src/state/byte-writer.js';
import { keyBytes, keyGroupOf, keyHash, MAX_KEY_BYTES, readKey, writeKey } from '../src/state/key-codec.js';
import { murmur3 } from '../src/state/murmur3.js';
import type { Key } from '../src/state/types.js';

const roundTrip = (key: Key): Key => {
  const b = keyBytes(key);
  return readKey(b, 0, b.length);
};

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A NaN whose bit pattern differs from the canonical 0x7ff8000000000000. */
function oddNaN(): number {
  const f = new Float64Array(1);
  new Uint8Array(f.buffer).set([1, 0, 0, 0, 0, 0, 0xf8, 0xff]);
  return f[0]!;
}

describe('key codec: layout (docs/state-layer.md "Keys")', () => {
  it.each<[string, Key, string]>([
    ['number 1', 1, '01' + '000000000000f03f'],
    ['number -0 is written as 0', -0, '01' + '0000000000000000'],
    ['every NaN is written as 0x7ff8000000000000', NaN, '01' + '000000000000f87f'],
    ['a NaN with another bit pattern too', oddNaN(), '01' + '000000000000f87f'],
    ['string', 'hé', '02' + '68c3a9'],
    ['empty string', '', '02'],
    ['boolean true', true, '0301'],
    ['boolean false', false, '0300'],
    ['bigint (decimal ASCII, sign included)', -120n, '04' + '2d313230'],
    ['JSON object (codec tag 0x07)', { a: 1 }, '05' + '07' + '01' + '0161' + '04' + '02'],
    ['JSON array', [true, null], '05' + '06' + '02' + '02' + '00'],
  ])('%s', (_name, key, expected) => {
    expect(hex(keyBytes(key))).toBe(expected);
  });

  it('the hash is murmur3 (seed 0) of the key bytes and decides the key group', () => {
    for (const key of [0, 1, 'user-1', true, 7n, { id: 3 }] as Key[]) {
      const b = keyBytes(key);
      expect(keyHash(key)).toBe(murmur3(b, 0, b.length, 0));
      for (const maxP of [1, 7, 128, 32768]) expect(keyGroupOf(key, maxP)).toBe(keyHash(key) % maxP);
    }
  });
});

describe('key codec: round trips', () => {
  const numbers = [0, 1, -1, 0.5, -123.456, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity];
  it.each(numbers)('number %s', (n) => {
    expect(Object.is(roundTrip(n), n)).toBe(true);
  });

  it('-0 reads back as +0 and shares the key (and key group) of 0', () => {
    expect(Object.is(roundTrip(-0), 0)).toBe(true);
    expect(keyHash(-0)).toBe(keyHash(0));
  });

  it('NaN reads back as NaN; all NaNs are one key', () => {
    expect(Number.isNaN(roundTrip(NaN))).toBe(true);
    expect(hex(keyBytes(oddNaN()))).toBe(hex(keyBytes(NaN)));
  });

  it.each(['', 'a', 'user-42', 'ünïcødé', '日本語', '🙂 emoji (surrogate pair)', 'x'.repeat(1000)])('string %j', (s) => {
    expect(roundTrip(s)).toBe(s);
  });

  it.each([true, false])('boolean %s', (b) => {
    expect(roundTrip(b)).toBe(b);
  });

  it.each([0n, 1n, -1n, 2n ** 64n, -(2n ** 100n) + 3n])('bigint %s', (b) => {
    expect(roundTrip(b)).toBe(b);
  });

  it.each<[string, object]>([
    ['flat object', { id: 1, name: 'x' }],
    ['nested', { a: { b: [1, 2, { c: null }] }, d: 'e' }],
    ['array', [1, 'two', false, null, 3.5, 10n]],
    ['empty object', {}],
    ['empty array', []],
    ['prototype-less object', Object.assign(Object.create(null), { k: 1 })],
  ])('JSON-like %s', (_name, key) => {
    expect(roundTrip(key)).toEqual(key);
    expect(hex(keyBytes(roundTrip(key)))).toBe(hex(keyBytes(key)));
  });

  it('random keys of every type round-trip to a key with the same bytes', () => {
    const anyKey: fc.Arbitrary<Key> = fc.oneof(
      fc.double(),
      fc.string({ unit: 'binary' }),
      fc.boolean(),
      fc.bigInt(),
      fc.object({ maxDepth: 3, values: [fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.double()] }),
      fc.array(fc.oneof(fc.integer(), fc.string()), { maxLength: 5 }),
    );
    fc.assert(
      fc.property(anyKey, (key) => {
        const b = keyBytes(key);
        const back = readKey(b, 0, b.length);
        expect(hex(keyBytes(back))).toBe(hex(b));
        if (typeof key !== 'object' && !(typeof key === 'number' && (Number.isNaN(key) || Object.is(key, -0)))) {
          expect(back).toBe(key);
        }
      }),
    );
  });

  it('a key object with an own "__proto__" property round-trips (and is not the same key as {})', () => {
    const key = JSON.parse('{"__proto__": {"x": 1}}') as object;
    const back = roundTrip(key);
    expect(hex(keyBytes(back))).toBe(hex(keyBytes(key)));
    expect(hex(keyBytes(key))).not.toBe(hex(keyBytes({})));
  });

  it('object keys are ordered by insertion: {a,b} and {b,a} are different keys', () => {
    expect(hex(keyBytes({ a: 1, b: 2 }))).not.toBe(hex(keyBytes({ b: 2, a: 1 })));
  });

  it('keys of different types never share bytes (1, "1", true, 1n, [1])', () => {
    const all = [1, '1', true, 1n, [1]].map((k) => hex(keyBytes(k as Key)));
    expect(new Set(all).size).toBe(all.length);
  });

  it('a JSON key holding -0 is the same key as one holding 0', () => {
    expect(hex(keyBytes({ a: -0 }))).toBe(hex(keyBytes({ a: 0 })));
    expect(hex(keyBytes([-0]))).toBe(hex(keyBytes([0])));
  });

  it('writeKey appends after what the writer already holds', () => {
    const w = new ByteWriter(4);
    w.u8(0xaa);
    writeKey('k', w);
    expect(hex(w.bytes())).toBe('aa' + '02' + '6b');
  });
});

describe('key codec: limits and errors', () => {
  it(`accepts a key of exactly ${MAX_KEY_BYTES} bytes`, () => {
    const s = 'k'.repeat(MAX_KEY_BYTES - 1); // + tag byte
    expect(keyBytes(s).length).toBe(MAX_KEY_BYTES);
    expect(roundTrip(s)).toBe(s);
  });

  it.each<[string, Key]>([
    ['string', 'k'.repeat(MAX_KEY_BYTES)],
    ['multi-byte string', 'é'.repeat(40_000)],
    ['bigint', 10n ** 70_000n],
    ['object', { blob: 'x'.repeat(70_000) }],
  ])('rejects a %s key longer than 65535 bytes', (_name, key) => {
    expect(() => keyBytes(key)).toThrow(/more than 65535 bytes/);
    expect(() => keyHash(key)).toThrow(RangeError);
  });

  it('a rejected key leaves the writer where it was', () => {
    const w = new ByteWriter();
    w.u8(7);
    expect(() => writeKey('x'.repeat(70_000), w)).toThrow(RangeError);
    expect(w.pos).toBe(1);
    // the shared scratch writer keeps working after a rejection
    expect(hex(keyBytes('ok'))).toBe('026f6b');
  });

  it.each<[string, unknown, RegExp]>([
    ['null', null, /null/],
    ['undefined', undefined, /undefined/],
    ['a symbol', Symbol('s'), /symbol/],
    ['a function', () => 1, /function/],
    ['a class instance', new Date(0), /Date/],
    ['a Map', new Map(), /Map/],
  ])('rejects %s as a key with a TypeError', (_name, key, message) => {
    expect(() => keyBytes(key as Key)).toThrow(TypeError);
    expect(() => keyBytes(key as Key)).toThrow(message);
  });

  it.each<[string, string]>([
    ['an unknown tag', '09'],
    ['a number key of the wrong length', '01' + '00000000'],
    ['a boolean key of the wrong length', '030101'],
    ['a malformed bigint', '04' + '317832'],
    ['invalid UTF-8', '02' + 'c328'],
    ['trailing bytes after a JSON key', '05' + '00' + '00'],
    ['an empty buffer', ''],
  ])('readKey rejects %s with a ByteFormatError', (_name, bytesHex) => {
    const b = Uint8Array.from(Buffer.from(bytesHex, 'hex'));
    expect(() => readKey(b, 0, b.length)).toThrow(ByteFormatError);
  });
});

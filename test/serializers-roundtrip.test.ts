import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteFormatError } from '../src/state/byte-reader.js';
import { ByteWriter } from '../src/state/byte-writer.js';
import { Serializers, type Serializer } from '../src/state/serializers.js';

function write<T>(s: Serializer<T>, v: T): Uint8Array {
  const w = new ByteWriter(8);
  s.write(v, w);
  return w.bytes().slice();
}

/** Writes `v` in the middle of other bytes and reads it back from there. */
function roundTrip<T>(s: Serializer<T>, v: T): T {
  const w = new ByteWriter(8);
  w.raw(Uint8Array.of(0xee, 0xee, 0xee));
  const start = w.pos;
  s.write(v, w);
  const len = w.pos - start;
  w.raw(Uint8Array.of(0xdd, 0xdd));
  return s.read(w.bytes().slice(), start, len);
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** -0 is stored as 0 (equal numbers give equal bytes); this is what a read returns. */
function canonical(v: unknown): unknown {
  if (typeof v === 'number') return Object.is(v, -0) ? 0 : v;
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canonical(x)]));
  }
  return v;
}

interface Case<T> {
  readonly name: keyof typeof Serializers;
  readonly id: string;
  readonly samples: readonly T[];
  readonly arbitrary: fc.Arbitrary<T>;
  /** Values of another type, rejected by `write`. */
  readonly wrongTypes: readonly unknown[];
}

const jsonLeaf = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.maxSafeInteger(),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
);
const jsonArb: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    jsonLeaf,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('v'), { maxKeys: 4 }),
  ),
})).v;

const CASES: readonly Case<any>[] = [
  {
    name: 'number',
    id: 'number@1',
    samples: [0, 1, -1, 1.5, -(2 ** 60), Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity],
    arbitrary: fc.double({ noNaN: true }),
    wrongTypes: ['1', 1n, null, undefined, true, { n: 1 }],
  },
  {
    name: 'string',
    id: 'string@1',
    samples: ['', 'a', 'ünïcødé', '🙂', 'x'.repeat(5000), 'é'.repeat(60)],
    arbitrary: fc.string({ unit: 'binary' }),
    wrongTypes: [1, null, undefined, ['a'], 1n],
  },
  {
    name: 'boolean',
    id: 'boolean@1',
    samples: [true, false],
    arbitrary: fc.boolean(),
    wrongTypes: [0, 1, 'true', null, undefined],
  },
  {
    name: 'bigint',
    id: 'bigint@1',
    samples: [0n, 1n, -1n, 2n ** 128n, -(10n ** 40n)],
    arbitrary: fc.bigInt(),
    wrongTypes: [1, '1', null, undefined],
  },
  {
    name: 'json',
    id: 'json@1',
    samples: [
      null,
      undefined,
      true,
      false,
      0,
      -1,
      0x7fffffff,
      -0x80000000,
      0x80000000, // just past the int32 fast path
      -0x80000001,
      2 ** 53 - 1,
      -(2 ** 53) + 1,
      2 ** 53,
      1e300,
      3.25,
      -0.1,
      Infinity,
      '',
      'text',
      'é'.repeat(50),
      12345678901234567890n,
      [],
      {},
      [1, [2, [3, [4, []]]]],
      { a: { b: { c: [null, undefined, 1n, 'x', 1.5] } }, d: undefined },
      { 'key with spaces': 1, ключ: 'значение', '': 0 },
      Array.from({ length: 300 }, (_, i) => i * 1000),
    ],
    arbitrary: jsonArb,
    wrongTypes: [() => 1, Symbol('s'), new Date(0), new Map(), new Uint8Array(2)],
  },
];

describe.each(CASES)('$name serializer', ({ name, id, samples, arbitrary, wrongTypes }) => {
  const s = Serializers[name] as Serializer<unknown>;

  it(`has id ${id}`, () => {
    expect(s.id).toBe(id);
  });

  it('round-trips the samples, reading from an offset inside a larger buffer', () => {
    for (const v of samples) expect(roundTrip(s, v), String(v)).toEqual(canonical(v));
  });

  it('round-trips random values', () => {
    fc.assert(
      fc.property(arbitrary, (v) => {
        expect(roundTrip(s, v)).toEqual(canonical(v));
      }),
      { numRuns: 200 },
    );
  });

  it('is deterministic: equal values give equal bytes, and a read value re-serializes to the same bytes', () => {
    fc.assert(
      fc.property(arbitrary, (v) => {
        const b = write(s, v);
        expect(hex(write(s, v))).toBe(hex(b));
        expect(hex(write(s, s.read(b, 0, b.length)))).toBe(hex(b));
      }),
      { numRuns: 100 },
    );
  });

  it.each(wrongTypes.map((v) => [typeof v === 'symbol' ? 'a symbol' : Object.prototype.toString.call(v), v]))(
    'rejects %s with a TypeError',
    (_label, v) => {
      expect(() => write(s, v)).toThrow(TypeError);
    },
  );

  it('rejects every truncation of a serialized value with a ByteFormatError', () => {
    for (const v of samples) {
      const b = write(s, v);
      // strings and bigints take their length from the caller: any prefix of a string is a string,
      // and of a bigint only the empty one is malformed
      if (name === 'string') continue;
      const cuts = name === 'bigint' ? 1 : b.length;
      for (let n = 0; n < cuts; n++) {
        expect(() => s.read(b, 0, n), `${String(v)} cut to ${n} bytes`).toThrow(ByteFormatError);
      }
    }
  });
});

describe('number serializer', () => {
  it('stores -0 as 0 and every NaN as one bit pattern', () => {
    expect(hex(write(Serializers.number, -0))).toBe(hex(write(Serializers.number, 0)));
    const f = new Float64Array(1);
    new Uint8Array(f.buffer).set([9, 0, 0, 0, 0, 0, 0xf8, 0x7f]);
    expect(hex(write(Serializers.number, f[0]!))).toBe('000000000000f87f');
    expect(Number.isNaN(roundTrip(Serializers.number, NaN))).toBe(true);
  });

  it('names the expected length when given the wrong one', () => {
    const b = new Uint8Array(9);
    expect(() => Serializers.number.read(b, 0, 9)).toThrow(/number@1: expected 8 bytes, got 9/);
  });
});

describe('boolean serializer', () => {
  it('writes one byte 0/1', () => {
    expect(hex(write(Serializers.boolean, true))).toBe('01');
    expect(hex(write(Serializers.boolean, false))).toBe('00');
  });
});

describe('bigint serializer', () => {
  it('writes decimal ASCII and rejects anything else on read', () => {
    expect(Buffer.from(write(Serializers.bigint, -42n)).toString('latin1')).toBe('-42');
    for (const bad of ['', '-', '1.5', '0x10', ' 1', '1e3']) {
      const b = new TextEncoder().encode(bad);
      expect(() => Serializers.bigint.read(b, 0, b.length), JSON.stringify(bad)).toThrow(/bigint@1: not an integer/);
    }
  });
});

describe('string serializer', () => {
  it('rejects invalid UTF-8', () => {
    const b = Uint8Array.of(0x61, 0xc3, 0x28);
    expect(() => Serializers.string.read(b, 0, b.length)).toThrow(/invalid UTF-8/);
  });
});

describe('json serializer', () => {
  const json = Serializers.json;

  it.each<[string, unknown, string]>([
    ['null', null, '00'],
    ['false', false, '01'],
    ['true', true, '02'],
    ['1.5 as f64', 1.5, '03' + '000000000000f83f'],
    ['-1 as zigzag int', -1, '04' + '01'],
    ['-0 as the int 0', -0, '04' + '00'],
    ['2^31 as f64 (outside int32)', 2 ** 31, '03' + '000000000000e041'],
    ['NaN canonical', NaN, '03' + '000000000000f87f'],
    ['string', 'ab', '05' + '02' + '6162'],
    ['array', [1], '06' + '01' + '04' + '02'],
    ['object', { k: null }, '07' + '01' + '01' + '6b' + '00'],
    ['undefined', undefined, '08'],
    ['bigint', -5n, '09' + '02' + '2d35'],
  ])('encodes %s as in the doc', (_name, v, expected) => {
    expect(hex(write(json, v))).toBe(expected);
  });

  it('keeps object keys in insertion order', () => {
    expect(Object.keys(roundTrip(json, { z: 1, a: 2, m: 3 }) as object)).toEqual(['z', 'a', 'm']);
  });

  it('keeps undefined properties and array holes as undefined', () => {
    const back = roundTrip(json, { u: undefined, arr: [undefined, 1] }) as { u: unknown; arr: unknown[] };
    expect('u' in back).toBe(true);
    expect(back.arr).toEqual([undefined, 1]);
  });

  it('reads an own "__proto__" key back as a key, not as the prototype', () => {
    const o = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const back = roundTrip(json, o) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(['__proto__', 'a']);
    expect(back['polluted']).toBeUndefined();
    expect(hex(write(json, back))).toBe(hex(write(json, o)));
  });

  it('accepts prototype-less objects', () => {
    const o = Object.assign(Object.create(null), { a: 1 });
    expect(roundTrip(json, o)).toEqual({ a: 1 });
  });

  it.each<[string, unknown, RegExp]>([
    ['a Date', new Date(0), /instance of Date.*plain objects/],
    ['a class instance', new (class Point { x = 1 })(), /instance of Point/],
    ['a Map nested in an object', { m: new Map() }, /instance of Map/],
    ['a function', { f: () => 1 }, /cannot serialize a function/],
    ['a symbol', [Symbol('s')], /cannot serialize a symbol/],
  ])('rejects %s with a message saying what it got', (_name, v, message) => {
    expect(() => write(json, v)).toThrow(TypeError);
    expect(() => write(json, v)).toThrow(message);
  });

  it('rejects nesting deeper than its bound instead of overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(() => write(json, deep)).toThrow(/nesting deeper than/);
  });

  it.each<[string, string, RegExp]>([
    ['an unknown tag', '0a', /unknown tag 10/],
    ['trailing bytes', '00' + '00', /trailing bytes/],
    ['an array longer than the buffer', '06' + 'ff01', /exceeds the buffer/],
    ['a malformed bigint', '09' + '02' + '2d2d', /malformed bigint/],
    ['a string running past the end', '05' + '05' + '6162', /truncated/],
    ['a malformed varint', '04' + 'ffffffffff7f', /malformed varint/],
  ])('rejects %s on read', (_name, bytesHex, message) => {
    const b = Uint8Array.from(Buffer.from(bytesHex, 'hex'));
    expect(() => json.read(b, 0, b.length)).toThrow(ByteFormatError);
    expect(() => json.read(b, 0, b.length)).toThrow(message);
  });

  it('never reads past the given length into neighbouring bytes', () => {
    const b = write(json, { a: [1, 2, 3] });
    const padded = new Uint8Array([...b, 0x00, 0x00]);
    expect(() => json.read(padded, 0, b.length - 1)).toThrow(ByteFormatError);
  });
});

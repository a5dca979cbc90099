/**
 * What every keyed-state backend must do, run over both: every state kind with several key types
 * and serializers, clear, MapState order and operations, TTL, keys()/entryCount(), key-group range.
 * Snapshots are in keyed-state-snapshot-restore.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { keyGroupOf } from '../src/state/key-codec.js';
import { keyGroupRange } from '../src/state/key-groups.js';
import { listState, mapState, valueState } from '../src/state/descriptors.js';
import { Serializers } from '../src/state/serializers.js';
import type { Key, StateTtlConfig } from '../src/state/types.js';
import { BACKEND_KINDS, backendPool, ManualClock } from './support/backends.js';
import { canonicalKeyOrder, openAll, observe, type StateSpec } from './support/observe.js';
import { DRIVERS, KEY_SETS, ONE_DRIVER_PER_KIND, type StateDriver } from './support/state-drivers.js';

/** Writes per key: key j gets 1 to 4 writes, distinct from every other key's. */
function plan(keys: readonly Key[]): number[][] {
  return keys.map((_k, j) => Array.from({ length: 1 + (j % 4) }, (_, x) => j * 5 + x));
}

describe.each(BACKEND_KINDS)('%s backend', (kind) => {
  const create = backendPool();

  describe.each(DRIVERS.map((d) => [d.label, d] as const))('%s', (_label, d: StateDriver) => {
    describe.each(KEY_SETS)('with %s keys', (_keyType, keys) => {
      /** Writes the plan round-robin over the keys, so no key's writes are adjacent. */
      function fill() {
        const b = create(kind);
        const s = d.open(b, 'st');
        const writes = plan(keys);
        for (let round = 0; round < 4; round++) {
          keys.forEach((k, j) => {
            const i = writes[j]![round];
            if (i === undefined) return;
            b.setCurrentKey(k);
            d.write(s, i);
          });
        }
        return { b, s, writes };
      }

      it('keeps one state per key', () => {
        const { b, s, writes } = fill();
        keys.forEach((k, j) => {
          b.setCurrentKey(k);
          expect(d.read(s), `key ${String(k)}`).toEqual(d.expected(writes[j]!));
        });
        expect(b.entryCount()).toBe(writes.reduce((n, w) => n + d.entriesAfter(w), 0));
        expect(b.keys('st')).toEqual(canonicalKeyOrder(keys, b.maxParallelism));
      });

      it('clear() removes only the current key, and the key starts empty afterwards', () => {
        const { b, s, writes } = fill();
        const before = b.entryCount();
        b.setCurrentKey(keys[1]!);
        d.clear(s);
        expect(d.read(s)).toEqual(d.absent);
        expect(b.entryCount()).toBe(before - d.entriesAfter(writes[1]!));
        expect(b.keys('st')).toEqual(canonicalKeyOrder(keys.filter((_k, j) => j !== 1), b.maxParallelism));
        keys.forEach((k, j) => {
          if (j === 1) return;
          b.setCurrentKey(k);
          expect(d.read(s)).toEqual(d.expected(writes[j]!));
        });
        b.setCurrentKey(keys[1]!);
        d.clear(s); // clearing an absent key is a no-op
        d.write(s, 1000);
        expect(d.read(s)).toEqual(d.expected([1000]));
      });
    });

    it('has nothing for a key never written', () => {
      const b = create(kind);
      const s = d.open(b, 'st');
      b.setCurrentKey('nobody');
      expect(d.read(s)).toEqual(d.absent);
      expect(b.entryCount()).toBe(0);
      expect(b.keys('st')).toEqual([]);
    });

    it('registering the same name again gives access to the same data', () => {
      const b = create(kind);
      b.setCurrentKey(7);
      d.write(d.open(b, 'st'), 3);
      const again = d.open(b, 'st');
      expect(d.read(again)).toEqual(d.expected([3]));
    });
  });

  it('keeps the states of one key apart (every kind side by side)', () => {
    const b = create(kind);
    const schema: StateSpec[] = DRIVERS.map((driver, n) => ({ name: `s${n}`, driver }));
    const handles = openAll(b, schema);
    const keys: Key[] = ['k1', 2, { k: 3 }];
    keys.forEach((k, j) => {
      b.setCurrentKey(k);
      schema.forEach((spec, n) => {
        for (let i = 0; i <= (n + j) % 3; i++) spec.driver.write(handles.get(spec.name)!.state, n * 10 + j + i);
      });
    });
    let entries = 0;
    const seen = observe(b, handles);
    schema.forEach((spec, n) => {
      const expected = canonicalKeyOrder(keys, b.maxParallelism).map((k) => {
        const j = keys.indexOf(k);
        const is = Array.from({ length: ((n + j) % 3) + 1 }, (_, i) => n * 10 + j + i);
        entries += spec.driver.entriesAfter(is);
        return [k, spec.driver.expected(is)];
      });
      expect(seen[spec.name], spec.name).toEqual(expected);
    });
    expect(b.entryCount()).toBe(entries);
  });

  describe('keys', () => {
    it('-0 and 0 are one key; every NaN is one key', () => {
      const b = create(kind);
      const v = b.getState(valueState('v', Serializers.string));
      b.setCurrentKey(-0);
      v.update('zero');
      b.setCurrentKey(0);
      expect(v.value()).toBe('zero');
      b.setCurrentKey(NaN);
      v.update('nan');
      b.setCurrentKey(Number.NaN);
      expect(v.value()).toBe('nan');
      expect(b.entryCount()).toBe(2);
    });

    it('object keys with equal contents are one key; keys of different types are not', () => {
      const b = create(kind);
      const v = b.getState(valueState('v', Serializers.number));
      const distinct: Key[] = [1, '1', true, 1n, [1], { a: 1 }];
      distinct.forEach((k, i) => {
        b.setCurrentKey(k);
        v.update(i);
      });
      b.setCurrentKey({ a: 1 });
      expect(v.value()).toBe(5);
      b.setCurrentKey([1]);
      expect(v.value()).toBe(4);
      expect(b.entryCount()).toBe(distinct.length);
    });

    it('reports the current key and its key group', () => {
      const b = create(kind, { maxParallelism: 64 });
      for (const k of ['user-1', 42, { id: 9 }, 5n] as Key[]) {
        b.setCurrentKey(k);
        expect(b.getCurrentKey()).toEqual(k);
        expect(b.getCurrentKeyGroup()).toBe(keyGroupOf(k, 64));
      }
    });

    it('rejects keys too long to store', () => {
      const b = create(kind);
      expect(() => b.setCurrentKey('x'.repeat(70_000))).toThrow(RangeError);
    });
  });

  describe('key-group range', () => {
    const MAX_P = 16;
    const range = keyGroupRange(4, 9);
    const candidates = Array.from({ length: 400 }, (_, i) => `key-${i}`);
    const inside = candidates.filter((k) => keyGroupOf(k, MAX_P) >= range.start && keyGroupOf(k, MAX_P) < range.end);
    const outside = candidates.filter((k) => !inside.includes(k));

    it('exposes its options', () => {
      const b = create(kind, { maxParallelism: MAX_P, keyGroupRange: range });
      expect(b.kind).toBe(kind);
      expect(b.maxParallelism).toBe(MAX_P);
      expect(b.keyGroupRange).toEqual(range);
      const dflt = create(kind);
      expect(dflt.maxParallelism).toBe(128);
      expect(dflt.keyGroupRange).toEqual({ start: 0, end: 128 });
    });

    it('setCurrentKey throws for a key outside the owned key groups, accepts those inside', () => {
      const b = create(kind, { maxParallelism: MAX_P, keyGroupRange: range });
      const v = b.getState(valueState('v', Serializers.string));
      for (const k of outside.slice(0, 20)) {
        expect(() => b.setCurrentKey(k), k).toThrow(RangeError);
      }
      for (const k of inside) {
        b.setCurrentKey(k);
        v.update(k);
      }
      for (const k of inside) {
        b.setCurrentKey(k);
        expect(v.value()).toBe(k);
      }
      expect(b.entryCount()).toBe(inside.length);
    });

    it.each<[string, object]>([
      ['maxParallelism 0', { maxParallelism: 0 }],
      ['maxParallelism above 32768', { maxParallelism: 40_000 }],
      ['a range past maxParallelism', { maxParallelism: 8, keyGroupRange: { start: 4, end: 9 } }],
    ])('rejects %s', (_name, options) => {
      expect(() => create(kind, options)).toThrow(RangeError);
    });
  });

  describe('dispose', () => {
    it('a disposed backend refuses further use', () => {
      const b = create(kind);
      const v = b.getState(valueState('v', Serializers.number));
      b.setCurrentKey(1);
      v.update(1);
      b.dispose();
      expect(() => b.setCurrentKey(2)).toThrow();
      expect(() => b.snapshot({ incremental: false })).toThrow();
    });
  });

  describe('registration', () => {
    it('rejects one name for two kinds of state', () => {
      const b = create(kind);
      b.getState(valueState('x', Serializers.number));
      expect(() => b.getListState(listState('x', Serializers.number))).toThrow(/already registered as value state/);
    });
  });

  describe('MapState', () => {
    function map() {
      const b = create(kind);
      const m = b.getMapState(mapState('m', Serializers.string, Serializers.json));
      b.setCurrentKey('k');
      return { b, m };
    }

    it('get/contains/remove/isEmpty/putAll/keys/values agree with each other', () => {
      const { b, m } = map();
      expect(m.isEmpty()).toBe(true);
      expect(m.get('a')).toBeUndefined();
      expect(m.contains('a')).toBe(false);
      m.remove('a'); // absent: no-op
      m.putAll([
        ['b', 1],
        ['a', { x: [1] }],
        ['c', null],
      ]);
      expect(m.isEmpty()).toBe(false);
      expect(m.contains('c')).toBe(true); // a stored null is present
      expect(m.get('c')).toBeNull();
      expect(m.get('a')).toEqual({ x: [1] });
      m.put('b', 2); // overwrite
      expect(m.entries()).toEqual([
        ['a', { x: [1] }],
        ['b', 2],
        ['c', null],
      ]);
      expect(m.keys()).toEqual(['a', 'b', 'c']);
      expect(m.values()).toEqual([{ x: [1] }, 2, null]);
      expect(b.entryCount()).toBe(3);
      m.remove('b');
      expect(m.contains('b')).toBe(false);
      expect(m.get('b')).toBeUndefined();
      expect(m.keys()).toEqual(['a', 'c']);
      expect(b.entryCount()).toBe(2);
      m.remove('a');
      m.remove('c');
      expect(m.isEmpty()).toBe(true);
      expect(b.entryCount()).toBe(0);
      expect(b.keys('m')).toEqual([]);
    });

    it('iterates in the order of the serialized user-key bytes, not insertion or numeric order', () => {
      const b = create(kind);
      const m = b.getMapState(mapState('m', Serializers.number, Serializers.string));
      b.setCurrentKey('k');
      // f64 LE bytes: 256 = 00..70 40, 1 = 00..f0 3f, -1 = 00..f0 bf, 0.5 = 00..e0 3f, 3 = 00..08 40
      for (const n of [3, -1, 256, 0.5, 1]) m.put(n, String(n));
      expect(m.keys()).toEqual([3, 256, 0.5, 1, -1]);
      const s = b.getMapState(mapState('s', Serializers.string, Serializers.number));
      for (const k of ['b', 'ab', 'a', 'B', 'é', '']) s.put(k, k.length);
      expect(s.keys()).toEqual(['', 'B', 'a', 'ab', 'b', 'é']);
    });

    it('keeps the maps of different keys apart', () => {
      const { b, m } = map();
      m.put('x', 1);
      b.setCurrentKey('other');
      expect(m.isEmpty()).toBe(true);
      m.put('x', 2);
      m.clear();
      b.setCurrentKey('k');
      expect(m.get('x')).toBe(1);
    });
  });

  describe('ListState', () => {
    it('add, addAll, update and update([])', () => {
      const b = create(kind);
      const l = b.getListState(listState('l', Serializers.string));
      b.setCurrentKey(1);
      expect(l.get()).toEqual([]);
      l.addAll([]);
      expect(b.entryCount()).toBe(0);
      l.add('a');
      l.addAll(['b', 'c']);
      expect(l.get()).toEqual(['a', 'b', 'c']);
      l.update(['z']);
      expect(l.get()).toEqual(['z']);
      l.update([]);
      expect(l.get()).toEqual([]);
      expect(b.entryCount()).toBe(0);
      expect(b.keys('l')).toEqual([]);
    });

    it('stores a large list', () => {
      const b = create(kind);
      const l = b.getListState(listState('l', Serializers.number));
      b.setCurrentKey('big');
      const values = Array.from({ length: 5000 }, (_, i) => i * 0.5);
      for (const v of values) l.add(v);
      expect(l.get()).toEqual(values);
    });
  });

  describe('values and in-place mutation', () => {
    // wasm serializes at every write and read; heap holds the objects themselves, as Flink's heap
    // backend does (README: treat them as immutable or write them back)
    it('wasm copies at write and read; heap holds references', () => {
      const b = create(kind);
      const v = b.getState(valueState('v', Serializers.json));
      const l = b.getListState(listState('l', Serializers.json));
      b.setCurrentKey('k');
      const obj = { n: 1, arr: [1] };
      v.update(obj);
      l.add(obj);
      obj.n = 2;
      obj.arr.push(2);
      if (kind === 'wasm') {
        expect(v.value()).toEqual({ n: 1, arr: [1] });
        expect(l.get()).toEqual([{ n: 1, arr: [1] }]);
        (v.value() as { n: number }).n = 3;
        l.get().push({ n: 9, arr: [] });
        expect(v.value()).toEqual({ n: 1, arr: [1] });
        expect(l.get()).toEqual([{ n: 1, arr: [1] }]);
      } else {
        expect(v.value()).toBe(obj);
        expect(l.get()[0]).toBe(obj);
      }
    });

    it('a mutated object written back is what both backends store', async () => {
      const b = create(kind);
      const v = b.getState(valueState('v', Serializers.json));
      b.setCurrentKey('k');
      v.update({ n: 1 });
      const got = v.value() as { n: number };
      got.n = 5;
      v.update(got);
      const r = create(kind);
      r.restore([await b.snapshot({ incremental: false }).bytes()]);
      r.setCurrentKey('k');
      expect(r.getState(valueState('v', Serializers.json)).value()).toEqual({ n: 5 });
    });
  });

  describe('map user keys are copied at put', () => {
    it('mutating a user-key object afterwards changes nothing', () => {
      const b = create(kind);
      const m = b.getMapState(mapState('m', Serializers.json, Serializers.json));
      b.setCurrentKey('k');
      const uk = { id: 1 };
      m.put(uk, { n: 1 });
      uk.id = 2;
      expect(m.entries()).toEqual([[{ id: 1 }, { n: 1 }]]);
      expect(m.get({ id: 1 })).toEqual({ n: 1 });
      expect(m.get({ id: 2 })).toBeUndefined();
    });
  });

  describe('keys are copied at setCurrentKey', () => {
    it('mutating a key object afterwards changes neither the state nor keys()', async () => {
      const b = create(kind);
      const v = b.getState(valueState('v', Serializers.number));
      const key = { user: 'u1', tags: ['a'] };
      b.setCurrentKey(key);
      v.update(1);
      key.user = 'u2';
      key.tags.push('b');
      expect(b.keys('v')).toEqual([{ user: 'u1', tags: ['a'] }]);
      b.setCurrentKey({ user: 'u1', tags: ['a'] });
      expect(v.value()).toBe(1);
      const r = create(kind);
      r.restore([await b.snapshot({ incremental: false }).bytes()]);
      expect(r.keys('v')).toEqual([{ user: 'u1', tags: ['a'] }]);
    });
  });

  describe('values the serializer cannot write', () => {
    it('are rejected at the write, not later at snapshot time', async () => {
      const b = create(kind);
      const v = b.getState(valueState('v', Serializers.json));
      const l = b.getListState(listState('l', Serializers.json));
      const m = b.getMapState(mapState('m', Serializers.json, Serializers.number));
      const n = b.getState(valueState('n', Serializers.number));
      b.setCurrentKey('k');
      expect(() => v.update({ when: new Date(0) })).toThrow(/Date/);
      expect(() => l.add(new Map())).toThrow(/Map/);
      expect(() => m.put({ f: () => 1 }, 1)).toThrow(/function/);
      expect(() => n.update('1' as unknown as number)).toThrow(TypeError);
      expect(v.value()).toBeUndefined();
      expect(l.get()).toEqual([]);
      expect(m.isEmpty()).toBe(true);
      expect(n.value()).toBeUndefined();
      await expect(b.snapshot({ incremental: false }).bytes()).resolves.toBeInstanceOf(Uint8Array);
    });
  });

  describe('many keys', () => {
    it('holds 20,000 keys across every key group', () => {
      const b = create(kind, { maxParallelism: 128 });
      const v = b.getState(valueState('v', Serializers.number));
      for (let i = 0; i < 20_000; i++) {
        b.setCurrentKey(`key-${i}`);
        v.update(i);
      }
      for (let i = 0; i < 20_000; i += 7) {
        b.setCurrentKey(`key-${i}`);
        expect(v.value()).toBe(i);
      }
      expect(b.entryCount()).toBe(20_000);
      expect(b.keys('v')).toHaveLength(20_000);
    });
  });

  describe.each(ONE_DRIVER_PER_KIND.map((d) => [d.label, d] as const))('TTL on %s', (_label, d: StateDriver) => {
    const TTL = 100;
    const configs: Array<[string, StateTtlConfig]> = [
      ['NeverReturnExpired, OnCreateAndWrite', { ttlMs: TTL }],
      ['NeverReturnExpired, OnReadAndWrite', { ttlMs: TTL, updateType: 'OnReadAndWrite' }],
      ['ReturnExpiredIfNotCleanedUp, OnCreateAndWrite', { ttlMs: TTL, visibility: 'ReturnExpiredIfNotCleanedUp' }],
      [
        'ReturnExpiredIfNotCleanedUp, OnReadAndWrite',
        { ttlMs: TTL, visibility: 'ReturnExpiredIfNotCleanedUp', updateType: 'OnReadAndWrite' },
      ],
    ];

    describe.each(configs)('%s', (_name, ttl) => {
      const hides = (ttl.visibility ?? 'NeverReturnExpired') === 'NeverReturnExpired';
      const onRead = ttl.updateType === 'OnReadAndWrite';

      function setup() {
        const clock = new ManualClock();
        const b = create(kind, { clock: clock.read });
        const s = d.open(b, 'st', ttl);
        b.setCurrentKey('k');
        return { clock, b, s };
      }

      /** The first read after expiry: absent (and deleted) when hidden, else the stale value. */
      function expectExpired(b: ReturnType<typeof setup>['b'], s: unknown, stale: unknown) {
        if (hides) {
          expect(d.read(s)).toEqual(d.absent);
          expect(b.entryCount()).toBe(0); // the expired read deleted it
          expect(b.keys('st')).toEqual([]);
        } else {
          expect(d.read(s)).toEqual(stale);
        }
      }

      it(`is visible for ttlMs after the write${onRead ? ' or the last read' : ''}, then expired`, () => {
        const { clock, b, s } = setup();
        d.write(s, 0);
        clock.advance(TTL - 1);
        expect(d.read(s)).toEqual(d.expected([0]));
        clock.advance(1);
        if (onRead) {
          // the read at TTL - 1 refreshed the timestamp
          expect(d.read(s)).toEqual(d.expected([0]));
          clock.advance(TTL - 1);
          expect(d.read(s)).toEqual(d.expected([0]));
          clock.advance(TTL);
        }
        expectExpired(b, s, d.expected([0]));
      });

      it('a write refreshes the timestamp', () => {
        const { clock, b, s } = setup();
        d.write(s, 0);
        clock.advance(60);
        d.write(s, d.sameSlot);
        clock.advance(60);
        expect(d.read(s)).toEqual(d.expected([0, d.sameSlot]));
        clock.advance(TTL);
        expectExpired(b, s, d.expected([0, d.sameSlot]));
      });

      it('keeps each key’s timestamp separately', () => {
        const { clock, b, s } = setup();
        d.write(s, 0);
        clock.advance(60);
        b.setCurrentKey('later');
        d.write(s, 1);
        clock.advance(60);
        b.setCurrentKey('later');
        expect(d.read(s)).toEqual(d.expected([1]));
        if (hides) {
          b.setCurrentKey('k');
          expect(d.read(s)).toEqual(d.absent);
          expect(b.keys('st')).toEqual(['later']);
        }
      });

      it('restored state keeps the timestamps it was written with', async () => {
        const { clock, b, s } = setup();
        d.write(s, 0);
        clock.advance(40);
        const bytes = await b.snapshot({ incremental: false }).bytes();
        const restored = create(kind, { clock: clock.read });
        restored.restore([bytes]);
        const rs = d.open(restored, 'st', ttl);
        restored.setCurrentKey('k');
        clock.advance(59); // 99 ms after the write
        expect(d.read(rs)).toEqual(d.expected([0]));
        clock.advance(onRead ? TTL : 1);
        expectExpired(restored, rs, d.expected([0]));
      });

      if (hides) {
        it('a write after expiry starts from empty (expired data never comes back)', () => {
          const { clock, b, s } = setup();
          d.write(s, 0);
          clock.advance(TTL + 50);
          d.write(s, d.sameSlot);
          expect(d.read(s)).toEqual(d.expected([d.sameSlot]));
          expect(b.entryCount()).toBe(d.entriesAfter([d.sameSlot]));
        });
      }
    });
  });

  describe('TTL on MapState entries', () => {
    function setup(ttl: StateTtlConfig) {
      const clock = new ManualClock();
      const b = create(kind, { clock: clock.read });
      const m = b.getMapState(mapState('m', Serializers.string, Serializers.number, { ttl }));
      b.setCurrentKey('k');
      return { clock, b, m };
    }

    it('each user key expires on its own', () => {
      const { clock, b, m } = setup({ ttlMs: 100 });
      m.put('a', 1);
      clock.advance(60);
      m.put('b', 2);
      clock.advance(40);
      expect(m.get('a')).toBeUndefined();
      expect(m.contains('a')).toBe(false);
      expect(m.entries()).toEqual([['b', 2]]);
      expect(m.isEmpty()).toBe(false);
      expect(b.entryCount()).toBe(1);
      clock.advance(60);
      expect(m.isEmpty()).toBe(true);
      expect(m.keys()).toEqual([]);
      expect(b.entryCount()).toBe(0);
    });

    it('with OnReadAndWrite, get() refreshes only the entry it reads', () => {
      const { clock, m } = setup({ ttlMs: 100, updateType: 'OnReadAndWrite' });
      m.put('a', 1);
      m.put('b', 2);
      clock.advance(60);
      expect(m.get('a')).toBe(1);
      clock.advance(60);
      expect(m.entries()).toEqual([['a', 1]]);
    });

    it('with OnCreateAndWrite, reads do not refresh', () => {
      const { clock, m } = setup({ ttlMs: 100 });
      m.put('a', 1);
      clock.advance(60);
      expect(m.get('a')).toBe(1);
      expect(m.entries()).toEqual([['a', 1]]);
      clock.advance(40);
      expect(m.get('a')).toBeUndefined();
    });
  });

  describe('TTL state beside state without TTL', () => {
    it('expiry removes only the TTL state of a key', () => {
      const clock = new ManualClock();
      const b = create(kind, { clock: clock.read });
      const withTtl = b.getState(valueState('t', Serializers.string, { ttl: { ttlMs: 10 } }));
      const plain = b.getState(valueState('p', Serializers.string));
      b.setCurrentKey('k');
      withTtl.update('t');
      plain.update('p');
      clock.advance(1_000_000);
      expect(withTtl.value()).toBeUndefined();
      expect(plain.value()).toBe('p');
      expect(b.entryCount()).toBe(1);
      expect(b.keys('p')).toEqual(['k']);
    });
  });
});

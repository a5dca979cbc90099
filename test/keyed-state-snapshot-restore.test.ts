/**
 * Snapshots and restore, run over both backends: full and incremental chains, sub-range restore,
 * registration after restore, consistency of the synchronous capture, and rejection of bad input.
 * Heap/WASM byte identity is in keyed-state-cross-backend-bytes.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { keyGroupOf } from '../src/state/key-codec.js';
import { keyGroupRange, keyGroupRangeForSubtask } from '../src/state/key-groups.js';
import { aggregatingState, listState, mapState, reducingState, valueState } from '../src/state/descriptors.js';
import { ByteWriter } from '../src/state/byte-writer.js';
import { Serializers } from '../src/state/serializers.js';
import { compositeKey, SNAPSHOT_MAGIC, writeSnapshot } from '../src/state/snapshot-format.js';
import { keyBytes, keyHash } from '../src/state/key-codec.js';
import type { Key, KeyedStateBackend, StateBackendKind } from '../src/state/types.js';
import { BACKEND_KINDS, backendPool, ManualClock } from './support/backends.js';
import { observe, openAll, type Handles } from './support/observe.js';
import { contents, formatErrorOf, withFixedCrc } from './support/snapshot-contents.js';
import { FULL_SCHEMA, PLAIN_SCHEMA, runStep, runSteps, WORKLOAD_KEYS } from './support/workload.js';

const full = { incremental: false } as const;
const incremental = { incremental: true } as const;

async function bytesOf(b: KeyedStateBackend, options: { incremental: boolean }): Promise<Uint8Array> {
  return b.snapshot(options).bytes();
}

describe.each(BACKEND_KINDS)('%s backend', (kind: StateBackendKind) => {
  const create = backendPool();

  /** A fresh backend of this kind restored from `chain`, with the plain schema registered. */
  function restored(chain: readonly Uint8Array[], options = {}): { b: KeyedStateBackend; handles: Handles } {
    const b = create(kind, options);
    b.restore(chain);
    return { b, handles: openAll(b, PLAIN_SCHEMA) };
  }

  describe('full snapshots', () => {
    it('restore shows exactly the state at the snapshot, and re-snapshots to the same bytes', async () => {
      const b = create(kind);
      const handles = runSteps(b, PLAIN_SCHEMA, 4);
      const snap = b.snapshot(full);
      expect(snap.kind).toBe('full');
      expect(snap.syncMs).toBeGreaterThanOrEqual(0);
      const bytes = await snap.bytes();
      const r = restored([bytes]);
      expect(observe(r.b, r.handles)).toEqual(observe(b, handles));
      expect(r.b.entryCount()).toBe(b.entryCount());
      expect(await bytesOf(r.b, full)).toEqual(bytes);
    });

    it('writes the header of docs/state-layer.md', async () => {
      const b = create(kind, { maxParallelism: 32, keyGroupRange: keyGroupRange(8, 20) });
      b.getState(valueState('v', Serializers.number));
      b.getMapState(mapState('m', Serializers.string, Serializers.json, { ttl: { ttlMs: 5 } }));
      const bytes = await bytesOf(b, full);
      const { header, puts, deletes } = contents(bytes);
      expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true)).toBe(SNAPSHOT_MAGIC);
      expect(header).toMatchObject({ kind: 'full', maxParallelism: 32, keyGroups: { start: 8, end: 20 } });
      expect(header.states).toEqual([
        { id: 0, kind: 'value', ttl: false, name: 'v', serializerId: 'number@1' },
        { id: 1, kind: 'map', ttl: true, name: 'm', serializerId: 'string@1->json@1' },
      ]);
      expect(puts.size + deletes.size).toBe(0);
    });

    it('stores each entry as composite key and value bytes (the contract layout)', async () => {
      const b = create(kind);
      const v = b.getState(valueState('v', Serializers.string));
      const m = b.getMapState(mapState('m', Serializers.string, Serializers.boolean));
      const l = b.getListState(listState('l', Serializers.string));
      b.setCurrentKey('k');
      v.update('hi');
      m.put('x', true);
      l.addAll(['a', 'bc']);
      const { puts } = contents(await bytesOf(b, full));
      const key = keyBytes('k');
      const hex = (u: Uint8Array | number[]) => Buffer.from(u).toString('hex');
      expect([...puts.entries()].sort()).toEqual(
        [
          [hex(compositeKey(0, key)), hex(Buffer.from('hi'))],
          [hex(compositeKey(1, key, Uint8Array.of(0x78))), '01'],
          [hex(compositeKey(2, key)), '01' + '61' + '02' + '6263'],
        ].sort(),
      );
    });

    it('prefixes TTL values with the f64 write time: once per list, once per map entry', async () => {
      const clock = new ManualClock(1234.5);
      const b = create(kind, { clock: clock.read });
      const ttl = { ttlMs: 1000, updateType: 'OnReadAndWrite' } as const;
      const v = b.getState(valueState('v', Serializers.boolean, { ttl }));
      const m = b.getMapState(mapState('m', Serializers.string, Serializers.boolean, { ttl }));
      const l = b.getListState(listState('l', Serializers.string, { ttl }));
      b.setCurrentKey('k');
      v.update(true);
      m.put('x', true);
      clock.advance(10);
      m.put('y', false);
      l.add('a');
      clock.advance(10);
      l.add('bc'); // an append refreshes the whole list's time
      const f64 = (t: number) => {
        const out = Buffer.alloc(8);
        out.writeDoubleLE(t);
        return out.toString('hex');
      };
      const key = keyBytes('k');
      const c = (id: number, uk?: string) => Buffer.from(compositeKey(id, key, uk === undefined ? undefined : Buffer.from(uk))).toString('hex');
      let { puts } = contents(await bytesOf(b, full));
      expect(puts.get(c(0))).toBe(f64(1234.5) + '01');
      expect(puts.get(c(1, 'x'))).toBe(f64(1234.5) + '01');
      expect(puts.get(c(1, 'y'))).toBe(f64(1244.5) + '00');
      expect(puts.get(c(2))).toBe(f64(1254.5) + '01' + '61' + '02' + '6263');
      // with OnReadAndWrite a read moves the time forward
      clock.advance(5);
      expect(v.value()).toBe(true);
      expect(m.get('x')).toBe(true);
      ({ puts } = contents(await bytesOf(b, incremental)));
      expect(puts.get(c(0))).toBe(f64(1259.5) + '01');
      expect(puts.get(c(1, 'x'))).toBe(f64(1259.5) + '01');
      expect(puts.has(c(1, 'y'))).toBe(false);
    });

    it('a full snapshot holds no deletes, even after deletions', async () => {
      const b = create(kind);
      runSteps(b, PLAIN_SCHEMA, 3);
      await bytesOf(b, full);
      runStep(b, openAll(b, PLAIN_SCHEMA), 3);
      expect(contents(await bytesOf(b, full)).deletes.size).toBe(0);
    });

    it('an empty backend snapshots and restores', async () => {
      const b = create(kind);
      const bytes = await bytesOf(b, full);
      const r = create(kind);
      r.restore([bytes]);
      expect(r.entryCount()).toBe(0);
    });
  });

  describe('incremental chains', () => {
    it('restoring the chain after every step equals a full snapshot of the same state', async () => {
      const primary = create(kind);
      const twin = create(kind);
      const ph = openAll(primary, PLAIN_SCHEMA);
      const th = openAll(twin, PLAIN_SCHEMA);
      const chain: Uint8Array[] = [];
      let previousFull: ReturnType<typeof contents> | undefined;
      for (let step = 0; step < 12; step++) {
        runStep(primary, ph, step);
        runStep(twin, th, step);
        const snap = primary.snapshot(step === 0 ? full : incremental);
        expect(snap.kind).toBe(step === 0 ? 'full' : 'incremental');
        chain.push(await snap.bytes());
        const twinFull = await bytesOf(twin, full);

        const r = restored(chain);
        expect(await bytesOf(r.b, full), `step ${step}`).toEqual(twinFull);
        expect(observe(r.b, r.handles), `step ${step}`).toEqual(observe(twin, th));

        // what the incremental holds: deletes are exactly the entries gone since the last snapshot,
        // puts include every new or changed entry and only live entries with their current values
        const now = contents(twinFull);
        if (previousFull) {
          const inc = contents(chain[step]!);
          expect(inc.header.kind).toBe('incremental');
          const gone = [...previousFull.puts.keys()].filter((c) => !now.puts.has(c));
          expect([...inc.deletes].sort(), `deletes at step ${step}`).toEqual(gone.sort());
          for (const [c, v] of inc.puts) expect(now.puts.get(c), `put ${c}`).toBe(v);
          for (const [c, v] of now.puts) {
            if (previousFull.puts.get(c) !== v) expect(inc.puts.get(c), `changed ${c}`).toBe(v);
          }
        }
        previousFull = now;
      }
    });

    it('an entry written with an equal value is in the next incremental', async () => {
      const b = create(kind);
      const v = b.getState(valueState('v', Serializers.number));
      b.setCurrentKey('same');
      v.update(1);
      b.setCurrentKey('untouched');
      v.update(2);
      await bytesOf(b, full);
      b.setCurrentKey('same');
      v.update(1);
      const inc = contents(await bytesOf(b, incremental));
      expect([...inc.puts.keys()]).toEqual([Buffer.from(compositeKey(0, keyBytes('same'))).toString('hex')]);
      expect(inc.deletes.size).toBe(0);
    });

    it('insert-then-delete between snapshots leaves no trace; delete-then-reinsert is a put', async () => {
      const b = create(kind);
      const v = b.getState(valueState('v', Serializers.string));
      const m = b.getMapState(mapState('m', Serializers.string, Serializers.string));
      b.setCurrentKey('old');
      v.update('a');
      m.put('x', '1');
      await bytesOf(b, full);
      b.setCurrentKey('new');
      v.update('b');
      v.clear();
      m.put('y', '2');
      m.remove('y');
      b.setCurrentKey('old');
      v.clear();
      v.update('a');
      m.remove('x');
      m.put('x', '1');
      const inc = contents(await bytesOf(b, incremental));
      const c = (id: number, k: Key, uk?: string) =>
        Buffer.from(compositeKey(id, keyBytes(k), uk === undefined ? undefined : Buffer.from(uk))).toString('hex');
      expect(inc.deletes.size).toBe(0);
      expect([...inc.puts.keys()].sort()).toEqual([c(0, 'old'), c(1, 'old', 'x')].sort());
    });

    it('a removed map entry and a cleared key are deletes', async () => {
      const b = create(kind);
      const v = b.getState(valueState('v', Serializers.string));
      const m = b.getMapState(mapState('m', Serializers.string, Serializers.string));
      b.setCurrentKey('k');
      v.update('a');
      m.putAll([
        ['x', '1'],
        ['y', '2'],
      ]);
      await bytesOf(b, full);
      v.clear();
      m.remove('x');
      const inc = contents(await bytesOf(b, incremental));
      const c = (id: number, uk?: string) =>
        Buffer.from(compositeKey(id, keyBytes('k'), uk === undefined ? undefined : Buffer.from(uk))).toString('hex');
      expect([...inc.deletes].sort()).toEqual([c(0), c(1, 'x')].sort());
      expect(inc.puts.size).toBe(0);
    });

    it('an incremental with no changes is empty and restores', async () => {
      const b = create(kind);
      const handles = runSteps(b, PLAIN_SCHEMA, 2);
      const chain = [await bytesOf(b, full), await bytesOf(b, incremental), await bytesOf(b, incremental)];
      const inc = contents(chain[2]!);
      expect(inc.puts.size + inc.deletes.size).toBe(0);
      const r = restored(chain);
      expect(observe(r.b, r.handles)).toEqual(observe(b, handles));
    });

    it('a full snapshot in the middle starts a new base for the next incremental', async () => {
      const b = create(kind);
      const handles = openAll(b, PLAIN_SCHEMA);
      runStep(b, handles, 0);
      await bytesOf(b, full);
      runStep(b, handles, 1);
      await bytesOf(b, incremental);
      runStep(b, handles, 2);
      const base = await bytesOf(b, full);
      runStep(b, handles, 3);
      const next = await bytesOf(b, incremental);
      const r = restored([base, next]);
      expect(observe(r.b, r.handles)).toEqual(observe(b, handles));
    });

    it('after a restore, an incremental builds on the restored state', async () => {
      const src = create(kind);
      const sh = runSteps(src, PLAIN_SCHEMA, 2);
      const chain = [await bytesOf(src, full)];
      runStep(src, sh, 2);
      chain.push(await bytesOf(src, incremental));
      const b = create(kind);
      b.restore(chain);
      const handles = openAll(b, PLAIN_SCHEMA);
      runStep(b, handles, 3);
      chain.push(await bytesOf(b, incremental));
      runStep(b, handles, 4);
      chain.push(await bytesOf(b, incremental));
      const r = restored(chain);
      expect(observe(r.b, r.handles)).toEqual(observe(b, handles));
    });

    it('a state registered between snapshots of a chain is restored', async () => {
      const b = create(kind);
      const a = b.getState(valueState('a', Serializers.number));
      b.setCurrentKey('k');
      a.update(1);
      const chain = [await bytesOf(b, full)];
      const late = b.getListState(listState('late', Serializers.string));
      late.add('x');
      a.clear();
      chain.push(await bytesOf(b, incremental));
      const r = create(kind);
      r.restore(chain);
      r.setCurrentKey('k');
      expect(r.getListState(listState('late', Serializers.string)).get()).toEqual(['x']);
      expect(r.getState(valueState('a', Serializers.number)).value()).toBeUndefined();
      expect(r.entryCount()).toBe(1);
    });

    it('throws when the backend was created with incremental: false', async () => {
      const b = create(kind, { incremental: false });
      runSteps(b, PLAIN_SCHEMA, 1);
      await bytesOf(b, full);
      expect(() => b.snapshot(incremental)).toThrow(/incremental/);
    });

    it('TTL states: the chain restores to the state a full snapshot shows', async () => {
      const clocks = [new ManualClock(), new ManualClock()];
      const primary = create(kind, { clock: clocks[0]!.read });
      const twin = create(kind, { clock: clocks[1]!.read });
      const ph = openAll(primary, FULL_SCHEMA);
      const th = openAll(twin, FULL_SCHEMA);
      const chain: Uint8Array[] = [];
      for (let step = 0; step < 10; step++) {
        runStep(primary, ph, step, { clock: clocks[0] });
        runStep(twin, th, step, { clock: clocks[1] });
        chain.push(await bytesOf(primary, step === 0 ? full : incremental));
        const twinFull = await bytesOf(twin, full);
        const r = create(kind, { clock: clocks[0]!.read });
        r.restore(chain);
        expect(await bytesOf(r, full), `step ${step}`).toEqual(twinFull);
      }
    });
  });

  describe('restore', () => {
    it('replaces any state the backend held', async () => {
      const src = create(kind);
      const handles = runSteps(src, PLAIN_SCHEMA, 2);
      const bytes = await bytesOf(src, full);
      const b = create(kind);
      const v = b.getState(valueState('leftover', Serializers.number));
      b.setCurrentKey('gone');
      v.update(1);
      b.restore([bytes]);
      const after = openAll(b, PLAIN_SCHEMA);
      expect(observe(b, after)).toEqual(observe(src, handles));
      expect(b.entryCount()).toBe(src.entryCount());
      b.setCurrentKey('gone');
      expect(b.getState(valueState('leftover', Serializers.number)).value()).toBeUndefined();
    });

    it('lists restored keys before the state is registered, and hands the data to it on registration', async () => {
      const src = create(kind);
      const v = src.getState(valueState('v', Serializers.string));
      for (const k of ['a', 'b', 'c']) {
        src.setCurrentKey(k);
        v.update(k.toUpperCase());
      }
      const b = create(kind);
      b.restore([await bytesOf(src, full)]);
      expect(b.keys('v')).toEqual(src.keys('v'));
      expect(b.entryCount()).toBe(3);
      const rv = b.getState(valueState('v', Serializers.string));
      b.setCurrentKey('b');
      expect(rv.value()).toBe('B');
    });

    it('keeps restored states not yet registered in its next snapshot; new states get unused ids', async () => {
      const src = create(kind);
      const a = src.getState(valueState('a', Serializers.number));
      const m = src.getMapState(mapState('m', Serializers.string, Serializers.number));
      src.setCurrentKey(1);
      a.update(1);
      m.put('x', 2);
      const b = create(kind);
      b.restore([await bytesOf(src, full)]);
      const fresh = b.getState(valueState('fresh', Serializers.string)); // registered first, yet not id 0
      b.setCurrentKey(1);
      fresh.update('new');
      const { header } = contents(await bytesOf(b, full));
      expect(header.states.map((s) => [s.id, s.name])).toEqual([
        [0, 'a'],
        [1, 'm'],
        [2, 'fresh'],
      ]);
      const again = create(kind);
      again.restore([await bytesOf(b, full)]);
      again.setCurrentKey(1);
      expect(again.getMapState(mapState('m', Serializers.string, Serializers.number)).get('x')).toBe(2);
      expect(again.getState(valueState('fresh', Serializers.string)).value()).toBe('new');
      expect(again.getState(valueState('a', Serializers.number)).value()).toBe(1);
    });

    it('rejects registering a restored state with another serializer, kind or TTL setting', async () => {
      const src = create(kind);
      src.getState(valueState('v', Serializers.number));
      const bytes = await bytesOf(src, full);
      const b = create(kind);
      b.restore([bytes]);
      expect(() => b.getState(valueState('v', Serializers.string))).toThrow(/number@1.*string@1/);
      expect(() => b.getListState(listState('v', Serializers.number))).toThrow(/value state/);
      expect(() => b.getState(valueState('v', Serializers.number, { ttl: { ttlMs: 1 } }))).toThrow(/TTL/);
    });

    it('into a sub-range of key groups loads exactly those groups', async () => {
      const MAX_P = 32;
      const src = create(kind, { maxParallelism: MAX_P });
      const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
      const handles = runSteps(src, PLAIN_SCHEMA, 6, { keys });
      const chain = [await bytesOf(src, full)];
      runStep(src, handles, 6, { keys });
      chain.push(await bytesOf(src, incremental));
      const whole = observe(src, handles);

      // scale out to 3 subtasks: each gets its own groups, together they hold everything
      let entries = 0;
      for (let i = 0; i < 3; i++) {
        const range = keyGroupRangeForSubtask(MAX_P, 3, i);
        const r = restored(chain, { maxParallelism: MAX_P, keyGroupRange: range });
        const part = observe(r.b, r.handles);
        for (const name of Object.keys(whole)) {
          const inRange = whole[name]!.filter(([k]) => {
            const kg = keyGroupOf(k, MAX_P);
            return kg >= range.start && kg < range.end;
          });
          expect(part[name], `${name}, subtask ${i}`).toEqual(inRange);
        }
        const snap = contents(await bytesOf(r.b, full));
        expect(snap.header.keyGroups).toEqual(range);
        expect([...snap.keyGroups.values()].every((kg) => kg >= range.start && kg < range.end)).toBe(true);
        expect(snap.puts).toEqual(contents(await bytesOf(src, full), range).puts);
        entries += r.b.entryCount();
      }
      expect(entries).toBe(src.entryCount());
    });

    it('restores a snapshot of a sub-range backend into a full-range one', async () => {
      const range = keyGroupRange(40, 90);
      const src = create(kind, { keyGroupRange: range });
      const v = src.getState(valueState('v', Serializers.number));
      const inside = WORKLOAD_KEYS.filter((k) => {
        const kg = keyHash(k) % 128;
        return kg >= range.start && kg < range.end;
      });
      inside.forEach((k, i) => {
        src.setCurrentKey(k);
        v.update(i);
      });
      const b = create(kind);
      b.restore([await bytesOf(src, full)]);
      expect(b.keys('v')).toEqual(src.keys('v'));
      expect(b.entryCount()).toBe(inside.length);
    });
  });

  describe('consistency: the snapshot shows the state at the snapshot() call', () => {
    /** Heavy mutation: overwrites, deletes, map removals, and enough new keys to grow storage. */
    function mutate(b: KeyedStateBackend, handles: Handles, step: number) {
      runStep(b, handles, step, { ops: 300 });
      const filler = b.getState(valueState('filler', Serializers.string));
      for (let i = 0; i < 3000; i++) {
        b.setCurrentKey(`filler-${step}-${i}`);
        filler.update('x'.repeat(200));
      }
      for (const k of WORKLOAD_KEYS) {
        b.setCurrentKey(k);
        for (const { spec, state } of handles.values()) spec.driver.clear(state);
      }
    }

    it.each([
      ['with change tracking', true],
      ['in a backend created with incremental: false', false],
    ])('for a full snapshot, %s', async (_name, tracking) => {
      const b = create(kind, { incremental: tracking });
      const handles = runSteps(b, PLAIN_SCHEMA, 3);
      const before = observe(b, handles);
      const count = b.entryCount();
      const snap = b.snapshot(full);
      mutate(b, handles, 10);
      const r = restored([await snap.bytes()]);
      expect(observe(r.b, r.handles)).toEqual(before);
      expect(r.b.entryCount()).toBe(count);
      expect(observe(b, handles)).not.toEqual(before);
    });

    it('for an incremental, with two snapshots in flight at once', async () => {
      const b = create(kind);
      const handles = runSteps(b, PLAIN_SCHEMA, 3);
      const first = b.snapshot(full);
      runStep(b, handles, 3);
      const atSecond = observe(b, handles);
      const second = b.snapshot(incremental);
      mutate(b, handles, 11);
      const third = b.snapshot(incremental);
      const atThird = observe(b, handles);
      mutate(b, handles, 12);
      const chain = [await first.bytes(), await second.bytes(), await third.bytes()];
      const r2 = restored(chain.slice(0, 2));
      expect(observe(r2.b, r2.handles)).toEqual(atSecond);
      const r3 = restored(chain);
      expect(observe(r3.b, r3.handles)).toEqual(atThird);
    });
  });

  describe('consistency with accumulators updated in place (the usual AggregateFunction idiom)', () => {
    interface Acc {
      sum: number;
      seen: number[];
    }
    const inPlace = {
      createAccumulator: (): Acc => ({ sum: 0, seen: [] }),
      add: (v: number, acc: Acc) => {
        acc.sum += v; // mutates and returns the same object
        acc.seen.push(v);
        return acc;
      },
      getResult: (acc: Acc) => acc.sum,
    };
    const json = (v: unknown) => {
      const w = new ByteWriter();
      Serializers.json.write(v, w);
      return Buffer.from(w.bytes()).toString('hex');
    };

    it.each([
      ['full', false],
      ['incremental', true],
    ])('%s: adds after the call do not show', async (_name, isIncremental) => {
      const b = create(kind);
      const agg = b.getAggregatingState(aggregatingState('agg', inPlace, Serializers.json));
      const red = b.getReducingState(reducingState('red', (a: number[], x: number[]) => (a.push(...x), a), Serializers.json));
      b.setCurrentKey('k');
      agg.add(1);
      red.add([1]);
      await bytesOf(b, full); // the base of the incremental
      agg.add(2);
      red.add([2]);
      const snap = b.snapshot({ incremental: isIncremental });
      agg.add(3);
      red.add([3]);
      const { puts } = contents(await snap.bytes());
      expect([...puts.values()].sort()).toEqual([json({ sum: 3, seen: [1, 2] }), json([1, 2])].sort());
    });
  });

  describe('consistency with TTL: refreshes and clean-ups after the call do not show', () => {
    it.each([
      ['full', false],
      ['incremental', true],
    ])('%s', async (_name, isIncremental) => {
      const clocks = [new ManualClock(), new ManualClock()];
      const [primary, twin] = clocks.map((c) => create(kind, { clock: c.read }));
      const ph = runSteps(primary!, FULL_SCHEMA, 3, { clock: clocks[0] });
      runSteps(twin!, FULL_SCHEMA, 3, { clock: clocks[1] });
      await bytesOf(primary!, full);
      await bytesOf(twin!, full);
      runStep(primary!, ph, 3, { clock: clocks[0] });
      runStep(twin!, openAll(twin!, FULL_SCHEMA), 3, { clock: clocks[1] });
      const options = { incremental: isIncremental };
      const snap = primary!.snapshot(options);
      // reads now refresh (OnReadAndWrite) and delete expired entries (NeverReturnExpired)
      clocks[0]!.advance(200);
      observe(primary!, ph);
      runStep(primary!, ph, 4, { clock: clocks[0] });
      expect(await snap.bytes()).toEqual(await bytesOf(twin!, options));
      // (and the primary did change after the call)
      expect(await bytesOf(primary!, full)).not.toEqual(await bytesOf(twin!, full));
    });
  });

  describe('rejects bad input with SnapshotFormatError', () => {
    async function sample(options = {}): Promise<Uint8Array[]> {
      const b = create(kind, options);
      const handles = openAll(b, PLAIN_SCHEMA.slice(0, 6));
      runStep(b, handles, 0, { ops: 12 });
      const chain = [await bytesOf(b, full)];
      runStep(b, handles, 1, { ops: 6 });
      chain.push(await bytesOf(b, incremental));
      return chain;
    }

    it('a flipped byte anywhere (checksum), in either snapshot of a chain', async () => {
      const chain = await sample();
      for (const which of [0, 1]) {
        const good = chain[which]!;
        for (let i = 0; i < good.length; i++) {
          const bad = good.slice();
          bad[i] = bad[i]! ^ 0x10;
          const b = create(kind);
          const message = formatErrorOf(() => b.restore(which === 0 ? [bad] : [chain[0]!, bad]));
          expect(message, `byte ${i} of snapshot ${which}`).toMatch(/checksum|magic|version/);
          b.dispose();
        }
      }
    });

    it.each([0, 3, 10, 19, 20, 24, 60])('a file truncated to %i bytes', async (n) => {
      const [good] = await sample();
      const b = create(kind);
      expect(formatErrorOf(() => b.restore([good!.subarray(0, n)]))).toMatch(/truncated|checksum|magic/);
    });

    it('a file truncated by 1, 4 and half its length', async () => {
      const [good] = await sample();
      for (const n of [good!.length - 1, good!.length - 4, good!.length >> 1]) {
        const b = create(kind);
        expect(formatErrorOf(() => b.restore([good!.subarray(0, n)]))).toMatch(/checksum|truncated/);
      }
    });

    it('a wrong magic', async () => {
      const [good] = await sample();
      const bad = good!.slice();
      bad.set(Buffer.from('PNG!'), 0);
      expect(formatErrorOf(() => create(kind).restore([withFixedCrc(bad)]))).toMatch(/magic/);
    });

    it('another format version', async () => {
      const [good] = await sample();
      const bad = good!.slice();
      bad[4] = 9;
      expect(formatErrorOf(() => create(kind).restore([withFixedCrc(bad)]))).toMatch(/version 9/);
    });

    it('an incremental first in the chain', async () => {
      const chain = await sample();
      expect(formatErrorOf(() => create(kind).restore([chain[1]!]))).toMatch(/full/);
    });

    it('a maxParallelism other than the backend’s', async () => {
      const chain = await sample({ maxParallelism: 64 });
      expect(formatErrorOf(() => create(kind).restore(chain))).toMatch(/maxParallelism/);
      expect(formatErrorOf(() => create(kind, { maxParallelism: 32 }).restore(chain))).toMatch(/64/);
    });

    it('an entry filed under the wrong key group', async () => {
      const key = 'misfiled';
      const kg = keyHash(key) % 128;
      const wrong = (kg + 1) % 128;
      const bytes = writeSnapshot(
        {
          kind: 'full',
          maxParallelism: 128,
          keyGroups: keyGroupRange(0, 128),
          states: [{ id: 0, kind: 'value', ttl: false, name: 'v', serializerId: 'number@1' }],
        },
        (g) => ({
          puts: g === wrong ? [{ hash: keyHash(key), composite: compositeKey(0, keyBytes(key)), value: new Uint8Array(8) }] : [],
          deletes: [],
        }),
      );
      expect(formatErrorOf(() => create(kind).restore([bytes]))).toMatch(/key group/);
    });

    it('the backend still restores a good chain after a rejected one', async () => {
      const chain = await sample();
      const b = create(kind);
      const bad = chain[0]!.slice();
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
      formatErrorOf(() => b.restore([bad]));
      b.restore(chain);
      const ref = create(kind);
      ref.restore(chain);
      expect(await bytesOf(b, full)).toEqual(await bytesOf(ref, full));
    });
  });
});

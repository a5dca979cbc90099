// The raw WASM store against a JS Map model: growth, backward-shift deletes, inline ↔ record
// conversions, ordered iteration, change tracking — below the backend layer, so a table bug
// cannot hide behind the state handles.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WasmStore } from '../src/state/wasm/wasm-store.js';
import { keyBytes } from '../src/state/key-codec.js';
import { murmur3 } from '../src/state/murmur3.js';
import { compareBytes, compositeKey, readSnapshotEntries } from '../src/state/snapshot-format.js';
import { keyGroupRange } from '../src/state/key-groups.js';

type Op =
  | { kind: 'put'; key: number | string; state: number; len: number; fill: number }
  | { kind: 'num'; key: number | string; state: number; value: number }
  | { kind: 'append'; key: number | string; state: number; len: number }
  | { kind: 'remove'; key: number | string; state: number };

const keyArb = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.string({ maxLength: 20 }));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key: keyArb, state: fc.integer({ min: 0, max: 2 }), len: fc.integer({ min: 0, max: 40 }), fill: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('num' as const), key: keyArb, state: fc.integer({ min: 0, max: 2 }), value: fc.double({ noNaN: true }) }),
  fc.record({ kind: fc.constant('append' as const), key: keyArb, state: fc.integer({ min: 0, max: 2 }), len: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('remove' as const), key: keyArb, state: fc.integer({ min: 0, max: 2 }) }),
);

function setKey(store: WasmStore, key: number | string): void {
  if (typeof key === 'number') store.ex.setKeyNumber(key);
  else store.setKeyBytes(keyBytes(key));
}

function modelKey(key: number | string, state: number): string {
  return `${state}|${typeof key}|${String(key)}`;
}

function writeValue(store: WasmStore, bytes: Uint8Array): void {
  const w = store.beginWrite();
  w.raw(bytes);
}

function f64Bytes(v: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v === 0 ? 0 : v, true);
  return b;
}

function readValue(store: WasmStore, state: number): Uint8Array | undefined {
  const len = store.ex.getValue(state, 0);
  if (len < 0) return undefined;
  return store.copyOut(store.ex.lastValuePtr(), len);
}

/** Applies the ops to a fresh store and to the model, checking every read on the way. */
function run(ops: readonly Op[]): { store: WasmStore; model: Map<string, { key: number | string; state: number; value: Uint8Array }> } {
  const store = new WasmStore(128, true);
  const model = new Map<string, { key: number | string; state: number; value: Uint8Array }>();
  for (const op of ops) {
    setKey(store, op.key);
    const mk = modelKey(op.key, op.state);
    const prior = model.get(mk)?.value;
    expect(readValue(store, op.state)).toEqual(prior);
    switch (op.kind) {
      case 'put': {
        const v = new Uint8Array(op.len).fill(op.fill);
        writeValue(store, v);
        store.ex.putValue(op.state, 0, v.length);
        model.set(mk, { key: op.key, state: op.state, value: v });
        break;
      }
      case 'num':
        store.ex.numberPut(op.state, op.value);
        model.set(mk, { key: op.key, state: op.state, value: f64Bytes(op.value) });
        break;
      case 'append': {
        const extra = new Uint8Array(op.len).fill(op.len);
        writeValue(store, extra);
        store.ex.appendValue(op.state, extra.length, 0, 0);
        const joined = new Uint8Array((prior?.length ?? 0) + extra.length);
        if (prior) joined.set(prior);
        joined.set(extra, prior?.length ?? 0);
        model.set(mk, { key: op.key, state: op.state, value: joined });
        break;
      }
      case 'remove':
        expect(store.ex.removeValue(op.state, 0)).toBe(prior ? 1 : 0);
        model.delete(mk);
        break;
    }
    expect(store.ex.entryCount()).toBe(model.size);
  }
  return { store, model };
}

describe('wasm store against a Map model', () => {
  it('agrees on every read through random puts, numbers, appends and removes', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const { store, model } = run(ops);
        for (const { key, state, value } of model.values()) {
          setKey(store, key);
          expect(readValue(store, state)).toEqual(value);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a full snapshot lists every entry once, in canonical order', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const { store, model } = run(ops);
        const kgs = keyGroupRange(0, 128);
        const ptr = store.ex.snapshotFull(0, 0, 128);
        const len = store.ex.snapshotLength();
        // body only (headerLen 0): wrap it in a minimal valid header to reuse the TS reader
        const body = store.copyOut(ptr, len);
        store.ex.free(ptr);
        const seen: Array<{ kg: number; h: number; c: Uint8Array }> = [];
        const header = { kind: 'full' as const, maxParallelism: 128, keyGroups: kgs, states: [], indexOffset: 0 };
        readSnapshotEntries(body, header, kgs, {
          put: (kg, c) => seen.push({ kg, h: murmur3(c, 4, 4 + (c[2]! | (c[3]! << 8))), c: c.slice() }),
          delete: () => {
            throw new Error('a full snapshot has no deletes');
          },
        });
        expect(seen.length).toBe(model.size);
        for (let i = 1; i < seen.length; i++) {
          const a = seen[i - 1]!;
          const b = seen[i]!;
          const order = a.kg - b.kg || (a.h < b.h ? -1 : a.h > b.h ? 1 : compareBytes(a.c, b.c));
          expect(order).toBeLessThan(0);
        }
        const expected = [...model.values()].map((e) => compositeKey(e.state, keyBytes(e.key)));
        expect(new Set(seen.map((s) => Buffer.from(s.c).toString('hex')))).toEqual(
          new Set(expected.map((c) => Buffer.from(c).toString('hex'))),
        );
      }),
      { numRuns: 40 },
    );
  });

  it('iterates a key group: exactly the entries whose key hashes to it', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const { store, model } = run(ops);
        const perGroup = new Map<number, number>();
        for (const e of model.values()) {
          const kg = murmur3(keyBytes(e.key), 0, keyBytes(e.key).length) % 128;
          perGroup.set(kg, (perGroup.get(kg) ?? 0) + 1);
        }
        for (let kg = 0; kg < 128; kg++) {
          store.ex.cursorKeyGroup(kg);
          let n = 0;
          for (let rec = store.ex.cursorNext(); rec !== 0; rec = store.ex.cursorNext()) {
            store.refresh();
            const keyLen = store.dv.getUint16(rec + 10, true);
            const h = murmur3(store.u8, rec + 12, rec + 12 + keyLen);
            expect(h % 128).toBe(kg);
            n++;
          }
          expect(n).toBe(perGroup.get(kg) ?? 0);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('grows through many doublings and deletes without tombstones: probe distance stays short', () => {
    const store = new WasmStore(128, true);
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      store.ex.setKeyNumber(i);
      store.ex.numberPut(0, i);
    }
    for (let i = 0; i < n; i += 2) {
      store.ex.setKeyNumber(i);
      expect(store.ex.removeValue(0, 0)).toBe(1);
    }
    expect(store.ex.entryCount()).toBe(n / 2);
    for (let i = 0; i < n; i++) {
      store.ex.setKeyNumber(i);
      const found = store.ex.numberFind(0);
      expect(found).toBe(i % 2);
      if (found) expect(store.ex.numberValue()).toBe(i);
    }
    const ex = store.ex as unknown as { meanDisplacementMilli(): number };
    // linear probing at load <= 0.8 averages a couple of slots; a broken order or delete would not
    expect(ex.meanDisplacementMilli() / 1000).toBeLessThan(3);
  });

  it('tracks changes: an incremental after a full snapshot carries exactly the writes and deletes', () => {
    const store = new WasmStore(128, true);
    for (let i = 0; i < 1000; i++) {
      store.ex.setKeyNumber(i);
      store.ex.numberPut(0, 1);
    }
    store.ex.free(store.ex.snapshotFull(0, 0, 128));
    store.ex.setKeyNumber(5);
    store.ex.numberPut(0, 2); // update
    store.ex.setKeyNumber(6);
    store.ex.removeValue(0, 0); // delete of an entry present at the snapshot → tomb
    store.ex.setKeyNumber(5000);
    store.ex.numberPut(0, 3); // new
    store.ex.setKeyNumber(5001);
    store.ex.numberPut(0, 3);
    store.ex.removeValue(0, 0); // created and deleted since: leaves nothing
    const ptr = store.ex.snapshotIncremental(0, 0, 128);
    const body = store.copyOut(ptr, store.ex.snapshotLength());
    store.ex.free(ptr);
    const puts: string[] = [];
    const dels: string[] = [];
    const kgs = keyGroupRange(0, 128);
    readSnapshotEntries(body, { kind: 'incremental', maxParallelism: 128, keyGroups: kgs, states: [], indexOffset: 0 }, kgs, {
      put: (_kg, c) => puts.push(Buffer.from(c).toString('hex')),
      delete: (_kg, c) => dels.push(Buffer.from(c).toString('hex')),
    });
    const hex = (k: number) => Buffer.from(compositeKey(0, keyBytes(k))).toString('hex');
    expect(puts.sort()).toEqual([hex(5), hex(5000)].sort());
    expect(dels).toEqual([hex(6)]);
    // and the change set starts over
    const again = store.ex.snapshotIncremental(0, 0, 128);
    const empty = store.copyOut(again, store.ex.snapshotLength());
    store.ex.free(again);
    let entries = 0;
    readSnapshotEntries(empty, { kind: 'incremental', maxParallelism: 128, keyGroups: kgs, states: [], indexOffset: 0 }, kgs, {
      put: () => entries++,
      delete: () => entries++,
    });
    expect(entries).toBe(0);
  });
});

describe('wasm incremental snapshot sizing', () => {
  it('grows its buffer when dirty entries are far larger than the average entry', async () => {
    const { createKeyedStateBackend } = await import('../src/state/backend-factory.js');
    const { valueState, listState } = await import('../src/state/descriptors.js');
    const { Serializers } = await import('../src/state/serializers.js');
    const b = createKeyedStateBackend('wasm', { maxParallelism: 128 });
    const count = b.getState(valueState('count', Serializers.number));
    const blobs = b.getListState(listState('blobs', Serializers.string));
    for (let i = 0; i < 5000; i++) {
      b.setCurrentKey(i);
      count.update(i);
    }
    const full = await b.snapshot({ incremental: false }).bytes();
    const big = 'x'.repeat(4000);
    for (let i = 0; i < 300; i++) {
      b.setCurrentKey(`blob-${i}`); // spread over every key group
      blobs.addAll([big, big, big]);
    }
    const delta = await b.snapshot({ incremental: true }).bytes();
    expect(delta.length).toBeGreaterThan(300 * 3 * 4000);
    const r = createKeyedStateBackend('wasm', { maxParallelism: 128 });
    r.restore([full, delta]);
    const rb = r.getListState(listState('blobs', Serializers.string));
    r.setCurrentKey('blob-299');
    expect(rb.get()).toEqual([big, big, big]);
    expect(r.entryCount()).toBe(5300);
  });
});

import { describe, expect, it } from 'vitest';
import { HeapKeyedStateBackend } from '../src/state/heap/heap-backend.js';
import { aggregatingState, listState, mapState, reducingState, valueState } from '../src/state/descriptors.js';
import { Serializers } from '../src/state/serializers.js';
import { keyGroupRange } from '../src/state/key-groups.js';
import {
  compareEntries,
  compositeHash,
  readSnapshotEntries,
  readSnapshotHeader,
  SnapshotFormatError,
  writeSnapshot,
  type SnapshotEntry,
} from '../src/state/snapshot-format.js';
import type { KeyedStateBackend } from '../src/state/types.js';

function backend(opts: ConstructorParameters<typeof HeapKeyedStateBackend>[0] = {}) {
  let now = 1_000;
  const b = new HeapKeyedStateBackend({ maxParallelism: 32, clock: () => now, ...opts });
  return { b, advance: (ms: number) => (now += ms) };
}

function states(b: KeyedStateBackend) {
  return {
    count: b.getState(valueState('count', Serializers.number)),
    doc: b.getState(valueState('doc', Serializers.json)),
    list: b.getListState(listState('list', Serializers.string)),
    map: b.getMapState(mapState('map', Serializers.string, Serializers.json)),
    sum: b.getReducingState(reducingState('sum', (a: number, c: number) => a + c, Serializers.number)),
    avg: b.getAggregatingState(
      aggregatingState(
        'avg',
        {
          createAccumulator: () => ({ n: 0, s: 0 }),
          // mutates in place, as Flink aggregate functions often do
          add: (x: number, acc: { n: number; s: number }) => ((acc.n += 1), (acc.s += x), acc),
          getResult: (acc: { n: number; s: number }) => acc.s / acc.n,
        },
        Serializers.json,
      ),
    ),
  };
}

type S = ReturnType<typeof states>;

/** A deterministic mix of writes over `keys` keys. */
function mutate(b: KeyedStateBackend, s: S, from: number, n: number, keys: number): void {
  for (let i = from; i < from + n; i++) {
    const k = (i * 7919) % keys;
    b.setCurrentKey(k % 3 === 0 ? `k${k}` : k);
    switch (i % 9) {
      case 0: s.count.update((s.count.value() ?? 0) + 1); break;
      case 1: { const d = (s.doc.value() as { n: number } | undefined) ?? { n: 0 }; d.n++; s.doc.update(d); break; }
      case 2: s.list.add(`e${i}`); break;
      case 3: s.map.put(`u${i % 5}`, { i }); break;
      case 4: s.sum.add(i); break;
      case 5: s.avg.add(i % 10); break;
      case 6: if (i % 4 === 0) s.map.remove(`u${i % 5}`); else s.count.clear(); break;
      case 7: if (i % 5 === 0) s.list.clear(); else s.map.get(`u${i % 5}`); break;
      case 8: if (i % 11 === 0) s.doc.clear(); break;
    }
  }
}

const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const tick = () => new Promise<void>((r) => setImmediate(r));

describe('heap backend smoke', () => {
  it('serves every state kind', () => {
    const { b } = backend();
    const s = states(b);
    b.setCurrentKey('a');
    s.count.update(2);
    s.list.addAll(['x', 'y']);
    s.map.put('b', 1);
    s.map.put('a', { z: [1] });
    s.sum.add(3);
    s.sum.add(4);
    s.avg.add(2);
    s.avg.add(4);
    expect([s.count.value(), s.list.get(), s.map.keys(), s.sum.get(), s.avg.get()]).toEqual([2, ['x', 'y'], ['a', 'b'], 7, 3]);
    b.setCurrentKey({ id: [1, 2] });
    expect(s.count.value()).toBeUndefined();
    s.count.update(1);
    expect(b.keys('count')).toHaveLength(2);
    expect(b.keys('count')).toContainEqual({ id: [1, 2] });
    expect(b.entryCount()).toBe(1 + 1 + 2 + 1 + 1 + 1);
    expect(() => s.count.update('x' as unknown as number)).toThrow(TypeError);
  });

  it('applies TTL rules', () => {
    const { b, advance } = backend();
    const v = b.getState(valueState('v', Serializers.number, { ttl: { ttlMs: 10 } }));
    const r = b.getState(valueState('r', Serializers.number, { ttl: { ttlMs: 10, visibility: 'ReturnExpiredIfNotCleanedUp' } }));
    const m = b.getMapState(mapState('m', Serializers.string, Serializers.number, { ttl: { ttlMs: 10, updateType: 'OnReadAndWrite' } }));
    b.setCurrentKey(1);
    v.update(1);
    r.update(2);
    m.put('a', 1);
    m.put('b', 2);
    advance(6);
    expect(m.get('a')).toBe(1); // refreshes 'a'
    advance(6);
    expect([v.value(), r.value(), m.keys()]).toEqual([undefined, 2, ['a']]);
    expect(b.entryCount()).toBe(2); // v and m.b deleted on read, r kept
  });

  it('snapshots round-trip and match writeSnapshot for the same entries', async () => {
    const { b } = backend();
    const s = states(b);
    mutate(b, s, 0, 3000, 200);
    const bytes = await b.snapshot({ incremental: false }).bytes();

    // rebuild the file from its own entries with the shared writer
    const h = readSnapshotHeader(bytes);
    const groups = new Map<number, SnapshotEntry[]>();
    readSnapshotEntries(bytes, h, h.keyGroups, {
      put: (kg, c, v) => {
        const list = groups.get(kg) ?? [];
        list.push({ hash: compositeHash(c), composite: c.slice(), value: v.slice() });
        groups.set(kg, list);
      },
      delete: () => expect.fail('a full snapshot has no deletes'),
    });
    const rebuilt = writeSnapshot(h, (kg) => ({ puts: (groups.get(kg) ?? []).sort(compareEntries), deletes: [] }));
    expect(eq(bytes, rebuilt)).toBe(true);

    const { b: r } = backend();
    r.restore([bytes]);
    expect(r.entryCount()).toBe(b.entryCount());
    expect(eq(await r.snapshot({ incremental: false }).bytes(), bytes)).toBe(true); // unregistered, kept raw
    const rs = states(r);
    expect(eq(await r.snapshot({ incremental: false }).bytes(), bytes)).toBe(true); // decoded
    expect(r.keys('list')).toEqual(b.keys('list'));
    r.setCurrentKey(3);
    b.setCurrentKey(3);
    expect(rs.map.entries()).toEqual(s.map.entries());
  });

  it('incremental chains restore to the state at the last snapshot', async () => {
    const { b } = backend();
    const s = states(b);
    mutate(b, s, 0, 2000, 150);
    const chain = [await b.snapshot({ incremental: false }).bytes()];
    for (let round = 1; round <= 3; round++) {
      mutate(b, s, round * 5000, 400, 150);
      chain.push(await b.snapshot({ incremental: true }).bytes());
    }
    const expected = await b.snapshot({ incremental: false }).bytes(); // nothing written since the last one
    const { b: r } = backend();
    r.restore(chain);
    expect(eq(await r.snapshot({ incremental: false }).bytes(), expected)).toBe(true);
    // the restored state is the baseline of the next incremental
    states(r);
    r.setCurrentKey('new');
    r.getState(valueState('count', Serializers.number)).update(9);
    const inc = await r.snapshot({ incremental: true }).bytes();
    let puts = 0;
    readSnapshotEntries(inc, readSnapshotHeader(inc), r.keyGroupRange, { put: () => puts++, delete: () => puts++ });
    expect(puts).toBe(1);
  });

  it('produces the barrier state while records keep changing it, with snapshots in flight', async () => {
    const keys = 3000;
    const a = backend();
    const c = backend();
    const sa = states(a.b);
    const sc = states(c.b);
    for (const [b, s] of [[a.b, sa], [c.b, sc]] as const) mutate(b, s, 0, 20_000, keys);
    await a.b.snapshot({ incremental: false }).bytes();
    await c.b.snapshot({ incremental: false }).bytes();

    // a: two snapshots in flight while writes interleave with their yields; c: the same writes, but
    // each snapshot's bytes taken before anything else happens
    const s1 = a.b.snapshot({ incremental: false });
    const expected1 = await c.b.snapshot({ incremental: false }).bytes();
    const p1 = s1.bytes();
    let i = 100_000;
    let done = false;
    void p1.then(() => (done = true));
    let yields = 0;
    while (!done) {
      mutate(a.b, sa, i, 300, keys);
      mutate(c.b, sc, i, 300, keys);
      i += 300;
      yields++;
      await tick();
    }
    expect(yields).toBeGreaterThan(3); // really interleaved
    expect(eq(await p1, expected1)).toBe(true);

    const s2 = a.b.snapshot({ incremental: true });
    const expected2 = await c.b.snapshot({ incremental: true }).bytes();
    mutate(a.b, sa, i, 5000, keys);
    const s3 = a.b.snapshot({ incremental: false });
    mutate(c.b, sc, i, 5000, keys);
    const expected3 = await c.b.snapshot({ incremental: false }).bytes();
    mutate(a.b, sa, i + 5000, 5000, keys);
    const [b3, b2] = await Promise.all([s3.bytes(), s2.bytes()]);
    expect(eq(b2, expected2)).toBe(true);
    expect(eq(b3, expected3)).toBe(true);
  });

  it('rejects what the contract rejects', async () => {
    const { b } = backend({ keyGroupRange: keyGroupRange(0, 16) });
    expect(() => b.snapshot({ incremental: true })).toThrow(/no previous snapshot/);
    let outside: number | undefined;
    for (let k = 0; outside === undefined; k++) {
      try {
        b.setCurrentKey(k);
      } catch (e) {
        expect((e as Error).message).toMatch(/outside this backend's range/);
        outside = k;
      }
    }
    expect(() => b.getCurrentKey()).toThrow(/no current key/);
    const { b: full } = backend({ incremental: false });
    await full.snapshot({ incremental: false }).bytes();
    expect(() => full.snapshot({ incremental: true })).toThrow(/incremental: false/);

    const bytes = await b.snapshot({ incremental: false }).bytes();
    expect(() => new HeapKeyedStateBackend({ maxParallelism: 64 }).restore([bytes])).toThrow(/maxParallelism 32.*64/);
    const corrupt = bytes.slice();
    corrupt[20]! ^= 1;
    expect(() => backend().b.restore([corrupt])).toThrow(SnapshotFormatError);
    b.dispose();
    expect(() => b.setCurrentKey(1)).toThrow(/disposed/);
  });
});

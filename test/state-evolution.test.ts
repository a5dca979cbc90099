/**
 * State schema evolution over both backends: a record serializer's later version (a field added
 * with a default, one dropped) restores older state of every state kind, migrated state snapshots
 * and restores under the new schema, incompatible changes fail with StateMigrationError naming the
 * state, format-1 snapshots still restore, and heap and wasm agree byte for byte after a migration.
 */
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../src/state/byte-reader.js';
import { ByteWriter } from '../src/state/byte-writer.js';
import { aggregatingState, listState, mapState, reducingState, valueState } from '../src/state/descriptors.js';
import { recordSerializer } from '../src/state/record-serializer.js';
import { Serializers, type Serializer } from '../src/state/serializers.js';
import { readSnapshotHeader, SNAPSHOT_VERSION } from '../src/state/snapshot-format.js';
import { StateMigrationError } from '../src/state/state-migration.js';
import type { Key, KeyedStateBackend, StateBackendKind } from '../src/state/types.js';
import { BACKEND_KINDS, backendPool, ManualClock, otherKind } from './support/backends.js';
import { contents, withFixedCrc } from './support/snapshot-contents.js';

interface ProfileV1 {
  visits: number;
  legacy: string;
}
interface ProfileV2 {
  visits: number;
  tag: string;
  labels: string[];
}

const V1 = recordSerializer<ProfileV1>({ name: 'user-profile', version: 1, fields: { visits: {}, legacy: {} } });
/** Version 2 drops `legacy` and adds two defaulted fields. */
const V2 = recordSerializer<ProfileV2>({
  name: 'user-profile',
  version: 2,
  fields: { visits: {}, tag: { default: '' }, labels: { default: [] } },
});

const TTL = { ttlMs: 1e9 } as const;
const KEYS: readonly Key[] = ['alice', 'bob', 7, { region: 'eu' }];
const full = { incremental: false } as const;

/** Every state kind over the profile record, with TTL on the list and the map. */
function openStates(b: KeyedStateBackend, ser: Serializer<any>, zero: () => object) {
  return {
    profile: b.getState(valueState<any>('profile', ser)),
    history: b.getListState(listState<any>('history', ser, { ttl: TTL })),
    byDay: b.getMapState(mapState<string, any>('byDay', Serializers.string, ser, { ttl: TTL })),
    best: b.getReducingState(reducingState<any>('best', (x, y) => (x.visits >= y.visits ? x : y), ser)),
    total: b.getAggregatingState(
      aggregatingState<number, any, any>(
        'total',
        { createAccumulator: zero, add: (v, acc) => ({ ...acc, visits: acc.visits + v }), getResult: (acc) => acc },
        ser,
      ),
    ),
  };
}
type States = ReturnType<typeof openStates>;

const openV1 = (b: KeyedStateBackend) => openStates(b, V1, () => ({ visits: 0, legacy: 'acc' }));
const openV2 = (b: KeyedStateBackend) => openStates(b, V2, () => ({ visits: 0, tag: '', labels: [] }));

function writeV1(b: KeyedStateBackend, s: States): void {
  KEYS.forEach((k, i) => {
    b.setCurrentKey(k);
    s.profile.update({ visits: i + 1, legacy: `l${i}` });
    s.history.addAll([{ visits: 1, legacy: 'a' }, { visits: 2, legacy: 'b' }]);
    s.byDay.put('mon', { visits: 10 + i, legacy: 'm' });
    s.byDay.put('tue', { visits: 20 + i, legacy: 't' });
    s.best.add({ visits: 3, legacy: 'x' });
    s.best.add({ visits: 5 + i, legacy: 'y' });
    s.total.add(4);
    s.total.add(i);
  });
}

/** What every state holds per key. */
function observe(b: KeyedStateBackend, s: States): unknown[] {
  return KEYS.map((k) => {
    b.setCurrentKey(k);
    return { key: k, profile: s.profile.value(), history: s.history.get(), byDay: s.byDay.entries(), best: s.best.get(), total: s.total.get() };
  });
}

/** {@link writeV1}'s state as version 2 reads it: `legacy` gone, the defaults filled in. */
function expectedV2(): unknown[] {
  const v = (visits: number) => ({ visits, tag: '', labels: [] });
  return KEYS.map((k, i) => ({
    key: k,
    profile: v(i + 1),
    history: [v(1), v(2)],
    byDay: [
      ['mon', v(10 + i)],
      ['tue', v(20 + i)],
    ],
    best: v(5 + i),
    total: v(4 + i),
  }));
}

/** The state table of a snapshot, by state name. */
function tableOf(bytes: Uint8Array) {
  return new Map(readSnapshotHeader(bytes).states.map((s) => [s.name, s]));
}

/** Runs `register`, expects a StateMigrationError whose message matches every pattern. */
function expectMigrationError(register: () => unknown, ...patterns: RegExp[]): StateMigrationError {
  const error = thrownBy(register);
  expect(error).toBeInstanceOf(StateMigrationError);
  for (const p of patterns) expect((error as Error).message).toMatch(p);
  return error as StateMigrationError;
}

function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (e) {
    return e;
  }
  return undefined;
}

/**
 * Rewrites a snapshot in format version 1: the same file without the per-state schema strings
 * (every state here has none, so each is one empty-varint byte), with the index shifted to match.
 */
function asFormatV1(bytes: Uint8Array): Uint8Array {
  const h = readSnapshotHeader(bytes);
  expect(h.states.every((s) => s.schema === undefined)).toBe(true);
  const w = new ByteWriter();
  w.raw(bytes.subarray(0, 16));
  w.buf[4] = 1;
  const tableAt = w.pos;
  w.u16(h.states.length);
  const r = new ByteReader(bytes, 18, h.indexOffset, 'table');
  for (let i = 0; i < h.states.length; i++) {
    w.raw(r.bytes(4)); // id, kind, flags
    w.string(r.string()); // name
    w.string(r.string()); // serializer id
    expect(r.string()).toBe(''); // the schema, dropped
  }
  new DataView(w.buf.buffer).setUint32(12, w.pos - tableAt, true);
  const shift = h.indexOffset - w.pos;
  const groups = h.keyGroups.end - h.keyGroups.start;
  const index = new DataView(bytes.buffer, bytes.byteOffset + h.indexOffset);
  for (let g = 0; g <= groups; g++) w.u32(index.getUint32(g * 4, true) - shift);
  w.raw(bytes.subarray(h.indexOffset + (groups + 1) * 4));
  return withFixedCrc(w.bytes().slice());
}

describe.each(BACKEND_KINDS)('%s backend: state evolution', (kind: StateBackendKind) => {
  const create = backendPool();
  const clock = new ManualClock();
  const make = () => create(kind, { clock: clock.read });

  async function v1Snapshot(): Promise<Uint8Array> {
    const b = make();
    writeV1(b, openV1(b));
    return b.snapshot(full).bytes();
  }

  describe('a field added with a default (and one dropped)', () => {
    it('restores old state of every kind: value, list, map, reducing, aggregating', async () => {
      const b = make();
      b.restore([await v1Snapshot()]);
      expect(observe(b, openV2(b))).toEqual(expectedV2());
    });

    it('the migrated state snapshots under the new schema and restores again', async () => {
      const b = make();
      b.restore([await v1Snapshot()]);
      openV2(b);
      const again = await b.snapshot(full).bytes();
      const table = tableOf(again);
      expect(table.get('profile')).toMatchObject({ serializerId: 'record:user-profile@2', schema: V2.schema });
      expect(table.get('byDay')).toMatchObject({ serializerId: 'string@1->record:user-profile@2', schema: V2.schema });
      const c = make();
      c.restore([again]);
      expect(observe(c, openV2(c))).toEqual(expectedV2());
      expect(await c.snapshot(full).bytes()).toEqual(again);
    });

    it('the first incremental after a migration carries every migrated entry', async () => {
      const base = await v1Snapshot();
      const b = make();
      b.restore([base]);
      openV2(b);
      const delta = await b.snapshot({ incremental: true }).bytes();
      expect(contents(delta).puts.size).toBe(contents(base).puts.size);
      const c = make();
      c.restore([base, delta]);
      expect(observe(c, openV2(c))).toEqual(expectedV2());
      // the chain's newest table says version 2, so version 1 code now reads a downgrade
      const d = make();
      d.restore([base, delta]);
      expectMigrationError(() => openV1(d), /'profile'/, /newer than this code's version 1/);
    });

    it('registering after setCurrentKey keeps the current key (the rewrite moves it)', async () => {
      const b = make();
      b.restore([await v1Snapshot()]);
      b.setCurrentKey('bob');
      const profile = b.getState(valueState('profile', V2));
      expect(profile.value()).toEqual({ visits: 2, tag: '', labels: [] });
    });

    it('each migrated value gets its own copy of a default', async () => {
      const b = make();
      b.restore([await v1Snapshot()]);
      const { profile } = openV2(b);
      b.setCurrentKey('alice');
      const alice = profile.value()!;
      alice.labels.push('vip');
      profile.update(alice);
      b.setCurrentKey('bob');
      expect(profile.value()!.labels).toEqual([]);
    });

    it('restoring into a backend whose states are already registered migrates there too', async () => {
      const b = make();
      const states = openV2(b);
      b.restore([await v1Snapshot()]);
      expect(observe(b, states)).toEqual(expectedV2());
    });

    it('a version bump without a field change is compatible as is', async () => {
      const V2same = recordSerializer<ProfileV1>({ name: 'user-profile', version: 2, fields: { visits: {}, legacy: {} } });
      const b = make();
      b.restore([await v1Snapshot()]);
      const profile = b.getState(valueState('profile', V2same));
      b.setCurrentKey('alice');
      expect(profile.value()).toEqual({ visits: 1, legacy: 'l0' });
    });

    it('a custom serializer migrates through its own resolveCompatibility (number → string)', async () => {
      const a = make();
      const n = a.getState(valueState('count', Serializers.number));
      KEYS.forEach((k, i) => {
        a.setCurrentKey(k);
        n.update(i + 0.5);
      });
      const asText: Serializer<string> = {
        ...Serializers.string,
        id: 'count-text@1',
        resolveCompatibility: (previous) =>
          previous.id === 'number@1'
            ? { kind: 'migrate', read: (buf, off, len) => String(Serializers.number.read(buf, off, len)) }
            : { kind: 'incompatible', reason: 'only numbers convert' },
      };
      const b = make();
      b.restore([await a.snapshot(full).bytes()]);
      const text = b.getState(valueState('count', asText));
      expect(KEYS.map((k) => (b.setCurrentKey(k), text.value()))).toEqual(['0.5', '1.5', '2.5', '3.5']);
    });
  });

  describe('incompatible changes fail at registration with StateMigrationError', () => {
    it('a new field without a default', async () => {
      const bad = recordSerializer<{ visits: number; score: number }>({ name: 'user-profile', version: 2, fields: { visits: {}, score: {} } });
      const b = make();
      b.restore([await v1Snapshot()]);
      const e = expectMigrationError(
        () => b.getState(valueState('profile', bad)),
        /state 'profile'/,
        /record:user-profile@1/,
        /record:user-profile@2/,
        /field 'score' new since version 1 without a default/,
      );
      expect(e.stateName).toBe('profile');
      expect(e.previous.id).toBe('record:user-profile@1');
    });

    it('a snapshot written by a newer version (a downgrade)', async () => {
      const b = make();
      b.restore([await v1Snapshot()]);
      openV2(b);
      const c = make();
      c.restore([await b.snapshot(full).bytes()]);
      expectMigrationError(() => c.getListState(listState('history', V1, { ttl: TTL })), /state 'history'/, /version 2/, /newer/);
    });

    it('another serializer id (number → string)', async () => {
      const a = make();
      a.getState(valueState('count', Serializers.number));
      const b = make();
      b.restore([await a.snapshot(full).bytes()]);
      expectMigrationError(() => b.getState(valueState('count', Serializers.string)), /state 'count'/, /number@1/, /string@1/, /resolveCompatibility/);
    });

    it('another record name, and changed fields without a version bump', async () => {
      const bytes = await v1Snapshot();
      const other = recordSerializer<ProfileV1>({ name: 'account', version: 1, fields: { visits: {}, legacy: {} } });
      const sameVersion = recordSerializer<{ visits: number }>({ name: 'user-profile', version: 1, fields: { visits: {} } });
      const b = make();
      b.restore([bytes]);
      expectMigrationError(() => b.getState(valueState('profile', other)), /'user-profile' records, not 'account'/);
      const c = make();
      c.restore([bytes]);
      expectMigrationError(() => c.getState(valueState('profile', sameVersion)), /without a version bump/);
    });

    it("a map's user-key serializer", async () => {
      const b = make();
      b.restore([await v1Snapshot()]);
      expectMigrationError(() => b.getMapState(mapState('byDay', Serializers.json, V2, { ttl: TTL })), /state 'byDay'/, /user-key serializer/);
    });

    it('in restore() of registered states, leaving the backend as it was', async () => {
      const bytes = await v1Snapshot();
      const b = make();
      const count = b.getState(valueState('count', Serializers.number));
      b.getState(valueState('profile', V1));
      b.setCurrentKey('alice');
      count.update(42);
      const c = make();
      c.restore([bytes]);
      openV2(c);
      const v2 = await c.snapshot(full).bytes();
      expect(() => b.restore([v2])).toThrow(StateMigrationError);
      b.setCurrentKey('alice');
      expect(count.value()).toBe(42);
    });
  });

  describe('format version 1 snapshots', () => {
    it(`still restore (this weir writes version ${SNAPSHOT_VERSION})`, async () => {
      const a = make();
      const n = a.getState(valueState('count', Serializers.number));
      const m = a.getMapState(mapState('seen', Serializers.string, Serializers.json, { ttl: TTL }));
      KEYS.forEach((k, i) => {
        a.setCurrentKey(k);
        n.update(i);
        m.put('x', { i });
      });
      const v2 = await a.snapshot(full).bytes();
      const v1 = asFormatV1(v2);
      expect(v1[4]).toBe(1);
      expect(readSnapshotHeader(v1).states).toEqual(readSnapshotHeader(v2).states);
      const b = make();
      b.restore([v1]);
      const n2 = b.getState(valueState('count', Serializers.number));
      const m2 = b.getMapState(mapState('seen', Serializers.string, Serializers.json, { ttl: TTL }));
      expect(KEYS.map((k) => (b.setCurrentKey(k), [n2.value(), m2.get('x')]))).toEqual(KEYS.map((_, i) => [i, { i }]));
      expect(await b.snapshot(full).bytes()).toEqual(v2);
    });

    it('a state without a recorded schema is matched by id alone, and a record serializer cannot read it', async () => {
      const a = make();
      a.getState(valueState('profile', Serializers.json));
      const v1 = asFormatV1(await a.snapshot(full).bytes());
      const b = make();
      b.restore([v1]);
      expectMigrationError(() => b.getState(valueState('profile', V2)), /json@1 is not a record serializer/);
    });
  });
});

describe('state evolution across backends', () => {
  const create = backendPool();
  const clock = new ManualClock();

  it.each(BACKEND_KINDS)('a %s snapshot migrates in both backends to byte-identical snapshots (full and incremental)', async (from) => {
    const a = create(from, { clock: clock.read });
    writeV1(a, openV1(a));
    const base = await a.snapshot(full).bytes();
    const heap = create('heap', { clock: clock.read });
    const wasm = create('wasm', { clock: clock.read });
    for (const b of [heap, wasm]) b.restore([base]);
    const hs = openV2(heap);
    const ws = openV2(wasm);
    expect(observe(heap, hs)).toEqual(expectedV2());
    expect(observe(wasm, ws)).toEqual(expectedV2());
    expect(await heap.snapshot({ incremental: true }).bytes()).toEqual(await wasm.snapshot({ incremental: true }).bytes());
    expect(await heap.snapshot(full).bytes()).toEqual(await wasm.snapshot(full).bytes());
  });

  it.each(BACKEND_KINDS)('%s → other: restore with migration, then back', async (from) => {
    const a = create(from, { clock: clock.read });
    writeV1(a, openV1(a));
    const b = create(otherKind(from), { clock: clock.read });
    b.restore([await a.snapshot(full).bytes()]);
    expect(observe(b, openV2(b))).toEqual(expectedV2());
    const c = create(from, { clock: clock.read });
    c.restore([await b.snapshot(full).bytes()]);
    expect(observe(c, openV2(c))).toEqual(expectedV2());
  });

  it.each(BACKEND_KINDS)('%s rejects a record value with an undeclared field at the write', (kind) => {
    const b = create(kind);
    const profile = b.getState(valueState('profile', V2));
    b.setCurrentKey('alice');
    expect(() => profile.update({ visits: 1, tag: '', labels: [], extra: 1 } as ProfileV2)).toThrow(/'extra' is not a field/);
  });
});

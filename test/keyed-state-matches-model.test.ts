/**
 * Property: random operation sequences, applied in lockstep to a heap and a WASM backend and to a
 * plain JS model. Heap and WASM snapshots are byte-identical, and whenever the chain so far is
 * restored (into a fresh backend of a random kind) the restored state is the model's at the last
 * snapshot.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { listState, mapState, reducingState, valueState } from '../src/state/descriptors.js';
import { Serializers } from '../src/state/serializers.js';
import type { Key, StateBackendKind } from '../src/state/types.js';
import { createBackend, ManualClock } from './support/backends.js';
import { canonicalKeyOrder } from './support/observe.js';

const KEYS: readonly Key[] = ['a', 'b', 1, 2.5, { id: 1 }];
const USER_KEYS = ['x', 'y', 'z'] as const;
const TTL_MS = 50;
const MAX_P = 16;

type Op =
  | { op: 'key'; k: number }
  | { op: 'update'; v: number }
  | { op: 'clearValue' }
  | { op: 'listAdd'; v: string }
  | { op: 'listClear' }
  | { op: 'mapPut'; uk: number; v: number }
  | { op: 'mapRemove'; uk: number }
  | { op: 'reduce'; v: number }
  | { op: 'clearReducing' }
  | { op: 'ttlUpdate'; v: number }
  | { op: 'ttlRead' }
  | { op: 'tick'; ms: number }
  | { op: 'snapshot'; incremental: boolean }
  | { op: 'restore'; into: [StateBackendKind, StateBackendKind]; adopt: boolean };

const kindArb = fc.constantFrom<StateBackendKind>('heap', 'wasm');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('key' as const), k: fc.nat(KEYS.length - 1) }), weight: 5 },
  { arbitrary: fc.record({ op: fc.constant('update' as const), v: fc.integer({ min: -5, max: 5 }) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('clearValue' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('listAdd' as const), v: fc.constantFrom('p', 'q', 'ü') }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('listClear' as const) }), weight: 1 },
  {
    arbitrary: fc.record({ op: fc.constant('mapPut' as const), uk: fc.nat(USER_KEYS.length - 1), v: fc.integer({ min: 0, max: 9 }) }),
    weight: 3,
  },
  { arbitrary: fc.record({ op: fc.constant('mapRemove' as const), uk: fc.nat(USER_KEYS.length - 1) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('reduce' as const), v: fc.integer({ min: 1, max: 9 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('clearReducing' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('ttlUpdate' as const), v: fc.integer({ min: 0, max: 9 }) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('ttlRead' as const) }), weight: 1 },
  // steps that often add up to exactly the TTL, to hit the expiry boundary
  { arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.constantFrom(0, 1, 10, 24, 25, 49, 50) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('snapshot' as const), incremental: fc.constantFrom(true, true, false) }), weight: 4 },
  {
    arbitrary: fc.record({ op: fc.constant('restore' as const), into: fc.tuple(kindArb, kindArb), adopt: fc.boolean() }),
    weight: 2,
  },
);

/** What one key holds, per state. */
interface KeyModel {
  value?: number;
  list: string[];
  map: Map<string, number>;
  reducing?: number;
  ttl?: { v: number; at: number };
}

type Model = Map<number, KeyModel>;

function cloneModel(m: Model): Model {
  return new Map(
    [...m].map(([k, s]) => [k, { ...s, list: [...s.list], map: new Map(s.map), ttl: s.ttl && { ...s.ttl } }]),
  );
}

function keyModel(m: Model, k: number): KeyModel {
  let s = m.get(k);
  if (!s) m.set(k, (s = { list: [], map: new Map() }));
  return s;
}

/** A backend with the four states (plus one with TTL) registered. */
function open(kind: StateBackendKind, clock: ManualClock, chain?: readonly Uint8Array[]) {
  const b = createBackend(kind, { maxParallelism: MAX_P, clock: clock.read });
  if (chain) b.restore(chain);
  return {
    b,
    value: b.getState(valueState('value', Serializers.number)),
    list: b.getListState(listState('list', Serializers.string)),
    map: b.getMapState(mapState('map', Serializers.string, Serializers.number)),
    reducing: b.getReducingState(reducingState('reducing', (x: number, y: number) => x + y, Serializers.number)),
    ttl: b.getState(valueState('ttl', Serializers.number, { ttl: { ttlMs: TTL_MS } })),
  };
}
type Opened = ReturnType<typeof open>;

/** Checks everything `o` shows against the model at `now`. Reads clean up expired TTL entries. */
function expectMatches(o: Opened, model: Model, now: number, label: string): void {
  const has = (pred: (s: KeyModel) => boolean) =>
    canonicalKeyOrder(
      [...model].filter(([, s]) => pred(s)).map(([k]) => KEYS[k]!),
      MAX_P,
    );
  expect(o.b.keys('value'), `${label}: keys(value)`).toEqual(has((s) => s.value !== undefined));
  expect(o.b.keys('list'), `${label}: keys(list)`).toEqual(has((s) => s.list.length > 0));
  expect(o.b.keys('map'), `${label}: keys(map)`).toEqual(has((s) => s.map.size > 0));
  expect(o.b.keys('reducing'), `${label}: keys(reducing)`).toEqual(has((s) => s.reducing !== undefined));
  let entries = 0;
  KEYS.forEach((key, k) => {
    const s = model.get(k) ?? { list: [], map: new Map<string, number>() };
    const ttlVisible = s.ttl !== undefined && now - s.ttl.at < TTL_MS;
    o.b.setCurrentKey(key);
    const seen = {
      value: o.value.value(),
      list: o.list.get(),
      map: o.map.entries(),
      reducing: o.reducing.get(),
      ttl: o.ttl.value(),
    };
    expect(seen, `${label}: key ${JSON.stringify(key)}`).toEqual({
      value: s.value,
      list: s.list,
      map: [...s.map].sort(([a], [b]) => (a < b ? -1 : 1)),
      reducing: s.reducing,
      ttl: ttlVisible ? s.ttl!.v : undefined,
    });
    entries += (s.value !== undefined ? 1 : 0) + (s.list.length > 0 ? 1 : 0) + s.map.size;
    entries += (s.reducing !== undefined ? 1 : 0) + (ttlVisible ? 1 : 0);
  });
  expect(o.b.entryCount(), `${label}: entryCount`).toBe(entries);
}

/** Applies a state operation to a backend. */
function applyToBackend(o: Opened, op: Op): void {
  switch (op.op) {
    case 'update':
      return o.value.update(op.v);
    case 'clearValue':
      return o.value.clear();
    case 'listAdd':
      return o.list.add(op.v);
    case 'listClear':
      return o.list.clear();
    case 'mapPut':
      return o.map.put(USER_KEYS[op.uk]!, op.v);
    case 'mapRemove':
      return o.map.remove(USER_KEYS[op.uk]!);
    case 'reduce':
      return o.reducing.add(op.v);
    case 'clearReducing':
      return o.reducing.clear();
    case 'ttlUpdate':
      return o.ttl.update(op.v);
    default:
      throw new Error(`not a state op: ${op.op}`);
  }
}

/** Applies the same operation to the model of the current key. */
function applyToModel(model: Model, cur: number, op: Op, now: number): void {
  const s = keyModel(model, cur);
  switch (op.op) {
    case 'update':
      s.value = op.v;
      break;
    case 'clearValue':
      delete s.value;
      break;
    case 'listAdd':
      s.list.push(op.v);
      break;
    case 'listClear':
      s.list = [];
      break;
    case 'mapPut':
      s.map.set(USER_KEYS[op.uk]!, op.v);
      break;
    case 'mapRemove':
      s.map.delete(USER_KEYS[op.uk]!);
      break;
    case 'reduce':
      s.reducing = (s.reducing ?? 0) + op.v;
      break;
    case 'clearReducing':
      delete s.reducing;
      break;
    case 'ttlUpdate':
      s.ttl = { v: op.v, at: now };
      break;
  }
}

async function run(ops: readonly Op[]): Promise<void> {
  const clock = new ManualClock();
  // the two primaries, driven in lockstep: [heap, wasm]
  let primaries = [open('heap', clock), open('wasm', clock)];
  const created: Opened[] = [...primaries];
  let cur = 0;
  let model: Model = new Map();
  let chain: Uint8Array[] = [];
  let atSnapshot: Model | undefined;
  try {
    for (const p of primaries) p.b.setCurrentKey(KEYS[cur]!);
    for (const [n, op] of ops.entries()) {
      switch (op.op) {
        case 'key':
          cur = op.k;
          for (const p of primaries) p.b.setCurrentKey(KEYS[cur]!);
          break;
        case 'tick':
          clock.advance(op.ms);
          break;
        case 'ttlRead': {
          // a read of expired state (NeverReturnExpired) shows nothing and deletes it
          const s = model.get(cur);
          const visible = s?.ttl !== undefined && clock.now - s.ttl.at < TTL_MS;
          for (const p of primaries) expect(p.ttl.value(), `op ${n}: ${p.b.kind} ttl read`).toBe(visible ? s!.ttl!.v : undefined);
          if (s && !visible) delete s.ttl;
          break;
        }
        case 'snapshot': {
          const incremental = op.incremental && chain.length > 0; // a chain starts with a full one
          const snaps = primaries.map((p) => p.b.snapshot({ incremental }));
          const [heapBytes, wasmBytes] = await Promise.all(snaps.map((s) => s.bytes()));
          expect(Buffer.from(heapBytes!).equals(Buffer.from(wasmBytes!)), `op ${n}: heap and wasm snapshot bytes differ`).toBe(
            true,
          );
          chain = incremental ? [...chain, heapBytes!] : [heapBytes!];
          atSnapshot = cloneModel(model);
          break;
        }
        case 'restore': {
          if (!atSnapshot) break;
          // the chain as written by each primary, into a fresh backend of a random kind
          const restored = op.into.map((kind) => open(kind, clock, chain));
          created.push(...restored);
          restored.forEach((r, i) => expectMatches(r, atSnapshot!, clock.now, `op ${n}: restored ${r.b.kind} #${i}`));
          if (op.adopt) {
            // carry on from freshly restored backends (the checks above read, and so may have
            // cleaned up); their incrementals extend the chain they were restored from
            primaries = [open('heap', clock, chain), open('wasm', clock, chain)];
            created.push(...primaries);
            model = cloneModel(atSnapshot);
            cur = 0;
            for (const p of primaries) p.b.setCurrentKey(KEYS[cur]!);
          }
          break;
        }
        default:
          for (const p of primaries) applyToBackend(p, op);
          applyToModel(model, cur, op, clock.now);
      }
    }
  } finally {
    for (const o of created) o.b.dispose();
  }
}

describe('keyed state against a model', () => {
  it('heap and wasm agree with the model across snapshots and restores', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60, size: 'max' }), async (ops) => {
        await run(ops);
      }),
      { numRuns: 100 },
    );
  });

  it('a worked sequence: full snapshot, adopt the restored backends, incrementals, restore', async () => {
    await run([
      { op: 'update', v: 1 },
      { op: 'mapPut', uk: 0, v: 2 },
      { op: 'snapshot', incremental: false },
      { op: 'restore', into: ['wasm', 'heap'], adopt: true },
      { op: 'listAdd', v: 'p' },
      { op: 'snapshot', incremental: true },
      { op: 'snapshot', incremental: true },
      { op: 'restore', into: ['heap', 'wasm'], adopt: false },
    ]);
  });
});

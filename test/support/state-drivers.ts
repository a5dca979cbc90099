/**
 * One generic driver per (state kind, serializer): how to register the state, the i-th write, what a
 * read shows and what it should show. Suites run the same checks over every driver instead of
 * repeating them per kind.
 */
import { ByteWriter } from '../../src/state/byte-writer.js';
import {
  aggregatingState,
  listState,
  mapState,
  reducingState,
  valueState,
} from '../../src/state/descriptors.js';
import { compareBytes } from '../../src/state/snapshot-format.js';
import { Serializers, type Serializer } from '../../src/state/serializers.js';
import type {
  AggregatingState,
  Key,
  KeyedStateBackend,
  ListState,
  MapState,
  ReducingState,
  StateKind,
  StateTtlConfig,
  ValueState,
} from '../../src/state/types.js';

export interface StateDriver<S = any> {
  readonly label: string;
  readonly kind: StateKind;
  /** Registers (or looks up) this driver's state under `name`. */
  open(b: KeyedStateBackend, name: string, ttl?: StateTtlConfig): S;
  /** The i-th write (update / add / put), deterministic in i. */
  write(s: S, i: number): void;
  /** Removes the current key's state. */
  clear(s: S): void;
  /** What the state shows for the current key (the driver's main read). */
  read(s: S): unknown;
  /** What `read` shows after writes `is`, in order, starting from an empty state. */
  expected(is: readonly number[]): unknown;
  /** What `read` shows for a key without state. */
  readonly absent: unknown;
  /** Entries one key holds after writes `is` (map entries count one each). */
  entriesAfter(is: readonly number[]): number;
  /** Writes i and i + sameSlot touch the same entry: 1, except for maps (one entry per user key). */
  readonly sameSlot: number;
  /** A second kind of mutation: map remove, list replace, value re-write of the same value, … */
  alter(s: S, i: number): void;
}

function bytesOf<T>(s: Serializer<T>, v: T): Uint8Array {
  const w = new ByteWriter(16);
  s.write(v, w);
  return w.bytes().slice();
}

function valueDriver<T>(label: string, serializer: Serializer<T>, valueOf: (i: number) => T): StateDriver<ValueState<T>> {
  return {
    label: `value<${label}>`,
    kind: 'value',
    open: (b, name, ttl) => b.getState(valueState(name, serializer, ttl ? { ttl } : {})),
    write: (s, i) => s.update(valueOf(i)),
    clear: (s) => s.clear(),
    read: (s) => s.value(),
    expected: (is) => (is.length === 0 ? undefined : valueOf(is[is.length - 1]!)),
    absent: undefined,
    entriesAfter: (is) => (is.length === 0 ? 0 : 1),
    sameSlot: 1,
    alter: (s) => {
      const v = s.value();
      if (v !== undefined) s.update(v); // a write of an equal value
    },
  };
}

function listDriver<T>(label: string, serializer: Serializer<T>, valueOf: (i: number) => T): StateDriver<ListState<T>> {
  return {
    label: `list<${label}>`,
    kind: 'list',
    open: (b, name, ttl) => b.getListState(listState(name, serializer, ttl ? { ttl } : {})),
    write: (s, i) => s.add(valueOf(i)),
    clear: (s) => s.clear(),
    read: (s) => s.get(),
    expected: (is) => is.map(valueOf),
    absent: [],
    entriesAfter: (is) => (is.length === 0 ? 0 : 1),
    sameSlot: 1,
    alter: (s, i) => (i % 3 === 0 ? s.update([]) : s.update([valueOf(i), valueOf(i + 1)])),
  };
}

const USER_KEYS_PER_MAP = 3;

function mapDriver<UK, UV>(
  label: string,
  keySerializer: Serializer<UK>,
  serializer: Serializer<UV>,
  userKeys: readonly UK[],
  valueOf: (i: number) => UV,
): StateDriver<MapState<UK, UV>> {
  if (userKeys.length !== USER_KEYS_PER_MAP) throw new Error('driver needs 3 user keys');
  const uk = (i: number) => userKeys[i % USER_KEYS_PER_MAP]!;
  const sorted = (m: Map<UK, UV>) =>
    [...m.entries()].sort((a, b) => compareBytes(bytesOf(keySerializer, a[0]), bytesOf(keySerializer, b[0])));
  const fold = (is: readonly number[]) => {
    const m = new Map<UK, UV>();
    for (const i of is) m.set(uk(i), valueOf(i));
    return m;
  };
  return {
    label: `map<${label}>`,
    kind: 'map',
    open: (b, name, ttl) => b.getMapState(mapState(name, keySerializer, serializer, ttl ? { ttl } : {})),
    write: (s, i) => s.put(uk(i), valueOf(i)),
    clear: (s) => s.clear(),
    read: (s) => s.entries(),
    expected: (is) => sorted(fold(is)),
    absent: [],
    entriesAfter: (is) => fold(is).size,
    sameSlot: USER_KEYS_PER_MAP,
    alter: (s, i) => s.remove(uk(i)),
  };
}

function reducingDriver<T>(
  label: string,
  serializer: Serializer<T>,
  reduce: (a: T, b: T) => T,
  valueOf: (i: number) => T,
): StateDriver<ReducingState<T>> {
  return {
    label: `reducing<${label}>`,
    kind: 'reducing',
    open: (b, name, ttl) => b.getReducingState(reducingState(name, reduce, serializer, ttl ? { ttl } : {})),
    write: (s, i) => s.add(valueOf(i)),
    clear: (s) => s.clear(),
    read: (s) => s.get(),
    expected: (is) => (is.length === 0 ? undefined : is.map(valueOf).reduce(reduce)),
    absent: undefined,
    entriesAfter: (is) => (is.length === 0 ? 0 : 1),
    sameSlot: 1,
    alter: (s) => {
      s.get();
    },
  };
}

interface Avg {
  sum: number;
  count: number;
}

const average = {
  createAccumulator: (): Avg => ({ sum: 0, count: 0 }),
  add: (v: number, acc: Avg): Avg => ({ sum: acc.sum + v, count: acc.count + 1 }),
  getResult: (acc: Avg) => ({ mean: acc.sum / acc.count, n: acc.count }),
};

const longestWord = {
  createAccumulator: (): string => '',
  add: (v: string, acc: string) => (v.length >= acc.length ? v : acc),
  getResult: (acc: string) => acc.toUpperCase(),
};

function aggregatingDriver<IN, ACC, OUT>(
  label: string,
  serializer: Serializer<ACC>,
  fns: { createAccumulator: () => ACC; add: (v: IN, acc: ACC) => ACC; getResult: (acc: ACC) => OUT },
  valueOf: (i: number) => IN,
): StateDriver<AggregatingState<IN, OUT>> {
  return {
    label: `aggregating<${label}>`,
    kind: 'aggregating',
    open: (b, name, ttl) => b.getAggregatingState(aggregatingState(name, fns, serializer, ttl ? { ttl } : {})),
    write: (s, i) => s.add(valueOf(i)),
    clear: (s) => s.clear(),
    read: (s) => s.get(),
    expected: (is) =>
      is.length === 0 ? undefined : fns.getResult(is.map(valueOf).reduce((acc, v) => fns.add(v, acc), fns.createAccumulator())),
    absent: undefined,
    entriesAfter: (is) => (is.length === 0 ? 0 : 1),
    sameSlot: 1,
    alter: (s) => {
      s.get();
    },
  };
}

const words = ['ant', 'bee', 'cicada', 'dragonfly', 'earwig', 'flea', 'gnat'];

/** Byte lengths around every plausible inline/slab threshold, so updates grow and shrink values. */
const SIZES = [0, 1, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31, 32, 33, 63, 64, 65, 255, 256, 1000, 4097];
const sized = (i: number) => 'x'.repeat(SIZES[(i * 7) % SIZES.length]!);

/** Every kind, with several value serializers. */
export const DRIVERS: readonly StateDriver[] = [
  valueDriver('number', Serializers.number, (i) => i * 1.5 - 3),
  valueDriver('string', Serializers.string, (i) => `v-${i}-é🙂`),
  valueDriver('boolean', Serializers.boolean, (i) => i % 2 === 1),
  valueDriver('bigint', Serializers.bigint, (i) => BigInt(i) * 10n ** 20n - 7n),
  valueDriver('sized string', Serializers.string, sized),
  valueDriver('json', Serializers.json, (i) => ({ i, tags: ['t', i], nested: { big: BigInt(i), f: i / 3, nil: null } })),
  listDriver('json', Serializers.json, (i) => ({ seq: i, even: i % 2 === 0 })),
  listDriver('string', Serializers.string, (i) => words[i % words.length]!),
  listDriver('number', Serializers.number, (i) => i - 0.25),
  // '' is a user key with no bytes: the composite key then ends where the key does
  mapDriver('string,number', Serializers.string, Serializers.number, ['ab', '', 'a'], (i) => i * 10),
  mapDriver('number,json', Serializers.number, Serializers.json, [-1, 2, 256], (i) => [i, { sq: i * i }]),
  mapDriver('json,string', Serializers.json, Serializers.string, [{ k: 1 }, { k: 'x' }, [0]], (i) => `val${i}`),
  mapDriver('number,sized string', Serializers.number, Serializers.string, [0, 1e-300, -1e300], sized),
  mapDriver('bigint,boolean', Serializers.bigint, Serializers.boolean, [10n, -10n, 9n], (i) => i % 2 === 0),
  reducingDriver('number sum', Serializers.number, (a, b) => a + b, (i) => i + 1),
  reducingDriver('string concat', Serializers.string, (a, b) => `${a}|${b}`, (i) => words[i % words.length]!),
  reducingDriver('bigint max', Serializers.bigint, (a, b) => (a > b ? a : b), (i) => BigInt((i * 7919) % 101)),
  aggregatingDriver('average', Serializers.json, average, (i: number) => i * 2),
  aggregatingDriver('longest word', Serializers.string, longestWord, (i: number) => words[(i * 3) % words.length]!),
];

/** One driver per kind (for the slower suites: TTL, snapshots). */
export const ONE_DRIVER_PER_KIND: readonly StateDriver[] = (['value', 'list', 'map', 'reducing', 'aggregating'] as const).map(
  (kind) => DRIVERS.find((d) => d.kind === kind && (kind !== 'value' || d.label === 'value<json>'))!,
);

export function driver(label: string): StateDriver {
  const d = DRIVERS.find((x) => x.label === label);
  if (!d) throw new Error(`no driver ${label}`);
  return d;
}

/** Keys of several types; within one set all are distinct keys. */
export const KEY_SETS: ReadonlyArray<readonly [string, readonly Key[]]> = [
  ['number', [0, 1, -5.5, 1e9, Number.MAX_SAFE_INTEGER, NaN]],
  ['string', ['a', 'user-1', '', 'ключ', '🙂', 'x'.repeat(300)]],
  ['object', [{ user: 1 }, { user: 2, region: 'eu' }, [1, 2], { nested: { a: [true, null] } }, { user: '1' }]],
  ['boolean/bigint', [true, false, 5n, -5n, 2n ** 70n]],
  ['strings of many lengths', [2, 5, 6, 7, 8, 11, 12, 13, 16, 19, 20, 24, 28, 32, 100].map((n) => 'k'.repeat(n))],
];

/**
 * The keyed-state contract shared by the heap and the WASM backends. Byte formats live in
 * docs/state-layer.md; both backends produce identical snapshot bytes for the same logical state.
 */
import type { Serializer } from './serializers.js';
import type { KeyGroupRange } from './key-groups.js';

/** A key as returned by a key selector: numbers, strings, booleans, bigints or JSON-like values. */
export type Key = number | string | boolean | bigint | object;

/** Which keyed-state backend holds the state. */
export type StateBackendKind = 'heap' | 'wasm';

export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating';

/** Numeric code of a state kind in snapshot files. */
export const STATE_KIND_CODE: Readonly<Record<StateKind, number>> = {
  value: 0,
  list: 1,
  map: 2,
  reducing: 3,
  aggregating: 4,
};

/** Time-to-live for keyed state, with Flink's meaning of each option. */
export interface StateTtlConfig {
  /** How long (ms) an entry lives after its last write (or access, with 'OnReadAndWrite'). */
  readonly ttlMs: number;
  /** Which accesses refresh the timestamp. Default 'OnCreateAndWrite'. */
  readonly updateType?: 'OnCreateAndWrite' | 'OnReadAndWrite';
  /** Whether an expired value not yet cleaned up may still be returned. Default 'NeverReturnExpired'. */
  readonly visibility?: 'NeverReturnExpired' | 'ReturnExpiredIfNotCleanedUp';
}

interface DescriptorBase<K extends StateKind> {
  readonly kind: K;
  /** Unique per operator; state is matched by name on restore. */
  readonly name: string;
  readonly ttl?: StateTtlConfig;
}

export interface ValueStateDescriptor<T> extends DescriptorBase<'value'> {
  readonly serializer: Serializer<T>;
}
export interface ListStateDescriptor<T> extends DescriptorBase<'list'> {
  readonly serializer: Serializer<T>;
}
export interface MapStateDescriptor<UK, UV> extends DescriptorBase<'map'> {
  readonly keySerializer: Serializer<UK>;
  readonly serializer: Serializer<UV>;
}
export interface ReducingStateDescriptor<T> extends DescriptorBase<'reducing'> {
  readonly serializer: Serializer<T>;
  readonly reduce: (a: T, b: T) => T;
}
export interface AggregatingStateDescriptor<IN, ACC, OUT> extends DescriptorBase<'aggregating'> {
  /** Serializer of the accumulator (what is stored). */
  readonly serializer: Serializer<ACC>;
  readonly createAccumulator: () => ACC;
  readonly add: (value: IN, acc: ACC) => ACC;
  readonly getResult: (acc: ACC) => OUT;
}

export type StateDescriptor =
  | ValueStateDescriptor<any>
  | ListStateDescriptor<any>
  | MapStateDescriptor<any, any>
  | ReducingStateDescriptor<any>
  | AggregatingStateDescriptor<any, any, any>;

/** Common to every keyed state: operations apply to the backend's current key. */
export interface KeyedState {
  /** Removes the current key's value. */
  clear(): void;
}

export interface ValueState<T> extends KeyedState {
  /** The current key's value, or `undefined` when absent (or expired). */
  value(): T | undefined;
  update(value: T): void;
}

export interface ListState<T> extends KeyedState {
  /** The current key's list; an empty array when absent. */
  get(): T[];
  add(value: T): void;
  addAll(values: readonly T[]): void;
  /** Replaces the list (an empty array clears it). */
  update(values: readonly T[]): void;
}

export interface MapState<UK, UV> extends KeyedState {
  get(userKey: UK): UV | undefined;
  put(userKey: UK, value: UV): void;
  putAll(entries: Iterable<readonly [UK, UV]>): void;
  contains(userKey: UK): boolean;
  remove(userKey: UK): void;
  /** Entries in the canonical order (by serialized user key within the key). */
  entries(): Array<[UK, UV]>;
  keys(): UK[];
  values(): UV[];
  isEmpty(): boolean;
}

export interface ReducingState<T> extends KeyedState {
  get(): T | undefined;
  add(value: T): void;
}

export interface AggregatingState<IN, OUT> extends KeyedState {
  get(): OUT | undefined;
  add(value: IN): void;
}

/** What the synchronous part of a snapshot returns; the bytes are produced afterwards. */
export interface StateSnapshot {
  readonly kind: 'full' | 'incremental';
  /** Duration (ms) of the synchronous capture, the part that stops record processing. */
  readonly syncMs: number;
  /** Serializes the captured view (canonical format). May be called once. */
  bytes(): Promise<Uint8Array>;
}

export interface SnapshotOptions {
  /** Only changes since the previous snapshot. Needs `incremental: true` in the backend options. */
  readonly incremental: boolean;
}

/** Options every backend takes. */
export interface KeyedStateBackendOptions {
  /** Number of key groups (Flink's maxParallelism). Default 128. */
  readonly maxParallelism?: number;
  /** The key groups this backend instance owns. Default: all of them. */
  readonly keyGroupRange?: KeyGroupRange;
  /** Track changes for incremental snapshots. Default true. */
  readonly incremental?: boolean;
  /** Clock for TTL (ms). Default Date.now. */
  readonly clock?: () => number;
}

/** Keyed state of one operator subtask. */
export interface KeyedStateBackend {
  readonly kind: StateBackendKind;
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;

  /** Sets the key every state access applies to. Throws if the key is outside the owned range. */
  setCurrentKey(key: Key): void;
  getCurrentKey(): Key;
  /** Key group of the current key. */
  getCurrentKeyGroup(): number;

  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(
    descriptor: AggregatingStateDescriptor<IN, ACC, OUT>,
  ): AggregatingState<IN, OUT>;

  /** Every key that has state under `stateName`, in canonical order. */
  keys(stateName: string): Key[];
  /** Number of entries (map entries count one each) across all states. */
  entryCount(): number;

  /** Synchronous part of a snapshot: captures a consistent view, returns a handle for the bytes. */
  snapshot(options: SnapshotOptions): StateSnapshot;
  /**
   * Restores a full snapshot followed by incremental ones, in order. Only key groups in this
   * backend's range are loaded. Replaces any state the backend held.
   */
  restore(chain: readonly Uint8Array[]): void;
  /** Releases memory (WASM instance). The backend cannot be used afterwards. */
  dispose(): void;
}

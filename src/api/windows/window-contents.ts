/**
 * Where a window's contents live in the key's state, by window id (the window's start, or for merged
 * session windows their state id; see merging-window-set.ts). Two layouts:
 *
 * - accumulating (reduce, aggregate): `window.acc`: MapState<id, ACC>, one accumulator per window;
 *   a record costs one get and one put.
 * - listing (process): `window.count`: MapState<id, number> and `window.elements`:
 *   MapState<"id:seq", T>, one entry per record, so appending is O(1) whatever the window holds
 *   (an array value would be read and rewritten whole on every record).
 *
 * A spec is built with the job and shared by every subtask; `create` makes a subtask's instance
 * over its state handles.
 */
import type { Serializer } from '../../state/serializers.js';
import { Serializers } from '../../state/serializers.js';
import { mapState } from '../../state/descriptors.js';
import type { MapState } from '../../state/types.js';
import type { KeyedRuntimeContext } from '../functions.js';
import type { AggregateFunction, ReduceFunction } from './window-functions.js';

/** Receives what a window holds when it fires: one result, or all its records. */
export interface WindowEmitter<R> {
  emit(results: Iterable<R>): void;
}

/** A subtask's view of window contents for the current key. */
export interface WindowContents<T, R> {
  /** Adds `value` to window `id`; true when the window held nothing before. */
  add(id: number, value: T): boolean;
  /** Hands the window's result (or records) to `to`; false (and nothing emitted) when the window is empty. */
  fire(id: number, to: WindowEmitter<R>): boolean;
  /** Drops the window's contents (nothing if it has none). */
  clear(id: number): void;
  /** Moves the contents of windows `sources` into window `target` (session windows merged). */
  merge(target: number, sources: readonly number[]): void;
}

/** How to create a subtask's {@link WindowContents}; `R` is what fires: a result or the records. */
export interface WindowContentsSpec<T, R> {
  /** `reduce`, `aggregate` or `process`: for operator names and errors. */
  readonly kind: string;
  /** Whether merging windows are supported (aggregate needs `merge`). */
  readonly mergeable: boolean;
  create(runtime: KeyedRuntimeContext): WindowContents<T, R>;
}

/** How an accumulating window folds records: the reduce and aggregate cases as one shape. */
interface Folding<T, ACC, R> {
  /** `acc` is undefined for a window's first record. */
  add(value: T, acc: ACC | undefined): ACC;
  result(acc: ACC): R;
  merge: ((a: ACC, b: ACC) => ACC) | undefined;
}

class AccumulatingContents<T, ACC, R> implements WindowContents<T, R> {
  constructor(
    private readonly acc: MapState<number, ACC>,
    private readonly folding: Folding<T, ACC, R>,
  ) {}

  add(id: number, value: T): boolean {
    const old = this.acc.get(id);
    this.acc.put(id, this.folding.add(value, old));
    return old === undefined;
  }

  fire(id: number, to: WindowEmitter<R>): boolean {
    const acc = this.acc.get(id);
    if (acc === undefined) return false;
    to.emit([this.folding.result(acc)]);
    return true;
  }

  clear(id: number): void {
    this.acc.remove(id);
  }

  merge(target: number, sources: readonly number[]): void {
    const merge = this.folding.merge!;
    let acc = this.acc.get(target);
    for (const id of sources) {
      const other = this.acc.get(id);
      if (other === undefined) continue;
      acc = acc === undefined ? other : merge(acc, other);
      this.acc.remove(id);
    }
    if (acc !== undefined) this.acc.put(target, acc);
  }
}

const ACC_STATE = 'window.acc';
const COUNT_STATE = 'window.count';
const ELEMENTS_STATE = 'window.elements';

/** Contents of `reduce`: the accumulator is the reduced value itself. */
export function reducingContents<T>(reduce: ReduceFunction<T>, serializer: Serializer<T>): WindowContentsSpec<T, T> {
  const folding: Folding<T, T, T> = {
    add: (value, acc) => (acc === undefined ? value : reduce(acc, value)),
    result: (acc) => acc,
    merge: reduce,
  };
  return {
    kind: 'reduce',
    mergeable: true,
    create: (rt) => new AccumulatingContents(rt.getMapState(mapState(ACC_STATE, Serializers.number, serializer)), folding),
  };
}

/** Contents of `aggregate`: one accumulator per window; mergeable when the function has `merge`. */
export function aggregatingContents<T, ACC, V>(fn: AggregateFunction<T, ACC, V>, serializer: Serializer<ACC>): WindowContentsSpec<T, V> {
  const folding: Folding<T, ACC, V> = {
    add: (value, acc) => fn.add(value, acc === undefined ? fn.createAccumulator() : acc),
    result: (acc) => fn.getResult(acc),
    merge: typeof fn.merge === 'function' ? (a, b) => fn.merge!(a, b) : undefined,
  };
  return {
    kind: 'aggregate',
    mergeable: folding.merge !== undefined,
    create: (rt) => new AccumulatingContents(rt.getMapState(mapState(ACC_STATE, Serializers.number, serializer)), folding),
  };
}

class ListingContents<T> implements WindowContents<T, T> {
  constructor(
    /** Per window id, how many records it holds (absent: none). */
    private readonly counts: MapState<number, number>,
    /** Record `seq` (0-based, insertion order) of window `id`, under {@link slot}(id, seq). */
    private readonly elements: MapState<string, T>,
  ) {}

  add(id: number, value: T): boolean {
    const n = this.counts.get(id) ?? 0;
    this.elements.put(slot(id, n), value);
    this.counts.put(id, n + 1);
    return n === 0;
  }

  fire(id: number, to: WindowEmitter<T>): boolean {
    const n = this.counts.get(id);
    if (n === undefined) return false;
    const records = new Array<T>(n);
    for (let i = 0; i < n; i++) records[i] = this.elements.get(slot(id, i)) as T;
    to.emit(records);
    return true;
  }

  clear(id: number): void {
    const n = this.counts.get(id);
    if (n === undefined) return;
    for (let i = 0; i < n; i++) this.elements.remove(slot(id, i));
    this.counts.remove(id);
  }

  merge(target: number, sources: readonly number[]): void {
    let n = this.counts.get(target) ?? 0;
    const start = n;
    for (const id of sources) {
      const m = this.counts.get(id);
      if (m === undefined) continue;
      for (let i = 0; i < m; i++) {
        const from = slot(id, i);
        this.elements.put(slot(target, n++), this.elements.get(from) as T);
        this.elements.remove(from);
      }
      this.counts.remove(id);
    }
    if (n !== start) this.counts.put(target, n);
  }
}

/** The map key of record `seq` of window `id`. */
function slot(id: number, seq: number): string {
  return `${id}:${seq}`;
}

/** Contents of `process`: every record, in arrival order. */
export function listingContents<T>(serializer: Serializer<T>): WindowContentsSpec<T, T> {
  return {
    kind: 'process',
    mergeable: true,
    create: (rt) =>
      new ListingContents(
        rt.getMapState(mapState(COUNT_STATE, Serializers.number, Serializers.number)),
        rt.getMapState(mapState(ELEMENTS_STATE, Serializers.string, serializer)),
      ),
  };
}

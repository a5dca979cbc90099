/**
 * The state handles the heap backend hands out: thin views over a table. `t` is replaced when a
 * restore rebuilds the tables, so a handle obtained before a restore keeps working after it.
 */
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  ListState,
  MapState,
  ReducingState,
  ValueState,
} from '../types.js';
import type { CellTable } from './heap-cell-table.js';
import type { ListTable } from './heap-list-table.js';
import type { MapTable } from './heap-map-table.js';
import type { Table } from './heap-table.js';

export interface HeapStateHandle {
  t: Table;
}

export class HeapValueState<T> implements ValueState<T>, HeapStateHandle {
  constructor(public t: CellTable) {}
  value(): T | undefined {
    return this.t.read();
  }
  update(value: T): void {
    this.t.write(value);
  }
  clear(): void {
    this.t.clear();
  }
}

export class HeapReducingState<T> implements ReducingState<T>, HeapStateHandle {
  constructor(
    public t: CellTable,
    private readonly reduce: (a: T, b: T) => T,
  ) {}
  get(): T | undefined {
    return this.t.read();
  }
  add(value: T): void {
    const t = this.t;
    const old = t.read();
    if (old === undefined) {
      t.write(value);
      return;
    }
    t.prepareWrite(); // reduce may mutate `old` in place
    t.write(this.reduce(old, value));
  }
  clear(): void {
    this.t.clear();
  }
}

export class HeapAggregatingState<IN, ACC, OUT> implements AggregatingState<IN, OUT>, HeapStateHandle {
  constructor(
    public t: CellTable,
    private readonly d: AggregatingStateDescriptor<IN, ACC, OUT>,
  ) {}
  get(): OUT | undefined {
    const acc = this.t.read();
    return acc === undefined ? undefined : this.d.getResult(acc);
  }
  add(value: IN): void {
    const t = this.t;
    const acc = t.read();
    t.prepareWrite(); // add may mutate the accumulator in place
    t.write(this.d.add(value, acc === undefined ? this.d.createAccumulator() : acc));
  }
  clear(): void {
    this.t.clear();
  }
}

export class HeapListState<T> implements ListState<T>, HeapStateHandle {
  constructor(public t: ListTable) {}
  get(): T[] {
    return this.t.get();
  }
  add(value: T): void {
    this.t.add(value);
  }
  addAll(values: readonly T[]): void {
    this.t.addAll(values);
  }
  update(values: readonly T[]): void {
    this.t.update(values);
  }
  clear(): void {
    this.t.clear();
  }
}

export class HeapMapState<UK, UV> implements MapState<UK, UV>, HeapStateHandle {
  constructor(public t: MapTable) {}
  get(userKey: UK): UV | undefined {
    return this.t.get(userKey) as UV | undefined;
  }
  put(userKey: UK, value: UV): void {
    this.t.put(userKey, value);
  }
  putAll(entries: Iterable<readonly [UK, UV]>): void {
    for (const [k, v] of entries) this.t.put(k, v);
  }
  contains(userKey: UK): boolean {
    return this.t.contains(userKey);
  }
  remove(userKey: UK): void {
    this.t.remove(userKey);
  }
  entries(): Array<[UK, UV]> {
    const es = this.t.scan();
    this.t.guardValues(es);
    return es.map((e) => [e.k as UK, e.v as UV]);
  }
  keys(): UK[] {
    return this.t.scan().map((e) => e.k as UK);
  }
  values(): UV[] {
    const es = this.t.scan();
    this.t.guardValues(es);
    return es.map((e) => e.v as UV);
  }
  isEmpty(): boolean {
    return this.t.isEmpty();
  }
  clear(): void {
    this.t.clear();
  }
}

/**
 * The state handles the heap backend hands out: thin views over a table. `t` is replaced when a
 * restore rebuilds the tables, so a handle obtained before a restore keeps working after it.
 */
import type { ListState, MapState } from '../types.js';
import type { ListTable } from './heap-list-table.js';
import type { MapTable } from './heap-map-table.js';
import type { Table } from './heap-table.js';

export interface HeapStateHandle {
  t: Table;
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

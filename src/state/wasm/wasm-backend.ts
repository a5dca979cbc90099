/**
 * The WASM keyed-state backend: serialized keys and values in an ordered hash table in linear
 * memory (assembly/), snapshots produced inside WASM in the canonical format.
 */
import { resolveBackendOptions, type ResolvedBackendOptions } from '../backend-options.js';
import { ByteWriter } from '../byte-writer.js';
import { readKey } from '../key-codec.js';
import type { KeyGroupRange } from '../key-groups.js';
import { writeSnapshotHeader } from '../snapshot-format.js';
import { readChainHeaders } from '../restore-chain.js';
import { crc32 } from 'node:zlib';
import { valueRewrite } from '../state-migration.js';
import { StateRegistry } from '../state-registry.js';
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  Key,
  KeyedStateBackend,
  KeyedStateBackendOptions,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
  SnapshotOptions,
  StateDescriptor,
  StateSnapshot,
  ValueState,
  ValueStateDescriptor,
} from '../types.js';
import { CellAggregatingState, CellReducingState, CellValueState } from '../cell-states.js';
import { restoreError } from './wasm-errors.js';
import { valueCell } from './wasm-cells.js';
import type { WasmStateHost } from './wasm-state-host.js';
import {
  WasmListState,
  WasmMapState,
  type StateHandle,
} from './wasm-states.js';
import { rewriteStateValues } from './wasm-migration.js';
import { WasmStore } from './wasm-store.js';

interface Registered {
  readonly handle: StateHandle;
  readonly descriptor: StateDescriptor;
  readonly state: unknown;
}

export class WasmKeyedStateBackend implements KeyedStateBackend, WasmStateHost {
  readonly kind = 'wasm' as const;
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  private readonly options: ResolvedBackendOptions;
  /** Replaced wholesale by restore; undefined after dispose. */
  private store: WasmStore | undefined;
  /** Replaced by restore. */
  private registry = new StateRegistry();
  private readonly states = new Map<string, Registered>();
  /** -1 while no valid key is set: state access then throws. */
  private currentKeyGroup = -1;
  private currentKey: Key | undefined;
  /** Whether a snapshot (or restore) exists that an incremental snapshot can build on. */
  private hasBaseline = false;
  private readonly headerWriter = new ByteWriter(256);

  constructor(options: KeyedStateBackendOptions = {}) {
    this.options = resolveBackendOptions(options);
    this.maxParallelism = this.options.maxParallelism;
    this.keyGroupRange = this.options.keyGroupRange;
    this.store = new WasmStore(this.maxParallelism, this.options.incremental);
  }

  private live(): WasmStore {
    if (this.store === undefined) throw new Error('the WASM state backend was disposed');
    return this.store;
  }

  keyedStore(): WasmStore {
    if (this.currentKeyGroup < 0) throw new Error('no current key: call setCurrentKey() before accessing keyed state');
    return this.store!;
  }

  now(): number {
    return this.options.clock();
  }

  setCurrentKey(key: Key): void {
    const store = this.live();
    let kg: number;
    if (typeof key === 'number') kg = store.ex.setKeyNumber(key);
    else if (typeof key === 'string') kg = store.setStringKey(key);
    else kg = store.setSerializedKey(key);
    if (kg < this.keyGroupRange.start || kg >= this.keyGroupRange.end) {
      this.currentKeyGroup = -1;
      this.currentKey = undefined;
      throw new RangeError(
        `key ${String(key)} is in key group ${kg}, outside this backend's range ` +
          `[${this.keyGroupRange.start}, ${this.keyGroupRange.end})`,
      );
    }
    this.currentKeyGroup = kg;
    this.currentKey = key;
  }

  getCurrentKey(): Key {
    if (this.currentKeyGroup < 0) throw new Error('no current key');
    return this.currentKey!;
  }

  getCurrentKeyGroup(): number {
    if (this.currentKeyGroup < 0) throw new Error('no current key');
    return this.currentKeyGroup;
  }

  private register<S>(d: StateDescriptor, make: (handle: StateHandle) => S): S {
    this.live();
    const existing = this.states.get(d.name);
    const reg = this.registry.register(d);
    if (existing) return existing.state as S;
    if (reg.migrateFrom !== undefined) {
      rewriteStateValues(this.live(), reg.id, valueRewrite(d, reg.migrateFrom));
      // the rewrite moved the store's current key: put the caller's back
      if (this.currentKey !== undefined) this.setCurrentKey(this.currentKey);
    }
    const handle = { id: reg.id };
    const state = make(handle);
    this.states.set(d.name, { handle, descriptor: d, state });
    return state;
  }

  getState<T>(d: ValueStateDescriptor<T>): ValueState<T> {
    return this.register(d, (h) => new CellValueState(valueCell(this, h, d.serializer, d.ttl)));
  }
  getListState<T>(d: ListStateDescriptor<T>): ListState<T> {
    return this.register(d, (h) => new WasmListState(this, h, d));
  }
  getMapState<UK, UV>(d: MapStateDescriptor<UK, UV>): MapState<UK, UV> {
    return this.register(d, (h) => new WasmMapState(this, h, d));
  }
  getReducingState<T>(d: ReducingStateDescriptor<T>): ReducingState<T> {
    return this.register(d, (h) => new CellReducingState(valueCell(this, h, d.serializer, d.ttl), d.reduce));
  }
  getAggregatingState<IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    return this.register(d, (h) => new CellAggregatingState(valueCell(this, h, d.serializer, d.ttl), d));
  }

  keys(stateName: string): Key[] {
    const store = this.live();
    const id = this.registry.idOf(stateName);
    if (id === undefined) return [];
    const out: Key[] = [];
    store.ex.cursorState(id);
    let prev: Uint8Array | undefined;
    for (let rec = store.ex.cursorNext(); rec !== 0; rec = store.ex.cursorNext()) {
      store.refresh();
      const keyLen = store.dv.getUint16(rec + 10, true);
      const key = store.u8.subarray(rec + 12, rec + 12 + keyLen);
      // map entries of one key are adjacent: report the key once
      if (prev !== undefined && Buffer.compare(prev, key) === 0) continue;
      prev = key.slice();
      out.push(readKey(prev, 0, keyLen));
    }
    return out;
  }

  entryCount(): number {
    return this.live().ex.entryCount();
  }

  snapshot(options: SnapshotOptions): StateSnapshot {
    const store = this.live();
    if (options.incremental) {
      if (!this.options.incremental) {
        throw new Error('incremental snapshot requested, but this backend was created with incremental: false');
      }
      if (!this.hasBaseline) throw new Error('incremental snapshot requested, but there is no previous snapshot to build on');
    }
    const t0 = performance.now();
    const kind = options.incremental ? 'incremental' : 'full';
    const w = this.headerWriter;
    w.reset();
    const headerLen = writeSnapshotHeader(w, {
      kind,
      maxParallelism: this.maxParallelism,
      keyGroups: this.keyGroupRange,
      states: this.registry.snapshotStates(),
    });
    const { start, end } = this.keyGroupRange;
    const ptr = options.incremental
      ? store.ex.snapshotIncremental(headerLen, start, end - start)
      : store.ex.snapshotFull(headerLen, start, end - start);
    if (ptr === 0) {
      throw new RangeError('snapshot exceeds 1 GiB in one backend instance: use more parallelism (fewer keys per subtask)');
    }
    const len = store.ex.snapshotLength();
    this.hasBaseline = true;
    const header = w.bytes().slice();
    const syncMs = performance.now() - t0;
    let taken = false;
    return {
      kind,
      syncMs,
      bytes: async () => {
        if (taken) throw new Error('snapshot bytes were already taken');
        taken = true;
        // the buffer is a separate allocation the store never touches again: copy it out, free it
        const out = store.copyOut(ptr, len);
        store.ex.free(ptr);
        out.set(header, 0);
        new DataView(out.buffer).setUint32(len - 4, crc32(out.subarray(0, len - 4)) >>> 0, true);
        return out;
      },
    };
  }

  restore(chain: readonly Uint8Array[]): void {
    this.live();
    const { headers, states } = readChainHeaders(chain, this.maxParallelism);
    // load into a new instance: a failure half-way leaves the current state untouched
    const fresh = new WasmStore(this.maxParallelism, this.options.incremental);
    headers.forEach((h, i) => {
        const bytes = chain[i]!;
        const ptr = fresh.copyIn(bytes);
        const { start, end } = h.keyGroups;
        const code = fresh.ex.restoreSnapshot(
          ptr, bytes.length, h.indexOffset, start, end - start,
          this.keyGroupRange.start, this.keyGroupRange.end, i === 0 ? 1 : 0,
        );
        fresh.ex.free(ptr);
      if (code !== 0) throw restoreError(code, fresh.ex.restoreErrorAt(), i);
    });
    // register (and migrate) aside too: a StateMigrationError leaves the current state untouched
    const registry = new StateRegistry();
    registry.adopt(states);
    const ids: number[] = [];
    for (const r of this.states.values()) {
      const reg = registry.register(r.descriptor);
      if (reg.migrateFrom !== undefined) rewriteStateValues(fresh, reg.id, valueRewrite(r.descriptor, reg.migrateFrom));
      ids.push(reg.id);
    }
    this.store = fresh;
    this.registry = registry;
    this.currentKeyGroup = -1;
    this.currentKey = undefined;
    this.hasBaseline = true;
    let i = 0;
    for (const r of this.states.values()) r.handle.id = ids[i++]!;
  }

  dispose(): void {
    this.store = undefined;
    this.currentKeyGroup = -1;
  }
}

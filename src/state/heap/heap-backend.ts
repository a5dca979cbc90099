/**
 * The heap keyed-state backend: JS Maps of the values the user gave, one table per state,
 * serialized only by snapshots. Snapshots are copy-on-write (heap-overlay.ts): the synchronous part
 * seals one overlay per state and starts the next; the bytes are produced afterwards, in slices.
 *
 * @example
 * const backend = new HeapKeyedStateBackend({ maxParallelism: 128 });
 * const count = backend.getState(valueState('count', Serializers.number));
 * backend.setCurrentKey('user-1');
 * count.update((count.value() ?? 0) + 1);
 * const bytes = await backend.snapshot({ incremental: false }).bytes();
 */
import { resolveBackendOptions, type ResolvedBackendOptions } from '../backend-options.js';
import type { KeyGroupRange } from '../key-groups.js';
import { valueRewrite } from '../state-migration.js';
import { StateRegistry, type RegisteredState } from '../state-registry.js';
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
import { CellTable } from './heap-cell-table.js';
import { KeyContext } from './heap-context.js';
import { ListTable } from './heap-list-table.js';
import { MapTable } from './heap-map-table.js';
import { loadEntries, rawKeys, readRestoreChain, type RawEntries } from './heap-restore.js';
import { produceSnapshot, type CapturedTable, type SnapshotCapture } from './heap-snapshot.js';
import {
  HeapListState,
  HeapMapState,
  type HeapStateHandle,
} from './heap-states.js';
import type { Table } from './heap-table.js';

interface Registered {
  readonly descriptor: StateDescriptor;
  readonly handle: HeapStateHandle;
}

/**
 * Releases the pre-image values kept for a snapshot whose handle was dropped without taking its
 * bytes (e.g. a declined checkpoint); otherwise every later write would keep copying values.
 */
const abandonedSnapshots = new FinalizationRegistry<KeyContext>((ctx) => ctx.release());

export class HeapKeyedStateBackend implements KeyedStateBackend {
  readonly kind = 'heap' as const;
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  private readonly options: ResolvedBackendOptions;
  private readonly ctx: KeyContext;
  /** Replaced by restore. */
  private registry = new StateRegistry();
  /** Registered states by name, in registration order. */
  private readonly states = new Map<string, Registered>();
  /** Restored entries of states not registered yet, by state id, in serialized form. */
  private raw = new Map<number, RawEntries>();

  constructor(options: KeyedStateBackendOptions = {}) {
    this.options = resolveBackendOptions(options);
    this.maxParallelism = this.options.maxParallelism;
    this.keyGroupRange = this.options.keyGroupRange;
    this.ctx = new KeyContext(this.maxParallelism, this.keyGroupRange, this.options.incremental, this.options.clock);
  }

  private live(): void {
    if (this.ctx.disposed) this.ctx.fail();
  }

  setCurrentKey(key: Key): void {
    this.ctx.setKey(key);
  }

  getCurrentKey(): Key {
    return this.ctx.currentKey();
  }

  getCurrentKeyGroup(): number {
    return this.ctx.currentKeyGroup();
  }

  getState<T>(d: ValueStateDescriptor<T>): ValueState<T> {
    return this.register(d, (t) => new CellValueState<T, CellTable>(t as CellTable));
  }
  getListState<T>(d: ListStateDescriptor<T>): ListState<T> {
    return this.register(d, (t) => new HeapListState<T>(t as ListTable));
  }
  getMapState<UK, UV>(d: MapStateDescriptor<UK, UV>): MapState<UK, UV> {
    return this.register(d, (t) => new HeapMapState<UK, UV>(t as MapTable));
  }
  getReducingState<T>(d: ReducingStateDescriptor<T>): ReducingState<T> {
    return this.register(d, (t) => new CellReducingState<T, CellTable>(t as CellTable, d.reduce));
  }
  getAggregatingState<IN, ACC, OUT>(d: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    return this.register(d, (t) => new CellAggregatingState<IN, ACC, OUT, CellTable>(t as CellTable, d));
  }

  private register<S extends HeapStateHandle>(d: StateDescriptor, make: (t: Table) => S): S {
    this.live();
    const existing = this.states.get(d.name);
    const reg = this.registry.register(d); // throws on a conflicting redefinition
    if (existing) return existing.handle as S;
    const table = this.createTable(reg, this.raw);
    const handle = make(table);
    this.states.set(d.name, { descriptor: d, handle });
    return handle;
  }

  /** A table for `reg`, holding the restored entries of its id (taken out of `raw`). */
  private createTable(reg: RegisteredState, raw: Map<number, RawEntries>): Table {
    const d = reg.descriptor;
    const table =
      d.kind === 'list'
        ? new ListTable(this.ctx, reg.id, d.name, d.serializer, d.ttl)
        : d.kind === 'map'
          ? new MapTable(this.ctx, reg.id, d.name, d.keySerializer, d.serializer, d.ttl)
          : new CellTable(this.ctx, reg.id, d.name, d.serializer, d.ttl);
    const entries = raw.get(reg.id);
    if (entries !== undefined) {
      const migrate = reg.migrateFrom;
      if (migrate === undefined) {
        loadEntries(table, entries);
      } else {
        loadEntries(table, entries.withValues(valueRewrite(d, migrate)));
        // the next incremental snapshot must carry every rewritten entry (the wasm backend's
        // rewrite marks them dirty likewise); without change tracking the next snapshot is full
        if (this.options.incremental) table.markAllWritten();
      }
      raw.delete(reg.id);
    }
    return table;
  }

  keys(stateName: string): Key[] {
    this.live();
    const id = this.registry.idOf(stateName);
    if (id === undefined) return [];
    const s = this.states.get(stateName);
    if (s !== undefined) return s.handle.t.keysInOrder();
    const raw = this.raw.get(id);
    return raw === undefined ? [] : rawKeys(raw, this.maxParallelism);
  }

  entryCount(): number {
    this.live();
    let n = 0;
    for (const s of this.states.values()) n += s.handle.t.entryCount();
    for (const entries of this.raw.values()) n += entries.length;
    return n;
  }

  snapshot(options: SnapshotOptions): StateSnapshot {
    this.live();
    const ctx = this.ctx;
    if (options.incremental) {
      if (!this.options.incremental) {
        throw new Error('incremental snapshot requested, but this backend was created with incremental: false');
      }
      if (!ctx.baseline) throw new Error('incremental snapshot requested, but there is no previous snapshot to build on');
    }
    const t0 = performance.now();
    const kind = options.incremental ? 'incremental' : 'full';
    const tables: CapturedTable[] = [];
    for (const s of this.states.values()) {
      const table = s.handle.t;
      const changes = table.seal();
      tables.push({ table, since: table.overlay, changes: options.incremental ? changes : undefined });
    }
    const capture: SnapshotCapture = {
      header: {
        kind,
        maxParallelism: this.maxParallelism,
        keyGroups: this.keyGroupRange,
        states: this.registry.snapshotStates(),
      },
      tables,
      raw: kind === 'full' ? [...this.raw.values()] : [],
    };
    ctx.snapshotTaken();
    const token = {};
    let taken = false;
    const handle: StateSnapshot = {
      kind,
      syncMs: performance.now() - t0,
      bytes: async () => {
        if (taken) throw new Error('snapshot bytes were already taken');
        taken = true;
        abandonedSnapshots.unregister(token);
        try {
          return await produceSnapshot(capture);
        } finally {
          ctx.release();
        }
      },
    };
    abandonedSnapshots.register(handle, ctx, token);
    return handle;
  }

  restore(chain: readonly Uint8Array[]): void {
    this.live();
    const restored = readRestoreChain(chain, this.maxParallelism, this.keyGroupRange);
    // build everything aside: a failure half-way leaves the current state untouched
    const registry = new StateRegistry();
    registry.adopt(restored.states);
    const tables: Table[] = [];
    for (const s of this.states.values()) tables.push(this.createTable(registry.register(s.descriptor), restored.entries));
    this.registry = registry;
    this.raw = restored.entries;
    let i = 0;
    // pending snapshots keep the old tables, which nothing modifies any more
    for (const s of this.states.values()) s.handle.t = tables[i++]!;
    this.ctx.restored();
  }

  dispose(): void {
    this.ctx.disposed = true;
    this.ctx.unsetKey();
    this.states.clear();
    this.raw = new Map();
  }
}

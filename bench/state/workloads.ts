/**
 * The state operations each ops case measures, written once for a keyed-state backend and once for
 * the baseline (plain JS Maps doing the same work without key groups or serialization).
 *
 * One operation = one record's work: `setCurrentKey(k)` plus the case's state calls. Each workload
 * is populated first (every key present), then `runBatch` does `batch` operations over the next
 * window of pre-drawn keys.
 */
import { createKeyedStateBackend } from '../../src/state/backend-factory.js';
import { listState, mapState, valueState } from '../../src/state/descriptors.js';
import { Serializers } from '../../src/state/serializers.js';
import type { KeyedStateBackend, ValueState } from '../../src/state/types.js';
import { DrawCursor } from './key-draws.js';
import { BACKEND_OPTIONS, type OpsCase, type StateBenchBackend } from './plan.js';

export interface Workload {
  /** Runs one batch of operations. */
  readonly runBatch: () => void;
  /**
   * Brings the state to how a checkpointed job runs it before measuring: one full snapshot taken
   * and written, so change tracking for the next incremental snapshot is on (the heap backend only
   * starts tracking after a first snapshot). Absent for the baseline.
   */
  readonly settle?: () => Promise<void>;
  /** Entries held (map entries count one each). */
  entries(): number;
  dispose(): void;
}

export interface WorkloadInput {
  readonly keys: number;
  /** Key indexes in [0, keys), consumed `batch` at a time. */
  readonly draws: Uint32Array;
  readonly batch: number;
  /** The key strings (string cases only), indexed by key index. */
  readonly stringKeys?: readonly string[];
  readonly userKeysPerKey: number;
}

/** Results of reads land here so the JIT cannot drop them. */
export let blackhole = 0;

export const COUNTER_STATE = valueState('count', Serializers.number);
const MAP_STATE = mapState('seen', Serializers.number, Serializers.number);
const LIST_STATE = listState('events', Serializers.number);

export function createBackend(backend: Exclude<StateBenchBackend, 'baseline'>): KeyedStateBackend {
  return createKeyedStateBackend(backend, BACKEND_OPTIONS);
}

/** Populates and returns the workload of one ops case. */
export function prepareWorkload(opsCase: OpsCase, backend: StateBenchBackend, input: WorkloadInput): Workload {
  if (backend === 'baseline') {
    switch (opsCase) {
      case 'value-counter-numeric':
      case 'value-counter-string':
        return baselineCounter(new Map(), input);
      case 'map-put-get':
        return baselineMapPutGet(input);
      case 'list-append':
        return baselineListAppend(input);
    }
  }
  const b = createBackend(backend);
  switch (opsCase) {
    case 'value-counter-numeric':
    case 'value-counter-string':
      return backendCounter(b, input);
    case 'map-put-get':
      return backendMapPutGet(b, input);
    case 'list-append':
      return backendListAppend(b, input);
  }
}

async function settle(b: KeyedStateBackend): Promise<void> {
  await b.snapshot({ incremental: false }).bytes();
}

// ---------------------------------------------------------------------------------------------
// ValueState<number> counter: setCurrentKey(k); s.update((s.value() ?? 0) + 1)

export function populateCounter(b: KeyedStateBackend, keys: number, names?: readonly string[]): ValueState<number> {
  const s = b.getState(COUNTER_STATE);
  if (names) {
    for (let i = 0; i < keys; i++) {
      b.setCurrentKey(names[i]!);
      s.update(1);
    }
  } else {
    for (let i = 0; i < keys; i++) {
      b.setCurrentKey(i);
      s.update(1);
    }
  }
  return s;
}

/** Counter workload over an already created backend (populated here). */
export function backendCounter(b: KeyedStateBackend, input: WorkloadInput): Workload {
  const { draws, batch, stringKeys: names } = input;
  const s = populateCounter(b, input.keys, names);
  const cursor = new DrawCursor(draws, batch);
  const runBatch = names
    ? () => {
        const from = cursor.take();
        const end = from + batch;
        for (let p = from; p < end; p++) {
          b.setCurrentKey(names[draws[p]!]!);
          s.update((s.value() ?? 0) + 1);
        }
      }
    : () => {
        const from = cursor.take();
        const end = from + batch;
        for (let p = from; p < end; p++) {
          b.setCurrentKey(draws[p]!);
          s.update((s.value() ?? 0) + 1);
        }
      };
  return { runBatch, settle: () => settle(b), entries: () => b.entryCount(), dispose: () => b.dispose() };
}

export function populateBaselineCounter(m: Map<number | string, number>, keys: number, names?: readonly string[]): void {
  if (names) for (let i = 0; i < keys; i++) m.set(names[i]!, 1);
  else for (let i = 0; i < keys; i++) m.set(i, 1);
}

/** The floor: a `Map<number | string, number>` read-modify-write loop. */
export function baselineCounter(m: Map<number | string, number>, input: WorkloadInput): Workload {
  const { draws, batch, stringKeys: names } = input;
  populateBaselineCounter(m, input.keys, names);
  const cursor = new DrawCursor(draws, batch);
  const runBatch = names
    ? () => {
        const from = cursor.take();
        const end = from + batch;
        for (let p = from; p < end; p++) {
          const k = names[draws[p]!]!;
          m.set(k, (m.get(k) ?? 0) + 1);
        }
      }
    : () => {
        const from = cursor.take();
        const end = from + batch;
        for (let p = from; p < end; p++) {
          const k = draws[p]!;
          m.set(k, (m.get(k) ?? 0) + 1);
        }
      };
  return { runBatch, entries: () => m.size, dispose: () => m.clear() };
}

// ---------------------------------------------------------------------------------------------
// MapState<number, number>: every key holds `userKeysPerKey` entries; an operation puts one user
// key of the current key, then gets it back.

function backendMapPutGet(b: KeyedStateBackend, input: WorkloadInput): Workload {
  const { draws, batch, userKeysPerKey: u } = input;
  const m = b.getMapState(MAP_STATE);
  for (let i = 0; i < input.keys; i++) {
    b.setCurrentKey(i);
    for (let j = 0; j < u; j++) m.put(j, 0);
  }
  const cursor = new DrawCursor(draws, batch);
  const runBatch = () => {
    const from = cursor.take();
    const end = from + batch;
    let sum = 0;
    for (let p = from; p < end; p++) {
      b.setCurrentKey(draws[p]!);
      const userKey = p % u;
      m.put(userKey, p);
      sum += m.get(userKey) ?? 0;
    }
    blackhole += sum;
  };
  return { runBatch, settle: () => settle(b), entries: () => b.entryCount(), dispose: () => b.dispose() };
}

function baselineMapPutGet(input: WorkloadInput): Workload {
  const { draws, batch, userKeysPerKey: u } = input;
  const outer = new Map<number, Map<number, number>>();
  for (let i = 0; i < input.keys; i++) {
    const inner = new Map<number, number>();
    for (let j = 0; j < u; j++) inner.set(j, 0);
    outer.set(i, inner);
  }
  const cursor = new DrawCursor(draws, batch);
  const runBatch = () => {
    const from = cursor.take();
    const end = from + batch;
    let sum = 0;
    for (let p = from; p < end; p++) {
      const k = draws[p]!;
      let inner = outer.get(k);
      if (inner === undefined) outer.set(k, (inner = new Map()));
      const userKey = p % u;
      inner.set(userKey, p);
      sum += inner.get(userKey) ?? 0;
    }
    blackhole += sum;
  };
  return {
    runBatch,
    entries: () => {
      let n = 0;
      for (const inner of outer.values()) n += inner.size;
      return n;
    },
    dispose: () => outer.clear(),
  };
}

// ---------------------------------------------------------------------------------------------
// ListState<number>: every key starts with a one-element list; an operation appends one element.

function backendListAppend(b: KeyedStateBackend, input: WorkloadInput): Workload {
  const { draws, batch } = input;
  const l = b.getListState(LIST_STATE);
  for (let i = 0; i < input.keys; i++) {
    b.setCurrentKey(i);
    l.add(0);
  }
  const cursor = new DrawCursor(draws, batch);
  const runBatch = () => {
    const from = cursor.take();
    const end = from + batch;
    for (let p = from; p < end; p++) {
      b.setCurrentKey(draws[p]!);
      l.add(p);
    }
  };
  return { runBatch, settle: () => settle(b), entries: () => b.entryCount(), dispose: () => b.dispose() };
}

function baselineListAppend(input: WorkloadInput): Workload {
  const { draws, batch } = input;
  const lists = new Map<number, number[]>();
  for (let i = 0; i < input.keys; i++) lists.set(i, [0]);
  const cursor = new DrawCursor(draws, batch);
  const runBatch = () => {
    const from = cursor.take();
    const end = from + batch;
    for (let p = from; p < end; p++) {
      const k = draws[p]!;
      let l = lists.get(k);
      if (l === undefined) lists.set(k, (l = []));
      l.push(p);
    }
  };
  return { runBatch, entries: () => lists.size, dispose: () => lists.clear() };
}

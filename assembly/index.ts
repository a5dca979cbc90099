// The ABI JS calls (src/state/wasm/wasm-store.ts): numbers only, inputs through the scratch region.
// Logic lives in store.ts (entries, current key, change tracking), table.ts (ordered hash table),
// snapshot.ts / restore.ts (canonical snapshot bodies), record.ts and slab.ts (memory).

import * as store from './store';
import * as snapshot from './snapshot';
import * as restore from './restore';
import { homeOf, slotAt } from './table';
import { slotOccupied, slotSortKey } from './slot';

export function init(maxParallelism: u32, tracking: bool, expected: u32): void {
  store.storeInit(maxParallelism, tracking, expected);
}

/** Current scratch pointer, after making room for `bytes` (may move it and grow memory). */
export function ensureScratch(bytes: u32): usize { return store.ensureScratch(bytes); }

export function setKeyNumber(v: f64): u32 { return store.setKeyNumber(v); }
export function setKeyBytes(len: u32): u32 { return store.setKeyBytes(len); }
export function currentHash(): u32 { return store.curHash; }

export function numberFind(stateId: u32): i32 { return store.numberFind(stateId); }
export function numberValue(): f64 { return store.numberValue(); }
export function numberPut(stateId: u32, v: f64): void { store.numberPut(stateId, v); }

export function getValue(stateId: u32, userKeyLen: u32): i32 { return store.getValue(stateId, userKeyLen); }
export function lastValuePtr(): usize { return store.lastPtr; }
export function putValue(stateId: u32, userKeyLen: u32, valueLen: u32): void {
  store.putValue(stateId, userKeyLen, valueLen);
}
export function appendValue(stateId: u32, len: u32, ts: f64, hasTs: bool): void {
  store.appendValue(stateId, len, ts, hasTs);
}
export function setValuePrefix(stateId: u32, userKeyLen: u32, ts: f64): i32 {
  return store.setValuePrefix(stateId, userKeyLen, ts);
}
export function removeValue(stateId: u32, userKeyLen: u32): i32 { return store.removeValue(stateId, userKeyLen); }
export function removePrefix(stateId: u32): u32 { return store.removePrefix(stateId); }

export function cursorPrefix(stateId: u32): void { store.cursorPrefix(stateId); }
export function cursorState(stateId: u32): void { store.cursorState(stateId); }
export function cursorKeyGroup(kg: u32): void { store.cursorKeyGroup(kg); }
export function cursorNext(): usize { return store.cursorNext(); }

export function entryCount(): u32 { return store.main.count; }
export function tombCount(): u32 { return store.tombs.count; }
export function tableCapacity(): u32 { return store.main.end; }

export function snapshotFull(headerLen: u32, kgStart: u32, kgCount: u32): usize {
  return snapshot.snapshotFull(headerLen, kgStart, kgCount);
}
export function snapshotIncremental(headerLen: u32, kgStart: u32, kgCount: u32): usize {
  return snapshot.snapshotIncremental(headerLen, kgStart, kgCount);
}
export function snapshotLength(): u32 { return snapshot.snapshotLen; }

export function alloc(bytes: u32): usize { return heap.alloc(bytes); }
export function free(ptr: usize): void { heap.free(ptr); }

export function restoreSnapshot(
  input: usize, len: u32, indexOffset: u32, kgStart: u32, kgCount: u32, from: u32, to: u32, bulk: bool,
): i32 {
  return restore.restoreSnapshot(input, len, indexOffset, kgStart, kgCount, from, to, bulk);
}
export function restoreErrorAt(): u32 { return restore.errorAt; }

/** Mean distance of entries from their home slot, ×1000: a probe-length diagnostic for tests. */
export function meanDisplacementMilli(): u32 {
  const t = store.main;
  let sum: u64 = 0;
  for (let i: u32 = 0; i < t.end; i++) {
    const s = slotAt(t, i);
    if (slotOccupied(s)) sum += i - homeOf(t, slotSortKey(s));
  }
  return t.count == 0 ? 0 : <u32>(sum * 1000 / t.count);
}

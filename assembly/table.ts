// An ordered open-addressing hash table (linear probing, Amble–Knuth ordering). Slots are kept
// sorted by the sort key (keyGroup, hash) and, among equal sort keys, by composite-key bytes — the
// canonical snapshot order of docs/state-layer.md. So a full snapshot is one pass in slot order,
// a key group is a contiguous run, and a sorted snapshot restores by placing entries left to right
// without probing. A key's home slot is a monotone function of its sort key; no wrap-around: the
// table ends with an overflow area whose last slot always stays empty.

import { compareBytes } from './hash';
import { recKey, recKlen } from './record';

// slot: +0 u32 hash, +4 u32 key group (so the u64 at +0 is the sort key), +8 u32 record | flags
@inline export const SLOT: u32 = 12;
/** Record pointers are 8-aligned: the low bits carry flags. */
@inline export const FLAG_DIRTY: u32 = 1; // written since the last snapshot
@inline export const FLAG_NEW: u32 = 2; // absent at the last snapshot
@inline export const FLAG_MASK: u32 = 7;
/** Slots per dirty-map byte. */
@inline export const BLOCK_SHIFT: u32 = 4;
@inline const MIN_CAPACITY: u32 = 1024;
/** Grow above this load. */
@inline const MAX_LOAD: f64 = 0.8;

@unmanaged
export class Table {
  /** (end × SLOT) bytes; a slot with record 0 is empty. */
  slots: usize;
  /** Home slots are in [0, capacity). */
  capacity: u32;
  /** Slots that exist: capacity + overflow; slot end-1 is always empty (scan sentinel). */
  end: u32;
  count: u32;
  maxCount: u32;
  /** capacity / (maxParallelism × 2^32): maps a sort key to its home. */
  scale: f64;
  maxParallelism: u32;
  /** u8[ceil(end / 16)]: 1 = the block may hold a dirty slot; 0 when not tracking. */
  dirtyMap: usize;
  tracking: bool;
}

@inline export function slotAt(t: Table, pos: u32): usize {
  return t.slots + <usize>pos * SLOT;
}
@inline export function slotRec(s: usize): usize {
  return <usize>(load<u32>(s, 8) & ~FLAG_MASK);
}
@inline export function slotFlags(s: usize): u32 {
  return load<u32>(s, 8) & FLAG_MASK;
}
@inline export function sortKey(kg: u32, h: u32): u64 {
  return (<u64>kg << 32) | <u64>h;
}
@inline function home(t: Table, sk: u64): u32 {
  return min(<u32>(<f64>sk * t.scale), t.capacity - 1);
}

function overflowFor(capacity: u32): u32 {
  return max<u32>(64, capacity >> 5);
}

function allocSlots(t: Table, capacity: u32, overflow: u32): void {
  t.capacity = capacity;
  t.end = capacity + overflow;
  t.slots = heap.alloc(<usize>t.end * SLOT);
  memory.fill(t.slots, 0, <usize>t.end * SLOT);
  t.maxCount = <u32>(<f64>capacity * MAX_LOAD);
  t.scale = <f64>capacity / (<f64>t.maxParallelism * 4294967296.0);
  if (t.tracking) {
    const n = (t.end >> BLOCK_SHIFT) + 1;
    t.dirtyMap = heap.alloc(n);
    memory.fill(t.dirtyMap, 0, n);
  } else {
    t.dirtyMap = 0;
  }
}

export function tableNew(maxParallelism: u32, expected: u32, tracking: bool): Table {
  const t = changetype<Table>(heap.alloc(offsetof<Table>()));
  t.maxParallelism = maxParallelism;
  t.tracking = tracking;
  t.count = 0;
  allocSlots(t, capacityFor(expected), overflowFor(capacityFor(expected)));
  return t;
}

export function capacityFor(expected: u32): u32 {
  let cap = MIN_CAPACITY;
  while (<f64>cap * MAX_LOAD < <f64>expected) cap <<= 1;
  return cap;
}

/** Frees the slot arrays (records are the caller's). */
export function tableFreeSlots(t: Table): void {
  heap.free(t.slots);
  if (t.dirtyMap != 0) heap.free(t.dirtyMap);
}

/** Empties the table without freeing records (the caller freed or kept them). */
export function tableClear(t: Table): void {
  memory.fill(t.slots, 0, <usize>t.end * SLOT);
  if (t.dirtyMap != 0) memory.fill(t.dirtyMap, 0, (t.end >> BLOCK_SHIFT) + 1);
  t.count = 0;
}

@inline export function markDirtyRange(t: Table, from: u32, to: u32): void {
  if (t.dirtyMap == 0) return;
  for (let b = from >> BLOCK_SHIFT; b <= to >> BLOCK_SHIFT; b++) store<u8>(t.dirtyMap + b, 1);
}

/**
 * Finds the composite key `kp[0..kl)` with sort key (kg, h). Returns its slot, or `~insertAt` (a
 * negative number) when absent: the slot where it belongs in the order.
 */
export function tableFind(t: Table, kg: u32, h: u32, kp: usize, kl: u32): i32 {
  const sk = sortKey(kg, h);
  let pos = home(t, sk);
  let s = slotAt(t, pos);
  while (true) {
    const rec = slotRec(s);
    if (rec == 0) return ~<i32>pos;
    const other = load<u64>(s);
    if (other >= sk) {
      if (other > sk) return ~<i32>pos;
      const c = compareBytes(recKey(rec), recKlen(rec), kp, kl);
      if (c == 0) return <i32>pos;
      if (c > 0) return ~<i32>pos;
    }
    pos++;
    s += SLOT;
  }
}

/**
 * Inserts a record at `pos` (from tableFind), shifting the run after it right by one. Returns false
 * — and changes nothing — when the table must grow first.
 */
export function tableInsertAt(t: Table, pos: u32, kg: u32, h: u32, recAndFlags: u32): bool {
  if (t.count >= t.maxCount) return false;
  let free = pos;
  while (slotRec(slotAt(t, free)) != 0) free++;
  if (free >= t.end - 1) return false;
  const s = slotAt(t, pos);
  if (free > pos) {
    memory.copy(s + SLOT, s, <usize>(free - pos) * SLOT);
    markDirtyRange(t, pos, free);
  }
  store<u32>(s, h);
  store<u32>(s, kg, 4);
  store<u32>(s, recAndFlags, 8);
  if (recAndFlags & FLAG_DIRTY) markDirtyRange(t, pos, pos);
  t.count++;
  return true;
}

/** Removes the slot at `pos` (its record is the caller's), shifting the following run back. */
export function tableRemoveAt(t: Table, pos: u32): void {
  let last = pos + 1;
  while (true) {
    const s = slotAt(t, last);
    if (slotRec(s) == 0 || home(t, load<u64>(s)) >= last) break;
    last++;
  }
  // slots (pos, last) move one left; slot last-1 becomes empty
  const s = slotAt(t, pos);
  if (last - pos > 1) {
    memory.copy(s, s + SLOT, <usize>(last - pos - 1) * SLOT);
    markDirtyRange(t, pos, last - 1);
  }
  memory.fill(slotAt(t, last - 1), 0, SLOT);
  t.count--;
}

/**
 * Re-lays the table with room for `expected` entries. Slots keep their order, so each lands at
 * max(its new home, the slot after the previous one): no probing, no comparisons.
 */
export function tableResize(t: Table, expected: u32): void {
  const oldSlots = t.slots;
  const oldEnd = t.end;
  const oldMap = t.dirtyMap;
  const capacity = capacityFor(expected);
  let overflow = overflowFor(capacity);
  while (true) {
    allocSlots(t, capacity, overflow);
    if (relayout(t, oldSlots, oldEnd)) break;
    tableFreeSlots(t);
    overflow <<= 1;
  }
  heap.free(oldSlots);
  if (oldMap != 0) heap.free(oldMap);
}

function relayout(t: Table, from: usize, fromEnd: u32): bool {
  let next: u32 = 0;
  const limit = t.end - 1;
  for (let i: u32 = 0; i < fromEnd; i++) {
    const src = from + <usize>i * SLOT;
    const word = load<u32>(src, 8);
    if (word == 0) continue;
    const pos = max(home(t, load<u64>(src)), next);
    if (pos >= limit) return false;
    const dst = slotAt(t, pos);
    store<u64>(dst, load<u64>(src));
    store<u32>(dst, word, 8);
    if (word & FLAG_DIRTY) markDirtyRange(t, pos, pos);
    next = pos + 1;
  }
  return true;
}

/**
 * Appends a record during a sorted bulk load: lands at max(home, after the previous one). The
 * caller guarantees ascending order and enough capacity. Returns false when it ran out of slots.
 */
export function tableAppendSorted(t: Table, after: u32, kg: u32, h: u32, rec: u32): i32 {
  const pos = max(home(t, sortKey(kg, h)), after);
  if (pos >= t.end - 1) return -1;
  const s = slotAt(t, pos);
  store<u32>(s, h);
  store<u32>(s, kg, 4);
  store<u32>(s, rec, 8);
  t.count++;
  return <i32>pos + 1;
}

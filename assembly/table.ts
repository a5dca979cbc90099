// An ordered open-addressing hash table (linear probing, Amble–Knuth ordering). Slots are kept
// sorted by the sort key (keyGroup, hash) and, among equal sort keys, by composite-key bytes — the
// canonical snapshot order of docs/state-layer.md. So a full snapshot is one pass in slot order,
// a key group is a contiguous run, and a sorted snapshot restores by placing entries left to right
// without probing. A key's home slot is a monotone function of its sort key; there is no
// wrap-around: the table ends with an overflow area whose last slot always stays empty.

import { copySlot, SLOT, slotCompareKey, slotOccupied, slotSortKey } from './slot';

@inline const MIN_CAPACITY: u32 = 1024;
/** Grow above this load. */
@inline const MAX_LOAD: f64 = 0.8;

@unmanaged
export class Table {
  /** end × SLOT bytes (slot.ts). */
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
}

@inline export function slotAt(t: Table, pos: u32): usize {
  return t.slots + <usize>pos * SLOT;
}
@inline export function sortKey(kg: u32, h: u32): u64 {
  return (<u64>kg << 32) | <u64>h;
}
@inline export function homeOf(t: Table, sk: u64): u32 {
  return min(<u32>(<f64>sk * t.scale), t.capacity - 1);
}

function overflowFor(capacity: u32): u32 {
  return max<u32>(64, capacity >> 5);
}

export function capacityFor(expected: u32): u32 {
  let cap = MIN_CAPACITY;
  while (<f64>cap * MAX_LOAD < <f64>expected) cap <<= 1;
  return cap;
}

function allocSlots(t: Table, capacity: u32, overflow: u32): void {
  t.capacity = capacity;
  t.end = capacity + overflow;
  t.slots = heap.alloc(<usize>t.end * SLOT);
  memory.fill(t.slots, 0, <usize>t.end * SLOT);
  t.maxCount = <u32>(<f64>capacity * MAX_LOAD);
  t.scale = <f64>capacity / (<f64>t.maxParallelism * 4294967296.0);
}

export function tableNew(maxParallelism: u32, expected: u32): Table {
  const t = changetype<Table>(heap.alloc(offsetof<Table>()));
  t.maxParallelism = maxParallelism;
  t.count = 0;
  const capacity = capacityFor(expected);
  allocSlots(t, capacity, overflowFor(capacity));
  return t;
}

function freeSlots(t: Table): void {
  heap.free(t.slots);
}

/** Empties the table (records, if any, are the caller's). */
export function tableClear(t: Table): void {
  memory.fill(t.slots, 0, <usize>t.end * SLOT);
  t.count = 0;
}

/**
 * Finds the composite key kp[0..kl) with sort key (kg, h). Returns its slot, or `~insertAt` (a
 * negative number) when absent: the slot where it belongs in the order.
 */
export function tableFind(t: Table, kg: u32, h: u32, kp: usize, kl: u32): i32 {
  const sk = sortKey(kg, h);
  let pos = homeOf(t, sk);
  let s = slotAt(t, pos);
  while (true) {
    if (!slotOccupied(s)) return ~<i32>pos;
    const other = slotSortKey(s);
    if (other >= sk) {
      if (other > sk) return ~<i32>pos;
      const c = slotCompareKey(s, kp, kl);
      if (c == 0) return <i32>pos;
      if (c > 0) return ~<i32>pos;
    }
    pos++;
    s += SLOT;
  }
}

/**
 * Copies the slot image at `image` into position `pos` (from tableFind), shifting the run after it
 * right by one. Returns false — and changes nothing — when the table must grow first.
 */
export function tableInsertAt(t: Table, pos: u32, image: usize): bool {
  if (t.count >= t.maxCount) return false;
  let free = pos;
  while (slotOccupied(slotAt(t, free))) free++;
  if (free >= t.end - 1) return false;
  const s = slotAt(t, pos);
  if (free > pos) memory.copy(s + SLOT, s, <usize>(free - pos) * SLOT);
  copySlot(s, image);
  t.count++;
  return true;
}

/** Removes the slot at `pos` (its record is the caller's), shifting the following run back. */
export function tableRemoveAt(t: Table, pos: u32): void {
  let last = pos + 1;
  while (true) {
    const s = slotAt(t, last);
    if (!slotOccupied(s) || homeOf(t, slotSortKey(s)) >= last) break;
    last++;
  }
  // slots (pos, last) move one left; slot last-1 becomes empty
  const s = slotAt(t, pos);
  if (last - pos > 1) memory.copy(s, s + SLOT, <usize>(last - pos - 1) * SLOT);
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
  const capacity = capacityFor(expected);
  let overflow = overflowFor(capacity);
  while (true) {
    allocSlots(t, capacity, overflow);
    t.count = 0;
    if (relayout(t, oldSlots, oldEnd)) break;
    freeSlots(t);
    overflow <<= 1;
  }
  heap.free(oldSlots);
}

function relayout(t: Table, from: usize, fromEnd: u32): bool {
  let next: u32 = 0;
  for (let i: u32 = 0; i < fromEnd; i++) {
    const src = from + <usize>i * SLOT;
    if (!slotOccupied(src)) continue;
    const at = tableAppendSorted(t, next, src);
    if (at < 0) return false;
    next = <u32>at;
  }
  return true;
}

/**
 * Places a slot image during an in-order bulk load: at max(its home, `after`). The caller
 * guarantees ascending order and capacity. Returns the next free position, or -1 when the overflow
 * area ran out.
 */
export function tableAppendSorted(t: Table, after: u32, image: usize): i32 {
  const pos = max(homeOf(t, slotSortKey(image)), after);
  if (pos >= t.end - 1) return -1;
  const s = slotAt(t, pos);
  copySlot(s, image);
  t.count++;
  return <i32>pos + 1;
}

// The keyed store: entries of every state of one backend in one ordered table, the current key,
// and change tracking for incremental snapshots — DIRTY/NEW slot flags, the log of dirty sort keys
// (dirty-log.ts), and a second table of keys deleted since the last snapshot ("tombs") that were
// present at it.

import { murmur3 } from './hash';
import { recFree, recKlen, recNew, recResize, recVal } from './record';
import { logDirty } from './dirty-log';
import { slabInit } from './slab';
import {
  inlineFits, INLINE_VALUE, META_DIRTY, META_NEW, SLOT, setSlotMeta, setSlotRec, slotAsRecord,
  keyGroupOf, setKeyGroups, slotHash, slotInline, slotKeyPtr, slotKg, slotKlen, slotMeta, slotOccupied,
  slotRec, slotSortKey, slotStateId, slotValPtr, slotVlen, writeInline, writeRecordSlot,
} from './slot';
import {
  homeOf, slotAt, sortKey, Table, tableFind, tableInsertAt, tableNew, tableRemoveAt, tableResize,
} from './table';

@inline const KEY_TAG_NUMBER: u8 = 1;
@inline const CANONICAL_NAN: u64 = 0x7ff8000000000000;

export let main: Table = changetype<Table>(0);
/** Keys deleted since the last snapshot that existed at it (record entries, empty values). */
export let tombs: Table = changetype<Table>(0);
/** Change tracking was asked for (incremental snapshots). */
let trackingWanted: bool = false;
/**
 * Changes are being tracked: only once a first snapshot or restore exists to be incremental to —
 * before that the next snapshot is full anyway, and tracking would only cost (a dirty-log entry
 * per insert).
 */
export let tracking: bool = false;
/** While loading a snapshot, writes set no flags and deletes leave no tombs. */
export let restoring: bool = false;
export let maxParallelism: u32 = 128;
/** Σ (composite length + value length) over live entries: bounds a snapshot's size. */
export let liveBytes: u64 = 0;
/** Σ composite length over tombs. */
export let tombBytes: u64 = 0;

// current key: u16 stateId | u16 keyLen | key bytes | user key bytes — a composite key under construction
export let cur: usize = 0;
let curCap: u32 = 0;
export let curKeyLen: u32 = 0;
export let curHash: u32 = 0;
export let curKg: u32 = 0;

// where JS writes inputs (key bytes, user keys, values)
export let scratch: usize = 0;
export let scratchCap: u32 = 0;

// result of the last get: value pointer and length (-1 = absent)
export let lastPtr: usize = 0;
export let lastLen: i32 = -1;

// numeric fast path: result of tableFind for (cacheState, current key); -1 = invalid
let cacheState: i32 = -1;
let cachePos: i32 = 0;

/** Where a new slot is assembled before it is copied into the table. */
const image: usize = memory.data(SLOT);

export function setRestoring(on: bool): void {
  restoring = on;
}

/** A snapshot or restore now exists: from here on, changes are tracked (if asked for). */
export function baselineTaken(): void {
  tracking = trackingWanted;
}

export function addLiveBytes(n: u32): void {
  liveBytes += n;
}

export function storeInit(maxPar: u32, track: bool, expected: u32): void {
  slabInit();
  maxParallelism = maxPar;
  setKeyGroups(maxPar);
  trackingWanted = track;
  tracking = false;
  main = tableNew(maxPar, expected);
  tombs = tableNew(maxPar, 0);
  ensureCur(64);
  ensureScratch(1024);
}

function ensureCur(n: u32): void {
  if (n <= curCap) return;
  let cap = max<u32>(curCap, 64);
  while (cap < n) cap <<= 1;
  cur = cur == 0 ? heap.alloc(cap) : heap.realloc(cur, cap);
  curCap = cap;
}

export function ensureScratch(n: u32): usize {
  if (n > scratchCap) {
    let cap = max<u32>(scratchCap, 1024);
    while (cap < n) cap <<= 1;
    if (scratch != 0) heap.free(scratch);
    scratch = heap.alloc(cap);
    scratchCap = cap;
  }
  return scratch;
}

@inline function keyChanged(): u32 {
  curHash = murmur3(cur + 4, curKeyLen, 0);
  curKg = keyGroupOf(curHash);
  cacheState = -1;
  return curKg;
}

@inline function storeCanonical(p: usize, v: f64): void {
  if (v != v) store<u64>(p, CANONICAL_NAN);
  else store<f64>(p, v == 0 ? 0.0 : v);
}

/** Sets a number key (tag + canonical f64); returns its key group. */
export function setKeyNumber(v: f64): u32 {
  store<u8>(cur + 4, KEY_TAG_NUMBER);
  storeCanonical(cur + 5, v);
  curKeyLen = 9;
  store<u16>(cur + 2, 9);
  return keyChanged();
}

/** Sets a key from scratch[0..len) (already serialized by the key codec); returns its key group. */
export function setKeyBytes(len: u32): u32 {
  ensureCur(len + 4);
  memory.copy(cur + 4, scratch, len);
  curKeyLen = len;
  store<u16>(cur + 2, <u16>len);
  return keyChanged();
}

/** Completes the composite key for `stateId` with user key scratch[0..ukLen); returns its length. */
@inline function composite(stateId: u32, ukLen: u32): u32 {
  store<u16>(cur, <u16>stateId);
  if (ukLen > 0) {
    ensureCur(4 + curKeyLen + ukLen);
    memory.copy(cur + 4 + curKeyLen, scratch, ukLen);
  }
  return 4 + curKeyLen + ukLen;
}

@inline function markWritten(pos: u32): void {
  if (!tracking || restoring) return;
  const s = slotAt(main, pos);
  const meta = slotMeta(s);
  if ((meta & META_DIRTY) == 0) {
    setSlotMeta(s, meta | META_DIRTY);
    logDirty(slotSortKey(s));
  }
}

/** Takes the tomb of a key being re-created: true if it existed at the last snapshot. */
function takeTomb(kg: u32, h: u32, kp: usize, kl: u32): bool {
  if (tombs.count == 0) return false;
  const pos = tableFind(tombs, kg, h, kp, kl);
  if (pos < 0) return false;
  const rec = slotRec(slotAt(tombs, pos));
  tombBytes -= recKlen(rec);
  recFree(rec);
  tableRemoveAt(tombs, pos);
  return true;
}

function addTomb(kg: u32, h: u32, kp: usize, kl: u32): void {
  const pos = tableFind(tombs, kg, h, kp, kl);
  if (pos >= 0) return;
  writeRecordSlot(image, h, 0, recNew(kp, kl, 0));
  if (!tableInsertAt(tombs, ~pos, image)) {
    tableResize(tombs, tombs.maxCount + 1);
    tableInsertAt(tombs, ~tableFind(tombs, kg, h, kp, kl), image);
  }
  tombBytes += kl;
}

/** Places the slot image for composite kp[0..kl) at `notFound` (~slot from tableFind); returns its slot. */
function place(notFound: i32, kg: u32, h: u32, kp: usize, kl: u32): u32 {
  if (tableInsertAt(main, ~notFound, image)) return ~notFound;
  tableResize(main, main.maxCount + 1);
  const at = ~tableFind(main, kg, h, kp, kl);
  tableInsertAt(main, at, image);
  return at;
}

/**
 * Creates an entry at `notFound` (~slot from tableFind) for a `vlen`-byte value; returns where the
 * caller writes the value (valid until the table next changes).
 */
export function insertEntry(notFound: i32, kg: u32, h: u32, kp: usize, kl: u32, vlen: u32): usize {
  let meta: u16 = 0;
  if (tracking && !restoring) {
    meta = takeTomb(kg, h, kp, kl) ? META_DIRTY : META_DIRTY | META_NEW;
    logDirty(sortKey(kg, h));
  }
  if (inlineFits(kp, kl, vlen)) {
    writeInline(image, h, meta, kp);
    const pos = place(notFound, kg, h, kp, kl);
    liveBytes += kl + vlen;
    cacheState = -1;
    return slotAt(main, pos) + INLINE_VALUE;
  }
  const rec = recNew(kp, kl, vlen);
  writeRecordSlot(image, h, meta, rec);
  place(notFound, kg, h, kp, kl);
  liveBytes += kl + vlen;
  cacheState = -1;
  return recVal(rec);
}

/** Removes the entry at `pos`, leaving a tomb if it existed at the last snapshot. */
export function removeEntry(pos: u32): void {
  const s = slotAt(main, pos);
  const kl = slotKlen(s);
  if (tracking && !restoring && (slotMeta(s) & META_NEW) == 0) {
    addTomb(slotKg(s), slotHash(s), slotKeyPtr(s), kl);
  }
  liveBytes -= kl + slotVlen(s);
  if (!slotInline(s)) recFree(slotRec(s));
  tableRemoveAt(main, pos);
  cacheState = -1;
}

/**
 * Makes the entry at `pos` hold a `vlen`-byte value, keeping its first `keep` bytes; returns where
 * the value now lives. An inline entry whose value stops being 8 bytes moves into a record.
 */
function resizeValue(pos: u32, vlen: u32, keep: u32): usize {
  const s = slotAt(main, pos);
  const old = slotVlen(s);
  liveBytes += <u64>vlen - <u64>old;
  if (slotInline(s)) {
    if (vlen == 8) return s + INLINE_VALUE;
    const kl = slotKlen(s);
    const rec = recNew(slotKeyPtr(s), kl, vlen);
    memory.copy(recVal(rec), s + INLINE_VALUE, min<u32>(keep, 8));
    const meta = slotMeta(s);
    writeRecordSlot(s, slotHash(s), meta, rec);
    return recVal(rec);
  }
  const rec = slotRec(s);
  const moved = recResize(rec, vlen, keep);
  if (moved != rec) setSlotRec(s, moved);
  return recVal(moved);
}

/** Sets the value of the entry at `pos` to vp[0..vlen). */
export function overwriteEntry(pos: u32, vp: usize, vlen: u32): void {
  memory.copy(resizeValue(pos, vlen, 0), vp, vlen);
  markWritten(pos);
}

// ---- numeric fast path: ValueState<number> without TTL -----------------------------------------

/** Looks up the current key's number under `stateId`; 1 if present (read it with numberValue). */
export function numberFind(stateId: u32): i32 {
  const kl = composite(stateId, 0);
  cachePos = tableFind(main, curKg, curHash, cur, kl);
  cacheState = stateId;
  return cachePos >= 0 ? 1 : 0;
}

export function numberValue(): f64 {
  return load<f64>(slotValPtr(slotAt(main, cachePos)));
}

/** Stores a number in place; the lookup from numberFind is reused when it is still valid. */
export function numberPut(stateId: u32, v: f64): void {
  if (cacheState != stateId) numberFind(stateId);
  if (cachePos >= 0) {
    const s = slotAt(main, cachePos);
    storeCanonical(slotVlen(s) == 8 ? slotValPtr(s) : resizeValue(cachePos, 8, 0), v);
    markWritten(cachePos);
    return;
  }
  // another state's access may have rewritten the composite's state id since numberFind
  const kl = composite(stateId, 0);
  storeCanonical(insertEntry(cachePos, curKg, curHash, cur, kl, 8), v);
}

// ---- byte values --------------------------------------------------------------------------------

/** Looks up (stateId, current key, user key scratch[0..ukLen)); returns the value length or -1. */
export function getValue(stateId: u32, ukLen: u32): i32 {
  const kl = composite(stateId, ukLen);
  const pos = tableFind(main, curKg, curHash, cur, kl);
  if (pos < 0) {
    lastLen = -1;
    lastPtr = 0;
  } else {
    const s = slotAt(main, pos);
    lastPtr = slotValPtr(s);
    lastLen = <i32>slotVlen(s);
  }
  return lastLen;
}

/** Stores value scratch[ukLen..ukLen+vlen) under (stateId, current key, user key scratch[0..ukLen)). */
export function putValue(stateId: u32, ukLen: u32, vlen: u32): void {
  const kl = composite(stateId, ukLen);
  const pos = tableFind(main, curKg, curHash, cur, kl);
  if (pos >= 0) overwriteEntry(pos, scratch + ukLen, vlen);
  else memory.copy(insertEntry(pos, curKg, curHash, cur, kl, vlen), scratch + ukLen, vlen);
}

/**
 * Appends scratch[0..len) to the value of (stateId, current key), creating it if absent. With
 * `hasTs`, the value starts with an f64 timestamp that is set to `ts` (TTL lists).
 */
export function appendValue(stateId: u32, len: u32, ts: f64, hasTs: bool): void {
  const kl = composite(stateId, 0);
  const prefix: u32 = hasTs ? 8 : 0;
  const pos = tableFind(main, curKg, curHash, cur, kl);
  let vp: usize;
  let at: u32;
  if (pos < 0) {
    vp = insertEntry(pos, curKg, curHash, cur, kl, prefix + len);
    at = prefix;
  } else {
    at = slotVlen(slotAt(main, pos));
    vp = resizeValue(pos, at + len, at);
    markWritten(pos);
  }
  if (hasTs) store<f64>(vp, ts);
  memory.copy(vp + at, scratch, len);
}

/** Rewrites the f64 prefix (TTL timestamp) of an existing value in place; 1 if present. */
export function setValuePrefix(stateId: u32, ukLen: u32, ts: f64): i32 {
  const kl = composite(stateId, ukLen);
  const pos = tableFind(main, curKg, curHash, cur, kl);
  if (pos < 0) return 0;
  const s = slotAt(main, pos);
  if (slotVlen(s) < 8) return 0;
  store<f64>(slotValPtr(s), ts);
  markWritten(<u32>pos);
  return 1;
}

/** Removes (stateId, current key, user key scratch[0..ukLen)); 1 if it was present. */
export function removeValue(stateId: u32, ukLen: u32): i32 {
  const kl = composite(stateId, ukLen);
  const pos = tableFind(main, curKg, curHash, cur, kl);
  if (pos < 0) return 0;
  removeEntry(pos);
  return 1;
}

// ---- cursors: a map's entries for the current key, or every entry of a state --------------------

let cursorPos: u32 = 0;
let cursorPrefixLen: u32 = 0; // 0: whole-state or key-group scan
let cursorStateId: i32 = 0; // -1: key-group scan
let cursorKg: u32 = 0;
/** A key group's entries all sit before the first empty slot at or after this position. */
let cursorGroupEnd: u32 = 0;

/** Whether slot `s` holds an entry of (current key, composite prefix cur[0..kl)). */
@inline function hasPrefix(s: usize, kl: u32): bool {
  if (!slotOccupied(s) || slotHash(s) != curHash || slotKg(s) != curKg) return false;
  return slotKlen(s) >= kl && memory.compare(slotKeyPtr(s), cur, kl) == 0;
}

/** Starts iterating the entries of (stateId, current key) with any user key. */
export function cursorPrefix(stateId: u32): void {
  const kl = composite(stateId, 0);
  const pos = tableFind(main, curKg, curHash, cur, kl);
  cursorPos = pos >= 0 ? <u32>pos : <u32>~pos;
  cursorPrefixLen = kl;
}

/** Starts iterating every entry of `stateId`, in table (canonical) order. */
export function cursorState(stateId: u32): void {
  cursorPos = 0;
  cursorPrefixLen = 0;
  cursorStateId = <i32>stateId;
}

/**
 * Starts iterating the entries of key group `kg` (a contiguous run in table order). Entries sit at
 * or after their home, and homes are monotone in the sort key, so the run starts at or after the
 * home of (kg, 0) and ends before the first empty slot past the home of (kg + 1, 0).
 */
export function cursorKeyGroup(kg: u32): void {
  cursorPos = homeOf(main, sortKey(kg, 0));
  cursorGroupEnd = kg + 1 < maxParallelism ? homeOf(main, sortKey(kg + 1, 0)) : main.end;
  cursorPrefixLen = 0;
  cursorStateId = -1;
  cursorKg = kg;
}

/**
 * The next entry of the cursor as a record (record.ts layout), or 0. Valid until the next call or
 * until the store is modified.
 */
export function cursorNext(): usize {
  if (cursorPrefixLen > 0) {
    const s = slotAt(main, cursorPos);
    if (!hasPrefix(s, cursorPrefixLen)) return 0;
    cursorPos++;
    return slotAsRecord(s);
  }
  const end = main.end;
  if (cursorStateId < 0) {
    while (cursorPos < end) {
      const s = slotAt(main, cursorPos++);
      if (!slotOccupied(s)) {
        if (cursorPos > cursorGroupEnd) break;
        continue;
      }
      const kg = slotKg(s);
      if (kg == cursorKg) return slotAsRecord(s);
      if (kg > cursorKg) break;
    }
    cursorPos = end;
    return 0;
  }
  while (cursorPos < end) {
    const s = slotAt(main, cursorPos++);
    if (slotOccupied(s) && slotStateId(s) == <u32>cursorStateId) return slotAsRecord(s);
  }
  return 0;
}

/** Removes every entry of (stateId, current key): a MapState's clear. Returns how many. */
export function removePrefix(stateId: u32): u32 {
  const kl = composite(stateId, 0);
  const found = tableFind(main, curKg, curHash, cur, kl);
  const pos: u32 = found >= 0 ? <u32>found : <u32>~found;
  let n: u32 = 0;
  // entries with one sort key always shift back into `pos` when the one there is removed
  while (hasPrefix(slotAt(main, pos), kl)) {
    removeEntry(pos);
    n++;
  }
  return n;
}

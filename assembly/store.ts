// The keyed store: entries of every state of one backend in one ordered table, the current key,
// and change tracking for incremental snapshots — the DIRTY/NEW slot flags plus a second table of
// keys deleted since the last snapshot ("tombs") that were present at it.

import { murmur3 } from './hash';
import { recFree, recKey, recKlen, recNew, recResize, recVal, recVlen, REC_HEADER } from './record';
import { slabInit } from './slab';
import {
  FLAG_DIRTY, FLAG_MASK, FLAG_NEW, markDirtyRange, slotAt, slotRec, Table, tableFind,
  tableInsertAt, tableNew, tableRemoveAt, tableResize,
} from './table';

@inline const KEY_TAG_NUMBER: u8 = 1;

export let main: Table = changetype<Table>(0);
/** Keys deleted since the last snapshot that existed at it (records with empty values). */
export let tombs: Table = changetype<Table>(0);
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

// numeric fast path: result of tableFind for (cacheState, current key); -1 state = invalid
let cacheState: i32 = -1;
let cachePos: i32 = 0;

export function setRestoring(on: bool): void {
  restoring = on;
}

export function addLiveBytes(n: u32): void {
  liveBytes += n;
}

export function storeInit(maxPar: u32, track: bool, expected: u32): void {
  slabInit();
  maxParallelism = maxPar;
  tracking = track;
  main = tableNew(maxPar, expected, track);
  tombs = tableNew(maxPar, 0, false);
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
  curKg = curHash % maxParallelism;
  cacheState = -1;
  return curKg;
}

/** Sets a number key (tag + canonical f64); returns its key group. */
export function setKeyNumber(v: f64): u32 {
  store<u8>(cur + 4, KEY_TAG_NUMBER);
  if (v != v) store<u64>(cur + 5, 0x7ff8000000000000);
  else store<f64>(cur + 5, v == 0 ? 0.0 : v);
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
  const word = load<u32>(s, 8);
  if ((word & FLAG_DIRTY) == 0) {
    store<u32>(s, word | FLAG_DIRTY, 8);
    markDirtyRange(main, pos, pos);
  }
}

/** Re-points slot `pos` at a moved record, keeping its flags. */
@inline function setSlotRec(pos: u32, rec: usize): void {
  const s = slotAt(main, pos);
  store<u32>(s, <u32>rec | (load<u32>(s, 8) & FLAG_MASK), 8);
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
  let pos = tableFind(tombs, kg, h, kp, kl);
  if (pos >= 0) return;
  const rec = recNew(kp, kl, 0);
  if (!tableInsertAt(tombs, ~pos, kg, h, <u32>rec)) {
    tableResize(tombs, tombs.maxCount + 1);
    pos = tableFind(tombs, kg, h, kp, kl);
    tableInsertAt(tombs, ~pos, kg, h, <u32>rec);
  }
  tombBytes += kl;
}

/** Creates an entry at `notFound` (~slot from tableFind) with an unwritten value; returns its record. */
export function insertEntry(notFound: i32, kg: u32, h: u32, kp: usize, kl: u32, vlen: u32): usize {
  const rec = recNew(kp, kl, vlen);
  let flags: u32 = 0;
  if (tracking && !restoring) flags = takeTomb(kg, h, kp, kl) ? FLAG_DIRTY : FLAG_DIRTY | FLAG_NEW;
  if (!tableInsertAt(main, ~notFound, kg, h, <u32>rec | flags)) {
    tableResize(main, main.maxCount + 1);
    tableInsertAt(main, ~tableFind(main, kg, h, kp, kl), kg, h, <u32>rec | flags);
  }
  liveBytes += kl + vlen;
  cacheState = -1;
  return rec;
}

/** Removes the entry at `pos`, leaving a tomb if it existed at the last snapshot. */
export function removeEntry(pos: u32): void {
  const s = slotAt(main, pos);
  const rec = slotRec(s);
  if (tracking && !restoring && (load<u32>(s, 8) & FLAG_NEW) == 0) {
    addTomb(load<u32>(s, 4), load<u32>(s), recKey(rec), recKlen(rec));
  }
  liveBytes -= recKlen(rec) + recVlen(rec);
  recFree(rec);
  tableRemoveAt(main, pos);
  cacheState = -1;
}

/** Sets the value of an existing entry at `pos` to `vlen` bytes from `vp`. */
export function overwriteEntry(pos: u32, vp: usize, vlen: u32): void {
  let rec = slotRec(slotAt(main, pos));
  const old = recVlen(rec);
  const moved = recResize(rec, vlen, 0);
  if (moved != rec) setSlotRec(pos, moved);
  memory.copy(recVal(moved), vp, vlen);
  liveBytes += <u64>vlen - <u64>old;
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
  return load<f64>(recVal(slotRec(slotAt(main, cachePos))));
}

/** Stores a number in place; the lookup from numberFind is reused when it is still valid. */
export function numberPut(stateId: u32, v: f64): void {
  if (cacheState != stateId) numberFind(stateId);
  if (cachePos >= 0) {
    const rec = slotRec(slotAt(main, cachePos));
    if (recVlen(rec) == 8) {
      storeCanonical(recVal(rec), v); // bytes as the number serializer writes them
      markWritten(cachePos);
      return;
    }
    storeCanonical(scratch, v);
    overwriteEntry(cachePos, scratch, 8);
    return;
  }
  // another state's access may have rewritten the composite's state id since numberFind
  const kl = composite(stateId, 0);
  const rec = insertEntry(cachePos, curKg, curHash, cur, kl, 8);
  storeCanonical(recVal(rec), v);
}

@inline function storeCanonical(p: usize, v: f64): void {
  if (v != v) store<u64>(p, 0x7ff8000000000000);
  else store<f64>(p, v == 0 ? 0.0 : v);
}

/** Rewrites the f64 prefix (TTL timestamp) of an existing value in place; 1 if present. */
export function setValuePrefix(stateId: u32, ukLen: u32, ts: f64): i32 {
  const kl = composite(stateId, ukLen);
  const pos = tableFind(main, curKg, curHash, cur, kl);
  if (pos < 0) return 0;
  const rec = slotRec(slotAt(main, pos));
  if (recVlen(rec) < 8) return 0;
  store<f64>(recVal(rec), ts);
  markWritten(<u32>pos);
  return 1;
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
    const rec = slotRec(slotAt(main, pos));
    lastPtr = recVal(rec);
    lastLen = <i32>recVlen(rec);
  }
  return lastLen;
}

/** Stores value scratch[ukLen..ukLen+vlen) under (stateId, current key, user key scratch[0..ukLen)). */
export function putValue(stateId: u32, ukLen: u32, vlen: u32): void {
  const kl = composite(stateId, ukLen);
  const pos = tableFind(main, curKg, curHash, cur, kl);
  if (pos >= 0) {
    overwriteEntry(pos, scratch + ukLen, vlen);
  } else {
    const rec = insertEntry(pos, curKg, curHash, cur, kl, vlen);
    memory.copy(recVal(rec), scratch + ukLen, vlen);
  }
}

/**
 * Appends scratch[0..len) to the value of (stateId, current key), creating it if absent. With
 * `hasTs`, the value starts with an f64 timestamp that is set to `ts` (TTL lists).
 */
export function appendValue(stateId: u32, len: u32, ts: f64, hasTs: bool): void {
  const kl = composite(stateId, 0);
  const prefix: u32 = hasTs ? 8 : 0;
  const pos = tableFind(main, curKg, curHash, cur, kl);
  let rec: usize;
  let at: u32;
  if (pos < 0) {
    rec = insertEntry(pos, curKg, curHash, cur, kl, prefix + len);
    at = prefix;
  } else {
    rec = slotRec(slotAt(main, pos));
    at = recVlen(rec);
    const moved = recResize(rec, at + len, at);
    if (moved != rec) setSlotRec(pos, moved);
    rec = moved;
    liveBytes += len;
    markWritten(pos);
  }
  if (hasTs) store<f64>(recVal(rec), ts);
  memory.copy(recVal(rec) + at, scratch, len);
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
let cursorPrefixLen: u32 = 0; // 0: whole-state scan
let cursorState: u32 = 0;

/** Starts iterating the entries of (stateId, current key) with any user key. */
export function cursorPrefix(stateId: u32): void {
  const kl = composite(stateId, 0);
  const pos = tableFind(main, curKg, curHash, cur, kl);
  cursorPos = pos >= 0 ? <u32>pos : <u32>~pos;
  cursorPrefixLen = kl;
}

/** Starts iterating every entry of `stateId`, in table (canonical) order. */
export function cursorState_(stateId: u32): void {
  cursorPos = 0;
  cursorPrefixLen = 0;
  cursorState = stateId;
}

/** The next record of the cursor, or 0. Records stay valid until the store is next modified. */
export function cursorNext(): usize {
  if (cursorPrefixLen > 0) {
    const s = slotAt(main, cursorPos);
    const rec = slotRec(s);
    if (rec == 0 || load<u32>(s) != curHash || load<u32>(s, 4) != curKg) return 0;
    if (recKlen(rec) < cursorPrefixLen || memory.compare(recKey(rec), cur, cursorPrefixLen) != 0) return 0;
    cursorPos++;
    return rec;
  }
  const end = main.end;
  while (cursorPos < end) {
    const rec = slotRec(slotAt(main, cursorPos++));
    if (rec != 0 && <u32>load<u16>(rec + REC_HEADER) == cursorState) return rec;
  }
  return 0;
}

/** Removes every entry of (stateId, current key): a MapState's clear. Returns how many. */
export function removePrefix(stateId: u32): u32 {
  const kl = composite(stateId, 0);
  const found = tableFind(main, curKg, curHash, cur, kl);
  const pos: u32 = found >= 0 ? <u32>found : <u32>~found;
  let n: u32 = 0;
  while (true) {
    const s = slotAt(main, pos);
    const rec = slotRec(s);
    if (rec == 0 || load<u32>(s) != curHash || load<u32>(s, 4) != curKg) break;
    if (recKlen(rec) < kl || memory.compare(recKey(rec), cur, kl) != 0) break;
    removeEntry(pos); // the next entry shifts into pos
    n++;
  }
  return n;
}

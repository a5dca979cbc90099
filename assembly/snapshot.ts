// Snapshot bodies in the canonical format (docs/state-layer.md): key-group index, then per group
// u32 putCount, u32 deleteCount, the puts and the deletes, each `varint len | bytes`. JS writes the
// header (state table) into the first `headerLen` bytes and the CRC trailer. Table order is the
// canonical order, so entries stream out in one pass.

import { copyBytes } from './hash';
import { recFree, recKey, recKlen } from './record';
import {
  META_DIRTY, META_NEW, setSlotMeta, slotKeyPtr, slotKg, slotKlen, slotMeta, slotOccupied, slotRec,
  slotValPtr, slotVlen,
} from './slot';
import { BLOCK_SHIFT, clearDirtyMap, slotAt, tableClear } from './table';
import { liveBytes, main, tombBytes, tombs, tracking } from './store';

/** One heap block must stay below 1 GiB (FACTS.md); larger snapshots are refused, not truncated. */
@inline const MAX_SNAPSHOT_BYTES: u64 = (1 << 30) - 64;
@inline const CHANGE_FLAGS: u16 = META_DIRTY | META_NEW;

/** Length of the last snapshot buffer (trailer included). */
export let snapshotLen: u32 = 0;

@inline function writeVarint(p: usize, v: u32): usize {
  while (v >= 0x80) {
    store<u8>(p++, <u8>(v | 0x80));
    v >>= 7;
  }
  store<u8>(p++, <u8>v);
  return p;
}

@inline function writeBytes(w: usize, p: usize, n: u32): usize {
  w = writeVarint(w, n);
  copyBytes(w, p, n);
  return w + n;
}

/** Writes the entry in slot `s` as `varint klen | key | varint vlen | value`, clearing its flags. */
@inline function writePut(w: usize, s: usize): usize {
  w = writeBytes(w, slotKeyPtr(s), slotKlen(s));
  w = writeBytes(w, slotValPtr(s), slotVlen(s));
  const meta = slotMeta(s);
  if (meta & CHANGE_FLAGS) setSlotMeta(s, meta & ~CHANGE_FLAGS);
  return w;
}

function allocBuffer(bound: u64): usize {
  if (bound > MAX_SNAPSHOT_BYTES) return 0;
  return heap.alloc(<usize>bound);
}

/** Drops every tomb: called once a snapshot has recorded them. */
function clearTombs(): void {
  for (let i: u32 = 0; i < tombs.end; i++) {
    const s = slotAt(tombs, i);
    if (slotOccupied(s)) recFree(slotRec(s));
  }
  tableClear(tombs);
}

@inline function fixedBytes(headerLen: u32, kgCount: u32): u64 {
  return <u64>headerLen + <u64>(kgCount + 1) * 4 + <u64>kgCount * 8 + 4;
}

/**
 * Writes a full snapshot of key groups [kgStart, kgStart + kgCount). Returns the buffer (its
 * length in snapshotLen), or 0 if it would exceed MAX_SNAPSHOT_BYTES. With tracking on, it also
 * starts a new change set.
 */
export function snapshotFull(headerLen: u32, kgStart: u32, kgCount: u32): usize {
  const t = main;
  const buf = allocBuffer(fixedBytes(headerLen, kgCount) + liveBytes + <u64>t.count * 10);
  if (buf == 0) return 0;
  const index = buf + headerLen;
  let w = index + (kgCount + 1) * 4;
  let pos: u32 = 0;
  const end = t.end;
  for (let g: u32 = 0; g < kgCount; g++) {
    store<u32>(index + g * 4, <u32>(w - buf));
    const counts = w;
    w += 8;
    let n: u32 = 0;
    const kg = kgStart + g;
    for (; pos < end; pos++) {
      const s = slotAt(t, pos);
      if (!slotOccupied(s)) continue;
      if (slotKg(s) > kg) break;
      w = writePut(w, s);
      n++;
    }
    store<u32>(counts, n);
    store<u32>(counts, 0, 4);
  }
  store<u32>(index + kgCount * 4, <u32>(w - buf));
  if (tracking) {
    clearDirtyMap(t);
    clearTombs();
  }
  snapshotLen = <u32>(w - buf) + 4;
  return buf;
}

// u32[]: slots of dirty entries, in slot (= canonical) order; reused across snapshots
let dirtyList: usize = 0;
let dirtyCap: u32 = 0;

function pushDirty(n: u32, pos: u32): void {
  if (n == dirtyCap) {
    const cap = max<u32>(1024, dirtyCap * 2);
    dirtyList = dirtyList == 0 ? heap.alloc(cap * 4) : heap.realloc(dirtyList, cap * 4);
    dirtyCap = cap;
  }
  store<u32>(dirtyList + n * 4, pos);
}

/**
 * Writes an incremental snapshot: entries written since the last snapshot, and tombs. Only the
 * blocks the dirty map marks are scanned. Returns the buffer as snapshotFull does.
 */
export function snapshotIncremental(headerLen: u32, kgStart: u32, kgCount: u32): usize {
  const t = main;
  let n: u32 = 0;
  let bytes: u64 = 0;
  const blocks = (t.end >> BLOCK_SHIFT) + 1;
  for (let b: u32 = 0; b < blocks; b++) {
    if (load<u8>(t.dirtyMap + b) == 0) continue;
    const to = min((b + 1) << BLOCK_SHIFT, t.end);
    for (let pos = b << BLOCK_SHIFT; pos < to; pos++) {
      const s = slotAt(t, pos);
      if ((slotMeta(s) & META_DIRTY) == 0) continue;
      pushDirty(n++, pos);
      bytes += slotKlen(s) + slotVlen(s) + 10;
    }
  }
  const buf = allocBuffer(fixedBytes(headerLen, kgCount) + bytes + tombBytes + <u64>tombs.count * 5);
  if (buf == 0) return 0;
  const index = buf + headerLen;
  let w = index + (kgCount + 1) * 4;
  let di: u32 = 0;
  let ti: u32 = 0;
  for (let g: u32 = 0; g < kgCount; g++) {
    const kg = kgStart + g;
    store<u32>(index + g * 4, <u32>(w - buf));
    const counts = w;
    w += 8;
    let puts: u32 = 0;
    for (; di < n; di++) {
      const s = slotAt(t, load<u32>(dirtyList + di * 4));
      if (slotKg(s) > kg) break;
      w = writePut(w, s);
      puts++;
    }
    let dels: u32 = 0;
    for (; ti < tombs.end; ti++) {
      const s = slotAt(tombs, ti);
      if (!slotOccupied(s)) continue;
      if (slotKg(s) > kg) break;
      const rec = slotRec(s);
      w = writeBytes(w, recKey(rec), recKlen(rec));
      dels++;
    }
    store<u32>(counts, puts);
    store<u32>(counts, dels, 4);
  }
  store<u32>(index + kgCount * 4, <u32>(w - buf));
  clearDirtyMap(t);
  clearTombs();
  snapshotLen = <u32>(w - buf) + 4;
  return buf;
}

// Snapshot bodies in the canonical format (docs/state-layer.md): key-group index, then per group
// u32 putCount, u32 deleteCount, the puts and the deletes, each `varint len | bytes`. JS writes the
// header (state table) into the first `headerLen` bytes and the CRC trailer. Table order is the
// canonical order, so entries stream out in one pass.

import { copyBytes } from './hash';
import { recFree, recKey, recKlen } from './record';
import {
  META_DIRTY, META_NEW, setSlotMeta, slotKeyPtr, slotKg, slotKlen, slotMeta, slotOccupied, slotRec,
  slotSortKey, slotValPtr, slotVlen,
} from './slot';
import { clearLog, logAt, sortLog } from './dirty-log';
import { homeOf, slotAt, tableClear } from './table';
import { baselineTaken, liveBytes, main, tombBytes, tombs, tracking } from './store';

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
    clearLog();
    clearTombs();
  }
  baselineTaken();
  snapshotLen = <u32>(w - buf) + 4;
  return buf;
}

// the incremental snapshot under construction: output buffer, its capacity and write offset
let out: usize = 0;
let outCap: usize = 0;

/** Makes room for `n` more bytes at offset `w`; the buffer may move (offsets stay valid). */
function reserve(w: usize, n: usize): bool {
  if (w + n <= outCap) return true;
  let cap = outCap * 2;
  if (cap < w + n) cap = w + n;
  if (<u64>cap > MAX_SNAPSHOT_BYTES) return false;
  out = heap.realloc(out, cap);
  outCap = cap;
  return true;
}

/**
 * Writes an incremental snapshot: entries written since the last snapshot, and tombs. The dirty
 * log, sorted, is the list of sort keys to visit: each one's run of slots is found from its home
 * and its DIRTY entries written, in table (canonical) order. Returns the buffer as snapshotFull
 * does.
 */
export function snapshotIncremental(headerLen: u32, kgStart: u32, kgCount: u32): usize {
  const t = main;
  const n = sortLog();
  const avg: u64 = t.count == 0 ? 16 : liveBytes / <u64>t.count + 10;
  const guess = fixedBytes(headerLen, kgCount) + <u64>n * (avg + 8) + tombBytes + <u64>tombs.count * 5;
  if (guess > MAX_SNAPSHOT_BYTES) return 0;
  outCap = <usize>guess;
  out = heap.alloc(outCap);
  const indexAt: usize = headerLen;
  let w: usize = indexAt + (kgCount + 1) * 4;
  let li: u32 = 0;
  let ti: u32 = 0;
  for (let g: u32 = 0; g < kgCount; g++) {
    const kg = kgStart + g;
    store<u32>(out + indexAt + g * 4, <u32>w);
    if (!reserve(w, 8)) return refuse();
    const countsAt = w;
    w += 8;
    let puts: u32 = 0;
    for (; li < n; li++) {
      const sk = logAt(li);
      if (<u32>(sk >> 32) > kg) break;
      let pos = homeOf(t, sk);
      while (slotOccupied(slotAt(t, pos)) && slotSortKey(slotAt(t, pos)) < sk) pos++;
      for (; ; pos++) {
        const s = slotAt(t, pos);
        if (!slotOccupied(s) || slotSortKey(s) != sk) break;
        if ((slotMeta(s) & META_DIRTY) == 0) continue;
        if (!reserve(w, <usize>slotKlen(s) + slotVlen(s) + 10)) return refuse();
        w = writePut(out + w, s) - out;
        puts++;
      }
    }
    let dels: u32 = 0;
    for (; ti < tombs.end; ti++) {
      const s = slotAt(tombs, ti);
      if (!slotOccupied(s)) continue;
      if (slotKg(s) > kg) break;
      const rec = slotRec(s);
      if (!reserve(w, <usize>recKlen(rec) + 5)) return refuse();
      w = writeBytes(out + w, recKey(rec), recKlen(rec)) - out;
      dels++;
    }
    store<u32>(out + countsAt, puts);
    store<u32>(out + countsAt, dels, 4);
  }
  store<u32>(out + indexAt + kgCount * 4, <u32>w);
  if (!reserve(w, 4)) return refuse();
  clearLog();
  clearTombs();
  snapshotLen = <u32>w + 4;
  return out;
}

function refuse(): usize {
  heap.free(out);
  return 0;
}

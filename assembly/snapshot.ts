// Snapshot bodies in the canonical format (docs/state-layer.md): key-group index, then per group
// u32 putCount, u32 deleteCount, the puts and the deletes, each `varint len | bytes`. JS writes the
// header (state table) into the first `headerLen` bytes and the CRC trailer. Table order is the
// canonical order, so entries stream out in one pass.

import { recFree, recKey, recKlen, recVal, recVlen } from './record';
import { FLAG_DIRTY, FLAG_MASK, BLOCK_SHIFT, slotAt, slotRec, tableClear } from './table';
import { liveBytes, main, tombBytes, tombs, tracking } from './store';

/** One heap block must stay below 1 GiB (FACTS.md); larger snapshots are refused, not truncated. */
@inline const MAX_SNAPSHOT_BYTES: u64 = (1 << 30) - 64;

/** Length of the last snapshot buffer, or 0 if it was refused for size. */
export let snapshotLen: u32 = 0;

@inline function writeVarint(p: usize, v: u32): usize {
  while (v >= 0x80) {
    store<u8>(p++, <u8>(v | 0x80));
    v >>= 7;
  }
  store<u8>(p++, <u8>v);
  return p;
}

@inline function writeEntry(w: usize, rec: usize, withValue: bool): usize {
  const kl = recKlen(rec);
  w = writeVarint(w, kl);
  memory.copy(w, recKey(rec), kl);
  w += kl;
  if (withValue) {
    const vl = recVlen(rec);
    w = writeVarint(w, vl);
    memory.copy(w, recVal(rec), vl);
    w += vl;
  }
  return w;
}

function allocBuffer(bound: u64): usize {
  if (bound > MAX_SNAPSHOT_BYTES) {
    snapshotLen = 0;
    return 0;
  }
  return heap.alloc(<usize>bound);
}

/** Drops every tomb: called once a snapshot has recorded them. */
function clearTombs(): void {
  for (let i: u32 = 0; i < tombs.end; i++) {
    const rec = slotRec(slotAt(tombs, i));
    if (rec != 0) recFree(rec);
  }
  tableClear(tombs);
}

/**
 * Writes a full snapshot of key groups [kgStart, kgStart + kgCount). Returns the buffer (its
 * length in snapshotLen, trailer included), or 0 if it would exceed MAX_SNAPSHOT_BYTES. With
 * tracking on, it also starts a new change set.
 */
export function snapshotFull(headerLen: u32, kgStart: u32, kgCount: u32): usize {
  const t = main;
  const fixed = <u64>headerLen + <u64>(kgCount + 1) * 4 + <u64>kgCount * 8 + 4;
  const buf = allocBuffer(fixed + liveBytes + <u64>t.count * 10);
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
    while (pos < end) {
      const s = slotAt(t, pos);
      const word = load<u32>(s, 8);
      if (word == 0) { pos++; continue; }
      if (load<u32>(s, 4) > kg) break;
      w = writeEntry(w, <usize>(word & ~FLAG_MASK), true);
      if (word & FLAG_MASK) store<u32>(s, word & ~FLAG_MASK, 8);
      n++;
      pos++;
    }
    store<u32>(counts, n);
    store<u32>(counts, 0, 4);
  }
  store<u32>(index + kgCount * 4, <u32>(w - buf));
  if (tracking) {
    memory.fill(t.dirtyMap, 0, (t.end >> BLOCK_SHIFT) + 1);
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
    const from = b << BLOCK_SHIFT;
    const to = min(from + (1 << BLOCK_SHIFT), t.end);
    for (let pos = from; pos < to; pos++) {
      const word = load<u32>(slotAt(t, pos), 8);
      if ((word & FLAG_DIRTY) == 0) continue;
      pushDirty(n++, pos);
      bytes += recKlen(<usize>(word & ~FLAG_MASK)) + recVlen(<usize>(word & ~FLAG_MASK)) + 10;
    }
  }
  const fixed = <u64>headerLen + <u64>(kgCount + 1) * 4 + <u64>kgCount * 8 + 4;
  const buf = allocBuffer(fixed + bytes + tombBytes + <u64>tombs.count * 5);
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
    while (di < n) {
      const s = slotAt(t, load<u32>(dirtyList + di * 4));
      if (load<u32>(s, 4) > kg) break;
      const word = load<u32>(s, 8);
      w = writeEntry(w, <usize>(word & ~FLAG_MASK), true);
      store<u32>(s, word & ~FLAG_MASK, 8);
      puts++;
      di++;
    }
    let dels: u32 = 0;
    while (ti < tombs.end) {
      const s = slotAt(tombs, ti);
      const rec = slotRec(s);
      if (rec == 0) { ti++; continue; }
      if (load<u32>(s, 4) > kg) break;
      w = writeEntry(w, rec, false);
      dels++;
      ti++;
    }
    store<u32>(counts, puts);
    store<u32>(counts, dels, 4);
  }
  store<u32>(index + kgCount * 4, <u32>(w - buf));
  memory.fill(t.dirtyMap, 0, blocks);
  clearTombs();
  snapshotLen = <u32>(w - buf) + 4;
  return buf;
}

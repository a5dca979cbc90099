// Loads canonical snapshot bodies. Every read is checked against the region it belongs to (the
// index, a key group's section), so a malformed buffer fails with an error code and the offset
// where it went wrong, and never reads or writes outside the input.

import { murmur3 } from './hash';
import { recFree, recNew, recVal } from './record';
import {
  inlineFits, INLINE_VALUE, keyGroupOf, SLOT, slotCompareKey, slotSortKey, writeInline, writeRecordSlot,
} from './slot';
import {
  addLiveBytes, baselineTaken, insertEntry, main, overwriteEntry, removeEntry, setRestoring,
} from './store';
import { capacityFor, slotAt, sortKey, tableAppendSorted, tableFind, tableResize } from './table';

// error codes, named for JS in src/state/wasm/wasm-errors.ts
@inline export const ERR_TRUNCATED: i32 = 1;
@inline export const ERR_INDEX: i32 = 2;
@inline export const ERR_KEY_GROUP: i32 = 3;
@inline export const ERR_COMPOSITE: i32 = 4;
@inline export const ERR_STRAY_BYTES: i32 = 5;
@inline export const ERR_ORDER: i32 = 6;
@inline export const ERR_VARINT: i32 = 7;

/** Byte offset (in the input) where the last error was detected. */
export let errorAt: u32 = 0;

// read cursor over [rp, rend) of the input starting at `base`
let base: usize = 0;
let rp: usize = 0;
let rend: usize = 0;
let err: i32 = 0;

@inline function fail(code: i32): void {
  if (err == 0) {
    err = code;
    errorAt = <u32>(rp - base);
  }
}

function readU32(): u32 {
  if (rp + 4 > rend) { fail(ERR_TRUNCATED); return 0; }
  const v = load<u32>(rp);
  rp += 4;
  return v;
}

function readVarint(): u32 {
  let v: u64 = 0;
  for (let shift: u64 = 0; shift < 35; shift += 7) {
    if (rp >= rend) { fail(ERR_TRUNCATED); return 0; }
    const b = <u64>load<u8>(rp++);
    v |= (b & 0x7f) << shift;
    if (b < 0x80) {
      if (v > 0xffffffff) break;
      return <u32>v;
    }
  }
  fail(ERR_VARINT);
  return 0;
}

/** Skips `n` bytes; returns where they start, or 0 on overrun. */
function take(n: u32): usize {
  if (<u64>rp + <u64>n > <u64>rend) { fail(ERR_TRUNCATED); return 0; }
  const p = rp;
  rp += n;
  return p;
}

// the entry just read: composite at kp[0..kl), its hash
let kp: usize = 0;
let kl: u32 = 0;
let kh: u32 = 0;

/** Reads a composite key and checks its shape and key group. */
function readComposite(kg: u32): bool {
  kl = readVarint();
  kp = take(kl);
  if (err != 0) return false;
  if (kl < 4 || kl > 0xffff) { fail(ERR_COMPOSITE); return false; }
  const keyLen = <u32>load<u16>(kp, 2);
  if (keyLen + 4 > kl) { fail(ERR_COMPOSITE); return false; }
  kh = murmur3(kp + 4, keyLen, 0);
  if (keyGroupOf(kh) != kg) { fail(ERR_KEY_GROUP); return false; }
  return true;
}

/**
 * Applies the sections of key groups [from, to) ∩ [kgStart, kgStart + kgCount) of the snapshot in
 * input[0..len) (whose index starts at indexOffset). `bulk`: the table is empty and this is a full
 * snapshot — entries are appended in order (and their order checked) instead of looked up.
 * Returns 0 or an error code (errorAt says where).
 */
export function restoreSnapshot(
  input: usize, len: u32, indexOffset: u32, kgStart: u32, kgCount: u32, from: u32, to: u32, bulk: bool,
): i32 {
  base = input;
  err = 0;
  errorAt = 0;
  const body: u32 = len - 4;
  rp = input + indexOffset;
  rend = input + body;
  const index = take((kgCount + 1) * 4);
  if (err != 0) return err;
  let prev: u32 = indexOffset + (kgCount + 1) * 4;
  for (let i: u32 = 0; i <= kgCount; i++) {
    const off = load<u32>(index + i * 4);
    if (off < prev || off > body) { rp = index + i * 4; fail(ERR_INDEX); return err; }
    prev = off;
  }
  if (prev != body) { rp = index + kgCount * 4; fail(ERR_INDEX); return err; }
  const lo = max(from, kgStart);
  const hi = min(to, kgStart + kgCount);
  setRestoring(true);
  if (bulk) {
    // pre-size from the put counts so appends never need a resize
    let total: u64 = 0;
    for (let kg = lo; kg < hi; kg++) {
      const at = load<u32>(index + (kg - kgStart) * 4);
      if (at + 4 <= body) total += load<u32>(input + at);
    }
    // a put takes at least 6 bytes: a lying count cannot make us reserve more than the input justifies
    total = min<u64>(total, <u64>(body / 6));
    if (capacityFor(<u32>total) > main.capacity) tableResize(main, <u32>total);
  }
  let next: u32 = 0;
  for (let kg = lo; kg < hi && err == 0; kg++) {
    rp = input + load<u32>(index + (kg - kgStart) * 4);
    rend = input + load<u32>(index + (kg - kgStart + 1) * 4);
    const puts = readU32();
    const dels = readU32();
    const putsAt = rp;
    for (let i: u32 = 0; i < puts && err == 0; i++) {
      take(readVarint());
      take(readVarint());
    }
    for (let i: u32 = 0; i < dels && err == 0; i++) {
      if (!readComposite(kg)) break;
      const pos = tableFind(main, kg, kh, kp, kl);
      if (pos >= 0) removeEntry(<u32>pos);
    }
    if (err == 0 && rp != rend) fail(ERR_STRAY_BYTES);
    rp = putsAt;
    for (let i: u32 = 0; i < puts && err == 0; i++) {
      if (!readComposite(kg)) break;
      const vl = readVarint();
      const vp = take(vl);
      if (err != 0) break;
      if (bulk) {
        if (next > 0 && !ascending(slotAt(main, next - 1), kg, kh)) { fail(ERR_ORDER); break; }
        let rec: usize = 0;
        if (inlineFits(kp, kl, vl)) {
          writeInline(image, kh, 0, kp);
          store<u64>(image + INLINE_VALUE, load<u64>(vp));
        } else {
          rec = recNew(kp, kl, vl);
          memory.copy(recVal(rec), vp, vl);
          writeRecordSlot(image, kh, 0, rec);
        }
        const at = tableAppendSorted(main, next, image);
        if (at >= 0) {
          addLiveBytes(kl + vl);
          next = <u32>at;
          continue;
        }
        // a run spilled past the overflow area: the rest goes through ordinary inserts
        if (rec != 0) recFree(rec);
        bulk = false;
      }
      {
        const pos = tableFind(main, kg, kh, kp, kl);
        if (pos >= 0) overwriteEntry(<u32>pos, vp, vl);
        else memory.copy(insertEntry(pos, kg, kh, kp, kl, vl), vp, vl);
      }
    }
  }
  setRestoring(false);
  baselineTaken();
  return err;
}

/** Whether the entry just read sorts strictly after the one in slot `prev`. */
function ascending(prev: usize, kg: u32, h: u32): bool {
  const a = slotSortKey(prev);
  const b = sortKey(kg, h);
  if (a != b) return a < b;
  return slotCompareKey(prev, kp, kl) < 0;
}

/** Where a bulk-loaded slot is assembled. */
const image: usize = memory.data(SLOT);

// A slot of the ordered table (24 bytes). Entries with a number key, no user key and an 8-byte
// value — every numeric counter, sum or timestamp — live entirely in the slot ("inline"): a lookup
// costs one cache miss and no record. Others point at a record (record.ts).
//   +0  u32 hash of the key bytes     the sort key is (hash % maxParallelism, hash): the key group
//                                      is derived, not stored
//   +4  u16 meta                       OCCUPIED | DIRTY | NEW | INLINE; 0 = empty slot
//   +6  u16 stateId                    inline entries
//   +8  inline: the key's f64 (canonical; the key tag 0x01 is implied) | record: u32 pointer
//   +16 inline: value [8]

import { compareBytes } from './hash';
import { recKey, recKlen, recVal, recVlen, REC_HEADER } from './record';

@inline export const SLOT: u32 = 24;
@inline export const META_OCCUPIED: u16 = 1;
/** Written since the last snapshot. */
@inline export const META_DIRTY: u16 = 2;
/** Absent at the last snapshot. */
@inline export const META_NEW: u16 = 4;
@inline export const META_INLINE: u16 = 8;
@inline export const INLINE_VALUE: u32 = 16;
/** Composite length of an inline entry: u16 stateId, u16 keyLen = 9, tag 0x01, f64. */
@inline const INLINE_KLEN: u32 = 13;
@inline const KEY_TAG_NUMBER: u8 = 1;

// key groups: hash % maxParallelism, as a mask when maxParallelism is a power of two
let groups: u32 = 128;
let groupMask: u32 = 127;
let groupsPow2: bool = true;

export function setKeyGroups(maxParallelism: u32): void {
  groups = maxParallelism;
  groupsPow2 = (maxParallelism & (maxParallelism - 1)) == 0;
  groupMask = maxParallelism - 1;
}

@inline export function keyGroupOf(h: u32): u32 {
  return groupsPow2 ? h & groupMask : h % groups;
}

@inline export function slotMeta(s: usize): u16 { return load<u16>(s, 4); }
@inline export function setSlotMeta(s: usize, m: u16): void { store<u16>(s, m, 4); }
@inline export function slotOccupied(s: usize): bool { return load<u16>(s, 4) != 0; }
@inline export function slotInline(s: usize): bool { return (load<u16>(s, 4) & META_INLINE) != 0; }
@inline export function slotHash(s: usize): u32 { return load<u32>(s); }
@inline export function slotKg(s: usize): u32 { return keyGroupOf(load<u32>(s)); }
@inline export function slotSortKey(s: usize): u64 {
  const h = load<u32>(s);
  return (<u64>keyGroupOf(h) << 32) | <u64>h;
}
@inline export function slotRec(s: usize): usize { return <usize>load<u32>(s, 8); }
@inline export function setSlotRec(s: usize, rec: usize): void { store<u32>(s, <u32>rec, 8); }

@inline export function copySlot(dst: usize, src: usize): void {
  store<u64>(dst, load<u64>(src));
  store<u64>(dst, load<u64>(src, 8), 8);
  store<u64>(dst, load<u64>(src, 16), 16);
}

/** Whether composite kp[0..kl) with a `vlen`-byte value can live inline. */
@inline export function inlineFits(kp: usize, kl: u32, vlen: u32): bool {
  return vlen == 8 && kl == INLINE_KLEN && load<u16>(kp, 2) == 9 && load<u8>(kp, 4) == KEY_TAG_NUMBER;
}

/** Fills slot `s` as an inline entry for composite kp[0..kl) (value left to the caller). */
export function writeInline(s: usize, h: u32, meta: u16, kp: usize): void {
  store<u32>(s, h);
  store<u16>(s, meta | META_OCCUPIED | META_INLINE, 4);
  store<u16>(s, load<u16>(kp), 6);
  store<u64>(s, load<u64>(kp, 5), 8);
}

export function writeRecordSlot(s: usize, h: u32, meta: u16, rec: usize): void {
  store<u32>(s, h);
  store<u16>(s, (meta | META_OCCUPIED) & ~META_INLINE, 4);
  store<u16>(s, 0, 6);
  store<u64>(s, <u64>rec, 8);
  store<u64>(s, 0, 16);
}

// composite key of an inline entry, rebuilt on demand
const scratchComposite: usize = memory.data(16);

/** Composite key bytes of the entry in `s` (valid until the next call for an inline entry). */
export function slotKeyPtr(s: usize): usize {
  if (!slotInline(s)) return recKey(slotRec(s));
  store<u16>(scratchComposite, load<u16>(s, 6));
  store<u16>(scratchComposite, 9, 2);
  store<u8>(scratchComposite, KEY_TAG_NUMBER, 4);
  store<u64>(scratchComposite, load<u64>(s, 8), 5);
  return scratchComposite;
}

@inline export function slotKlen(s: usize): u32 {
  return slotInline(s) ? INLINE_KLEN : recKlen(slotRec(s));
}
@inline export function slotValPtr(s: usize): usize {
  return slotInline(s) ? s + INLINE_VALUE : recVal(slotRec(s));
}
@inline export function slotVlen(s: usize): u32 {
  return slotInline(s) ? 8 : recVlen(slotRec(s));
}
@inline export function slotStateId(s: usize): u32 {
  return <u32>(slotInline(s) ? load<u16>(s, 6) : load<u16>(recKey(slotRec(s))));
}

/** Compares the entry's composite key with kp[0..kl), bytewise (canonical order). */
export function slotCompareKey(s: usize, kp: usize, kl: u32): i32 {
  if (!slotInline(s)) {
    const rec = slotRec(s);
    return compareBytes(recKey(rec), recKlen(rec), kp, kl);
  }
  // the common case, equal keys, without rebuilding the composite
  if (kl == INLINE_KLEN && load<u16>(s, 6) == load<u16>(kp) && load<u64>(s, 8) == load<u64>(kp, 5) &&
      load<u16>(kp, 2) == 9 && load<u8>(kp, 4) == KEY_TAG_NUMBER) {
    return 0;
  }
  return compareBytes(slotKeyPtr(s), INLINE_KLEN, kp, kl);
}

// a record image of an inline entry, for readers that take records (cursors)
const scratchRecord: usize = memory.data(REC_HEADER + INLINE_KLEN + 8);

/** A record for the entry in `s`: its own, or an image of an inline one (valid until the next call). */
export function slotAsRecord(s: usize): usize {
  if (!slotInline(s)) return slotRec(s);
  store<u32>(scratchRecord, 8);
  store<u16>(scratchRecord, <u16>INLINE_KLEN, 4);
  store<u16>(scratchRecord, 0, 6);
  memory.copy(scratchRecord + REC_HEADER, slotKeyPtr(s), INLINE_KLEN);
  store<u64>(scratchRecord + REC_HEADER + INLINE_KLEN, load<u64>(s, INLINE_VALUE));
  return scratchRecord;
}

// A slot of the ordered table (32 bytes). Small entries — no user key, key ≤ 13 bytes, an 8-byte
// value: every numeric counter and short string key — live entirely in the slot ("inline"), so a
// lookup costs one cache miss; others point at a record (record.ts).
//   +0  u32 hash
//   +4  u16 key group          (the u64 at +0, masked to 48 bits, is the sort key)
//   +6  u16 meta               OCCUPIED | DIRTY | NEW | INLINE; 0 = empty slot
//   +8  record entry: u32 record pointer
//       inline entry: u16 stateId, u8 keyLen, key bytes [13] zero-filled
//   +24 inline entry: value [8]

import { compareBytes } from './hash';
import { recKey, recKlen, recVal, recVlen, REC_HEADER } from './record';

@inline export const SLOT: u32 = 32;
@inline export const META_OCCUPIED: u16 = 1;
/** Written since the last snapshot. */
@inline export const META_DIRTY: u16 = 2;
/** Absent at the last snapshot. */
@inline export const META_NEW: u16 = 4;
@inline export const META_INLINE: u16 = 8;
@inline export const INLINE_MAX_KEY: u32 = 13;
@inline export const INLINE_VALUE: u32 = 24;
@inline const SORT_MASK: u64 = 0x0000ffffffffffff;

@inline export function slotMeta(s: usize): u16 { return load<u16>(s, 6); }
@inline export function setSlotMeta(s: usize, m: u16): void { store<u16>(s, m, 6); }
@inline export function slotOccupied(s: usize): bool { return load<u16>(s, 6) != 0; }
@inline export function slotInline(s: usize): bool { return (load<u16>(s, 6) & META_INLINE) != 0; }
@inline export function slotSortKey(s: usize): u64 { return load<u64>(s) & SORT_MASK; }
@inline export function slotKg(s: usize): u32 { return <u32>load<u16>(s, 4); }
@inline export function slotHash(s: usize): u32 { return load<u32>(s); }
@inline export function slotRec(s: usize): usize { return <usize>load<u32>(s, 8); }
@inline export function setSlotRec(s: usize, rec: usize): void { store<u32>(s, <u32>rec, 8); }

@inline export function slotStateId(s: usize): u32 {
  return <u32>(slotInline(s) ? load<u16>(s, 8) : load<u16>(recKey(slotRec(s))));
}

/** Whether composite kp[0..kl) with a `vlen`-byte value can live inline. */
@inline export function inlineFits(kp: usize, kl: u32, vlen: u32): bool {
  return vlen == 8 && kl <= INLINE_MAX_KEY + 4 && <u32>load<u16>(kp, 2) + 4 == kl;
}

/** Fills slot `s` as an inline entry for composite kp[0..kl) (value left to the caller). */
export function writeInline(s: usize, h: u32, kg: u32, meta: u16, kp: usize, kl: u32): void {
  store<u32>(s, h);
  store<u16>(s, <u16>kg, 4);
  store<u16>(s, meta | META_OCCUPIED | META_INLINE, 6);
  store<u64>(s, 0, 8);
  store<u64>(s, 0, 16);
  store<u16>(s, load<u16>(kp), 8);
  store<u8>(s, <u8>(kl - 4), 10);
  memory.copy(s + 11, kp + 4, kl - 4);
}

export function writeRecordSlot(s: usize, h: u32, kg: u32, meta: u16, rec: usize): void {
  store<u32>(s, h);
  store<u16>(s, <u16>kg, 4);
  store<u16>(s, (meta | META_OCCUPIED) & ~META_INLINE, 6);
  store<u32>(s, <u32>rec, 8);
}

// composite key of an inline entry, rebuilt on demand: u16 stateId | u16 keyLen | key
const scratchComposite: usize = memory.data(INLINE_MAX_KEY + 4);

/** Composite key bytes of the entry in `s` (valid until the next call for an inline entry). */
export function slotKeyPtr(s: usize): usize {
  if (!slotInline(s)) return recKey(slotRec(s));
  store<u16>(scratchComposite, load<u16>(s, 8));
  store<u16>(scratchComposite, <u16>load<u8>(s, 10), 2);
  memory.copy(scratchComposite + 4, s + 11, <usize>load<u8>(s, 10));
  return scratchComposite;
}

@inline export function slotKlen(s: usize): u32 {
  return slotInline(s) ? <u32>load<u8>(s, 10) + 4 : recKlen(slotRec(s));
}
@inline export function slotValPtr(s: usize): usize {
  return slotInline(s) ? s + INLINE_VALUE : recVal(slotRec(s));
}
@inline export function slotVlen(s: usize): u32 {
  return slotInline(s) ? 8 : recVlen(slotRec(s));
}

/** Compares the entry's composite key with kp[0..kl), bytewise (canonical order). */
export function slotCompareKey(s: usize, kp: usize, kl: u32): i32 {
  if (!slotInline(s)) {
    const rec = slotRec(s);
    return compareBytes(recKey(rec), recKlen(rec), kp, kl);
  }
  const keyLen = <u32>load<u8>(s, 10);
  if (kl == keyLen + 4 && load<u16>(s, 8) == load<u16>(kp) && <u32>load<u16>(kp, 2) == keyLen) {
    return compareBytes(s + 11, keyLen, kp + 4, keyLen);
  }
  return compareBytes(slotKeyPtr(s), keyLen + 4, kp, kl);
}

// a record image of an inline entry, for readers that take records (cursors)
const scratchRecord: usize = memory.data(REC_HEADER + INLINE_MAX_KEY + 4 + 8);

/** A record for the entry in `s`: its own, or an image of an inline one (valid until the next call). */
export function slotAsRecord(s: usize): usize {
  if (!slotInline(s)) return slotRec(s);
  const kl = slotKlen(s);
  store<u32>(scratchRecord, 8);
  store<u16>(scratchRecord, <u16>kl, 4);
  store<u16>(scratchRecord, 0, 6);
  memory.copy(scratchRecord + REC_HEADER, slotKeyPtr(s), kl);
  store<u64>(scratchRecord + REC_HEADER + kl, load<u64>(s, INLINE_VALUE));
  return scratchRecord;
}

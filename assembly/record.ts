// A record holds one entry's composite key and value, allocated from the slabs:
//   +0 u32 vlen   value length
//   +4 u16 klen   composite-key length (u16 stateId | u16 keyLen | key | user key)
//   +6 u8  cls    slab class (BIG_CLASS: TLSF block, capacity in the 8 bytes before the record)
//   +7 u8  —
//   +8 composite key [klen], then value [vlen]; capacity beyond that is spare room to grow into

import { BIG_CLASS, capacityOf, classOf, slabAlloc, slabFree } from './slab';

@inline export const REC_HEADER: u32 = 8;

@inline export function recVlen(r: usize): u32 { return load<u32>(r); }
@inline export function recKlen(r: usize): u32 { return <u32>load<u16>(r, 4); }
@inline export function recCls(r: usize): u8 { return load<u8>(r, 6); }
@inline export function recKey(r: usize): usize { return r + REC_HEADER; }
@inline export function recVal(r: usize): usize { return r + REC_HEADER + recKlen(r); }
/** Bytes of key and value together (what a snapshot entry carries, before its varints). */
@inline export function recBytes(r: usize): u32 { return recKlen(r) + recVlen(r); }

/** A record for key `kp[0..klen)` with room for `vlen` value bytes (value left unwritten). */
export function recNew(kp: usize, klen: u32, vlen: u32): usize {
  const size = REC_HEADER + klen + vlen;
  const cls = classOf(size);
  // lists grow by appends: give big records headroom so appends are amortised O(1)
  const r = slabAlloc(cls, cls == BIG_CLASS ? size + (size >> 1) : size);
  store<u32>(r, vlen);
  store<u16>(r, <u16>klen, 4);
  store<u8>(r, cls, 6);
  store<u8>(r, 0, 7);
  memory.copy(r + REC_HEADER, kp, klen);
  return r;
}

export function recFree(r: usize): void {
  slabFree(r, recCls(r));
}

/**
 * Makes room for a value of `vlen` bytes, keeping the first `keep` value bytes. Returns the record,
 * moved if it had to grow (the caller re-points its slot).
 */
export function recResize(r: usize, vlen: u32, keep: u32): usize {
  const klen = recKlen(r);
  const need = REC_HEADER + klen + vlen;
  const cls = recCls(r);
  if (need <= capacityOf(r, cls) && (cls == BIG_CLASS || classOf(need) == cls)) {
    store<u32>(r, vlen);
    return r;
  }
  const n = recNew(recKey(r), klen, vlen);
  memory.copy(recVal(n), recVal(r), min(keep, vlen));
  recFree(r);
  return n;
}

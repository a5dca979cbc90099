// MurmurHash3 x86 32-bit over bytes: must equal src/state/murmur3.ts bit for bit, since the hash
// decides key groups and the canonical entry order.

@inline function mix(k: u32): u32 {
  k *= 0xcc9e2d51;
  k = rotl<u32>(k, 15);
  return k * 0x1b873593;
}

export function murmur3(ptr: usize, len: u32, seed: u32): u32 {
  let h = seed;
  const blocks = len & ~3;
  for (let i: u32 = 0; i < blocks; i += 4) {
    h ^= mix(load<u32>(ptr + i));
    h = rotl<u32>(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  let k: u32 = 0;
  const tail = ptr + blocks;
  switch (len & 3) {
    case 3:
      k ^= <u32>load<u8>(tail, 2) << 16;
    case 2:
      k ^= <u32>load<u8>(tail, 1) << 8;
    case 1:
      k ^= <u32>load<u8>(tail);
      h ^= mix(k);
  }
  h ^= len;
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

/** Lexicographic compare of two byte strings; a shorter prefix sorts first. */
export function compareBytes(a: usize, alen: u32, b: usize, blen: u32): i32 {
  const n = min(alen, blen);
  let i: u32 = 0;
  for (; i + 8 <= n; i += 8) {
    const x = load<u64>(a + i);
    const y = load<u64>(b + i);
    if (x != y) {
      // first differing byte decides; bswap makes the u64 compare byte-lexicographic
      return bswap<u64>(x) < bswap<u64>(y) ? -1 : 1;
    }
  }
  for (; i < n; i++) {
    const x = load<u8>(a + i);
    const y = load<u8>(b + i);
    if (x != y) return <i32>x - <i32>y;
  }
  return <i32>alen - <i32>blen;
}

/** Copies n bytes; short copies inline (memory.copy has a fixed cost that dominates small n). */
@inline export function copyBytes(dst: usize, src: usize, n: u32): void {
  if (n <= 16) {
    let i: u32 = 0;
    for (; i + 8 <= n; i += 8) store<u64>(dst + i, load<u64>(src + i));
    for (; i < n; i++) store<u8>(dst + i, load<u8>(src + i));
  } else {
    memory.copy(dst, src, n);
  }
}

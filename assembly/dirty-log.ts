// Which entries were written since the last snapshot, as an append-only log of their sort keys
// (keyGroup << 32 | hash). Marking an entry dirty costs one sequential store instead of a random
// write into a per-slot map; slots move when runs shift, sort keys do not. A snapshot sorts the
// log, drops repeats and visits each sort key's run of slots in table order.

@inline const SMALL: u32 = 32;
@inline const DIGIT_BITS: u32 = 16;
@inline const BUCKETS: u32 = 1 << DIGIT_BITS;
/** Sort keys are < 2^47: key group < 2^15, hash < 2^32. */
@inline const PASSES: u32 = 3;

// u64[logCap]: sort keys in order of first write since the last snapshot
let log: usize = 0;
let logCap: u32 = 0;
export let logLen: u32 = 0;
// u64[logCap] scratch for the radix sort, and u32[BUCKETS] counts
let spare: usize = 0;
let spareCap: u32 = 0;
let counts: usize = 0;

export function logDirty(sk: u64): void {
  if (logLen == logCap) {
    const cap = max<u32>(1024, logCap * 2);
    log = log == 0 ? heap.alloc(<usize>cap * 8) : heap.realloc(log, <usize>cap * 8);
    logCap = cap;
  }
  store<u64>(log + (<usize>logLen << 3), sk);
  logLen++;
}

export function clearLog(): void {
  logLen = 0;
}

@inline export function logAt(i: u32): u64 {
  return load<u64>(log + (<usize>i << 3));
}

/** Sorts the log ascending and removes repeats; returns how many distinct sort keys remain. */
export function sortLog(): u32 {
  const n = logLen;
  if (n <= SMALL) insertionSort(log, n);
  else radixSort(n);
  let out: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const v = logAt(i);
    if (out > 0 && load<u64>(log + (<usize>(out - 1) << 3)) == v) continue;
    store<u64>(log + (<usize>out << 3), v);
    out++;
  }
  logLen = out;
  return out;
}

function insertionSort(a: usize, n: u32): void {
  for (let i: u32 = 1; i < n; i++) {
    const v = load<u64>(a + (<usize>i << 3));
    let j = i;
    while (j > 0 && load<u64>(a + (<usize>(j - 1) << 3)) > v) {
      store<u64>(a + (<usize>j << 3), load<u64>(a + (<usize>(j - 1) << 3)));
      j--;
    }
    store<u64>(a + (<usize>j << 3), v);
  }
}

/** LSD radix sort, 16-bit digits, ping-ponging between the log and a spare buffer. */
function radixSort(n: u32): void {
  if (spareCap < logCap) {
    if (spare != 0) heap.free(spare);
    spare = heap.alloc(<usize>logCap * 8);
    spareCap = logCap;
  }
  if (counts == 0) counts = heap.alloc(BUCKETS * 4);
  let src = log;
  let dst = spare;
  for (let pass: u32 = 0; pass < PASSES; pass++) {
    const shift = <u64>(pass * DIGIT_BITS);
    memory.fill(counts, 0, BUCKETS * 4);
    for (let i: u32 = 0; i < n; i++) {
      const d = <usize>((load<u64>(src + (<usize>i << 3)) >> shift) & (BUCKETS - 1));
      store<u32>(counts + (d << 2), load<u32>(counts + (d << 2)) + 1);
    }
    let sum: u32 = 0;
    for (let d: u32 = 0; d < BUCKETS; d++) {
      const c = load<u32>(counts + (<usize>d << 2));
      store<u32>(counts + (<usize>d << 2), sum);
      sum += c;
    }
    for (let i: u32 = 0; i < n; i++) {
      const v = load<u64>(src + (<usize>i << 3));
      const d = <usize>((v >> shift) & (BUCKETS - 1));
      const at = load<u32>(counts + (d << 2));
      store<u32>(counts + (d << 2), at + 1);
      store<u64>(dst + (<usize>at << 3), v);
    }
    const t = src;
    src = dst;
    dst = t;
  }
  // an odd number of passes leaves the result in the spare buffer: swap the roles
  if (src != log) {
    spare = log;
    log = src;
  }
}

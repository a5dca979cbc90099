/**
 * mulberry32: a small, fast, seeded 32-bit PRNG, uniform in [0, 1). Where weir needs repeatable
 * "random" sequences (generators, benchmarks, tests), the same seed gives the same sequence.
 */

const GOLDEN = 0x6d2b79f5;

/** The output for internal state `a` (the seed advanced by one step per draw). */
function mix(a: number): number {
  let t = a;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A generator of the sequence for `seed`. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + GOLDEN) >>> 0;
    return mix(a);
  };
}

/**
 * Draw number `n` (0-based) of `mulberry32(seed)`'s sequence, without a generator object: the state
 * after n + 1 steps is `seed + (n + 1) * GOLDEN` mod 2^32. For hot loops that need a few draws per
 * item (no closure per item).
 */
export function mulberry32At(seed: number, n: number): number {
  return mix((seed + Math.imul(n + 1, GOLDEN)) >>> 0);
}

/**
 * Per-event randomness. Nexmark seeds a fresh `Random` with each event's id, which makes event i a
 * function of i alone; here the seed is derived from `(job seed, i)` and draws come from the
 * counter-based {@link mulberry32At}, so no generator object is created per event.
 */
import { mulberry32At } from '../../random/mulberry32.js';
import { fmix32 } from '../../state/murmur3.js';

const TWO_POW_32 = 4294967296;

/**
 * The 32-bit PRNG seed of event `i` under job seed `seed` (`salt` separates unrelated streams drawn
 * from the same `(seed, i)`, e.g. event data and channel URLs). Both 32-bit halves of `i` and of
 * `seed` are mixed in, so events past 2^32 do not repeat earlier ones and seeds differing only in
 * their high bits differ.
 */
export function eventSeed(seed: number, i: number, salt = 0): number {
  const x =
    (seed >>> 0) ^
    Math.imul(Math.floor(seed / TWO_POW_32) >>> 0, 0x27d4eb2f) ^
    Math.imul(i >>> 0, 0x9e3779b1) ^
    Math.imul((Math.floor(i / TWO_POW_32) >>> 0) + 0x632be5ab, 0x85ebca6b) ^
    Math.imul(salt + 1, 0xc2b2ae35);
  return fmix32(x >>> 0);
}

/**
 * A cursor over one seed's draws: `reset(seed)` then `nextDouble` / `nextInt` / `nextLong` return
 * draws 0, 1, 2, … of that seed. It is scratch state owned by one generator and reset per event;
 * no draw depends on anything but (seed, draw index).
 */
export class EventRandom {
  /** Seed of the current event. */
  private seed = 0;
  /** Index of the next draw of `seed`. */
  private n = 0;

  /** Starts the draws of `seed` from draw 0. */
  reset(seed: number): void {
    this.seed = seed;
    this.n = 0;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  nextDouble(): number {
    return mulberry32At(this.seed, this.n++);
  }

  /** Uniform integer in [0, bound) for 1 <= bound <= 2^32 (java.util.Random#nextInt's role). */
  nextInt(bound: number): number {
    return Math.floor(mulberry32At(this.seed, this.n++) * bound);
  }

  /**
   * Uniform integer in [0, bound) for any safe-integer bound >= 1 (Nexmark's LongGenerator). Bounds
   * past 2^32 use two draws so every value stays reachable.
   */
  nextLong(bound: number): number {
    if (bound <= TWO_POW_32) return this.nextInt(bound);
    const hi = mulberry32At(this.seed, this.n++);
    const u = hi + mulberry32At(this.seed, this.n++) / TWO_POW_32;
    return Math.min(bound - 1, Math.floor(u * bound));
  }
}

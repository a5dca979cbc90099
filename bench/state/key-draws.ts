/**
 * Pre-built keys and key sequences, so neither random numbers nor string construction is measured.
 * Sequences are seeded: every backend sees the same keys in the same order.
 */
import { mulberry32 } from '../../src/random/mulberry32.js';

/** `count` key indexes drawn uniformly at random from [0, keys). */
export function drawKeyIndexes(keys: number, count: number, seed: number): Uint32Array {
  const random = mulberry32(seed);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.floor(random() * keys);
  return out;
}

/** `"user-0" … "user-<n-1>"`: short flat strings, built once. */
export function stringKeys(n: number): string[] {
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = `user-${i}`;
  return out;
}

/**
 * Hands out consecutive windows of `batch` draws; wraps to the start when the sequence is used up
 * (sequences are sized for a whole plan, so this only happens if tinybench runs extra batches).
 */
export class DrawCursor {
  /** Start of the next window; always `<= draws.length - batch`. */
  private next = 0;

  constructor(
    readonly draws: Uint32Array,
    readonly batch: number,
  ) {
    if (draws.length < batch) throw new RangeError(`need at least one batch of draws (${batch}), got ${draws.length}`);
  }

  /** Start index of the next window of `batch` draws. */
  take(): number {
    if (this.next + this.batch > this.draws.length) this.next = 0;
    const from = this.next;
    this.next += this.batch;
    return from;
  }
}

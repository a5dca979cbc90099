/**
 * Cooperative yielding for the asynchronous part of a snapshot: record processing runs on the same
 * thread, so serialization, sorting and checksumming give the event loop a turn every few thousand
 * steps.
 */
export const STEPS_PER_YIELD = 4096;

export class Pacer {
  /** Steps since the last yield. */
  private n = 0;

  constructor(private readonly every = STEPS_PER_YIELD) {}

  /** Counts `k` steps; true when it is time to `await pause()`. */
  step(k = 1): boolean {
    this.n += k;
    return this.n >= this.every;
  }

  /** Yields to the event loop (setImmediate: after pending I/O, unlike a microtask). */
  pause(): Promise<void> {
    this.n = 0;
    return new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * The window of event or processing time a record is grouped into (Flink's `TimeWindow`): the
 * half-open interval `[start, end)` in ms.
 */

/**
 * A time interval `[start, end)`. Immutable; windows are equal when both bounds are.
 *
 * @example
 * const w = new TimeWindow(10_000, 20_000);
 * w.maxTimestamp(); // 19_999: the last timestamp inside, when an event-time window fires
 */
export class TimeWindow {
  constructor(
    readonly start: number,
    readonly end: number,
  ) {}

  /** The largest timestamp that belongs to the window, `end - 1`: its event-time trigger time. */
  maxTimestamp(): number {
    return this.end - 1;
  }

  /** Whether the windows overlap or touch (Flink's rule: session windows `[0, 5)` and `[5, 9)` merge). */
  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && this.end >= other.start;
  }

  /** The smallest window containing both. */
  cover(other: TimeWindow): TimeWindow {
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }

  equals(other: TimeWindow): boolean {
    return this.start === other.start && this.end === other.end;
  }

  toString(): string {
    return `TimeWindow{start=${this.start}, end=${this.end}}`;
  }

  /**
   * The start of the window of length `windowSize` (windows aligned to `offset`) that contains
   * `timestamp`: the largest `start <= timestamp` with `start ≡ offset (mod windowSize)`. Correct for
   * negative timestamps too (as Flink since 1.17).
   *
   * @example
   * TimeWindow.getWindowStartWithOffset(12_345, 0, 1_000); // 12_000
   * TimeWindow.getWindowStartWithOffset(-1, 0, 1_000); // -1_000
   */
  static getWindowStartWithOffset(timestamp: number, offset: number, windowSize: number): number {
    return windowStart(timestamp, offset, windowSize);
  }
}

/** See {@link TimeWindow.getWindowStartWithOffset}; a plain function for the per-record path. */
export function windowStart(timestamp: number, offset: number, windowSize: number): number {
  const remainder = (timestamp - offset) % windowSize;
  return remainder < 0 ? timestamp - (remainder + windowSize) : timestamp - remainder;
}

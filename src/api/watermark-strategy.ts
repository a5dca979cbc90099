/**
 * How a source assigns event timestamps and generates watermarks (Flink's `WatermarkStrategy`).
 * Given as the `watermarks` option of `env.source(...)`; every subtask (every split) gets its own
 * generator, and an operator's watermark is the minimum over its inputs.
 *
 * @example
 * env.source(bids, {
 *   uid: 'bids',
 *   watermarks: WatermarkStrategy.forBoundedOutOfOrderness<Bid>(5_000)
 *     .withTimestampAssigner((b) => b.dateTime)
 *     .withIdleness(60_000),
 * });
 */

/** Tracks the largest timestamp seen and says what the watermark is (Flink's `WatermarkGenerator`). */
export interface WatermarkGenerator {
  /** Called for every record with its assigned timestamp. */
  onEvent(timestampMs: number): void;
  /** The watermark now: no record below it is expected. `-Infinity` while nothing is known. */
  currentWatermark(): number;
}

/** Extracts a record's event timestamp (epoch ms, a finite number). */
export type TimestampAssigner<T> = (record: T) => number;

/** Watermark = max timestamp seen − out-of-orderness − 1 (Flink's `BoundedOutOfOrdernessWatermarks`). */
class BoundedOutOfOrderness implements WatermarkGenerator {
  private maxTimestamp = -Infinity;
  constructor(private readonly outOfOrdernessMs: number) {}

  onEvent(timestampMs: number): void {
    if (timestampMs > this.maxTimestamp) this.maxTimestamp = timestampMs;
  }

  currentWatermark(): number {
    return this.maxTimestamp - this.outOfOrdernessMs - 1;
  }
}

/** An immutable description of timestamps, watermarks and idleness; see the module comment. */
export class WatermarkStrategy<T> {
  private constructor(
    /** Builds one generator per split. */
    readonly createGenerator: () => WatermarkGenerator,
    readonly timestampAssigner: TimestampAssigner<T> | undefined,
    /** A split that produced nothing for this long (processing time) stops holding back the watermark. */
    readonly idleTimeoutMs: number | undefined,
  ) {}

  /** Timestamps arrive at most `outOfOrdernessMs` late relative to the largest seen so far. */
  static forBoundedOutOfOrderness<T>(outOfOrdernessMs: number): WatermarkStrategy<T> {
    if (!(Number.isFinite(outOfOrdernessMs) && outOfOrdernessMs >= 0)) {
      throw new RangeError(`forBoundedOutOfOrderness: out-of-orderness must be a finite number of ms >= 0, got ${outOfOrdernessMs}`);
    }
    return new WatermarkStrategy<T>(() => new BoundedOutOfOrderness(outOfOrdernessMs), undefined, undefined);
  }

  /** Timestamps never decrease within a split (out-of-orderness 0). */
  static forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return WatermarkStrategy.forBoundedOutOfOrderness<T>(0);
  }

  /** A custom generator, one per split. */
  static forGenerator<T>(createGenerator: () => WatermarkGenerator): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(createGenerator, undefined, undefined);
  }

  /** Where each record's timestamp comes from; required (checked when the job is built). */
  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    if (typeof assigner !== 'function') throw new TypeError('withTimestampAssigner: the assigner must be a function (record) => epoch ms');
    return new WatermarkStrategy<T>(this.createGenerator, assigner, this.idleTimeoutMs);
  }

  /**
   * Marks a split idle after `timeoutMs` of processing time without records, so it stops holding back
   * downstream watermarks; it becomes active again with its next record.
   */
  withIdleness(timeoutMs: number): WatermarkStrategy<T> {
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
      throw new RangeError(`withIdleness: the timeout must be a finite number of ms > 0, got ${timeoutMs}`);
    }
    return new WatermarkStrategy<T>(this.createGenerator, this.timestampAssigner, timeoutMs);
  }
}

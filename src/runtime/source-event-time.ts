/**
 * Event time at a source subtask: stamps each polled record with its assigned timestamp (the
 * subtask's timestamp cell) and feeds the watermark generator; after each step says which watermark
 * to emit, and reports the split idle after its idle timeout without records (active again before
 * its next record).
 */
import type { TimestampAssigner, WatermarkGenerator } from '../api/watermark-strategy.js';
import type { PushFn } from './operator-chain.js';
import type { RecordTimestamp } from './record-timestamp.js';

/** A source task's event time: its strategy's assigner and this subtask's generator. */
export interface SourceWatermarks {
  readonly assigner: TimestampAssigner<unknown>;
  readonly generator: WatermarkGenerator;
  /** Report idle after this long (processing time) without records; undefined: never. */
  readonly idleTimeoutMs: number | undefined;
}

export class SourceEventTime {
  /** Reported idle downstream. */
  private idle = false;
  /** Processing time of the first empty poll in the current run of empty polls, or NaN. */
  private emptySince = Number.NaN;

  constructor(
    private readonly watermarks: SourceWatermarks,
    private readonly time: RecordTimestamp,
    private readonly clock: () => number,
    /** Sends an idle or active status downstream. */
    private readonly sendStatus: (idle: boolean) => void,
    /** Names the subtask in errors. */
    private readonly subtaskId: string,
  ) {}

  /** Pushes a polled batch into the chain, each record with its timestamp. */
  push(batch: readonly unknown[], head: PushFn): void {
    if (this.idle) this.setIdle(false);
    const { assigner, generator } = this.watermarks;
    const time = this.time;
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i];
      const ts = assigner(r);
      if (typeof ts !== 'number' || !Number.isFinite(ts)) {
        throw new TypeError(`${this.subtaskId}: the timestamp assigner returned ${String(ts)}, not a finite number of ms`);
      }
      time.ts = ts;
      generator.onEvent(ts);
      head(r, undefined);
    }
  }

  /**
   * After a step that read `records` records; `exhausted` when the source had nothing to give (not
   * merely blocked outputs, which is backpressure, not idleness). Returns the generator's watermark
   * after a step with records (the caller emits it if it advanced), else undefined.
   */
  afterStep(records: number, exhausted: boolean): number | undefined {
    if (records > 0) {
      this.emptySince = Number.NaN;
      return this.watermarks.generator.currentWatermark();
    }
    const timeout = this.watermarks.idleTimeoutMs;
    if (!exhausted || timeout === undefined || this.idle) return undefined;
    const now = this.clock();
    if (Number.isNaN(this.emptySince)) this.emptySince = now;
    else if (now - this.emptySince >= timeout) this.setIdle(true);
    return undefined;
  }

  private setIdle(idle: boolean): void {
    this.idle = idle;
    this.emptySince = Number.NaN;
    this.sendStatus(idle);
  }
}

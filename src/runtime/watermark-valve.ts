/**
 * Combines the watermarks of a subtask's input channels into the subtask's own (Flink's
 * `StatusWatermarkValve`). The subtask's watermark is the minimum over its active, aligned channels
 * and never goes back:
 * - an idle channel does not hold the watermark back; when every live channel is idle, the watermark
 *   moves to the largest channel watermark and the subtask itself reports idle;
 * - a channel that becomes active again below the subtask's watermark is not counted until its own
 *   watermark catches up (it is not *aligned*), so the output stays monotonic;
 * - a channel that delivered end-of-stream no longer holds the watermark back. End-of-stream does
 *   not advance the watermark: a bounded source sends `Infinity` itself when its input ends, and a
 *   source stopped for a savepoint must not make windows fire after the savepoint. (When every live
 *   channel is idle, an ended channel that had reached `Infinity` still counts in the maximum.)
 *
 * Pure bookkeeping: each handler returns what the subtask must emit, or undefined.
 */

/** What an input event changed for the subtask's output. */
export interface ValveOutput {
  /** The subtask's watermark advanced to this value: fire timers, then forward it. */
  watermark?: number;
  /** The subtask's status changed: forward it. */
  idle?: boolean;
}

const NOTHING: ValveOutput = Object.freeze({});

/**
 * @example
 * const valve = new WatermarkValve(2);
 * valve.onWatermark(0, 100); // {} — channel 1 still at -Infinity
 * valve.onWatermark(1, 50);  // { watermark: 50 }
 */
export class WatermarkValve {
  /** Per channel: its latest watermark. */
  private readonly watermarks: Float64Array;
  /** Per channel: reported idle. */
  private readonly idle: Uint8Array;
  /** Per channel: counted in the minimum (active and caught up with the output). */
  private readonly aligned: Uint8Array;
  /** Per channel: delivered end-of-stream. */
  private readonly ended: Uint8Array;
  /** The subtask's watermark; -Infinity before the first. */
  private output = Number.NEGATIVE_INFINITY;
  private outputIdle = false;

  constructor(private readonly channels: number) {
    this.watermarks = new Float64Array(channels).fill(Number.NEGATIVE_INFINITY);
    this.idle = new Uint8Array(channels);
    this.aligned = new Uint8Array(channels).fill(1);
    this.ended = new Uint8Array(channels);
  }

  /** The subtask's current watermark. */
  get current(): number {
    return this.output;
  }

  onWatermark(channel: number, timestamp: number): ValveOutput {
    if (this.ended[channel] === 1) return NOTHING;
    let status: boolean | undefined;
    if (this.idle[channel] === 1) {
      // a watermark from an idle channel means it is active again (its status event was lost to a restart)
      status = this.activate(channel);
    }
    if (timestamp > this.watermarks[channel]!) {
      this.watermarks[channel] = timestamp;
      if (this.aligned[channel] === 0 && timestamp >= this.output) this.aligned[channel] = 1;
    }
    const wm = this.advanceToMinimum();
    return wm === undefined && status === undefined ? NOTHING : { ...(wm === undefined ? {} : { watermark: wm }), ...(status === undefined ? {} : { idle: status }) };
  }

  onStatus(channel: number, idle: boolean): ValveOutput {
    if (this.ended[channel] === 1) return NOTHING;
    if (!idle) {
      if (this.idle[channel] === 0) return NOTHING;
      const status = this.activate(channel);
      return status === undefined ? NOTHING : { idle: status };
    }
    if (this.idle[channel] === 1) return NOTHING;
    this.idle[channel] = 1;
    this.aligned[channel] = 0;
    return this.afterChannelLeft();
  }

  onEndOfStream(channel: number): ValveOutput {
    if (this.ended[channel] === 1) return NOTHING;
    this.ended[channel] = 1;
    this.aligned[channel] = 0;
    // the ended channel may have been the one holding the others back
    return this.afterChannelLeft();
  }

  /** Marks `channel` active; returns the subtask's new status when it changes. */
  private activate(channel: number): boolean | undefined {
    this.idle[channel] = 0;
    if (this.watermarks[channel]! >= this.output) this.aligned[channel] = 1;
    if (!this.outputIdle) return undefined;
    this.outputIdle = false;
    return false;
  }

  /** A channel went idle or ended: recompute over the rest, and go idle when every live channel is. */
  private afterChannelLeft(): ValveOutput {
    let live = 0;
    let active = 0;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < this.channels; i++) {
      if (this.ended[i] === 1) {
        // a bounded input that completed counts with its final watermark; a stopped one does not count
        if (this.watermarks[i] === Number.POSITIVE_INFINITY) max = Number.POSITIVE_INFINITY;
        continue;
      }
      live++;
      if (this.idle[i] === 0) active++;
      if (this.watermarks[i]! > max) max = this.watermarks[i]!;
    }
    if (live === 0) return NOTHING;
    if (active > 0) {
      const wm = this.advanceToMinimum();
      return wm === undefined ? NOTHING : { watermark: wm };
    }
    // every live channel is idle: nothing holds event time back (Flink moves to the largest watermark)
    let watermark: number | undefined;
    if (max > this.output) {
      this.output = max;
      watermark = max;
    }
    if (this.outputIdle) return watermark === undefined ? NOTHING : { watermark };
    this.outputIdle = true;
    return watermark === undefined ? { idle: true } : { watermark, idle: true };
  }

  /** Minimum over aligned channels; returns it when it advances the output. */
  private advanceToMinimum(): number | undefined {
    let min = Number.POSITIVE_INFINITY;
    let any = false;
    for (let i = 0; i < this.channels; i++) {
      if (this.aligned[i] === 0) continue;
      any = true;
      if (this.watermarks[i]! < min) min = this.watermarks[i]!;
    }
    if (!any || !(min > this.output)) return undefined;
    this.output = min;
    return min;
  }
}

/**
 * Window assigners (Flink's names and semantics): which windows a record belongs to, by its event
 * timestamp or by the processing time it arrives at.
 *
 * - Aligned windows (tumbling, sliding) have a fixed size and start at `offset + k * slide`; a window
 *   is identified by its start alone, which is what the window operator keys its state by.
 * - Session windows start as `[t, t + gap)` per record and merge while they overlap or touch.
 *
 * @example
 * keyed.window(TumblingEventTimeWindows.of(60_000));            // [0, 60s), [60s, 120s), …
 * keyed.window(SlidingEventTimeWindows.of(10_000, 2_000));      // 10 s windows every 2 s
 * keyed.window(TumblingEventTimeWindows.of(86_400_000, -8 * 3_600_000)); // days in UTC+8
 * keyed.window(EventTimeSessionWindows.withGap(30 * 60_000));   // sessions closed by 30 min of silence
 */
import { TimeWindow, windowStart } from './time-window.js';

/** Checks a duration argument: a safe integer number of ms, at least `min`. */
function checkMs(what: string, name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${what}: ${name} must be an integer number of ms >= ${min}, got ${value}`);
  }
}

/**
 * Tumbling and sliding windows: `[start, start + size)` for every `start ≡ offset (mod slide)`.
 * Tumbling windows are the case `slide === size`. A slide larger than the size leaves gaps: records
 * in a gap belong to no window and are dropped.
 */
export abstract class AlignedWindowAssigner {
  readonly kind = 'aligned' as const;
  abstract readonly isEventTime: boolean;

  protected constructor(
    readonly size: number,
    readonly slide: number,
    readonly offset: number,
  ) {}

  /** Start of the latest window containing `timestamp` (windows containing it start at this minus multiples of slide, while `> timestamp - size`). */
  lastWindowStart(timestamp: number): number {
    return windowStart(timestamp, this.offset, this.slide);
  }

  /** The windows `timestamp` belongs to, latest first (Flink's order). Allocates; the operator iterates starts instead. */
  assignWindows(timestamp: number): TimeWindow[] {
    const out: TimeWindow[] = [];
    for (let start = this.lastWindowStart(timestamp); start > timestamp - this.size; start -= this.slide) {
      out.push(new TimeWindow(start, start + this.size));
    }
    return out;
  }

  abstract toString(): string;
}

/** Session windows: each record opens `[t, t + gap)`, and windows that overlap or touch merge. */
export abstract class SessionWindowAssigner {
  readonly kind = 'session' as const;
  abstract readonly isEventTime: boolean;

  protected constructor(readonly gap: number) {}

  /** The record's own window, before merging. */
  assignWindows(timestamp: number): TimeWindow[] {
    return [new TimeWindow(timestamp, timestamp + this.gap)];
  }

  /**
   * Merges overlapping or touching windows (Flink's `TimeWindow.mergeWindows`): the covers, sorted by
   * start, each with the windows it replaces (in start order). A window that merges with nothing is
   * returned alone in its group.
   */
  mergeWindows(windows: readonly TimeWindow[]): Array<{ window: TimeWindow; merged: TimeWindow[] }> {
    const sorted = [...windows].sort((a, b) => a.start - b.start || a.end - b.end);
    const out: Array<{ window: TimeWindow; merged: TimeWindow[] }> = [];
    for (const w of sorted) {
      const last = out[out.length - 1];
      if (last !== undefined && last.window.intersects(w)) {
        last.window = last.window.cover(w);
        last.merged.push(w);
      } else {
        out.push({ window: w, merged: [w] });
      }
    }
    return out;
  }

  abstract toString(): string;
}

/** Every built-in assigner; the window operator specialises on `kind`. */
export type WindowAssigner = AlignedWindowAssigner | SessionWindowAssigner;

function checkAligned(what: string, size: number, slide: number, offset: number): void {
  checkMs(what, 'size', size, 1);
  checkMs(what, 'slide', slide, 1);
  if (!Number.isSafeInteger(offset) || Math.abs(offset) >= slide) {
    throw new RangeError(`${what}: offset must be an integer number of ms with |offset| < ${slide === size ? 'size' : 'slide'} (${slide}), got ${offset}`);
  }
}

/**
 * Fixed-size, non-overlapping event-time windows `[offset + k·size, offset + (k+1)·size)`.
 *
 * @example
 * bids.keyBy((b) => b.auction).window(TumblingEventTimeWindows.of(10_000)).aggregate(count, { uid: 'bids-per-10s' });
 */
export class TumblingEventTimeWindows extends AlignedWindowAssigner {
  readonly isEventTime = true;

  /** `offset` shifts the alignment (e.g. a time zone for day windows); `|offset| < size`. */
  static of(sizeMs: number, offsetMs = 0): TumblingEventTimeWindows {
    checkAligned('TumblingEventTimeWindows.of', sizeMs, sizeMs, offsetMs);
    return new TumblingEventTimeWindows(sizeMs, sizeMs, offsetMs);
  }

  toString(): string {
    return `TumblingEventTimeWindows(${this.size}${this.offset === 0 ? '' : `, ${this.offset}`})`;
  }
}

/**
 * Fixed-size event-time windows starting every `slide` ms; a record belongs to `size / slide` of them.
 *
 * @example
 * keyed.window(SlidingEventTimeWindows.of(60_000, 10_000)); // the last minute, every 10 s
 */
export class SlidingEventTimeWindows extends AlignedWindowAssigner {
  readonly isEventTime = true;

  /** `|offset| < slide`. */
  static of(sizeMs: number, slideMs: number, offsetMs = 0): SlidingEventTimeWindows {
    checkAligned('SlidingEventTimeWindows.of', sizeMs, slideMs, offsetMs);
    return new SlidingEventTimeWindows(sizeMs, slideMs, offsetMs);
  }

  toString(): string {
    return `SlidingEventTimeWindows(${this.size}, ${this.slide}${this.offset === 0 ? '' : `, ${this.offset}`})`;
  }
}

/** {@link TumblingEventTimeWindows} over the processing time a record arrives at. */
export class TumblingProcessingTimeWindows extends AlignedWindowAssigner {
  readonly isEventTime = false;

  static of(sizeMs: number, offsetMs = 0): TumblingProcessingTimeWindows {
    checkAligned('TumblingProcessingTimeWindows.of', sizeMs, sizeMs, offsetMs);
    return new TumblingProcessingTimeWindows(sizeMs, sizeMs, offsetMs);
  }

  toString(): string {
    return `TumblingProcessingTimeWindows(${this.size}${this.offset === 0 ? '' : `, ${this.offset}`})`;
  }
}

/** {@link SlidingEventTimeWindows} over the processing time a record arrives at. */
export class SlidingProcessingTimeWindows extends AlignedWindowAssigner {
  readonly isEventTime = false;

  static of(sizeMs: number, slideMs: number, offsetMs = 0): SlidingProcessingTimeWindows {
    checkAligned('SlidingProcessingTimeWindows.of', sizeMs, slideMs, offsetMs);
    return new SlidingProcessingTimeWindows(sizeMs, slideMs, offsetMs);
  }

  toString(): string {
    return `SlidingProcessingTimeWindows(${this.size}, ${this.slide}${this.offset === 0 ? '' : `, ${this.offset}`})`;
  }
}

/**
 * Event-time sessions: a key's session ends after `gap` ms without records (by event time). Records
 * exactly `gap` apart are in one session (their windows touch), as in Flink.
 *
 * @example
 * clicks.keyBy((c) => c.user).window(EventTimeSessionWindows.withGap(30 * 60_000)).process(summarize, { uid: 'sessions' });
 */
export class EventTimeSessionWindows extends SessionWindowAssigner {
  readonly isEventTime = true;

  static withGap(gapMs: number): EventTimeSessionWindows {
    checkMs('EventTimeSessionWindows.withGap', 'gap', gapMs, 1);
    return new EventTimeSessionWindows(gapMs);
  }

  toString(): string {
    return `EventTimeSessionWindows(${this.gap})`;
  }
}

/** {@link EventTimeSessionWindows} over the processing time records arrive at. */
export class ProcessingTimeSessionWindows extends SessionWindowAssigner {
  readonly isEventTime = false;

  static withGap(gapMs: number): ProcessingTimeSessionWindows {
    checkMs('ProcessingTimeSessionWindows.withGap', 'gap', gapMs, 1);
    return new ProcessingTimeSessionWindows(gapMs);
  }

  toString(): string {
    return `ProcessingTimeSessionWindows(${this.gap})`;
  }
}

/**
 * Throws unless `assigner` is one of the built-in assigners: the window operator specialises on them
 * (a custom assigner would need its own timer-to-window bookkeeping), and a wrong argument should fail
 * while the job is assembled, not when it runs.
 */
export function checkWindowAssigner(assigner: unknown, where: string): asserts assigner is WindowAssigner {
  if (!(assigner instanceof AlignedWindowAssigner || assigner instanceof SessionWindowAssigner)) {
    throw new TypeError(
      `${where}: the assigner must be one of TumblingEventTimeWindows.of(...), SlidingEventTimeWindows.of(...), ` +
        'EventTimeSessionWindows.withGap(...) or their processing-time variants',
    );
  }
}

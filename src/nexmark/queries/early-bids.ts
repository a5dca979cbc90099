/**
 * Bids of an auction that has not arrived (yet), for the auction joins of q4 and q9: per bid time,
 * the best bid at that time. Each kept time has an event-time timer at it: once the watermark passes
 * it, an auction arriving later starts after that bid, so it can never count and is dropped. When
 * the auction arrives, the best kept bid in its range is taken and the rest (and their timers) go.
 */
import type { TimerService } from '../../api/functions.js';
import type { MapState } from '../../state/types.js';

/** One key's early bids; `V` is what a bid is kept as (its price, or the whole bid). */
export class EarlyBids<V> {
  constructor(
    private readonly state: MapState<number, V>,
    /** Whether `a` beats `b` (never true for equal values). */
    private readonly beats: (a: V, b: V) => boolean,
  ) {}

  /** Keeps the bid `value` placed at `time` unless a better one at that time is kept already. */
  keep(time: number, value: V, timers: TimerService): void {
    const kept = this.state.get(time);
    if (kept === undefined) {
      this.state.put(time, value);
      timers.registerEventTimeTimer(time);
    } else if (this.beats(value, kept)) {
      this.state.put(time, value);
    }
  }

  /** The best kept bid placed within [start, expires], or undefined; forgets every kept bid and its timer. */
  take(start: number, expires: number, timers: TimerService): V | undefined {
    if (this.state.isEmpty()) return undefined;
    let best: V | undefined;
    for (const [time, value] of this.state.entries()) {
      timers.deleteEventTimeTimer(time);
      if (time >= start && time <= expires && (best === undefined || this.beats(value, best))) best = value;
    }
    this.state.clear();
    return best;
  }

  /** A kept bid's timer fired: nothing arriving later can use it. */
  drop(time: number): void {
    this.state.remove(time);
  }
}

/**
 * The `TimerService` a keyed function sees: processing-time and event-time timers of the current key,
 * each domain a {@link TimerQueue} in the operator's backend, plus the operator's clocks. The chain
 * drives it: {@link KeyedTimerService.fireProcessingTimers} at the start of every subtask step, and
 * {@link KeyedTimerService.advanceWatermark} when the subtask's watermark advances.
 */
import type { TimerService } from '../api/functions.js';
import type { Key, KeyedStateBackend } from '../state/types.js';
import { TimerQueue, type FireTimerFn } from './timer-queue.js';

/** Calls the user's `onTimer`; the backend's current key is already the timer's key. */
export type OnTimerFn = (timestampMs: number, key: Key, domain: 'event-time' | 'processing-time') => void;

/**
 * Timers and clocks of one keyed operator instance.
 *
 * @example
 * const timers = new KeyedTimerService(backend, clock, 'windows', onTimer);
 * timers.restore();             // after backend.restore and the function's open
 * timers.advanceWatermark(wm);  // fires event-time timers <= wm
 */
export class KeyedTimerService implements TimerService {
  private readonly processing: TimerQueue;
  private readonly event: TimerQueue;
  /** Monotonic: -Infinity until the first watermark, Infinity once the inputs ended. */
  private watermark = Number.NEGATIVE_INFINITY;

  constructor(backend: KeyedStateBackend, private readonly clock: () => number, operatorUid: string, onTimer: OnTimerFn | undefined) {
    const fireProcessing: FireTimerFn | undefined = onTimer && ((ts, key) => onTimer(ts, key, 'processing-time'));
    const fireEvent: FireTimerFn | undefined = onTimer && ((ts, key) => onTimer(ts, key, 'event-time'));
    this.processing = new TimerQueue(backend, 'processing-time', operatorUid, fireProcessing);
    this.event = new TimerQueue(backend, 'event-time', operatorUid, fireEvent);
  }

  currentProcessingTime(): number {
    return this.clock();
  }

  currentWatermark(): number {
    return this.watermark;
  }

  registerProcessingTimeTimer(timestampMs: number): void {
    this.processing.register(timestampMs);
  }

  deleteProcessingTimeTimer(timestampMs: number): void {
    this.processing.delete(timestampMs);
  }

  registerEventTimeTimer(timestampMs: number): void {
    this.event.register(timestampMs);
  }

  deleteEventTimeTimer(timestampMs: number): void {
    this.event.delete(timestampMs);
  }

  /** Rebuilds both domains' in-memory queues from restored state (see {@link TimerQueue.restore}). */
  restore(): void {
    this.processing.restore();
    this.event.restore();
  }

  /**
   * Processing-time timers due at `now`; a timer registered while firing waits for the next call, so
   * a self-renewing timer cannot loop. Returns how many fired.
   */
  fireProcessingTimers(now: number): number {
    return this.processing.fireDue(now);
  }

  /** The earliest processing-time timer: when an idle job must wake up. */
  nextProcessingTimerAt(): number | undefined {
    return this.processing.nextTimerAt();
  }

  /**
   * Moves the watermark to `watermark` (ignored unless it is larger) and fires every event-time timer
   * at or below it, in timestamp order, including timers registered while firing that are already due
   * (as Flink does: a window's cleanup at the same time as its firing must not wait for a watermark that
   * may never come). Returns how many fired.
   */
  advanceWatermark(watermark: number): number {
    if (!(watermark > this.watermark)) return 0;
    this.watermark = watermark;
    let fired = 0;
    for (let n = this.event.fireDue(watermark); n > 0; n = this.event.fireDue(watermark)) fired += n;
    return fired;
  }
}

/**
 * When to trigger the next periodic checkpoint, and which pending ones have expired. Pure and
 * clock-injected: every question takes `now`, every event its time, and nothing here schedules a timer —
 * the runtime asks {@link CheckpointTrigger.nextTriggerAt} and sets its own. This keeps Flink's
 * coordinator's worst part (timing interleaved with I/O under locks) out of weir's.
 *
 * Times are milliseconds of one monotonic clock (e.g. `performance.now()`), never wall-clock time,
 * so a clock adjustment cannot fire or stall checkpoints.
 */
import type { CheckpointSettings } from './checkpoint-settings.js';

/** The settings the trigger reads; a subset so tests and savepoint-only setups need not build all. */
export type TriggerSettings = Pick<
  CheckpointSettings,
  'intervalMs' | 'timeoutMs' | 'minPauseBetweenCheckpointsMs' | 'maxConcurrentCheckpoints'
>;

/**
 * The answer to "may a periodic checkpoint start now?". `wait` carries the earliest time it may;
 * `blocked` has no time because only a checkpoint finishing (completed or aborted) can unblock it.
 */
export type TriggerDecision =
  | { readonly kind: 'trigger' }
  | { readonly kind: 'wait'; readonly until: number; readonly because: 'interval' | 'min-pause' }
  | { readonly kind: 'blocked'; readonly because: 'max-concurrent' };

/**
 * The periodic trigger's bookkeeping and decisions.
 *
 * Timing rule: the next trigger is due at `max(lastTriggeredAt + intervalMs, lastCompletedAt +
 * minPause)` while fewer than `maxConcurrentCheckpoints` are pending; the first is due one interval
 * after `startedAt`. Measuring the interval from the last actual trigger (not a fixed grid) matches
 * Flink re-scheduling its timer when the min pause delayed a trigger; a trigger that came due while
 * blocked fires as soon as a slot frees, like Flink's queued request.
 *
 * @example
 * const t = new CheckpointTrigger(settings, 0);
 * if (t.shouldTrigger(now)) t.onTriggered(nextId++, now);
 * for (const id of t.expired(now)) abort(id, CheckpointFailureReason.TIMEOUT);
 */
export class CheckpointTrigger {
  /** Pending checkpoint id → the time it was triggered; insertion order is trigger order. */
  private readonly pending = new Map<number, number>();
  /** Time of the latest trigger (or `startedAt` before the first); the interval counts from here. */
  private lastTriggeredAt: number;
  /** Time of the latest completion; `undefined` until one completes, so min pause does not apply yet. */
  private lastCompletedAt: number | undefined = undefined;

  constructor(
    readonly settings: TriggerSettings,
    startedAt: number,
  ) {
    requireTime('startedAt', startedAt);
    this.lastTriggeredAt = startedAt;
  }

  /** Number of checkpoints triggered and neither completed nor aborted. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Ids of pending checkpoints, oldest first. */
  pendingIds(): number[] {
    return [...this.pending.keys()];
  }

  /** Whether a periodic checkpoint may start at `now`, and if not, why and until when. */
  decide(now: number): TriggerDecision {
    requireTime('now', now);
    if (this.pending.size >= this.settings.maxConcurrentCheckpoints) {
      return { kind: 'blocked', because: 'max-concurrent' };
    }
    const byInterval = this.lastTriggeredAt + this.settings.intervalMs;
    const byPause =
      this.lastCompletedAt === undefined ? -Infinity : this.lastCompletedAt + this.settings.minPauseBetweenCheckpointsMs;
    const due = Math.max(byInterval, byPause);
    if (now >= due) return { kind: 'trigger' };
    return { kind: 'wait', until: due, because: byPause > byInterval ? 'min-pause' : 'interval' };
  }

  /** Shorthand for `decide(now).kind === 'trigger'`. */
  shouldTrigger(now: number): boolean {
    return this.decide(now).kind === 'trigger';
  }

  /**
   * When the runtime should ask again: `now` if a checkpoint is due, the due time if waiting, or
   * `undefined` when blocked by max concurrent (ask again after the next completion or abort). Pending
   * checkpoints' expiry is a separate deadline, see {@link nextExpiryAt}.
   */
  nextTriggerAt(now: number): number | undefined {
    const d = this.decide(now);
    switch (d.kind) {
      case 'trigger':
        return now;
      case 'wait':
        return d.until;
      case 'blocked':
        return undefined;
    }
  }

  /**
   * Records that checkpoint `id` started at `now`. Also used for checkpoints the trigger did not decide
   * (e.g. a savepoint), since they occupy a concurrency slot too; the trigger does not refuse them —
   * refusing is the caller's policy.
   */
  onTriggered(id: number, now: number): void {
    requireTime('now', now);
    if (this.pending.has(id)) throw new RangeError(`checkpoint ${id} is already pending`);
    this.pending.set(id, now);
    this.lastTriggeredAt = Math.max(this.lastTriggeredAt, now);
  }

  /** Records a completion; returns false (and changes nothing) if `id` was not pending here. */
  onCompleted(id: number, now: number): boolean {
    requireTime('now', now);
    if (!this.pending.delete(id)) return false;
    this.lastCompletedAt = Math.max(this.lastCompletedAt ?? -Infinity, now);
    return true;
  }

  /**
   * Records an abort (expired, declined, subsumed, …); returns false if `id` was not pending here. An
   * abort frees a concurrency slot but does not restart the min pause, which Flink measures from the
   * last completion only.
   */
  onAborted(id: number): boolean {
    return this.pending.delete(id);
  }

  /**
   * Pending ids whose timeout has elapsed at `now` (triggered at or before `now - timeoutMs`), oldest
   * first. A query only: the caller aborts them (reason TIMEOUT) and reports with {@link onAborted}.
   */
  expired(now: number): number[] {
    requireTime('now', now);
    const out: number[] = [];
    for (const [id, triggeredAt] of this.pending) {
      if (now - triggeredAt >= this.settings.timeoutMs) out.push(id);
    }
    return out;
  }

  /** When the oldest pending checkpoint expires, or `undefined` when none is pending: the runtime's timeout timer. */
  nextExpiryAt(): number | undefined {
    let earliest: number | undefined;
    for (const triggeredAt of this.pending.values()) {
      if (earliest === undefined || triggeredAt < earliest) earliest = triggeredAt;
    }
    return earliest === undefined ? undefined : earliest + this.settings.timeoutMs;
  }
}

function requireTime(name: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite time in milliseconds, got ${value}`);
}

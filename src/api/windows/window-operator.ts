/**
 * The window operator (Flink's `WindowOperator` with the default triggers), as a keyed process
 * function: a windowed stream is a keyed process operator running one of these.
 *
 * State per key (all of it keyed state, so checkpoints, restores and rescaling carry it):
 * - the contents of each live window, by window id (window-contents.ts): the window start for
 *   tumbling and sliding windows, the state id for session windows;
 * - session windows only: `window.sessions`, the live windows as flat `start, end, stateId` triples
 *   (merging-window-set.ts);
 * - timers: an event-time (or processing-time) timer at each live window's `maxTimestamp()`, and with
 *   allowed lateness a cleanup timer at `maxTimestamp() + allowedLateness`. A timer carries only its
 *   time, so `onTimer` finds its windows from the time: for aligned windows the window whose max
 *   timestamp (or cleanup time) it is, computed; for sessions by a scan of the key's few live windows.
 *
 * Per record and assigned window: one or two state accesses (get + put of the accumulator, or
 * count + element for `process`), timers only when the window is new for the key.
 *
 * Event-time semantics (Flink's `EventTimeTrigger`): a window fires when the watermark reaches its
 * max timestamp; the results are emitted from the timer and carry that timestamp. A record whose
 * window's `maxTimestamp() + allowedLateness <= watermark` is late for it: it is not added. A record
 * late for all its windows (and itself at most `watermark - allowedLateness`) goes to the late-data
 * side output if one is set, otherwise it is dropped. A record that is behind the watermark but
 * within the allowed lateness is added and re-fires its window at once, with the updated result (it
 * carries the record's timestamp, which lies in the window). State of a window is purged when the
 * watermark passes `maxTimestamp() + allowedLateness`. Processing-time windows fire and are purged
 * when the clock reaches their max timestamp; allowed lateness does not apply to them.
 */
import type { Key, ValueState } from '../../state/types.js';
import { valueState } from '../../state/descriptors.js';
import type {
  Collector,
  KeyedProcessContext,
  KeyedProcessFunction,
  KeyedRuntimeContext,
  OnTimerContext,
  OutputTag,
  TimerService,
} from '../functions.js';
import type { WindowAssigner } from './assigners.js';
import { MergingWindowSet } from './merging-window-set.js';
import { TimeWindow } from './time-window.js';
import type { WindowContents, WindowContentsSpec, WindowEmitter } from './window-contents.js';
import type { ProcessWindowContext, ProcessWindowFunction } from './window-functions.js';
import { numberArraySerializer } from './window-serializers.js';

/** Name of the session windows' state (the live windows of a key). */
const SESSIONS_STATE = 'window.sessions';

/** Everything a window operator is built from; immutable, shared by all subtasks. */
export interface WindowOperatorConfig<K extends Key, T, R, OUT> {
  readonly assigner: WindowAssigner;
  /** ms; 0 for processing-time windows whatever the user set (Flink: lateness is event-time only). */
  readonly allowedLateness: number;
  readonly lateTag: OutputTag<T> | undefined;
  readonly contents: WindowContentsSpec<T, R>;
  /** Applied to what fires; absent: each fired result is emitted as it is (`R` is `OUT`). */
  readonly windowFn: ProcessWindowFunction<R, OUT, K, TimeWindow> | undefined;
  /** The operator's display name, for error messages. */
  readonly name: string;
}

/** Hands a fired window to the window function (or straight to the output); doubles as its context. */
class Firing<K extends Key, R, OUT> implements WindowEmitter<R>, ProcessWindowContext<TimeWindow> {
  window: TimeWindow = new TimeWindow(0, 0);
  key!: K;
  ctx!: KeyedProcessContext<K>;
  out!: Collector<OUT>;

  constructor(private readonly fn: ProcessWindowFunction<R, OUT, K, TimeWindow> | undefined) {}

  emit(results: Iterable<R>): void {
    if (this.fn !== undefined) {
      this.fn(this.key, this, results, this.out);
      return;
    }
    for (const r of results) this.out.collect(r as unknown as OUT);
  }

  currentWatermark(): number {
    return this.ctx.timerService.currentWatermark();
  }

  currentProcessingTime(): number {
    return this.ctx.timerService.currentProcessingTime();
  }

  output<X>(tag: OutputTag<X>, value: X): void {
    this.ctx.output(tag, value);
  }
}

/**
 * See the module comment. Each subtask runs `Object.create(operator)`: the config is shared through
 * the prototype, the handles below are the subtask's own (set in `open`).
 */
export class WindowOperator<K extends Key, T, R, OUT> implements KeyedProcessFunction<K, T, OUT> {
  private contents!: WindowContents<T, R>;
  /** Session windows only: the key's live windows (see merging-window-set.ts). */
  private sessions: ValueState<number[]> | undefined;
  /** Session windows only: scratch for one key's window set, loaded from `sessions` per call. */
  private set: MergingWindowSet | undefined;
  private firing!: Firing<K, R, OUT>;

  constructor(readonly config: WindowOperatorConfig<K, T, R, OUT>) {}

  open(runtime: KeyedRuntimeContext): void {
    const c = this.config;
    this.contents = c.contents.create(runtime);
    this.firing = new Firing(c.windowFn);
    if (c.assigner.kind === 'session') {
      this.sessions = runtime.getState(valueState(SESSIONS_STATE, numberArraySerializer));
      this.set = new MergingWindowSet();
    }
  }

  processElement(value: T, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void {
    const a = this.config.assigner;
    let ts: number;
    if (a.isEventTime) {
      if (ctx.timestamp === undefined) throw this.noTimestamp();
      ts = ctx.timestamp;
    } else {
      ts = ctx.timerService.currentProcessingTime();
    }
    if (a.kind === 'aligned') this.addAligned(value, ts, a.size, a.slide, a.lastWindowStart(ts), ctx, out);
    else this.addToSession(value, ts, a.gap, ctx, out);
  }

  onTimer(timestampMs: number, ctx: OnTimerContext<K>, out: Collector<OUT>): void {
    const a = this.config.assigner;
    if ((ctx.timeDomain === 'event-time') !== a.isEventTime) return;
    if (a.kind === 'aligned') this.timerAligned(timestampMs, a.size, ctx, out);
    else this.timerSessions(timestampMs, ctx, out);
  }

  /** Adds a record to its tumbling or sliding windows, latest first; `lastStart` is the latest window's start. */
  private addAligned(value: T, ts: number, size: number, slide: number, lastStart: number, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void {
    const eventTime = this.config.assigner.isEventTime;
    const lateness = this.config.allowedLateness;
    const timers = ctx.timerService;
    const wm = eventTime ? timers.currentWatermark() : -Infinity;
    let skipped = true;
    for (let start = lastStart; start > ts - size; start -= slide) {
      const maxTs = start + size - 1;
      if (maxTs + lateness <= wm) continue; // late for this window
      skipped = false;
      const isNew = this.contents.add(start, value);
      if (!eventTime) {
        if (isNew) timers.registerProcessingTimeTimer(maxTs);
        continue;
      }
      if (isNew) {
        if (maxTs > wm) timers.registerEventTimeTimer(maxTs);
        if (lateness > 0) timers.registerEventTimeTimer(maxTs + lateness);
      }
      if (maxTs <= wm) this.fire(start, start, start + size, ctx, out);
    }
    if (skipped && eventTime && ts + lateness <= wm) this.late(value, ctx);
  }

  /** A timer of aligned windows: fires the window whose max timestamp it is, purges the one whose cleanup time it is. */
  private timerAligned(t: number, size: number, ctx: OnTimerContext<K>, out: Collector<OUT>): void {
    const lateness = this.config.allowedLateness;
    const start = t + 1 - size;
    if (this.fire(start, start, start + size, ctx, out) && lateness === 0) this.contents.clear(start);
    if (lateness > 0) this.contents.clear(t - lateness + 1 - size);
  }

  /** Adds a record to its session, merging sessions it bridges (Flink's `MergingWindowSet.addWindow`). */
  private addToSession(value: T, ts: number, gap: number, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void {
    const eventTime = this.config.assigner.isEventTime;
    const lateness = this.config.allowedLateness;
    const timers = ctx.timerService;
    const wm = eventTime ? timers.currentWatermark() : -Infinity;
    const set = this.set!;
    set.load(this.sessions!.value());
    const kind = set.addWindow(ts, ts + gap);
    const { start, end, stateId } = set;
    const maxTs = end - 1;
    if (maxTs + lateness <= wm) {
      // Only a window that merged with nothing can be late (live windows are never late: their
      // cleanup timer removes them first), so dropping the unsaved set retires it.
      if (ts + lateness <= wm) this.late(value, ctx);
      return;
    }
    if (kind === 'merged') {
      this.contents.merge(stateId, set.mergedStateIds);
      this.deleteReplacedTimers(set, timers);
    }
    this.contents.add(stateId, value);
    if (kind !== 'contained') {
      if (!eventTime) {
        timers.registerProcessingTimeTimer(maxTs);
      } else {
        if (maxTs > wm) timers.registerEventTimeTimer(maxTs);
        if (lateness > 0) timers.registerEventTimeTimer(maxTs + lateness);
      }
      this.sessions!.update(set.windows);
    }
    if (maxTs <= wm) this.fire(stateId, start, end, ctx, out);
  }

  /**
   * Deletes the timers of the windows a merge replaced, except times a live window still needs (a
   * timer is only a time: the merged window, or another session's cleanup, may share it).
   */
  private deleteReplacedTimers(set: MergingWindowSet, timers: TimerService): void {
    const eventTime = this.config.assigner.isEventTime;
    const lateness = this.config.allowedLateness;
    const removed = set.removed;
    for (let i = 1; i < removed.length; i += 2) {
      const maxTs = removed[i]! - 1;
      if (!eventTime) {
        if (!needsTimer(set.windows, maxTs, 0)) timers.deleteProcessingTimeTimer(maxTs);
        continue;
      }
      if (!needsTimer(set.windows, maxTs, lateness)) timers.deleteEventTimeTimer(maxTs);
      if (lateness > 0 && !needsTimer(set.windows, maxTs + lateness, lateness)) timers.deleteEventTimeTimer(maxTs + lateness);
    }
  }

  /** A timer of session windows: fires the sessions ending at it, purges those whose cleanup time it is. */
  private timerSessions(t: number, ctx: OnTimerContext<K>, out: Collector<OUT>): void {
    const lateness = this.config.allowedLateness;
    const set = this.set!;
    set.load(this.sessions!.value());
    const w = set.windows;
    let changed = false;
    for (let i = 0; i < w.length; ) {
      const start = w[i]!;
      const end = w[i + 1]!;
      const stateId = w[i + 2]!;
      const maxTs = end - 1;
      if (maxTs === t) this.fire(stateId, start, end, ctx, out);
      if (maxTs + lateness === t) {
        this.contents.clear(stateId);
        w.splice(i, 3);
        changed = true;
      } else {
        i += 3;
      }
    }
    if (!changed) return;
    if (w.length === 0) this.sessions!.clear();
    else this.sessions!.update(w);
  }

  /** Emits window `id` = `[start, end)` if it has contents; whether it had. */
  private fire(id: number, start: number, end: number, ctx: KeyedProcessContext<K>, out: Collector<OUT>): boolean {
    const f = this.firing;
    f.window = new TimeWindow(start, end);
    f.key = ctx.key;
    f.ctx = ctx;
    f.out = out;
    return this.contents.fire(id, f);
  }

  private late(value: T, ctx: KeyedProcessContext<K>): void {
    const tag = this.config.lateTag;
    if (tag !== undefined) ctx.output(tag, value);
  }

  private noTimestamp(): Error {
    const c = this.config;
    return new TypeError(
      `${c.name}: a record has no event timestamp, but ${c.assigner} assigns windows by event time; ` +
        "give the source a `watermarks` strategy with a timestamp assigner, or use a processing-time assigner",
    );
  }
}

/** Whether a live window (flat `start, end, stateId` triples) fires or is purged at time `t`. */
function needsTimer(windows: readonly number[], t: number, lateness: number): boolean {
  for (let i = 1; i < windows.length; i += 3) {
    const maxTs = windows[i]! - 1;
    if (maxTs === t || maxTs + lateness === t) return true;
  }
  return false;
}

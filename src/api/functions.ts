/**
 * The user-function contracts. Only the shapes live here: the runtime (not written yet) calls them.
 * Stateless transformations are plain callbacks; the keyed process function is an object because it
 * has a lifecycle (`open` registers state once per subtask, before the first element).
 */
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  Key,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
  ValueState,
  ValueStateDescriptor,
} from '../state/types.js';

/** `DataStream.map`'s callback: one output per input. */
export type MapFunction<IN, OUT> = (value: IN) => OUT;
/** `DataStream.filter`'s callback: keep the element when it returns true. */
export type FilterFunction<T> = (value: T) => boolean;
/** `DataStream.flatMap`'s callback: any number of outputs per input, returned as an iterable so generators work. */
export type FlatMapFunction<IN, OUT> = (value: IN) => Iterable<OUT>;
/**
 * `DataStream.keyBy`'s callback. It must be deterministic: the key decides the key group and so the
 * subtask, before and after a restore or a rescale.
 */
export type KeySelector<T, K extends Key> = (value: T) => K;

/**
 * A record an operator's function threw on, from `stream.deadLetters()`. Plain data (the error is
 * copied into strings), so any sink can write it and it survives a checkpoint or a worker boundary.
 */
export interface DeadLetter<T> {
  readonly record: T;
  /** Name of the operator that failed (as in the job graph). */
  readonly operator: string;
  readonly error: { readonly name: string; readonly message: string; readonly stack: string | undefined };
}

/** Where a function emits its outputs; an object rather than a return value so one call may emit zero or many. */
export interface Collector<T> {
  collect(value: T): void;
}

/** Which clock a timer follows: event time (watermarks) or processing time (the wall clock). */
export type TimeDomain = 'event-time' | 'processing-time';

/**
 * Timers and clocks of the current key (Flink's `TimerService`). Timers are keyed state (DESIGN.md
 * "Keyed state"): registration is scoped to the key being processed, and a checkpoint or savepoint
 * carries every pending timer.
 */
export interface TimerService {
  /** Wall-clock time (ms) as the runtime's injected clock sees it. */
  currentProcessingTime(): number;
  /**
   * The operator's current event-time watermark (ms): no record with a smaller timestamp is expected
   * any more. `-Infinity` before the first watermark, `Infinity` once every input ended.
   */
  currentWatermark(): number;
  /** Calls `onTimer` for the current key once processing time reaches `timestampMs`; registering the same time twice fires once. */
  registerProcessingTimeTimer(timestampMs: number): void;
  deleteProcessingTimeTimer(timestampMs: number): void;
  /**
   * Calls `onTimer` for the current key once the watermark reaches `timestampMs` (watermark >=
   * timestamp); a timer at or below the current watermark fires with the next watermark.
   */
  registerEventTimeTimer(timestampMs: number): void;
  deleteEventTimeTimer(timestampMs: number): void;
}

/**
 * Names a side output (Flink's `OutputTag`): a second stream an operator emits into with
 * `ctx.output(tag, value)` and a job reads with `stream.sideOutput(tag)`. Tags are compared by `id`.
 *
 * @example
 * const late = outputTag<Bid>('late-bids');
 * const counts = bids.keyBy(b => b.auction).window(tumbling).sideOutputLateData(late).aggregate(count, { uid: 'counts' });
 * counts.sideOutput(late).sink(lateSink, { uid: 'late-out' });
 */
export interface OutputTag<T> {
  readonly id: string;
  /** Never set; carries the element type. */
  readonly __elementType?: (value: T) => void;
}

/** Per-element context of a keyed process function. */
export interface KeyedProcessContext<K extends Key> {
  /** The key of the element being processed; state handles read and write this key's entries. */
  readonly key: K;
  /**
   * The element's event timestamp (ms) as its source's watermark strategy assigned it, or (in
   * `onTimer`) the event-time timer's timestamp; `undefined` when the stream carries no timestamps.
   * Records a function emits carry this timestamp.
   */
  readonly timestamp: number | undefined;
  readonly timerService: TimerService;
  /** Emits `value` to the side output `tag` (read with `stream.sideOutput(tag)`), with the current timestamp. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** Context of a timer callback: the key is the one the timer was registered under. */
export interface OnTimerContext<K extends Key> extends KeyedProcessContext<K> {
  readonly timestampMs: number;
  readonly timeDomain: TimeDomain;
}

/**
 * What `open` receives: where a keyed function registers its state (the subtask's keyed-state backend
 * handles) and which subtask it runs as. Handles stay valid for the function's life and always apply
 * to the key being processed, so they are created once here rather than per element.
 */
export interface KeyedRuntimeContext {
  readonly operatorUid: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
}

/**
 * Flink's KeyedProcessFunction: per-key logic with state and timers.
 *
 * Each parallel subtask runs its own copy of the object (`Object.create(fn)`), so keep state
 * handles on `this`, never in a shared closure variable.
 *
 * @example
 * const counter: KeyedProcessFunction<string, Click, [string, number]> & { count?: ValueState<number> } = {
 *   open(rt) { this.count = rt.getState(valueState('count', Serializers.number)); },
 *   processElement(click, ctx, out) {
 *     const n = (this.count!.value() ?? 0) + 1;
 *     this.count!.update(n);
 *     out.collect([ctx.key, n]);
 *   },
 * };
 */
export interface KeyedProcessFunction<K extends Key, IN, OUT> {
  /** Called once per subtask before any element or timer; register state here. */
  open?(runtime: KeyedRuntimeContext): void;
  processElement(value: IN, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void;
  /** Called when a timer of `ctx.key` fires; `ctx.timeDomain` says which kind. */
  onTimer?(timestampMs: number, ctx: OnTimerContext<K>, out: Collector<OUT>): void;
  /**
   * Checkpoint `checkpointId` is complete (its metadata is durable): everything this function did
   * before that checkpoint's barrier will never be replayed. For side effects that must wait for that.
   */
  notifyCheckpointComplete?(checkpointId: number): void;
  /** Called once when the subtask ends (finished or cancelled); release resources here, not state. */
  close?(): void;
}

/**
 * Flink's KeyedCoProcessFunction: two keyed streams connected on the same key (`a.connect(b).keyBy(ka,
 * kb).process(fn)`), with shared keyed state and timers. Both inputs' elements of one key reach the
 * same subtask, so the function can join them in state.
 *
 * @example
 * // remember each auction, emit bids that refer to a known auction
 * const join: KeyedCoProcessFunction<number, Auction, Bid, [Auction, Bid]> & { auction?: ValueState<Auction> } = {
 *   open(rt) { this.auction = rt.getState(valueState<Auction>('auction', Serializers.json)); },
 *   processElement1(a) { this.auction!.update(a); },
 *   processElement2(b, ctx, out) { const a = this.auction!.value(); if (a) out.collect([a, b]); },
 * };
 */
export interface KeyedCoProcessFunction<K extends Key, IN1, IN2, OUT> {
  open?(runtime: KeyedRuntimeContext): void;
  processElement1(value: IN1, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void;
  processElement2(value: IN2, ctx: KeyedProcessContext<K>, out: Collector<OUT>): void;
  onTimer?(timestampMs: number, ctx: OnTimerContext<K>, out: Collector<OUT>): void;
  notifyCheckpointComplete?(checkpointId: number): void;
  close?(): void;
}

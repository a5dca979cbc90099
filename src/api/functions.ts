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

/**
 * Processing-time timers of the current key. A placeholder for the runtime's timer service: timers are
 * keyed state (DESIGN.md "Keyed state"), so registration is scoped to the key being processed.
 */
export interface TimerService {
  /** Wall-clock time (ms) as the runtime's injected clock sees it. */
  currentProcessingTime(): number;
  /** Calls `onTimer` for the current key once processing time reaches `timestampMs`; registering the same time twice fires once. */
  registerProcessingTimeTimer(timestampMs: number): void;
  deleteProcessingTimeTimer(timestampMs: number): void;
}

/** Per-element context of a keyed process function. */
export interface KeyedProcessContext<K extends Key> {
  /** The key of the element being processed; state handles read and write this key's entries. */
  readonly key: K;
  readonly timerService: TimerService;
}

/** Context of a timer callback: the key is the one the timer was registered under. */
export interface OnTimerContext<K extends Key> extends KeyedProcessContext<K> {
  readonly timestampMs: number;
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
  /** Called when a processing-time timer of `ctx.key` fires. */
  onTimer?(timestampMs: number, ctx: OnTimerContext<K>, out: Collector<OUT>): void;
  /**
   * Checkpoint `checkpointId` is complete (its metadata is durable): everything this function did
   * before that checkpoint's barrier will never be replayed. For side effects that must wait for that.
   */
  notifyCheckpointComplete?(checkpointId: number): void;
  /** Called once when the subtask ends (finished or cancelled); release resources here, not state. */
  close?(): void;
}

/**
 * `keyedStream.window(assigner)`: a keyed stream grouped into windows (Flink's `WindowedStream`).
 * Configure lateness, then apply one of `reduce`, `aggregate` or `process`; each adds one keyed
 * process operator running a {@link WindowOperator}.
 *
 * @example
 * const late = outputTag<Bid>('late-bids');
 * const counts = bids
 *   .keyBy((b) => b.auction)
 *   .window(TumblingEventTimeWindows.of(10_000))
 *   .allowedLateness(5_000)
 *   .sideOutputLateData(late)
 *   .aggregate(
 *     { createAccumulator: () => 0, add: (_b, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b },
 *     { uid: 'bids-per-auction', accumulatorSerializer: Serializers.number },
 *     (auction, ctx, [n], out) => out.collect({ auction, end: ctx.window.end, n }),
 *   );
 * counts.sideOutput(late).sink(lateSink, { uid: 'late-bids-out' });
 */
import type { Serializer } from '../../state/serializers.js';
import { Serializers } from '../../state/serializers.js';
import type { Key } from '../../state/types.js';
import type { KeyedStream, OperatorStream, StatefulOperatorOptions } from '../data-stream.js';
import type { OutputTag } from '../functions.js';
import { checkWindowAssigner, type WindowAssigner } from './assigners.js';
import type { TimeWindow } from './time-window.js';
import { aggregatingContents, listingContents, reducingContents, type WindowContentsSpec } from './window-contents.js';
import type { AggregateFunction, ProcessWindowFunction, ReduceFunction } from './window-functions.js';
import { WindowOperator } from './window-operator.js';

/** Options of `reduce`: the operator's, and how the reduced value is stored. */
export interface ReduceWindowOptions<T> extends StatefulOperatorOptions {
  /** Serializer of the reduced value kept per window. Default `Serializers.json`; `Serializers.number` for numbers (the fast path). */
  readonly accumulatorSerializer?: Serializer<T>;
}

/** Options of `aggregate`: the operator's, and how the accumulator is stored. */
export interface AggregateWindowOptions<ACC> extends StatefulOperatorOptions {
  /** Serializer of the accumulator kept per window. Default `Serializers.json`; `Serializers.number` for counts and sums (the fast path). */
  readonly accumulatorSerializer?: Serializer<ACC>;
}

/** Options of `process`: the operator's, and how the buffered records are stored. */
export interface ProcessWindowOptions<T> extends StatefulOperatorOptions {
  /** Serializer of the records kept until the window fires. Default `Serializers.json`. */
  readonly elementSerializer?: Serializer<T>;
}

/**
 * A keyed stream grouped into windows; see the module comment. `W` is the window type the window
 * functions see (always {@link TimeWindow} for the built-in assigners).
 */
export class WindowedStream<K extends Key, T, W extends TimeWindow = TimeWindow> {
  /** ms an event-time window stays after it fired, accepting late records (each re-fires it). */
  private lateness = 0;
  private lateTag: OutputTag<T> | undefined;

  constructor(
    private readonly keyed: KeyedStream<K, T>,
    readonly assigner: WindowAssigner,
  ) {
    checkWindowAssigner(assigner, 'window');
  }

  /**
   * How long (ms of event time) after a window fired it keeps its state and accepts late records,
   * re-firing with the updated result for each. Default 0. Ignored by processing-time windows.
   */
  allowedLateness(ms: number): this {
    if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`allowedLateness: must be an integer number of ms >= 0, got ${ms}`);
    this.lateness = ms;
    return this;
  }

  /** Records too late for all their windows go to side output `tag` (read it with `result.sideOutput(tag)`) instead of being dropped. */
  sideOutputLateData(tag: OutputTag<T>): this {
    if (typeof tag?.id !== 'string' || tag.id.length === 0) throw new TypeError('sideOutputLateData: the tag needs a non-empty id (use outputTag(name))');
    this.lateTag = tag;
    return this;
  }

  /**
   * Reduces each window's records incrementally to one value; emits it when the window fires, or
   * hands it to `windowFn` (with the window) when given.
   */
  reduce(fn: ReduceFunction<T>, options: ReduceWindowOptions<T>): OperatorStream<T>;
  reduce<R>(fn: ReduceFunction<T>, options: ReduceWindowOptions<T>, windowFn: ProcessWindowFunction<T, R, K, W>): OperatorStream<R>;
  reduce<R>(fn: ReduceFunction<T>, options: ReduceWindowOptions<T>, windowFn?: ProcessWindowFunction<T, R, K, W>): OperatorStream<R> {
    if (typeof fn !== 'function') throw new TypeError('reduce: the reduce function must be a function (a, b) => combined');
    return this.build(reducingContents(fn, options.accumulatorSerializer ?? Serializers.json), options, windowFn);
  }

  /**
   * Aggregates each window's records incrementally into one accumulator; emits `getResult` when the
   * window fires, or hands it to `windowFn` (with the window) when given. Session windows need
   * `merge`.
   */
  aggregate<ACC, V>(fn: AggregateFunction<T, ACC, V>, options: AggregateWindowOptions<ACC>): OperatorStream<V>;
  aggregate<ACC, V, R>(fn: AggregateFunction<T, ACC, V>, options: AggregateWindowOptions<ACC>, windowFn: ProcessWindowFunction<V, R, K, W>): OperatorStream<R>;
  aggregate<ACC, V, R>(fn: AggregateFunction<T, ACC, V>, options: AggregateWindowOptions<ACC>, windowFn?: ProcessWindowFunction<V, R, K, W>): OperatorStream<R> {
    for (const m of ['createAccumulator', 'add', 'getResult'] as const) {
      if (typeof fn?.[m] !== 'function') throw new TypeError(`aggregate: the aggregate function needs a ${m} method`);
    }
    return this.build(aggregatingContents(fn, options.accumulatorSerializer ?? Serializers.json), options, windowFn);
  }

  /** Keeps every record of a window and calls `fn` with all of them (in arrival order) when it fires. */
  process<R>(fn: ProcessWindowFunction<T, R, K, W>, options: ProcessWindowOptions<T>): OperatorStream<R> {
    if (typeof fn !== 'function') throw new TypeError('process: the window function must be a function (key, context, elements, out) => void');
    return this.build(listingContents(options.elementSerializer ?? Serializers.json), options, fn);
  }

  private build<R, OUT>(contents: WindowContentsSpec<T, R>, options: StatefulOperatorOptions, windowFn: ProcessWindowFunction<R, OUT, K, W> | undefined): OperatorStream<OUT> {
    const a = this.assigner;
    if (a.kind === 'session' && !contents.mergeable) {
      throw new TypeError(`${contents.kind} on ${a}: session windows merge, so the aggregate function needs a merge(a, b) method`);
    }
    if (windowFn !== undefined && typeof windowFn !== 'function') throw new TypeError(`${contents.kind}: the window function must be a function (key, context, elements, out) => void`);
    const name = options.name ?? `Window(${a}, ${contents.kind})`;
    const operator = new WindowOperator<K, T, R, OUT>({
      assigner: a,
      allowedLateness: a.isEventTime ? this.lateness : 0,
      lateTag: this.lateTag,
      contents,
      windowFn: windowFn as ProcessWindowFunction<R, OUT, K, TimeWindow> | undefined,
      name,
    });
    const { uid, parallelism, disableChaining } = options;
    return this.keyed.process(operator, {
      uid,
      name,
      ...(parallelism === undefined ? {} : { parallelism }),
      ...(disableChaining === undefined ? {} : { disableChaining }),
    });
  }
}

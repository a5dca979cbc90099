/**
 * The functions a windowed stream applies to each window (Flink's `ReduceFunction`,
 * `AggregateFunction` and `ProcessWindowFunction`).
 */
import type { Key } from '../../state/types.js';
import type { Collector, OutputTag } from '../functions.js';
import type { TimeWindow } from './time-window.js';

/**
 * Combines two values into one of the same type, incrementally as records arrive. It may return
 * either argument or a new value, and must not mutate the second one (a record): with sliding windows
 * one record starts the accumulator of several windows.
 *
 * @example
 * const maxPrice: ReduceFunction<Bid> = (a, b) => (b.price > a.price ? b : a);
 */
export type ReduceFunction<T> = (a: T, b: T) => T;

/**
 * Incremental aggregation with an accumulator (Flink's `AggregateFunction`): the window keeps one
 * accumulator, never the records. `add` may mutate and return the accumulator. `merge` is required
 * by merging (session) windows.
 *
 * @example
 * const average: AggregateFunction<Bid, { sum: number; n: number }, number> = {
 *   createAccumulator: () => ({ sum: 0, n: 0 }),
 *   add: (b, acc) => ({ sum: acc.sum + b.price, n: acc.n + 1 }),
 *   getResult: (acc) => acc.sum / acc.n,
 *   merge: (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
 * };
 */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  /** Combines the accumulators of two windows that merged; `a` is the earlier window's. */
  merge?(a: ACC, b: ACC): ACC;
}

/** What a {@link ProcessWindowFunction} knows about the window it is called for. */
export interface ProcessWindowContext<W extends TimeWindow = TimeWindow> {
  /** The window that fired. */
  readonly window: W;
  /** The operator's event-time watermark now. */
  currentWatermark(): number;
  /** The processing time now (the runtime's clock). */
  currentProcessingTime(): number;
  /** Emits to the side output `tag`. */
  output<X>(tag: OutputTag<X>, value: X): void;
}

/**
 * Called with a window's contents when it fires: all its records (`process`), or the one
 * pre-aggregated result (`reduce` / `aggregate` with a window function).
 *
 * @example
 * const countWithWindow: ProcessWindowFunction<Click, [string, number, number], string> = (user, ctx, clicks, out) => {
 *   let n = 0;
 *   for (const _ of clicks) n++;
 *   out.collect([user, ctx.window.end, n]);
 * };
 */
export type ProcessWindowFunction<IN, OUT, K extends Key, W extends TimeWindow = TimeWindow> = (
  key: K,
  context: ProcessWindowContext<W>,
  elements: Iterable<IN>,
  out: Collector<OUT>,
) => void;

/**
 * Windowed joins and co-groups of two streams (Flink's `JoinedStreams` and `CoGroupedStreams`):
 * records of both streams with equal keys that fall into the same window meet when the window fires.
 * Built from the parts a user could write: both inputs are mapped to a tagged union (`[0, a]` or
 * `[1, b]`), the union is keyed by the side's key, and a window `process` keeps both sides' records.
 *
 * @example
 * // Nexmark Q8: people who opened an auction in the same 10 s window as they registered
 * const q8 = joinStreams(persons, auctions)
 *   .where((p) => p.id)
 *   .equalTo((a) => a.seller)
 *   .window(TumblingEventTimeWindows.of(10_000))
 *   .apply((p, a) => ({ id: p.id, name: p.name, reserve: a.reserve }), { uid: 'q8' });
 */
import type { Serializer } from '../../state/serializers.js';
import { Serializers } from '../../state/serializers.js';
import type { Key } from '../../state/types.js';
import type { DataStream, OperatorStream, StatefulOperatorOptions } from '../data-stream.js';
import type { Collector, KeySelector } from '../functions.js';
import { checkWindowAssigner, type WindowAssigner } from './assigners.js';
import { taggedSerializer, type Tagged } from './window-serializers.js';
import { WindowedStream } from './windowed-stream.js';

/** Combines one record of each side with equal keys in one window into one output. */
export type JoinFunction<A, B, R> = (first: A, second: B) => R;

/** Called once per fired window (and key) with both sides' records, either of which may be empty. */
export type CoGroupFunction<A, B, R> = (first: readonly A[], second: readonly B[], out: Collector<R>) => void;

/** Options of a windowed join or co-group: the window operator's, and how each side's records are stored. */
export interface TwoInputWindowOptions<A, B> extends StatefulOperatorOptions {
  /** Default `Serializers.json`. */
  readonly firstSerializer?: Serializer<A>;
  /** Default `Serializers.json`. */
  readonly secondSerializer?: Serializer<B>;
}

/** Two streams, their key selectors and the window: what `apply` turns into operators. */
interface KeyedPair<A, B, K extends Key> {
  readonly first: DataStream<A>;
  readonly second: DataStream<B>;
  readonly keyFirst: KeySelector<A, K>;
  readonly keySecond: KeySelector<B, K>;
}

/** Common part of a windowed join and co-group: the window and its lateness. */
abstract class TwoInputWindow<A, B, K extends Key> {
  private lateness = 0;

  constructor(
    private readonly pair: KeyedPair<A, B, K>,
    readonly assigner: WindowAssigner,
  ) {}

  /** See {@link WindowedStream.allowedLateness}: each late record re-fires its window. */
  allowedLateness(ms: number): this {
    if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`allowedLateness: must be an integer number of ms >= 0, got ${ms}`);
    this.lateness = ms;
    return this;
  }

  /** Adds the tagging maps and the window operator; `onWindow` gets each fired window's records by side. */
  protected build<R>(
    kind: string,
    onWindow: (first: A[], second: B[], out: Collector<R>) => void,
    options: TwoInputWindowOptions<A, B>,
  ): OperatorStream<R> {
    const { first, second, keyFirst, keySecond } = this.pair;
    const name = options.name ?? `${kind}(${this.assigner})`;
    const tagged = first
      .map((a): Tagged<A, B> => [0, a], { name: `${name}: tag first` })
      .union(second.map((b): Tagged<A, B> => [1, b], { name: `${name}: tag second` }));
    const keyed = tagged.keyBy((t) => (t[0] === 0 ? keyFirst(t[1]) : keySecond(t[1])));
    const { firstSerializer, secondSerializer, ...operatorOptions } = options;
    return new WindowedStream<K, Tagged<A, B>>(keyed, this.assigner).allowedLateness(this.lateness).process<R>(
      (_key, _ctx, records, out) => {
        const as: A[] = [];
        const bs: B[] = [];
        for (const r of records) {
          if (r[0] === 0) as.push(r[1]);
          else bs.push(r[1]);
        }
        onWindow(as, bs, out);
      },
      { ...operatorOptions, name, elementSerializer: taggedSerializer(firstSerializer ?? Serializers.json, secondSerializer ?? Serializers.json) },
    );
  }
}

/** A windowed inner join; see the module comment. */
export class JoinWithWindow<A, B, K extends Key> extends TwoInputWindow<A, B, K> {
  /**
   * Emits `fn(a, b)` for every pair of records with equal keys in the same window, when it fires
   * (for each first-side record in arrival order, each second-side record in arrival order).
   */
  apply<R>(fn: JoinFunction<A, B, R>, options: TwoInputWindowOptions<A, B>): OperatorStream<R> {
    if (typeof fn !== 'function') throw new TypeError('join: apply needs a function (first, second) => result');
    return this.build<R>(
      'Join',
      (as, bs, out) => {
        for (const a of as) for (const b of bs) out.collect(fn(a, b));
      },
      options,
    );
  }
}

/** A windowed co-group; see the module comment. */
export class CoGroupWithWindow<A, B, K extends Key> extends TwoInputWindow<A, B, K> {
  /** Calls `fn` with both sides' records (in arrival order) of each key and window that has any. */
  apply<R>(fn: CoGroupFunction<A, B, R>, options: TwoInputWindowOptions<A, B>): OperatorStream<R> {
    if (typeof fn !== 'function') throw new TypeError('coGroup: apply needs a function (first, second, out) => void');
    return this.build<R>('CoGroup', fn, options);
  }
}

/** `…where(keyFirst).equalTo(keySecond)`: both keys chosen; next, the window. */
export class TwoInputEqualTo<A, B, K extends Key, Next> {
  constructor(
    private readonly pair: KeyedPair<A, B, K>,
    private readonly next: (pair: KeyedPair<A, B, K>, assigner: WindowAssigner) => Next,
  ) {}

  /** The windows both sides' records are grouped into. */
  window(assigner: WindowAssigner): Next {
    checkWindowAssigner(assigner, 'window');
    return this.next(this.pair, assigner);
  }
}

/** `…where(keyFirst)`: next, the second stream's key. */
export class TwoInputWhere<A, B, K extends Key, Next> {
  constructor(
    private readonly first: DataStream<A>,
    private readonly second: DataStream<B>,
    private readonly keyFirst: KeySelector<A, K>,
    private readonly next: (pair: KeyedPair<A, B, K>, assigner: WindowAssigner) => Next,
  ) {}

  /** The second stream's key; records meet when it equals the first's. */
  equalTo(keySecond: KeySelector<B, K>): TwoInputEqualTo<A, B, K, Next> {
    if (typeof keySecond !== 'function') throw new TypeError('equalTo: the key selector must be a function');
    return new TwoInputEqualTo({ first: this.first, second: this.second, keyFirst: this.keyFirst, keySecond }, this.next);
  }
}

/** `joinStreams(a, b)` (or `a.join(b)`): next, the first stream's key. */
export class JoinedStreams<A, B> {
  constructor(
    readonly first: DataStream<A>,
    readonly second: DataStream<B>,
  ) {}

  where<K extends Key>(keyFirst: KeySelector<A, K>): TwoInputWhere<A, B, K, JoinWithWindow<A, B, K>> {
    if (typeof keyFirst !== 'function') throw new TypeError('where: the key selector must be a function');
    return new TwoInputWhere(this.first, this.second, keyFirst, (pair, assigner) => new JoinWithWindow(pair, assigner));
  }
}

/** `coGroupStreams(a, b)` (or `a.coGroup(b)`): next, the first stream's key. */
export class CoGroupedStreams<A, B> {
  constructor(
    readonly first: DataStream<A>,
    readonly second: DataStream<B>,
  ) {}

  where<K extends Key>(keyFirst: KeySelector<A, K>): TwoInputWhere<A, B, K, CoGroupWithWindow<A, B, K>> {
    if (typeof keyFirst !== 'function') throw new TypeError('where: the key selector must be a function');
    return new TwoInputWhere(this.first, this.second, keyFirst, (pair, assigner) => new CoGroupWithWindow(pair, assigner));
  }
}

/**
 * Starts a windowed inner join of `first` and `second` (Flink's `first.join(second)`); see the module
 * comment for the full chain.
 */
export function joinStreams<A, B>(first: DataStream<A>, second: DataStream<B>): JoinedStreams<A, B> {
  return new JoinedStreams(first, second);
}

/**
 * Starts a windowed co-group of `first` and `second` (Flink's `first.coGroup(second)`): like a join,
 * but the function gets all records of both sides per key and window, also when one side is empty.
 *
 * @example
 * coGroupStreams(bids, asks).where((b) => b.item).equalTo((a) => a.item)
 *   .window(TumblingEventTimeWindows.of(1_000))
 *   .apply((bids, asks, out) => out.collect({ bids: bids.length, asks: asks.length }), { uid: 'book' });
 */
export function coGroupStreams<A, B>(first: DataStream<A>, second: DataStream<B>): CoGroupedStreams<A, B> {
  return new CoGroupedStreams(first, second);
}

/**
 * Nexmark q4, average price per category: the average winning price of the auctions of each
 * category, where an auction's winning price is its highest bid placed while it was open.
 *
 * SQL: `SELECT category, AVG(final) FROM (SELECT MAX(B.price) AS final, A.category FROM auction A,
 * bid B WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires GROUP BY A.id,
 * A.category) GROUP BY category`. Departures: (1) Flink updates the inner MAX continuously (a
 * changelog with retractions); here an auction's maximum is final, and emitted once, when the
 * auction closes: an event-time timer at `expires`, so every bid placed up to `expires` has arrived
 * (the watermark lags 4 s; no event is later than that). (2) The outer AVG is emitted as an
 * append-only stream of updates — `(category, average)` after every winning price of the category —
 * rather than a changelog; the last one per category is the SQL's result. (3) The average is the
 * exact float `sum / count`, where Flink's AVG over BIGINT truncates to an integer.
 *
 * State per auction id (uid `q4-winning`, all numbers, so the WASM backend's fixed-width path):
 * `start`, `expires`, `category` once the auction arrived; `max`, the highest price in range so far;
 * `early`, bid time → highest price at that time, for bids of an auction not (yet) seen: a bid may
 * name an auction a few ids ahead, and splits interleave. An early bid's entry has a timer at its
 * time: once the watermark passes it, an auction arriving later starts after it, so the entry can
 * never count and is dropped. The auction's timer clears everything: state is bounded by the open
 * auctions and the last 4 s of bids on unknown (or closed) auctions.
 * State per category (uid `q4-average`): `sum` and `count` of winning prices.
 */
import type { KeyedCoProcessFunction, KeyedProcessFunction } from '../../api/functions.js';
import type { Auction, Bid } from '../../connectors/nexmark/index.js';
import { mapState, valueState } from '../../state/descriptors.js';
import { Serializers } from '../../state/serializers.js';
import type { ValueState } from '../../state/types.js';
import { nexmarkStreams } from '../source-setup.js';
import { EarlyBids } from './early-bids.js';
import type { NexmarkQuery } from './nexmark-query.js';

/** An auction's winning price, emitted when it closes (q4's inner query). */
export interface WinningPrice {
  readonly auction: number;
  readonly category: number;
  readonly price: number;
}

/** One q4 result: the average winning price of `category` so far. */
export interface CategoryAverage {
  readonly category: number;
  readonly average: number;
}

const auctionId = (a: Auction): number => a.id;
const bidAuction = (b: Bid): number => b.auction;
const winningCategory = (w: WinningPrice): number => w.category;

type WinningPrices = KeyedCoProcessFunction<number, Auction, Bid, WinningPrice> & {
  start?: ValueState<number>;
  expires?: ValueState<number>;
  category?: ValueState<number>;
  max?: ValueState<number>;
  early?: EarlyBids<number>;
};

const winningPrices: WinningPrices = {
  open(rt) {
    this.start = rt.getState(valueState('start', Serializers.number));
    this.expires = rt.getState(valueState('expires', Serializers.number));
    this.category = rt.getState(valueState('category', Serializers.number));
    this.max = rt.getState(valueState('max', Serializers.number));
    this.early = new EarlyBids(rt.getMapState(mapState('early', Serializers.number, Serializers.number)), (a, b) => a > b);
  },
  processElement1(a, ctx) {
    const timers = ctx.timerService;
    const max = this.early!.take(a.dateTime, a.expires, timers);
    if (max !== undefined) this.max!.update(max);
    this.start!.update(a.dateTime);
    this.expires!.update(a.expires);
    this.category!.update(a.category);
    // after the deletes: an early bid's timer may sit at the same time
    timers.registerEventTimeTimer(a.expires);
  },
  processElement2(b, ctx) {
    const time = b.dateTime;
    const expires = this.expires!.value();
    if (expires === undefined) {
      this.early!.keep(time, b.price, ctx.timerService);
      return;
    }
    if (time > expires || time < this.start!.value()!) return;
    const max = this.max!.value();
    if (max === undefined || b.price > max) this.max!.update(b.price);
  },
  onTimer(time, ctx, out) {
    if (this.expires!.value() === undefined) {
      this.early!.drop(time);
      return;
    }
    // the auction's close: its early-bid timers were deleted when it arrived
    const max = this.max!.value();
    if (max !== undefined) out.collect({ auction: ctx.key, category: this.category!.value()!, price: max });
    this.start!.clear();
    this.expires!.clear();
    this.category!.clear();
    this.max!.clear();
  },
};

type CategoryAverages = KeyedProcessFunction<number, WinningPrice, CategoryAverage> & {
  sum?: ValueState<number>;
  count?: ValueState<number>;
};

const categoryAverages: CategoryAverages = {
  open(rt) {
    this.sum = rt.getState(valueState('sum', Serializers.number));
    this.count = rt.getState(valueState('count', Serializers.number));
  },
  processElement(w, ctx, out) {
    const sum = (this.sum!.value() ?? 0) + w.price;
    const count = (this.count!.value() ?? 0) + 1;
    this.sum!.update(sum);
    this.count!.update(count);
    out.collect({ category: ctx.key, average: sum / count });
  },
};

export const q4: NexmarkQuery<CategoryAverage> = {
  name: 'q4',
  description:
    'average winning price per category: max in-range bid per auction, final at the auction close (event-time timer at expires), then a running average per category emitted on every update',
  stateful: true,
  build(env, options) {
    const streams = nexmarkStreams(env, options);
    return streams.auctions
      .connect(streams.bids)
      .keyBy(auctionId, bidAuction)
      .process(winningPrices, { uid: 'q4-winning', name: 'q4-winning' })
      .keyBy(winningCategory)
      .process(categoryAverages, { uid: 'q4-average', name: 'q4-average' });
  },
  format(r) {
    return `${r.category},${r.average}`;
  },
};

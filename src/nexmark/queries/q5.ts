/**
 * Nexmark q5, hot items: per sliding window of 10 s every 2 s, the auction(s) with the most bids.
 *
 * SQL: counts per (auction, HOP window) joined with the maximum count per window, keeping the
 * auctions whose count reaches it (all of them on a tie). Here: (1) bids keyed by auction, counted
 * in sliding event-time windows (uid `q5-counts`, a number accumulator per auction and window);
 * each window emits `(auction, count, window end)` when the watermark passes its end; (2) those
 * keyed by window end (uid `q5-hot`): per end, `max` (number) and `auctions` (the ids at `max`), and
 * a timer at the window's last ms that emits them. The first stage's results for a window carry
 * that timestamp and precede the watermark past it on every channel, so the timer fires after the
 * last of them; it clears the window's state. Departure: results carry the window's end too (the
 * SQL selects only auction and count).
 */
import type { KeyedProcessFunction } from '../../api/functions.js';
import { SlidingEventTimeWindows } from '../../api/windows/assigners.js';
import type { ProcessWindowFunction } from '../../api/windows/window-functions.js';
import type { Bid } from '../../connectors/nexmark/index.js';
import { listState, valueState } from '../../state/descriptors.js';
import { Serializers } from '../../state/serializers.js';
import type { ListState, ValueState } from '../../state/types.js';
import { nexmarkStreams } from '../source-setup.js';
import { COUNT } from './count-aggregate.js';
import type { NexmarkQuery } from './nexmark-query.js';

/** Window size and slide of q5, ms. */
export const Q5_WINDOW_MS = 10_000;
export const Q5_SLIDE_MS = 2_000;

/** Bids of one auction in one window (q5's first stage). */
export interface AuctionCount {
  readonly auction: number;
  readonly count: number;
  readonly windowEnd: number;
}

/** One q5 result: an auction with the most bids of the window ending at `windowEnd`. */
export type HotItem = AuctionCount;

const bidAuction = (b: Bid): number => b.auction;
const countWindowEnd = (c: AuctionCount): number => c.windowEnd;

const withWindowEnd: ProcessWindowFunction<number, AuctionCount, number> = (auction, ctx, counts, out) => {
  for (const count of counts) out.collect({ auction, count, windowEnd: ctx.window.end });
};

type HotItems = KeyedProcessFunction<number, AuctionCount, HotItem> & {
  max?: ValueState<number>;
  auctions?: ListState<number>;
};

const hotItems: HotItems = {
  open(rt) {
    this.max = rt.getState(valueState('max', Serializers.number));
    this.auctions = rt.getListState(listState('auctions', Serializers.number));
  },
  processElement(c, ctx) {
    const max = this.max!.value();
    if (max === undefined) ctx.timerService.registerEventTimeTimer(c.windowEnd - 1);
    if (max === undefined || c.count > max) {
      this.max!.update(c.count);
      this.auctions!.update([c.auction]);
    } else if (c.count === max) {
      this.auctions!.add(c.auction);
    }
  },
  onTimer(_time, ctx, out) {
    const count = this.max!.value()!;
    for (const auction of this.auctions!.get()) out.collect({ auction, count, windowEnd: ctx.key });
    this.max!.clear();
    this.auctions!.clear();
  },
};

export const q5: NexmarkQuery<HotItem> = {
  name: 'q5',
  description: 'hot items: per 10 s window sliding by 2 s, the auction(s) with the most bids (count per auction and window, then max per window end)',
  stateful: true,
  build(env, options) {
    return nexmarkStreams(env, options)
      .bids.keyBy(bidAuction)
      .window(SlidingEventTimeWindows.of(Q5_WINDOW_MS, Q5_SLIDE_MS))
      .aggregate(COUNT, { uid: 'q5-counts', name: 'q5-counts', accumulatorSerializer: Serializers.number }, withWindowEnd)
      .keyBy(countWindowEnd)
      .process(hotItems, { uid: 'q5-hot', name: 'q5-hot' });
  },
  format(r) {
    return `${r.auction},${r.count},${r.windowEnd}`;
  },
};

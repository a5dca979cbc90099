/**
 * Nexmark q7, highest bid: per tumbling 10 s window, the bid(s) with the highest price.
 *
 * SQL: bids joined with `MAX(price)` per TUMBLE window on `price = maxprice AND dateTime BETWEEN
 * window_end - 10 s AND window_end`. Here, in two steps (local-global aggregation), both keyed
 * process functions with event-time timers:
 * (1) `q7-partial`: bids spread over {@link Q7_PARTITIONS} keys by price; per key and window end,
 *     `max` (number) and `leaders` (the bids at `max`, a compact bid list written only when a bid
 *     reaches `max`, so most bids cost one numeric read); a timer at the window's last ms emits the
 *     leaders and clears both. A bid for a window the watermark already passed is dropped, as the
 *     window operator drops late records (the generator produces none: its disorder is far below 4 s).
 * (2) `q7-global`: those keyed by window end: the same two states for the whole window, and a timer
 *     at its last ms that emits each leader and clears the window. The partial results of a window
 *     carry that timestamp and precede the watermark past it on every channel, so the timer fires
 *     after the last of them.
 * (A window operator's `aggregate` would rewrite the bid-list accumulator on every bid, which on the
 * WASM backend means encoding and decoding its strings per bid.) Departures: the window is
 * `[start, end)`; the SQL's BETWEEN also includes a bid at exactly `end` (which belongs to the next
 * window) when its price equals the maximum. Results carry the window's end.
 */
import type { KeyedProcessFunction } from '../../api/functions.js';
import { TimeWindow } from '../../api/windows/time-window.js';
import type { Bid } from '../../connectors/nexmark/index.js';
import { mapState, valueState } from '../../state/descriptors.js';
import { Serializers } from '../../state/serializers.js';
import type { MapState, ValueState } from '../../state/types.js';
import { bidListSerializer } from '../nexmark-serializers.js';
import { nexmarkStreams } from '../source-setup.js';
import type { NexmarkQuery } from './nexmark-query.js';

/** Window size of q7, ms. */
export const Q7_WINDOW_MS = 10_000;
/** Keys of the partial step: enough to spread over any parallelism up to the default 128 key groups. */
export const Q7_PARTITIONS = 128;

/** The bids at the highest price of one window (so far). */
export interface WindowLeaders {
  readonly windowEnd: number;
  /** Non-empty; all at the same price. */
  readonly bids: Bid[];
}

/** One q7 result: a bid at the highest price of the window ending at `windowEnd`. */
export interface HighestBid {
  readonly windowEnd: number;
  readonly bid: Bid;
}

const partitionOf = (b: Bid): number => b.price % Q7_PARTITIONS;
const leadersWindowEnd = (l: WindowLeaders): number => l.windowEnd;

type PartialLeaders = KeyedProcessFunction<number, Bid, WindowLeaders> & {
  max?: MapState<number, number>;
  leaders?: MapState<number, Bid[]>;
};

const partialLeaders: PartialLeaders = {
  open(rt) {
    this.max = rt.getMapState(mapState('max', Serializers.number, Serializers.number));
    this.leaders = rt.getMapState(mapState('leaders', Serializers.number, bidListSerializer));
  },
  processElement(b, ctx) {
    const end = TimeWindow.getWindowStartWithOffset(b.dateTime, 0, Q7_WINDOW_MS) + Q7_WINDOW_MS;
    const max = this.max!.get(end);
    if (max === undefined) {
      if (end - 1 <= ctx.timerService.currentWatermark()) return;
      ctx.timerService.registerEventTimeTimer(end - 1);
    } else if (b.price < max) {
      return;
    } else if (b.price === max) {
      this.leaders!.put(end, [...this.leaders!.get(end)!, b]);
      return;
    }
    this.max!.put(end, b.price);
    this.leaders!.put(end, [b]);
  },
  onTimer(time, _ctx, out) {
    const windowEnd = time + 1;
    out.collect({ windowEnd, bids: this.leaders!.get(windowEnd)! });
    this.max!.remove(windowEnd);
    this.leaders!.remove(windowEnd);
  },
};

type GlobalLeaders = KeyedProcessFunction<number, WindowLeaders, HighestBid> & {
  max?: ValueState<number>;
  leaders?: ValueState<Bid[]>;
};

const globalLeaders: GlobalLeaders = {
  open(rt) {
    this.max = rt.getState(valueState('max', Serializers.number));
    this.leaders = rt.getState(valueState('leaders', bidListSerializer));
  },
  processElement(l, ctx) {
    const price = l.bids[0]!.price;
    const max = this.max!.value();
    if (max === undefined) ctx.timerService.registerEventTimeTimer(l.windowEnd - 1);
    if (max === undefined || price > max) {
      this.max!.update(price);
      this.leaders!.update(l.bids);
    } else if (price === max) {
      this.leaders!.update([...this.leaders!.value()!, ...l.bids]);
    }
  },
  onTimer(_time, ctx, out) {
    for (const bid of this.leaders!.value()!) out.collect({ windowEnd: ctx.key, bid });
    this.max!.clear();
    this.leaders!.clear();
  },
};

export const q7: NexmarkQuery<HighestBid> = {
  name: 'q7',
  description: 'highest bid: per 10 s tumbling window the bid(s) at the highest price (partial leaders per price partition and window, then global per window end; event-time timers)',
  stateful: true,
  build(env, options) {
    return nexmarkStreams(env, options)
      .bids.keyBy(partitionOf)
      .process(partialLeaders, { uid: 'q7-partial', name: 'q7-partial' })
      .keyBy(leadersWindowEnd)
      .process(globalLeaders, { uid: 'q7-global', name: 'q7-global' });
  },
  format(r) {
    const b = r.bid;
    return `${b.auction},${b.bidder},${b.price},${b.dateTime},${b.extra},${r.windowEnd}`;
  },
};

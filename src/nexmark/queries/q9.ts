/**
 * Nexmark q9, winning bids: each auction with its winning bid, the highest bid placed while it was
 * open, ties going to the earliest.
 *
 * SQL: `ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.dateTime ASC)` over `auction A
 * JOIN bid B ON A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires`, keeping row 1.
 * Departures: Flink's top-1 is a changelog updated per bid; here the winner is final and emitted
 * once, when the auction closes (an event-time timer at `expires`; the watermark lags 4 s and no
 * event is later than that). Bids equal in price and time, which ROW_NUMBER orders arbitrarily,
 * are ordered by bidder, then channel, url and extra, so the result is deterministic. Auctions
 * without a bid in range produce nothing (inner join).
 *
 * State per auction id (uid `q9-winning`): `auction`, the whole auction; `start` and `expires` as
 * numbers (checked per bid without decoding the auction); `bestPrice`, `bestTime` and `best`, the
 * leading bid (the record is read only on a price-and-time tie); `early`, bid time → the best bid
 * at that time, for bids of an auction not (yet) seen, each with a timer at its time that drops it
 * once an auction arriving later could no longer include it. The auction's timer clears everything.
 */
import type { KeyedCoProcessFunction } from '../../api/functions.js';
import type { Auction, Bid } from '../../connectors/nexmark/index.js';
import { mapState, valueState } from '../../state/descriptors.js';
import { Serializers } from '../../state/serializers.js';
import type { ValueState } from '../../state/types.js';
import { auctionSerializer, bidSerializer } from '../nexmark-serializers.js';
import { nexmarkStreams } from '../source-setup.js';
import { EarlyBids } from './early-bids.js';
import type { NexmarkQuery } from './nexmark-query.js';

/** One q9 result: a closed auction and its winning bid. */
export interface WinningBid {
  readonly auction: Auction;
  readonly bid: Bid;
}

/**
 * Whether bid `a` beats bid `b` for the same auction: higher price, then earlier, then the tie
 * breaks of the module comment. Never true for equal bids.
 */
export function beatsBid(a: Bid, b: Bid): boolean {
  if (a.price !== b.price) return a.price > b.price;
  if (a.dateTime !== b.dateTime) return a.dateTime < b.dateTime;
  if (a.bidder !== b.bidder) return a.bidder < b.bidder;
  if (a.channel !== b.channel) return a.channel < b.channel;
  if (a.url !== b.url) return a.url < b.url;
  return a.extra < b.extra;
}

const auctionId = (a: Auction): number => a.id;
const bidAuction = (b: Bid): number => b.auction;

type WinningBids = KeyedCoProcessFunction<number, Auction, Bid, WinningBid> & {
  auction?: ValueState<Auction>;
  start?: ValueState<number>;
  expires?: ValueState<number>;
  bestPrice?: ValueState<number>;
  bestTime?: ValueState<number>;
  best?: ValueState<Bid>;
  early?: EarlyBids<Bid>;
  /** Makes `b` the leading bid. */
  lead(b: Bid): void;
};

const winningBids: WinningBids = {
  open(rt) {
    this.auction = rt.getState(valueState('auction', auctionSerializer));
    this.start = rt.getState(valueState('start', Serializers.number));
    this.expires = rt.getState(valueState('expires', Serializers.number));
    this.bestPrice = rt.getState(valueState('bestPrice', Serializers.number));
    this.bestTime = rt.getState(valueState('bestTime', Serializers.number));
    this.best = rt.getState(valueState('best', bidSerializer));
    this.early = new EarlyBids(rt.getMapState(mapState('early', Serializers.number, bidSerializer)), beatsBid);
  },
  processElement1(a, ctx) {
    const timers = ctx.timerService;
    const best = this.early!.take(a.dateTime, a.expires, timers);
    if (best !== undefined) this.lead(best);
    this.auction!.update(a);
    this.start!.update(a.dateTime);
    this.expires!.update(a.expires);
    // after the deletes: an early bid's timer may sit at the same time
    timers.registerEventTimeTimer(a.expires);
  },
  processElement2(b, ctx) {
    const time = b.dateTime;
    const expires = this.expires!.value();
    if (expires === undefined) {
      this.early!.keep(time, b, ctx.timerService);
      return;
    }
    if (time > expires || time < this.start!.value()!) return;
    const bestPrice = this.bestPrice!.value();
    if (bestPrice !== undefined) {
      if (b.price < bestPrice) return;
      if (b.price === bestPrice) {
        const bestTime = this.bestTime!.value()!;
        if (time > bestTime || (time === bestTime && !beatsBid(b, this.best!.value()!))) return;
      }
    }
    this.lead(b);
  },
  onTimer(time, ctx, out) {
    if (this.expires!.value() === undefined) {
      this.early!.drop(time);
      return;
    }
    // the auction's close: its early-bid timers were deleted when it arrived
    const best = this.best!.value();
    if (best !== undefined) out.collect({ auction: this.auction!.value()!, bid: best });
    this.auction!.clear();
    this.start!.clear();
    this.expires!.clear();
    this.bestPrice!.clear();
    this.bestTime!.clear();
    this.best!.clear();
  },
  lead(b) {
    this.bestPrice!.update(b.price);
    this.bestTime!.update(b.dateTime);
    this.best!.update(b);
  },
};

export const q9: NexmarkQuery<WinningBid> = {
  name: 'q9',
  description: 'winning bids: per auction the highest in-range bid (earliest on ties), emitted with the auction when it closes',
  stateful: true,
  build(env, options) {
    const streams = nexmarkStreams(env, options);
    return streams.auctions
      .connect(streams.bids)
      .keyBy(auctionId, bidAuction)
      .process(winningBids, { uid: 'q9-winning', name: 'q9-winning' });
  },
  format(r) {
    const a = r.auction;
    const b = r.bid;
    return `${a.id},${a.itemName},${a.description},${a.initialBid},${a.reserve},${a.dateTime},${a.expires},${a.seller},${a.category},${a.extra},${b.auction},${b.bidder},${b.price},${b.channel},${b.url},${b.dateTime},${b.extra}`;
  },
};

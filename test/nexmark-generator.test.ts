import { describe, expect, it } from 'vitest';
import {
  AUCTION_ID_LEAD,
  DEFAULT_BASE_TIME,
  eventTypeOf,
  FIRST_AUCTION_ID,
  FIRST_CATEGORY_ID,
  FIRST_PERSON_ID,
  HOT_AUCTION_RATIO,
  HOT_BIDDER_RATIO,
  lastBase0AuctionId,
  lastBase0PersonId,
  nexmarkConfig,
  nexmarkEvent,
  NexmarkEventType,
  NexmarkSource,
  nexmarkSource,
  NUM_CATEGORIES,
  PERSON_ID_LEAD,
  timestampOf,
  type Auction,
  type Bid,
  type NexmarkEvent,
  type NexmarkOptions,
  type Person,
} from '../src/connectors/nexmark/index.js';
import { US_CITIES, US_STATES } from '../src/connectors/nexmark/nexmark-words.js';
import { GeneratorSource } from '../src/connectors/generator-source.js';
import { beginPosition, SourcePositionError } from '../src/connectors/source.js';
import { defaultConnectorRegistry } from '../src/runtime/connector-registry.js';
import type { SourceSpec } from '../src/api/specs.js';

function opened(options: NexmarkOptions, index = 0, parallelism = 1, pos?: Uint8Array, clock?: () => number): NexmarkSource {
  const s = new NexmarkSource(options, clock);
  s.open(index, parallelism, pos);
  return s;
}

function drain(src: NexmarkSource, max = 97): NexmarkEvent[] {
  const out: NexmarkEvent[] = [];
  for (let b = src.pollBatch(max); b !== 'end'; b = src.pollBatch(max)) out.push(...b);
  return out;
}

/** Events 0..n-1 computed directly, without a source. */
function stream(options: NexmarkOptions, n: number): NexmarkEvent[] {
  const config = nexmarkConfig(options);
  return Array.from({ length: n }, (_, i) => nexmarkEvent(config, i));
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function min(xs: readonly number[]): number {
  return xs.reduce((a, b) => Math.min(a, b), Infinity);
}

function max(xs: readonly number[]): number {
  return xs.reduce((a, b) => Math.max(a, b), -Infinity);
}

const base: NexmarkOptions = { events: 5000, seed: 11 };

describe('nexmark generator: determinism and splits', () => {
  it('event i is a pure function of (options, i); another seed gives other data', () => {
    const a = stream(base, 2000);
    expect(stream(base, 2000)).toEqual(a);
    // Fresh config objects (fresh lazy channel tables) in another order give the same events.
    const config = nexmarkConfig(base);
    for (let i = 1999; i >= 0; i -= 7) expect(nexmarkEvent(config, i)).toEqual(a[i]);
    const b = stream({ ...base, seed: 12 }, 2000);
    expect(b.map((e) => e.type)).toEqual(a.map((e) => e.type));
    expect(b.map((e) => e.bid?.price)).not.toEqual(a.map((e) => e.bid?.price));
    // Seeds differing only above bit 32 are different seeds too.
    const c = stream({ ...base, seed: 11 + 2 ** 32 }, 2000);
    expect(c.map((e) => e.bid?.price)).not.toEqual(a.map((e) => e.bid?.price));
  });

  it('a single split emits the whole stream in event-number order, then ends', () => {
    const events = drain(opened(base));
    expect(events).toEqual(stream(base, 5000));
    const src = opened(base);
    drain(src);
    expect(src.pollBatch(10)).toBe('end');
  });

  it.each([1, 2, 3, 4])('with %i splits, split j emits exactly the events i ≡ j (mod p), in order', (p) => {
    const all = stream(base, 5000);
    let total = 0;
    for (let j = 0; j < p; j++) {
      const got = drain(opened(base, j, p), 13);
      const want = all.filter((_, i) => i % p === j);
      expect(got).toEqual(want);
      total += got.length;
    }
    expect(total).toBe(5000);
  });

  it.each([1, 2, 3, 4])('restoring a snapshot taken mid-stream replays exactly (p = %i)', (p) => {
    for (let j = 0; j < p; j++) {
      const full = drain(opened(base, j, p));
      const first = opened(base, j, p);
      const before = [...(first.pollBatch(100) as NexmarkEvent[]), ...(first.pollBatch(33) as NexmarkEvent[])];
      const pos = first.snapshotPosition();
      first.pollBatch(50); // after the barrier: lost with the failure, must be produced again
      const after = drain(opened(base, j, p, pos));
      expect([...before, ...after]).toEqual(full);
    }
  });

  it('an unbounded source keeps going and event numbers far past 2^32 are well formed', () => {
    const src = opened({ events: Infinity, seed: 3 }, 1, 2);
    for (let k = 0; k < 5; k++) expect((src.pollBatch(1000) as NexmarkEvent[]).length).toBe(1000);
    const config = nexmarkConfig({ events: Infinity, seed: 3 });
    const i = 2 ** 40 + 49; // a bid (offset 49 of its block)
    const e = nexmarkEvent(config, i);
    expect(e.type).toBe(NexmarkEventType.Bid);
    expect(e.bid!.auction - FIRST_AUCTION_ID).toBeLessThanOrEqual(lastBase0AuctionId(config, i) + AUCTION_ID_LEAD);
    expect(e.bid!.dateTime).toBe(DEFAULT_BASE_TIME + Math.floor((i * 1000) / 10_000_000));
    expect(nexmarkEvent(config, i)).toEqual(e);
  });

  it('every event has the same four properties, exactly one payload set', () => {
    for (const e of stream(base, 200)) {
      expect(Object.keys(e)).toEqual(['type', 'person', 'auction', 'bid']);
      const set = [e.person, e.auction, e.bid].filter((x) => x !== null);
      expect(set.length).toBe(1);
      expect(set[0]).toBe([e.person, e.auction, e.bid][e.type]);
    }
  });
});

describe('nexmark generator: kinds and ids', () => {
  it('proportions person:auction:bid = 1:3:46 exactly in every block of 50 events', () => {
    const events = stream(base, 5000);
    for (let blockStart = 0; blockStart < 5000; blockStart += 50) {
      const types = events.slice(blockStart, blockStart + 50).map((e) => e.type);
      expect(types).toEqual([0, 1, 1, 1, ...Array<number>(46).fill(2)]);
    }
  });

  it('custom proportions are interleaved the same way', () => {
    const options: NexmarkOptions = { events: 200, personProportion: 2, auctionProportion: 5, bidProportion: 13 };
    const events = stream(options, 200);
    for (let blockStart = 0; blockStart < 200; blockStart += 20) {
      const types = events.slice(blockStart, blockStart + 20).map((e) => e.type);
      expect(types).toEqual([0, 0, 1, 1, 1, 1, 1, ...Array<number>(13).fill(2)]);
    }
    const config = nexmarkConfig(options);
    expect(events.map((_, i) => eventTypeOf(config, i))).toEqual(events.map((e) => e.type));
  });

  it('person and auction ids are consecutive from 1000, in event order', () => {
    const events = stream(base, 5000);
    const personIds = events.filter((e) => e.type === 0).map((e) => e.person!.id);
    const auctionIds = events.filter((e) => e.type === 1).map((e) => e.auction!.id);
    expect(personIds).toEqual(personIds.map((_, k) => FIRST_PERSON_ID + k));
    expect(auctionIds).toEqual(auctionIds.map((_, k) => FIRST_AUCTION_ID + k));
  });

  it('bids and auctions refer to people and auctions generated before them or within the lead', () => {
    const options: NexmarkOptions = { events: 60_000, seed: 5, numActivePeople: 200, numInFlightAuctions: 40 };
    const config = nexmarkConfig(options);
    const violations: string[] = [];
    const check = (ok: boolean, what: string, i: number): void => {
      if (!ok && violations.length < 10) violations.push(`event ${i}: ${what}`);
    };
    let lastPerson = -1;
    let lastAuction = -1;
    for (let i = 0; i < 60_000; i++) {
      const e = nexmarkEvent(config, i);
      if (e.type === 0) {
        lastPerson = e.person.id;
        check(lastPerson - FIRST_PERSON_ID === lastBase0PersonId(config, i), 'person id', i);
      } else if (e.type === 1) {
        lastAuction = e.auction.id;
        check(lastAuction - FIRST_AUCTION_ID === lastBase0AuctionId(config, i), 'auction id', i);
        const seller = e.auction.seller;
        const hotSeller = Math.floor((lastPerson - FIRST_PERSON_ID) / 100) * 100 + FIRST_PERSON_ID;
        // Either the hot seller or one of the 200 active people, or up to the lead beyond the last.
        check(seller === hotSeller || (seller >= Math.max(FIRST_PERSON_ID, lastPerson - 200 + 1) && seller <= lastPerson + PERSON_ID_LEAD), `seller ${seller}`, i);
        const c = e.auction.category;
        check(c >= FIRST_CATEGORY_ID && c < FIRST_CATEGORY_ID + NUM_CATEGORIES, `category ${c}`, i);
      } else {
        const { auction, bidder } = e.bid;
        const hotAuction = Math.floor((lastAuction - FIRST_AUCTION_ID) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO + FIRST_AUCTION_ID;
        check(auction === hotAuction || (auction >= Math.max(FIRST_AUCTION_ID, lastAuction - 40) && auction <= lastAuction + AUCTION_ID_LEAD), `auction ${auction}`, i);
        const hotBidder = Math.floor((lastPerson - FIRST_PERSON_ID) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1 + FIRST_PERSON_ID;
        check(bidder === hotBidder || (bidder >= Math.max(FIRST_PERSON_ID, lastPerson - 200 + 1) && bidder <= lastPerson + PERSON_ID_LEAD), `bidder ${bidder}`, i);
        // Hot or not, nobody further ahead than the lead (the hot bidder is at most one id ahead).
        check(bidder <= lastPerson + PERSON_ID_LEAD && auction <= lastAuction + AUCTION_ID_LEAD, 'beyond the lead', i);
      }
    }
    expect(violations).toEqual([]);
  });
});

describe('nexmark generator: event time', () => {
  it('defaults: 10M events/s from 2026-01-01, i.e. 10,000 events per ms', () => {
    const config = nexmarkConfig({ events: Infinity });
    for (const i of [0, 1, 9_999, 10_000, 123_456_789]) expect(timestampOf(config, i)).toBe(Date.UTC(2026, 0, 1) + Math.floor(i / 10_000));
  });

  it('event times are baseTime + floor(i * 1000 / rate) and non-decreasing in i', () => {
    const options: NexmarkOptions = { events: 3000, ratePerSecond: 700, baseTime: 1_000_000 };
    const events = stream(options, 3000);
    const times = events.map((e) => (e.person ?? e.auction ?? e.bid)!.dateTime);
    expect(times).toEqual(times.map((_, i) => 1_000_000 + Math.floor((i * 1000) / 700)));
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
  });

  it('a square rate alternates the two rates every half period', () => {
    const config = nexmarkConfig({ events: Infinity, ratePerSecond: 1000, nextRatePerSecond: 2000, ratePeriodSec: 2, baseTime: 0 });
    // Step 0: 1000 events over 1 s; step 1: 2000 events over 1 s; cycle: 3000 events in 2 s.
    const expected: Array<[number, number]> = [[0, 0], [999, 999], [1000, 1000], [1001, 1000], [1002, 1001], [2999, 1999], [3000, 2000], [4000, 3000], [6000, 4000]];
    for (const [i, t] of expected) expect(timestampOf(config, i)).toBe(t);
    for (let i = 1; i < 10_000; i++) expect(timestampOf(config, i)).toBeGreaterThanOrEqual(timestampOf(config, i - 1));
  });

  it('a sine rate is non-decreasing and averages between the two rates', () => {
    const config = nexmarkConfig({ events: Infinity, ratePerSecond: 1000, nextRatePerSecond: 3000, rateShape: 'sine', ratePeriodSec: 10, baseTime: 0 });
    let prev = -1;
    for (let i = 0; i < 20_000; i++) {
      const t = timestampOf(config, i);
      expect(t).toBeGreaterThanOrEqual(prev);
      prev = t;
    }
    // One full 10 s cycle of 10 one-second steps, rates round(2000 - 1000 cos(2πk/10)) summing to 20,000.
    expect(timestampOf(config, 20_000)).toBe(10_000);
  });

  it('auctions expire after their start; on average after numInFlightAuctions auctions\' time', () => {
    const fast = stream({ events: 2000 }, 2000).filter((e) => e.type === 1);
    for (const e of fast) expect(e.auction!.expires).toBe(e.auction!.dateTime + 1); // 10M/s: the horizon is 0 ms
    const options: NexmarkOptions = { events: 200_000, ratePerSecond: 1000, seed: 2 };
    const config = nexmarkConfig(options);
    const lengths: number[] = [];
    for (let i = 1; i < 200_000; i += 50) lengths.push(nexmarkEvent(config, i).auction!.expires - timestampOf(config, i));
    // 100 auctions span 100 * 50 / 3 = 1666 events = 1666 ms at 1000/s; lengths are 1 + U[0, 2 * 1666).
    expect(min(lengths)).toBeGreaterThanOrEqual(1);
    expect(max(lengths)).toBeLessThanOrEqual(2 * 1666);
    expect(mean(lengths)).toBeGreaterThan(1666 * 0.93);
    expect(mean(lengths)).toBeLessThan(1666 * 1.07);
  });
});

describe('nexmark generator: field contents and distributions', () => {
  const events = stream({ events: 150_000, seed: 9 }, 150_000);
  const people = events.filter((e) => e.type === 0).map((e) => e.person as Person);
  const auctions = events.filter((e) => e.type === 1).map((e) => e.auction as Auction);
  const bids = events.filter((e) => e.type === 2).map((e) => e.bid as Bid);

  it('people have Nexmark-shaped fields', () => {
    const bad = people.filter(
      (p) =>
        !/^[A-Z][a-z]+ [A-Z][a-z]+$/.test(p.name) ||
        !/^[a-z ]*@[a-z ]*\.com$/.test(p.emailAddress) ||
        !/^\d{4} \d{4} \d{4} \d{4}$/.test(p.creditCard) ||
        !US_CITIES.includes(p.city) ||
        !US_STATES.includes(p.state) ||
        !/^[a-z]*$/.test(p.extra) ||
        typeof p.dateTime !== 'number',
    );
    expect(bad).toEqual([]);
    expect(new Set(people.map((p) => p.state)).size).toBe(US_STATES.length);
    expect(new Set(people.map((p) => p.city)).size).toBe(US_CITIES.length);
  });

  it('extra pads records to the configured average sizes', () => {
    const personSize = people.map((p) => 8 + p.name.length + p.emailAddress.length + p.creditCard.length + p.city.length + p.state.length + p.extra.length);
    const auctionSize = auctions.map((a) => 8 + a.itemName.length + a.description.length + 40 + a.extra.length);
    const bidSize = bids.map((b) => 32 + b.extra.length);
    expect(Math.abs(mean(personSize) - 200)).toBeLessThan(3);
    expect(Math.abs(mean(auctionSize) - 500)).toBeLessThan(5);
    expect(Math.abs(mean(bidSize) - 100)).toBeLessThan(1);
    // Bid extras: d = 68, delta = round(13.6) = 14, lengths in [54, 82).
    expect(min(bids.map((b) => b.extra.length))).toBe(54);
    expect(max(bids.map((b) => b.extra.length))).toBe(81);
    const small = stream({ events: 5000, avgBidByteSize: 300 }, 5000).filter((e) => e.type === 2);
    expect(Math.abs(mean(small.map((e) => 32 + e.bid!.extra.length)) - 300)).toBeLessThan(3);
    const none = stream({ events: 100, avgBidByteSize: 10 }, 100).filter((e) => e.type === 2);
    for (const e of none) expect(e.bid!.extra).toBe('');
  });

  it('prices are log-uniform between 100 and 10^8 cents; reserve above the initial bid', () => {
    const prices = bids.map((b) => b.price).sort((a, b) => a - b);
    expect(prices[0]!).toBeGreaterThanOrEqual(100);
    expect(prices[prices.length - 1]!).toBeLessThanOrEqual(100_000_000);
    const median = prices[prices.length >> 1]!;
    expect(median).toBeGreaterThan(100_000 / 1.15);
    expect(median).toBeLessThan(100_000 * 1.15);
    for (const a of auctions) {
      expect(a.reserve).toBeGreaterThan(a.initialBid);
      expect(a.itemName.length).toBeLessThan(20);
      expect(a.description.length).toBeLessThan(100);
    }
  });

  it('hot auctions, bidders and channels take the shares the ratios imply', () => {
    const config = nexmarkConfig({ events: 150_000, seed: 9 });
    let hotAuction = 0;
    let hotBidder = 0;
    events.forEach((e, i) => {
      if (e.type !== 2) return;
      if (e.bid.auction === Math.floor(lastBase0AuctionId(config, i) / 100) * 100 + FIRST_AUCTION_ID) hotAuction++;
      if (e.bid.bidder === Math.floor(lastBase0PersonId(config, i) / 100) * 100 + 1 + FIRST_PERSON_ID) hotBidder++;
    });
    // hotAuctionRatio 2: 1/2 of bids by choice, plus the odd random pick that lands on it.
    expect(hotAuction / bids.length).toBeGreaterThan(0.49);
    expect(hotAuction / bids.length).toBeLessThan(0.53);
    // hotBiddersRatio 4: 3/4.
    expect(hotBidder / bids.length).toBeGreaterThan(0.74);
    expect(hotBidder / bids.length).toBeLessThan(0.77);
    const hotChannels = bids.filter((b) => ['Google', 'Facebook', 'Baidu', 'Apple'].includes(b.channel)).length;
    expect(hotChannels / bids.length).toBeGreaterThan(0.49);
    expect(hotChannels / bids.length).toBeLessThan(0.51);

    const skewed = nexmarkConfig({ events: Infinity, seed: 9, hotAuctionRatio: 4 });
    let hot = 0;
    let n = 0;
    for (let i = 4; i < 150_000; i += 50) {
      for (let k = i; k < i + 46; k++) {
        n++;
        if (nexmarkEvent(skewed, k).bid!.auction === Math.floor(lastBase0AuctionId(skewed, k) / 100) * 100 + FIRST_AUCTION_ID) hot++;
      }
    }
    expect(hot / n).toBeGreaterThan(0.74);
    expect(hot / n).toBeLessThan(0.77);
  });

  it('a channel always has the same url; urls follow the nexmark url scheme', () => {
    const scheme = /^https:\/\/www\.nexmark\.com\/[a-z_]+\/[a-z_]+\/[a-z_]+\/item\.htm\?query=1(&channel_id=-?\d+)?$/;
    const urlOf = new Map<string, string>();
    const bad: string[] = [];
    for (const b of bids) {
      const seen = urlOf.get(b.channel);
      if (seen !== undefined) {
        if (b.url !== seen) bad.push(`${b.channel} has ${b.url} and ${seen}`);
        continue;
      }
      urlOf.set(b.channel, b.url);
      if (!scheme.test(b.url)) bad.push(b.url);
      if (b.url.includes('&channel_id=') && !/^channel-\d+$/.test(b.channel)) bad.push(`${b.channel} with a channel id`);
    }
    expect(bad).toEqual([]);
    expect(urlOf.size).toBeGreaterThan(4000);
    const withId = [...urlOf.values()].filter((u) => u.includes('&channel_id=')).length;
    expect(withId / (urlOf.size - 4)).toBeGreaterThan(0.85);
    // Channel c's id is c's 32 bits reversed: channel-3 → 0xC0000000 → abs = 1073741824.
    const three = urlOf.get('channel-3');
    if (three?.includes('&channel_id=')) expect(three.endsWith('&channel_id=1073741824')).toBe(true);
  });
});

describe('NexmarkSource: throttling, positions and options', () => {
  it('throttled, emits only the events whose time has come by the clock', () => {
    let now = 1000;
    const src = opened({ events: 100, ratePerSecond: 1000, throttle: true }, 0, 1, undefined, () => now);
    expect((src.pollBatch(50) as NexmarkEvent[]).length).toBe(1); // event 0 is due at once
    expect((src.pollBatch(50) as NexmarkEvent[]).length).toBe(0); // idle until the clock moves
    now += 5;
    expect((src.pollBatch(50) as NexmarkEvent[]).length).toBe(5); // events 1..5
    expect(src.nextEventTime()).toBe(DEFAULT_BASE_TIME + 6);
    now += 1000;
    expect(drain(src).length).toBe(94);
  });

  it('a restored throttled split continues at the rate from where it was', () => {
    let now = 0;
    const options: NexmarkOptions = { events: 1000, ratePerSecond: 1000, throttle: true };
    const first = opened(options, 0, 2, undefined, () => now);
    now = 10;
    expect((first.pollBatch(100) as NexmarkEvent[]).length).toBe(6); // events 0, 2, …, 10
    const pos = first.snapshotPosition();
    now = 500;
    const restored = opened(options, 0, 2, pos, () => now);
    expect((restored.pollBatch(100) as NexmarkEvent[]).length).toBe(1); // event 12 due at once
    now = 504;
    expect((restored.pollBatch(100) as NexmarkEvent[]).length).toBe(2); // 14, 16
  });

  it('positions from another split, another source or garbage raise SourcePositionError', () => {
    const src = opened(base, 1, 3);
    src.pollBatch(10);
    const pos = src.snapshotPosition();
    expect(() => opened(base, 0, 3, pos)).toThrow(SourcePositionError);
    expect(() => opened(base, 1, 2, pos)).toThrow(SourcePositionError);
    expect(() => opened(base, 1, 3, new Uint8Array([1, 2, 3]))).toThrow(SourcePositionError);
    expect(() => opened(base, 1, 3, new Uint8Array([9, 9, 9, 9, 9, 9, 9, 9, 9, 9]))).toThrow(SourcePositionError);
    expect(() => opened(base, 1, 3, pos.subarray(0, pos.length - 1))).toThrow(SourcePositionError);
    expect(() => opened(base, 1, 3, new Uint8Array([...pos, 0]))).toThrow(SourcePositionError);
    const gen = new GeneratorSource({ count: 10, keys: 2, seed: 1 });
    gen.open(1, 3);
    expect(() => opened(base, 1, 3, gen.snapshotPosition())).toThrow(SourcePositionError);
    // A well-formed header with an event number of another split.
    const w = beginPosition('nexmark', { subtaskIndex: 1, parallelism: 3 });
    w.f64(32);
    expect(() => opened(base, 1, 3, w.bytes().slice())).toThrow(/not a number of split 1\/3/);
    const neg = beginPosition('nexmark', { subtaskIndex: 1, parallelism: 3 });
    neg.f64(-2);
    expect(() => opened(base, 1, 3, neg.bytes().slice())).toThrow(SourcePositionError);
  });

  it('rejects invalid options with a RangeError naming the option', () => {
    const bad: Array<[Partial<Record<keyof NexmarkOptions, unknown>>, RegExp]> = [
      [{ events: -1 }, /events/],
      [{ events: 1.5 }, /events/],
      [{ events: 10, seed: 0.5 }, /seed/],
      [{ events: 10, ratePerSecond: 0 }, /ratePerSecond/],
      [{ events: 10, ratePerSecond: Infinity }, /ratePerSecond/],
      [{ events: 10, nextRatePerSecond: -3 }, /nextRatePerSecond/],
      [{ events: 10, rateShape: 'triangle' }, /rateShape/],
      [{ events: 10, ratePeriodSec: 0 }, /ratePeriodSec/],
      [{ events: 10, baseTime: Number.NaN }, /baseTime/],
      [{ events: 10, throttle: 'yes' }, /throttle/],
      [{ events: 10, personProportion: 0 }, /personProportion/],
      [{ events: 10, auctionProportion: 0 }, /auctionProportion/],
      [{ events: 10, bidProportion: -1 }, /bidProportion/],
      [{ events: 10, hotAuctionRatio: 0 }, /hotAuctionRatio/],
      [{ events: 10, hotSellersRatio: 1.5 }, /hotSellersRatio/],
      [{ events: 10, hotBiddersRatio: 0 }, /hotBiddersRatio/],
      [{ events: 10, numActivePeople: 0 }, /numActivePeople/],
      [{ events: 10, numInFlightAuctions: -1 }, /numInFlightAuctions/],
      [{ events: 10, avgPersonByteSize: -1 }, /avgPersonByteSize/],
      [{ events: 10, avgAuctionByteSize: 2.5 }, /avgAuctionByteSize/],
      [{ events: 10, avgBidByteSize: '100' }, /avgBidByteSize/],
      [{ events: 10, ratePerSecond: 0.1, nextRatePerSecond: 1, ratePeriodSec: 2 }, /rate step/],
      [{ events: 10, rate: 5 } as never, /unknown nexmark option 'rate'/],
    ];
    for (const [options, message] of bad) {
      expect(() => new NexmarkSource(options as unknown as NexmarkOptions), JSON.stringify(options)).toThrow(RangeError);
      expect(() => new NexmarkSource(options as unknown as NexmarkOptions)).toThrow(message);
      expect(() => nexmarkSource(options as unknown as NexmarkOptions)).toThrow(message);
    }
  });

  it('the spec helper and the default registry build a NexmarkSource', () => {
    const spec = nexmarkSource({ events: 120, seed: 4 });
    expect(spec.kind).toBe('nexmark');
    const src = defaultConnectorRegistry().createSource(spec as SourceSpec<unknown>);
    expect(src).toBeInstanceOf(NexmarkSource);
    src.open(0, 1);
    const got: unknown[] = [];
    for (let b = src.pollBatch(50); b !== 'end'; b = src.pollBatch(50)) got.push(...b);
    expect(got).toEqual(stream({ events: 120, seed: 4 }, 120));
  });

  it('pollBatch and snapshotPosition before open fail loudly', () => {
    const src = new NexmarkSource(base);
    expect(() => src.pollBatch(1)).toThrow(/before open/);
    expect(() => src.snapshotPosition()).toThrow(/before open/);
    expect(() => src.open(3, 3)).toThrow(RangeError);
  });
});

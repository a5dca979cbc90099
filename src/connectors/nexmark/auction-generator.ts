/**
 * Auctions (Nexmark's AuctionGenerator): auction ids follow from event numbers like person ids, most
 * auctions are by a hot seller, and an auction stays open about as long as it takes to open
 * `numInFlightAuctions` more.
 */
import type { EventRandom } from './event-random.js';
import { timestampOf, type NexmarkConfig } from './nexmark-config.js';
import { FIRST_AUCTION_ID, FIRST_CATEGORY_ID, FIRST_PERSON_ID, NUM_CATEGORIES, type Auction } from './nexmark-model.js';
import { lastBase0PersonId, nextBase0PersonId } from './person-generator.js';
import { nextPrice } from './price-generator.js';
import { nextExtra, nextString } from './strings-generator.js';

/** How many auction ids past the last one generated a random pick may name. */
export const AUCTION_ID_LEAD = 10;
/** Hot sellers are the first person of each run of this many person ids. */
export const HOT_SELLER_RATIO = 100;

/**
 * The base-0 id of the last auction generated at or before event `i`: event i's own id when it is an
 * auction; for a bid, the last auction of i's block; for a person, the last auction of the previous
 * block (-1 before the first auction).
 */
export function lastBase0AuctionId(config: NexmarkConfig, i: number): number {
  const { totalProportion, personProportion, auctionProportion } = config;
  let epoch = Math.floor(i / totalProportion);
  let offset = i - epoch * totalProportion;
  if (offset < personProportion) {
    epoch--;
    offset = auctionProportion - 1;
  } else if (offset >= personProportion + auctionProportion) {
    offset = auctionProportion - 1;
  } else {
    offset -= personProportion;
  }
  return epoch * auctionProportion + offset;
}

/**
 * A random base-0 auction id among the latest `numInFlightAuctions` as of event `i` (those likely
 * still open), or up to {@link AUCTION_ID_LEAD} ids beyond the last one.
 */
export function nextBase0AuctionId(config: NexmarkConfig, rng: EventRandom, i: number): number {
  const maxAuction = lastBase0AuctionId(config, i);
  const minAuction = Math.max(maxAuction - config.numInFlightAuctions, 0);
  return minAuction + rng.nextLong(maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
}

/**
 * How long the auction of event `i` runs, ms: uniform in `[1, 2h]` where h is the event time between
 * now and `numInFlightAuctions` auctions later, so on average that many auctions are open at once.
 * (At very high rates h is 0 and every auction lasts 1 ms, as in the reference.)
 */
export function nextAuctionLengthMs(config: NexmarkConfig, rng: EventRandom, i: number, timestamp: number): number {
  const horizonMs = timestampOf(config, i + config.auctionHorizonEvents) - timestamp;
  return 1 + rng.nextLong(Math.max(horizonMs * 2, 1));
}

/** The auction of event `i` (an auction event), at event time `timestamp`. */
export function nextAuction(config: NexmarkConfig, rng: EventRandom, i: number, timestamp: number): Auction {
  const id = lastBase0AuctionId(config, i) + FIRST_AUCTION_ID;
  // A hot seller with probability 1 - 1/hotSellersRatio.
  const seller =
    (rng.nextInt(config.hotSellersRatio) > 0
      ? Math.floor(lastBase0PersonId(config, i) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO
      : nextBase0PersonId(config, rng, i)) + FIRST_PERSON_ID;
  const category = FIRST_CATEGORY_ID + rng.nextInt(NUM_CATEGORIES);
  const initialBid = nextPrice(rng);
  const expires = timestamp + nextAuctionLengthMs(config, rng, i, timestamp);
  const itemName = nextString(config.wordPool, rng, 20);
  const description = nextString(config.wordPool, rng, 100);
  const reserve = initialBid + nextPrice(rng);
  const currentSize = 8 + itemName.length + description.length + 8 + 8 + 8 + 8 + 8;
  const extra = nextExtra(config.extraPool, rng, currentSize, config.avgAuctionByteSize);
  return { id, itemName, description, initialBid, reserve, dateTime: timestamp, expires, seller, category, extra };
}

/**
 * Bids (flink-nexmark's BidGenerator): most bids go to the current hot auction and come from the
 * current hot bidder; half come through one of four hot channels, the rest through one of 10,000
 * numbered channels whose urls are made once and then reused.
 */
import { lastBase0AuctionId, nextBase0AuctionId } from './auction-generator.js';
import { eventSeed, EventRandom } from './event-random.js';
import type { NexmarkConfig } from './nexmark-config.js';
import { FIRST_AUCTION_ID, FIRST_PERSON_ID, type Bid } from './nexmark-model.js';
import { HOT_CHANNELS } from './nexmark-words.js';
import { lastBase0PersonId, nextBase0PersonId } from './person-generator.js';
import { nextPrice } from './price-generator.js';
import { nextExtra, nextStringWith } from './strings-generator.js';

/** Hot auctions are the first auction of each run of this many auction ids. */
export const HOT_AUCTION_RATIO = 100;
/** Hot bidders are the second person of each run of this many person ids (the first is the hot seller). */
export const HOT_BIDDER_RATIO = 100;
/** A bid comes through a hot channel with probability 1 - 1/HOT_CHANNELS_RATIO. */
export const HOT_CHANNELS_RATIO = 2;
/** Numbered channels `channel-0` … `channel-9999`. */
export const CHANNELS_NUMBER = 10_000;

/** `CHANNEL_NAMES[c]` = `channel-c`. */
const CHANNEL_NAMES: readonly string[] = Array.from({ length: CHANNELS_NUMBER }, (_, c) => `channel-${c}`);
/** Salts of the url streams, apart from the event stream of the same number. */
const CHANNEL_URL_SALT = 1;
const HOT_URL_SALT = 2;
/** Cursor for url generation only, so making a url never disturbs an event's draws. */
const urlRng = new EventRandom();

/** The bid of event `i` (a bid event), at event time `timestamp`. */
export function nextBid(config: NexmarkConfig, rng: EventRandom, i: number, timestamp: number): Bid {
  // The hot auction with probability 1 - 1/hotAuctionRatio.
  const auction =
    (rng.nextInt(config.hotAuctionRatio) > 0
      ? Math.floor(lastBase0AuctionId(config, i) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO
      : nextBase0AuctionId(config, rng, i)) + FIRST_AUCTION_ID;
  // The hot bidder with probability 1 - 1/hotBiddersRatio.
  const bidder =
    (rng.nextInt(config.hotBiddersRatio) > 0
      ? Math.floor(lastBase0PersonId(config, i) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1
      : nextBase0PersonId(config, rng, i)) + FIRST_PERSON_ID;
  const price = nextPrice(rng);
  let channel: string;
  let url: string;
  if (rng.nextInt(HOT_CHANNELS_RATIO) > 0) {
    const h = rng.nextInt(HOT_CHANNELS.length);
    channel = HOT_CHANNELS[h]!;
    url = hotChannelUrl(config, h);
  } else {
    const c = rng.nextInt(CHANNELS_NUMBER);
    channel = CHANNEL_NAMES[c]!;
    url = config.channelUrls[c] ?? channelUrl(config, c);
  }
  const extra = nextExtra(config.extraPool, rng, 8 + 8 + 8 + 8, config.avgBidByteSize);
  return { auction, bidder, price, channel, url, dateTime: timestamp, extra };
}

/** `https://www.nexmark.com/<a>/<b>/<c>/item.htm?query=1` with three short random path segments. */
function baseUrl(rng: EventRandom): string {
  return `https://www.nexmark.com/${nextStringWith(rng, 5, '_')}/${nextStringWith(rng, 5, '_')}/${nextStringWith(rng, 5, '_')}/item.htm?query=1`;
}

function hotChannelUrl(config: NexmarkConfig, h: number): string {
  const urls = config.hotChannelUrls;
  if (urls.length === 0) {
    for (let k = 0; k < HOT_CHANNELS.length; k++) {
      urlRng.reset(eventSeed(config.seed, k, HOT_URL_SALT));
      urls.push(baseUrl(urlRng));
    }
  }
  return urls[h]!;
}

/**
 * The url of numbered channel `c`, made on first use and kept: a base url, and 9 times in 10 a
 * `&channel_id=` of c's bits reversed (as Java's `Math.abs(Integer.reverse(c))`, whose abs leaves
 * -2^31 negative). Deterministic in (seed, c), so the lazy table never changes what is generated.
 */
function channelUrl(config: NexmarkConfig, c: number): string {
  urlRng.reset(eventSeed(config.seed, c, CHANNEL_URL_SALT));
  let url = baseUrl(urlRng);
  if (urlRng.nextInt(10) > 0) {
    const reversed = reverseBits32(c);
    url += `&channel_id=${reversed === -0x80000000 ? reversed : Math.abs(reversed)}`;
  }
  config.channelUrls[c] = url;
  return url;
}

/** The 32 bits of `x` in reverse order, as a signed 32-bit integer (Java's Integer.reverse). */
function reverseBits32(x: number): number {
  let v = x | 0;
  v = ((v >>> 1) & 0x55555555) | ((v & 0x55555555) << 1);
  v = ((v >>> 2) & 0x33333333) | ((v & 0x33333333) << 2);
  v = ((v >>> 4) & 0x0f0f0f0f) | ((v & 0x0f0f0f0f) << 4);
  v = ((v >>> 8) & 0x00ff00ff) | ((v & 0x00ff00ff) << 8);
  return ((v >>> 16) | (v << 16)) | 0;
}

/**
 * The Nexmark benchmark's event generator (a port of nexmark-flink's / Apache Beam's generator) as a
 * replayable weir source. This module only re-exports the public surface.
 */
export {
  NexmarkEventType,
  FIRST_PERSON_ID,
  FIRST_AUCTION_ID,
  FIRST_CATEGORY_ID,
  NUM_CATEGORIES,
  type NexmarkEvent,
  type NexmarkEventTypeValue,
  type Person,
  type Auction,
  type Bid,
} from './nexmark-model.js';
export {
  nexmarkConfig,
  checkNexmarkOptions,
  timestampOf,
  eventTypeOf,
  DEFAULT_BASE_TIME,
  DEFAULT_RATE_PER_SECOND,
  type NexmarkOptions,
  type NexmarkConfig,
  type NexmarkRateShape,
} from './nexmark-config.js';
export { nexmarkEvent } from './nexmark-generator.js';
export { lastBase0PersonId, PERSON_ID_LEAD } from './person-generator.js';
export { lastBase0AuctionId, AUCTION_ID_LEAD, HOT_SELLER_RATIO } from './auction-generator.js';
export { HOT_AUCTION_RATIO, HOT_BIDDER_RATIO, CHANNELS_NUMBER } from './bid-generator.js';
export { NexmarkSource, nexmarkSource, NEXMARK_SOURCE_KIND } from './nexmark-source.js';

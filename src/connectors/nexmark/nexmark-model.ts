/**
 * The Nexmark data model: an online auction site where people register, open auctions and bid.
 * Field names and meanings follow Nexmark's `Person`, `Auction`, `Bid` and `Event`; times are epoch
 * milliseconds (numbers, not Date objects) so events stay plain, cheap and comparable.
 */

/** A person registering with the auction site. */
export interface Person {
  /** Person id; ids start at {@link FIRST_PERSON_ID} and grow by one per person event. */
  readonly id: number;
  /** "First Last". */
  readonly name: string;
  readonly emailAddress: string;
  /** Four groups of four digits separated by spaces. */
  readonly creditCard: string;
  readonly city: string;
  /** Two-letter US state code. */
  readonly state: string;
  /** Event time, epoch ms. */
  readonly dateTime: number;
  /** Padding that brings the record to its configured average size. */
  readonly extra: string;
}

/** An item put up for auction by a person. */
export interface Auction {
  /** Auction id; ids start at {@link FIRST_AUCTION_ID} and grow by one per auction event. */
  readonly id: number;
  readonly itemName: string;
  readonly description: string;
  /** Starting price, in cents. */
  readonly initialBid: number;
  /** Minimum accepted price, in cents; always above `initialBid`. */
  readonly reserve: number;
  /** Event time, epoch ms. */
  readonly dateTime: number;
  /** When the auction closes, epoch ms; after `dateTime`. */
  readonly expires: number;
  /** Id of the selling person. */
  readonly seller: number;
  /** Category id in `[FIRST_CATEGORY_ID, FIRST_CATEGORY_ID + NUM_CATEGORIES)`. */
  readonly category: number;
  readonly extra: string;
}

/** A bid by a person on an auction. */
export interface Bid {
  /** Id of the auction bid on. */
  readonly auction: number;
  /** Id of the bidding person. */
  readonly bidder: number;
  /** In cents. */
  readonly price: number;
  /** Where the bid came from: one of a few hot channels or `channel-<n>`. */
  readonly channel: string;
  readonly url: string;
  /** Event time, epoch ms. */
  readonly dateTime: number;
  readonly extra: string;
}

/** Values of {@link NexmarkEvent.type}, as in Nexmark's `Event.Type`. */
export const NexmarkEventType = { Person: 0, Auction: 1, Bid: 2 } as const;
/** 0 person, 1 auction, 2 bid. */
export type NexmarkEventTypeValue = (typeof NexmarkEventType)[keyof typeof NexmarkEventType];

/**
 * One Nexmark event, shaped like Nexmark's `Event`: a numeric `type` and three payload fields of
 * which exactly the one matching `type` is set, the others `null`. Every event has the same four
 * properties in the same order, so all events share one hidden class and a consumer's
 * `switch (e.type)` stays monomorphic; generating one costs two allocations (event and payload).
 *
 * @example
 * if (e.type === NexmarkEventType.Bid) total += e.bid.price;
 */
export type NexmarkEvent =
  | { readonly type: 0; readonly person: Person; readonly auction: null; readonly bid: null }
  | { readonly type: 1; readonly person: null; readonly auction: Auction; readonly bid: null }
  | { readonly type: 2; readonly person: null; readonly auction: null; readonly bid: Bid };

/** Person ids start here (not at 0) so queries find matches even in small runs. */
export const FIRST_PERSON_ID = 1000;
/** Auction ids start here. */
export const FIRST_AUCTION_ID = 1000;
/** Category ids start here. */
export const FIRST_CATEGORY_ID = 10;
/** Number of categories; kept small so category queries have results on few events. */
export const NUM_CATEGORIES = 5;

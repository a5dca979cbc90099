/**
 * Nexmark q2, selection: auction and price of the bids on every 123rd auction.
 *
 * SQL: `SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0`.
 */
import type { Bid } from '../../connectors/nexmark/index.js';
import { nexmarkStreams } from '../source-setup.js';
import type { NexmarkQuery } from './nexmark-query.js';

/** One q2 result. */
export interface AuctionPrice {
  readonly auction: number;
  readonly price: number;
}

/** The selection's modulus. */
export const Q2_AUCTION_MODULUS = 123;

const isSelected = (b: Bid): boolean => b.auction % Q2_AUCTION_MODULUS === 0;
const toAuctionPrice = (b: Bid): AuctionPrice => ({ auction: b.auction, price: b.price });

export const q2: NexmarkQuery<AuctionPrice> = {
  name: 'q2',
  description: 'selection: (auction, price) of bids whose auction % 123 == 0',
  stateful: false,
  build(env, options) {
    return nexmarkStreams(env, options)
      .bids.filter(isSelected, { name: 'q2-select' })
      .map(toAuctionPrice, { name: 'q2-project' });
  },
  format(r) {
    return `${r.auction},${r.price}`;
  },
};

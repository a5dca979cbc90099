/**
 * Nexmark q1, currency conversion: every bid with its price converted from dollars to euros.
 *
 * SQL: `SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid`. Prices are
 * integer cents; the SQL keeps the exact product as DECIMAL(23, 3). Here the result is whole euro
 * cents, the exact product rounded half up: `floor((price * 908 + 500) / 1000)`, integer arithmetic
 * (exact while price * 908 < 2^53, i.e. for any price below ~9.9e12 cents).
 */
import type { Bid } from '../../connectors/nexmark/index.js';
import { nexmarkStreams } from '../source-setup.js';
import type { NexmarkQuery } from './nexmark-query.js';

/** One q1 result: a bid with its price in euro cents. */
export interface EuroBid {
  readonly auction: number;
  readonly bidder: number;
  /** Euro cents: 0.908 × the dollar cents, rounded half up. */
  readonly price: number;
  readonly dateTime: number;
  readonly extra: string;
}

/** Dollar cents → euro cents at 0.908, rounded half up, exact (see the module comment). */
export function dollarsToEuros(cents: number): number {
  return Math.floor((cents * 908 + 500) / 1000);
}

function toEuroBid(b: Bid): EuroBid {
  return { auction: b.auction, bidder: b.bidder, price: dollarsToEuros(b.price), dateTime: b.dateTime, extra: b.extra };
}

export const q1: NexmarkQuery<EuroBid> = {
  name: 'q1',
  description: 'currency conversion: every bid with price * 0.908 (euro cents, rounded half up; the SQL keeps 3 decimals)',
  stateful: false,
  build(env, options) {
    return nexmarkStreams(env, options).bids.map(toEuroBid, { name: 'q1-to-euro' });
  },
  format(b) {
    return `${b.auction},${b.bidder},${b.price},${b.dateTime},${b.extra}`;
  },
};

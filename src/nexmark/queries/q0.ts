/**
 * Nexmark q0, pass-through: every bid, unchanged. Measures the source, the split and the sink path.
 *
 * SQL: `SELECT auction, bidder, price, dateTime, extra FROM bid` (the result here is the whole bid,
 * channel and url included, since passing the object costs nothing).
 */
import type { Bid } from '../../connectors/nexmark/index.js';
import { nexmarkStreams } from '../source-setup.js';
import type { NexmarkQuery } from './nexmark-query.js';

export const q0: NexmarkQuery<Bid> = {
  name: 'q0',
  description: 'pass-through: every bid unchanged',
  stateful: false,
  build(env, options) {
    return nexmarkStreams(env, options).bids;
  },
  format(b) {
    return `${b.auction},${b.bidder},${b.price},${b.channel},${b.url},${b.dateTime},${b.extra}`;
  },
};

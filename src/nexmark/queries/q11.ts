/**
 * Nexmark q11, user sessions: how many bids each bidder made per session, a session ending after
 * 10 s without a bid of theirs (event time).
 *
 * SQL: `SELECT bidder, count(*), SESSION_START(...), SESSION_END(...) FROM bid GROUP BY bidder,
 * SESSION(dateTime, INTERVAL '10' SECOND)`. Here: bids keyed by bidder, counted in event-time
 * session windows with a 10 s gap (uid `q11-sessions`, a number accumulator per session, merged when
 * sessions merge); each session emits when the watermark passes its end (last bid + 10 s), and its
 * state is purged then.
 */
import { EventTimeSessionWindows } from '../../api/windows/assigners.js';
import type { ProcessWindowFunction } from '../../api/windows/window-functions.js';
import type { Bid } from '../../connectors/nexmark/index.js';
import { Serializers } from '../../state/serializers.js';
import { nexmarkStreams } from '../source-setup.js';
import { COUNT } from './count-aggregate.js';
import type { NexmarkQuery } from './nexmark-query.js';

/** Session gap of q11, ms. */
export const Q11_GAP_MS = 10_000;

/** One q11 result: a bidder's session `[start, end)`, end = its last bid's time + the gap. */
export interface BidderSession {
  readonly bidder: number;
  readonly count: number;
  readonly start: number;
  readonly end: number;
}

const bidder = (b: Bid): number => b.bidder;

const withSession: ProcessWindowFunction<number, BidderSession, number> = (bidder, ctx, counts, out) => {
  for (const count of counts) out.collect({ bidder, count, start: ctx.window.start, end: ctx.window.end });
};

export const q11: NexmarkQuery<BidderSession> = {
  name: 'q11',
  description: 'user sessions: bids per bidder per event-time session (10 s gap), with session start and end',
  stateful: true,
  build(env, options) {
    return nexmarkStreams(env, options)
      .bids.keyBy(bidder)
      .window(EventTimeSessionWindows.withGap(Q11_GAP_MS))
      .aggregate(COUNT, { uid: 'q11-sessions', name: 'q11-sessions', accumulatorSerializer: Serializers.number }, withSession);
  },
  format(r) {
    return `${r.bidder},${r.count},${r.start},${r.end}`;
  },
};

/**
 * Nexmark q8, monitor new users: persons who opened an auction in the same tumbling 10 s window in
 * which they registered.
 *
 * SQL: persons grouped by (id, name, TUMBLE window) joined with auction sellers grouped by (seller,
 * window) on id = seller and equal windows; so each (person, window) at most once. Here: persons
 * (projected to id, name, time) and auction sellers (projected to the seller id), co-grouped on
 * person id = seller in tumbling event-time windows (uid `q8-join`, the window operator's state:
 * both sides' records per key and window until the window fires, then purged); a person with at
 * least one auction in their window is emitted once.
 */
import type { Collector } from '../../api/functions.js';
import { TumblingEventTimeWindows } from '../../api/windows/assigners.js';
import { TimeWindow } from '../../api/windows/time-window.js';
import type { Auction, Person } from '../../connectors/nexmark/index.js';
import { recordSerializer } from '../../state/record-serializer.js';
import { Serializers } from '../../state/serializers.js';
import { nexmarkStreams } from '../source-setup.js';
import type { NexmarkQuery } from './nexmark-query.js';

/** Window size of q8, ms. */
export const Q8_WINDOW_MS = 10_000;

/** One q8 result: a person who registered and opened an auction in the window starting at `windowStart`. */
export interface NewSeller {
  readonly id: number;
  readonly name: string;
  readonly windowStart: number;
}

/** What q8 keeps of a person. */
interface Registration {
  readonly id: number;
  readonly name: string;
  readonly dateTime: number;
}

const registrationSerializer = recordSerializer<Registration>({ name: 'nexmark-q8-registration', version: 1, fields: { id: {}, name: {}, dateTime: {} } });

const toRegistration = (p: Person): Registration => ({ id: p.id, name: p.name, dateTime: p.dateTime });
const toSeller = (a: Auction): number => a.seller;
const registrationId = (r: Registration): number => r.id;
const sellerId = (seller: number): number => seller;

function newSellers(registrations: readonly Registration[], sellers: readonly number[], out: Collector<NewSeller>): void {
  if (sellers.length === 0) return;
  for (const r of registrations) {
    out.collect({ id: r.id, name: r.name, windowStart: TimeWindow.getWindowStartWithOffset(r.dateTime, 0, Q8_WINDOW_MS) });
  }
}

export const q8: NexmarkQuery<NewSeller> = {
  name: 'q8',
  description: 'monitor new users: persons with an auction in the 10 s tumbling window they registered in (windowed co-group on id = seller)',
  stateful: true,
  build(env, options) {
    const streams = nexmarkStreams(env, options);
    const registrations = streams.persons.map(toRegistration, { name: 'q8-registration' });
    const sellers = streams.auctions.map(toSeller, { name: 'q8-seller' });
    return registrations
      .coGroup(sellers)
      .where(registrationId)
      .equalTo(sellerId)
      .window(TumblingEventTimeWindows.of(Q8_WINDOW_MS))
      .apply(newSellers, { uid: 'q8-join', name: 'q8-join', firstSerializer: registrationSerializer, secondSerializer: Serializers.number });
  },
  format(r) {
    return `${r.id},${r.name},${r.windowStart}`;
  },
};

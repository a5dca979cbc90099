/**
 * Event i of the Nexmark stream (Nexmark's NexmarkGenerator.nextEvent without its iterator state):
 * its kind from i's place in the repeating block of kinds, its time from i and the rate, its data
 * from draws seeded by (seed, i).
 */
import { nextAuction } from './auction-generator.js';
import { nextBid } from './bid-generator.js';
import { eventSeed, EventRandom } from './event-random.js';
import { eventTypeOf, timestampOf, type NexmarkConfig } from './nexmark-config.js';
import type { NexmarkEvent } from './nexmark-model.js';
import { nextPerson } from './person-generator.js';

/**
 * Scratch draw cursor, reset at the start of every event. Generation is synchronous and never
 * re-enters itself, and the cursor never leaves this module's calls, so one instance serves all.
 */
const rng = new EventRandom();

/**
 * Event number `i` (0-based, over all splits) of the stream `config` describes; a pure function of
 * (config, i), so tests and independent checks can compute any event without a source.
 *
 * @example
 * const config = nexmarkConfig({ events: Infinity, seed: 7 });
 * const e = nexmarkEvent(config, 49); // a bid: events 4..49 of each block of 50 are bids
 */
export function nexmarkEvent(config: NexmarkConfig, i: number): NexmarkEvent {
  const timestamp = timestampOf(config, i);
  rng.reset(eventSeed(config.seed, i));
  switch (eventTypeOf(config, i)) {
    case 0:
      return { type: 0, person: nextPerson(config, rng, i, timestamp), auction: null, bid: null };
    case 1:
      return { type: 1, person: null, auction: nextAuction(config, rng, i, timestamp), bid: null };
    case 2:
      return { type: 2, person: null, auction: null, bid: nextBid(config, rng, i, timestamp) };
  }
}

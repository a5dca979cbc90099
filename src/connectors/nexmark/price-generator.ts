/** Prices of bids and auctions (Nexmark's PriceGenerator). */
import type { EventRandom } from './event-random.js';

/** ln(10^6): 10^(6u) is computed as e^(u ln 10^6), which V8 evaluates about twice as fast as Math.pow. */
const LN_MILLION = 6 * Math.LN10;

/**
 * A price in cents, log-uniform between 1 dollar and 1 million dollars: `round(10^(6u) * 100)` for
 * a uniform draw u, so most prices are small and a few are very large.
 */
export function nextPrice(rng: EventRandom): number {
  return Math.round(Math.exp(rng.nextDouble() * LN_MILLION) * 100);
}

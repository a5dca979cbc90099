/**
 * The Nexmark queries as weir jobs, by name. Each builds on the shared source of
 * ../source-setup.ts and returns typed records; see each query's module for its semantics and state.
 *
 * @example
 * const env = new StreamEnvironment({ parallelism: 2, checkpoint: { intervalMs: 1000 } });
 * NEXMARK_QUERIES['q5']!.build(env, { source: { events: 10_000_000 } }).sink({ kind: 'discard', payload: undefined }, { uid: 'sink' });
 */
import type { NexmarkQuery } from './nexmark-query.js';
import { q0 } from './q0.js';
import { q1 } from './q1.js';
import { q2 } from './q2.js';
import { q3 } from './q3.js';
import { q4 } from './q4.js';
import { q5 } from './q5.js';
import { q7 } from './q7.js';
import { q8 } from './q8.js';
import { q9 } from './q9.js';
import { q11 } from './q11.js';

export type { NexmarkQuery, NexmarkQueryOptions } from './nexmark-query.js';
export { q0, q1, q2, q3, q4, q5, q7, q8, q9, q11 };
export type { EuroBid } from './q1.js';
export type { AuctionPrice } from './q2.js';
export type { LocalItem } from './q3.js';
export type { CategoryAverage, WinningPrice } from './q4.js';
export type { HotItem } from './q5.js';
export type { HighestBid } from './q7.js';
export type { NewSeller } from './q8.js';
export type { WinningBid } from './q9.js';
export type { BidderSession } from './q11.js';

/** Every query, by name ('q0', 'q1', ...). */
export const NEXMARK_QUERIES: Readonly<Record<string, NexmarkQuery>> = Object.freeze({ q0, q1, q2, q3, q4, q5, q7, q8, q9, q11 });

/**
 * What the `nexmark` suite runs: the queries, their generator settings per scale, the checkpoint
 * intervals, and the published Flink figures the results are read against.
 */
import type { NexmarkOptions } from '../../src/connectors/nexmark/index.js';
import type { BenchScale } from '../harness/scale.js';

export const NEXMARK_BACKENDS = ['heap', 'wasm'] as const;
export type NexmarkBackend = (typeof NEXMARK_BACKENDS)[number];

/** Exactly-once checkpoints every 10 s and every 1 s (the two settings). */
export const CHECKPOINT_INTERVALS_MS = [10_000, 1_000] as const;

/**
 * Flink's published per-core throughput (nexmark/nexmark GUIDE_V1: events/s per core, RocksDB with
 * incremental checkpoints), for the queries it lists.
 */
export const FLINK_PER_CORE: Readonly<Record<string, number>> = {
  q0: 155_000,
  q1: 158_000,
  q2: 175_000,
  q4: 34_000,
  q5: 22_000,
  q7: 12_000,
  q9: 14_000,
};

/** Target: weir per core at least this many times Flink's figure, on these queries. */
export const MIN_OVER_FLINK = 2;
export const FLINK_TARGET_QUERIES: readonly string[] = ['q0', 'q1', 'q2', 'q4', 'q5', 'q7'];
/** Target: wasm at least this share of heap on every stateful query, and ahead where state exceeds 1M keys. */
export const MIN_WASM_OVER_HEAP = 0.9;

/** One benchmarked workload: a query over a generator configuration. */
export interface NexmarkCase {
  /** Case name in results: the query, or `<query>-large` for a large-state variant. */
  readonly name: string;
  readonly query: string;
  readonly generator: NexmarkOptions;
  /** A large-state variant (the wasm-ahead target applies). */
  readonly largeState: boolean;
}

export interface NexmarkPlan {
  readonly cases: readonly NexmarkCase[];
  /** Fresh-process runs per cell; the median is reported. */
  readonly runs: number;
  /** Measure recovery from a kill in the middle (1 s checkpoints) for these cases. */
  readonly recoveryCases: readonly string[];
}

/**
 * Event time advances 100k events per second of event time (not Flink's 10M/s): with 5M events a run
 * spans 50 s of event time, so 10 s windows fire five times and auctions open and close throughout,
 * instead of everything landing in one window that fires at the end.
 */
const EVENT_TIME_RATE = 100_000;
const SEED = 20_261_121;

/**
 * The large-state generator: auctions are half the events, no bid goes to a hot auction, and ten
 * million auctions are in flight, so bids spread over millions of open auctions (q4 keeps every open
 * auction; q5 counts per auction and window).
 */
function largeState(events: number): NexmarkOptions {
  return {
    events,
    seed: SEED,
    ratePerSecond: EVENT_TIME_RATE,
    personProportion: 1,
    auctionProportion: 24,
    bidProportion: 25,
    hotAuctionRatio: 1, // a bid goes to the hot auction with probability 1 - 1/ratio: never
    numInFlightAuctions: 10_000_000,
  };
}

const QUERIES = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q7', 'q8', 'q9', 'q11'];

function plan(events: number, largeEvents: number, runs: number): NexmarkPlan {
  const base = (query: string): NexmarkCase => ({ name: query, query, generator: { events, seed: SEED, ratePerSecond: EVENT_TIME_RATE }, largeState: false });
  return {
    cases: [
      ...QUERIES.map(base),
      { name: 'q4-large', query: 'q4', generator: largeState(largeEvents), largeState: true },
      { name: 'q5-large', query: 'q5', generator: largeState(largeEvents), largeState: true },
    ],
    runs,
    recoveryCases: ['q0', 'q4', 'q5', 'q7', 'q4-large'],
  };
}

const PLANS: Readonly<Record<BenchScale, NexmarkPlan>> = {
  full: plan(5_000_000, 3_000_000, 1),
  small: plan(500_000, 500_000, 1),
};

export function nexmarkPlan(scale: BenchScale): NexmarkPlan {
  return PLANS[scale];
}

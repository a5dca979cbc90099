/** What the `state` suite runs, per scale, and the names of its cases and backends. */
import type { BenchScale } from '../harness/scale.js';
import type { ThroughputPlan } from '../harness/throughput.js';

/** `baseline` is a hand-written JS `Map` doing the same work: the floor the backends are read against. */
export const STATE_BENCH_BACKENDS = ['baseline', 'heap', 'wasm'] as const;
export type StateBenchBackend = (typeof STATE_BENCH_BACKENDS)[number];

export const OPS_CASES = ['value-counter-numeric', 'value-counter-string', 'map-put-get', 'list-append'] as const;
export type OpsCase = (typeof OPS_CASES)[number];

export const SNAPSHOT_CASES = ['snapshot-full', 'snapshot-incremental-1pct', 'restore-full'] as const;

export const STATE_CASE_ORDER: readonly string[] = [...OPS_CASES, ...SNAPSHOT_CASES];

export interface StatePlan {
  /** Key counts of the ValueState counter cases (each in a fresh process). */
  readonly counterKeys: readonly number[];
  /** Key counts of `map-put-get` and `list-append` (several entries or elements per key). */
  readonly collectionKeys: readonly number[];
  /** Snapshot, restore and memory run on this many numeric counters (one of `counterKeys`). */
  readonly heavyKeys: number;
  readonly throughput: ThroughputPlan;
  /** Repetitions of each snapshot/restore measurement; the median is reported. */
  readonly snapshotRuns: number;
  /** A measurement stops repeating once its runs took this long (ms) in total; at least one run. */
  readonly snapshotBudgetMs: number;
  /** MapState entries per key in `map-put-get`. */
  readonly userKeysPerKey: number;
  /** Share of keys updated between snapshots in `snapshot-incremental-1pct`. */
  readonly incrementalShare: number;
}

const PLANS: Readonly<Record<BenchScale, StatePlan>> = {
  full: {
    counterKeys: [100_000, 1_000_000, 10_000_000],
    collectionKeys: [100_000, 1_000_000],
    heavyKeys: 10_000_000,
    throughput: { batch: 100_000, iterations: 20, warmupIterations: 5 },
    snapshotRuns: 3,
    snapshotBudgetMs: 20_000,
    userKeysPerKey: 4,
    incrementalShare: 0.01,
  },
  small: {
    counterKeys: [10_000, 100_000, 500_000],
    collectionKeys: [10_000, 100_000],
    heavyKeys: 500_000,
    throughput: { batch: 10_000, iterations: 10, warmupIterations: 3 },
    snapshotRuns: 2,
    snapshotBudgetMs: 5_000,
    userKeysPerKey: 4,
    incrementalShare: 0.01,
  },
};

export function statePlan(scale: BenchScale): StatePlan {
  return PLANS[scale];
}

/** The key counts an ops case runs at. */
export function keysFor(plan: StatePlan, opsCase: OpsCase): readonly number[] {
  return opsCase === 'value-counter-numeric' || opsCase === 'value-counter-string'
    ? plan.counterKeys
    : plan.collectionKeys;
}

/** Both backends are created with the defaults a job gets: 128 key groups, change tracking on. */
export const BACKEND_OPTIONS = { maxParallelism: 128, incremental: true } as const;

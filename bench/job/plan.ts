/** What the `job` suite runs, per scale, and the names of its case, backends and checkpointing modes. */
import type { BenchScale } from '../harness/scale.js';
import { formatKeys } from '../harness/side-by-side-table.js';

/** `baseline` is a hand-written loop doing the job's work: the ceiling the framework is read against. */
export const JOB_BENCH_BACKENDS = ['baseline', 'heap', 'wasm'] as const;
export type JobBenchBackend = (typeof JOB_BENCH_BACKENDS)[number];

/** `off`: no checkpoint directory. `1s`: checkpoints into a fresh directory every `checkpointIntervalMs`. */
export const CHECKPOINTING_MODES = ['off', '1s'] as const;
export type Checkpointing = (typeof CHECKPOINTING_MODES)[number];

export interface JobPlan {
  /** Distinct keys the generator draws from, uniformly. */
  readonly keys: number;
  /** Records per run; enough that the keys are all populated early and a run takes several seconds. */
  readonly events: number;
  /** Fresh-process runs per (backend, checkpointing); the median is reported. Odd. */
  readonly runs: number;
  /** The job's checkpoint interval (used only when checkpointing is on). */
  readonly checkpointIntervalMs: number;
  /** Generator seed, the same for every run: every run sees the same records. */
  readonly seed: number;
}

const PLANS: Readonly<Record<BenchScale, JobPlan>> = {
  full: { keys: 1_000_000, events: 10_000_000, runs: 5, checkpointIntervalMs: 1000, seed: 20_261_121 },
  small: { keys: 100_000, events: 1_000_000, runs: 1, checkpointIntervalMs: 1000, seed: 20_261_121 },
};

export function jobPlan(scale: BenchScale): JobPlan {
  return PLANS[scale];
}

/** `keyed-count-1M-keys` at full scale; the name follows the plan's key count. */
export function jobCaseName(plan: JobPlan): string {
  return `keyed-count-${formatKeys(plan.keys)}-keys`;
}

/**
 * Records per `pollBatch` in the baseline: the executor's default source batch (its `batchSize`
 * option, which the job leaves at the default), so both read the generator the same way.
 */
export const BASELINE_POLL_BATCH = 64;

/** Target: checkpoints every second cost at most this share of the throughput without them. */
export const MAX_CHECKPOINT_OVERHEAD = 0.1;
/** Target: the wasm job runs at least this many times the heap job's throughput. */
export const MIN_WASM_OVER_HEAP = 2;

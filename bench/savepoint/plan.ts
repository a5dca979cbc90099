/** What the `savepoint` suite runs, per scale, and the names of its cases. */
import type { BenchScale } from '../harness/scale.js';
import { formatKeys } from '../harness/side-by-side-table.js';
import type { StateBackendKind } from '../../src/state/types.js';

export const SAVEPOINT_BENCH_BACKENDS: readonly StateBackendKind[] = ['heap', 'wasm'];

export interface SavepointPlan {
  /** Distinct keys written, one `ValueState<number>` entry each, before the savepoints are taken. */
  readonly keys: number;
  /**
   * Records the restored job processes (keys spread over the whole key range, so they land in many
   * key groups): the first one marks the end of the restore, the rest check the restored values.
   */
  readonly probes: number;
  /**
   * Periodic checkpoint interval: far longer than a run, so no periodic checkpoint competes with the
   * savepoints or the restore (checkpointing must be on for savepoints at all).
   */
  readonly checkpointIntervalMs: number;
}

const PLANS: Readonly<Record<BenchScale, SavepointPlan>> = {
  full: { keys: 10_000_000, probes: 1000, checkpointIntervalMs: 3_600_000 },
  small: { keys: 200_000, probes: 1000, checkpointIntervalMs: 3_600_000 },
};

export function savepointPlan(scale: BenchScale): SavepointPlan {
  return PLANS[scale];
}

/** Case names follow the plan's key count: `savepoint-10M-keys` at full scale. */
export function savepointCases(plan: SavepointPlan) {
  const k = formatKeys(plan.keys);
  return {
    /** `triggerSavepoint()` while the job runs. */
    savepoint: `savepoint-${k}-keys`,
    /** `stopWithSavepoint()`: the same state, the job's final checkpoint. */
    stop: `stop-with-savepoint-${k}-keys`,
    /** A new process's `start({ fromSavepoint })` to the first record the keyed function processed. */
    restore: `restore-${k}-keys`,
    /** The part of `restore` until `onRestored`: savepoint files read, checked and decompressed. */
    restoreRead: `restore-read-${k}-keys`,
  } as const;
}

/**
 * What a running job reports to whoever runs it (the CLI's progress line, tests, later the REST API
 * and metrics). Every callback is optional and called on the job's thread; a callback must not throw
 * (a throw is logged and ignored, so a broken progress printer cannot fail a job).
 */
import type { CompletedCheckpointInfo } from '../checkpoint/checkpoint-coordinator.js';
import type { RejectedCheckpoint } from '../storage/checkpoint-restore.js';

/** One completed checkpoint, as the progress line and the checkpoint history show it. */
export type CheckpointSummary = CompletedCheckpointInfo;

/** A checkpoint that did not complete. */
export interface CheckpointFailureSummary {
  readonly checkpointId: number;
  /** A {@link CheckpointFailureReason} value. */
  readonly reason: string;
  readonly message: string;
  /** Counted failures in a row, against `tolerableFailedCheckpoints`. */
  readonly consecutiveFailures: number;
}

/** Where an execution attempt started from. */
export interface RestoreSummary {
  /** 1 for the first attempt of this run, then one more per restart. */
  readonly attempt: number;
  /** The checkpoint restored, or undefined for empty state. */
  readonly checkpointId: number | undefined;
  /** Newer checkpoints passed over and why (a crash mid-checkpoint leaves an `incomplete` one). */
  readonly rejected: readonly RejectedCheckpoint[];
  /** Set when the state came from a savepoint (or a retained checkpoint named by the user): its directory. */
  readonly savepointPath?: string;
}

/** The job failed and its restart strategy restarts it. */
export interface RestartSummary {
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: unknown;
}

/** Sampled about once per `progressIntervalMs`. */
export interface ProgressSummary {
  /** Since the run started (all attempts). */
  readonly uptimeMs: number;
  /** Records the sources emitted in the current attempt. */
  readonly sourceRecords: number;
  /** Records the sinks received in the current attempt. */
  readonly sinkRecords: number;
  /** Records queued in channels right now (backpressure). */
  readonly queuedRecords: number;
  readonly lastCheckpoint: CheckpointSummary | undefined;
}

/** Callbacks of a run; see the module comment. */
export interface JobListener {
  onRestored?(info: RestoreSummary): void;
  onCheckpointCompleted?(info: CheckpointSummary): void;
  onCheckpointFailed?(info: CheckpointFailureSummary): void;
  onRestart?(info: RestartSummary): void;
  onProgress?(info: ProgressSummary): void;
}

/**
 * Calls `listener[event](arg)` as a method (so a class-based listener keeps its `this`), keeping a
 * throwing listener from failing the job.
 */
export function notifyListener<E extends keyof JobListener>(
  listener: JobListener | undefined,
  event: E,
  arg: Parameters<NonNullable<JobListener[E]>>[0],
): void {
  const callback = listener?.[event] as ((a: typeof arg) => void) | undefined;
  if (callback === undefined) return;
  try {
    callback.call(listener, arg);
  } catch (e) {
    console.error(`weir: a job listener's ${event} threw (ignored):`, e);
  }
}

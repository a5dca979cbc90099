/**
 * Why a checkpoint failed, and whether enough of them failed that the job must fail. One error type
 * with a reason enum (as Flink's `CheckpointException`), so callers branch on `reason`, not on classes.
 */

/**
 * Why a checkpoint did not complete. Values are stable strings so logs, metrics and the REST API can
 * show and match them.
 */
export const CheckpointFailureReason = Object.freeze({
  /** Not fully acknowledged within `timeoutMs`. */
  TIMEOUT: 'timeout',
  /** A subtask declined: it could not take its snapshot (e.g. its state backend failed). */
  DECLINED: 'declined',
  /** A subtask failed while the checkpoint was pending; the job is restarting anyway. */
  TASK_FAILURE: 'task-failure',
  /** A trigger was refused because `maxConcurrentCheckpoints` were already pending. */
  TOO_MANY_CONCURRENT: 'too-many-concurrent',
  /** Writing state or the checkpoint's metadata failed. */
  IO_ERROR: 'io-error',
  /** A newer checkpoint completed first, so this one is no longer needed. */
  SUBSUMED: 'subsumed',
  /** The job is failing or cancelling; pending checkpoints are dropped. */
  JOB_FAILING: 'job-failing',
  /** The coordinator is shutting down (job finished or stopped). */
  COORDINATOR_SHUTDOWN: 'coordinator-shutdown',
});

/** One of the {@link CheckpointFailureReason} values. */
export type CheckpointFailureReason = (typeof CheckpointFailureReason)[keyof typeof CheckpointFailureReason];

/**
 * The one error a failed checkpoint produces. `checkpointId` is absent when no checkpoint was created
 * (e.g. a refused trigger).
 */
export class CheckpointError extends Error {
  constructor(
    readonly reason: CheckpointFailureReason,
    readonly checkpointId: number | undefined,
    detail?: string,
    options?: { cause?: unknown },
  ) {
    const subject = checkpointId === undefined ? 'checkpoint' : `checkpoint ${checkpointId}`;
    super(`${subject} failed (${reason})${detail === undefined ? '' : `: ${detail}`}`, options);
    this.name = 'CheckpointError';
  }
}

/**
 * Reasons that count towards `tolerableFailedCheckpoints`. As Flink's `CheckpointFailureManager`: only
 * failures that say the job cannot checkpoint (expiry, a declining task, I/O) count. Not counted: a task
 * failure or failing job (the restart strategy already handles it), a refused trigger (nothing was
 * attempted), a subsumed checkpoint (a newer one succeeded) and shutdown.
 */
export const COUNTED_FAILURE_REASONS: ReadonlySet<CheckpointFailureReason> = new Set<CheckpointFailureReason>([
  CheckpointFailureReason.TIMEOUT,
  CheckpointFailureReason.DECLINED,
  CheckpointFailureReason.IO_ERROR,
]);

/** What the {@link FailureCounter} concluded from one failure. */
export interface FailureVerdict {
  /** Whether this failure was added to the count (see {@link COUNTED_FAILURE_REASONS}). */
  readonly counted: boolean;
  /** Counted failures since the last completed checkpoint. */
  readonly consecutiveFailures: number;
  /** The tolerance is exceeded: the job must fail (and restart per its strategy). */
  readonly mustFailJob: boolean;
}

/**
 * Implements `tolerableFailedCheckpoints`: the job fails when more than that many checkpoints fail in a
 * row. As Flink, a failure counts once per checkpoint id, and a failure of a checkpoint older than the
 * latest completed one is ignored — it says nothing about whether the job can checkpoint *now*.
 *
 * @example
 * const counter = new FailureCounter(1);
 * counter.onFailure(3, CheckpointFailureReason.TIMEOUT).mustFailJob; // false
 * counter.onFailure(4, CheckpointFailureReason.TIMEOUT).mustFailJob; // true
 */
export class FailureCounter {
  /** Counted failures since the last success; reset to 0 by {@link onSuccess}. */
  private consecutive = 0;
  /** Ids already counted since the last success, so a checkpoint failing twice counts once. */
  private readonly countedIds = new Set<number>();
  /** Id of the latest completed checkpoint; failures of ids at or below it are ignored. */
  private lastSucceededId = -Infinity;

  constructor(readonly tolerableFailures: number) {
    if (!Number.isInteger(tolerableFailures) || tolerableFailures < 0) {
      throw new RangeError(`tolerableFailedCheckpoints must be an integer >= 0, got ${tolerableFailures}`);
    }
  }

  /** Counted failures since the last completed checkpoint. */
  get consecutiveFailures(): number {
    return this.consecutive;
  }

  /** Records a failure. `checkpointId` is undefined for a failure before a checkpoint existed. */
  onFailure(checkpointId: number | undefined, reason: CheckpointFailureReason): FailureVerdict {
    const counted =
      COUNTED_FAILURE_REASONS.has(reason) &&
      (checkpointId === undefined || (checkpointId > this.lastSucceededId && !this.countedIds.has(checkpointId)));
    if (counted) {
      this.consecutive += 1;
      if (checkpointId !== undefined) this.countedIds.add(checkpointId);
    }
    return {
      counted,
      consecutiveFailures: this.consecutive,
      mustFailJob: this.consecutive > this.tolerableFailures,
    };
  }

  /**
   * A completed checkpoint proves the job can checkpoint again: the count restarts from zero. A
   * completion older than the latest one changes nothing (as Flink), since it was already proven.
   */
  onSuccess(checkpointId: number): void {
    if (checkpointId <= this.lastSucceededId) return;
    this.lastSucceededId = checkpointId;
    this.consecutive = 0;
    this.countedIds.clear();
  }
}

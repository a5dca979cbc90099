/**
 * A checkpoint's lifecycle as types (DESIGN.md point 1): a {@link PendingCheckpoint} collects one
 * acknowledgement per expected subtask and, once all arrived, is finalized into an immutable
 * {@link CompletedCheckpoint}. Pure bookkeeping: writing `_metadata`, notifying subtasks and deleting
 * discarded state are the caller's I/O; this module only says which handles those concern.
 *
 * Handles (`H`) are opaque here — whatever the state backend and storage write per subtask — so the
 * checkpoint layer stays independent of their format.
 */
import { CheckpointError, type CheckpointFailureReason } from './checkpoint-failure.js';

/** A parallel instance of an operator; `operatorUid` is the stable id state is matched by. */
export interface SubtaskId {
  readonly operatorUid: string;
  readonly subtaskIndex: number;
}

/**
 * A subtask as one string, for map keys and logs. Unambiguous even if a uid contains `#`, because
 * the index (digits only) is what follows the last `#`.
 */
export function subtaskKey(subtask: SubtaskId): string {
  return `${subtask.operatorUid}#${subtask.subtaskIndex}`;
}

/**
 * What an acknowledgement did. Only on SUCCESS does the checkpoint take ownership of the handles; on
 * UNKNOWN or DISCARDED the caller should delete the state they point to, since nothing will reference
 * it. On DUPLICATE it must not: a resent ack may carry the very handles already accepted.
 */
export const AckResult = Object.freeze({
  /** Accepted; the handles belong to this checkpoint now. */
  SUCCESS: 'success',
  /** This subtask already acknowledged; the first ack's handles stand. */
  DUPLICATE: 'duplicate',
  /** This subtask is not one the checkpoint waits for (e.g. from a previous execution attempt). */
  UNKNOWN: 'unknown',
  /** The checkpoint was already aborted or finalized. */
  DISCARDED: 'discarded',
});

/** One of the {@link AckResult} values. */
export type AckResult = (typeof AckResult)[keyof typeof AckResult];

/** Where a {@link PendingCheckpoint} is in its lifecycle; both non-pending states are final. */
export type PendingCheckpointStatus = 'pending' | 'aborted' | 'finalized';

/** One subtask's contribution to a completed checkpoint. */
export interface SubtaskState<H> {
  readonly subtask: SubtaskId;
  readonly handles: H;
}

/** Result of {@link PendingCheckpoint.abort}. */
export interface AbortOutcome<H> {
  /** Why the checkpoint failed; the same error on every call, so a repeated abort cannot change the reason. */
  readonly error: CheckpointError;
  /** Handles accepted before the abort, which the caller now deletes; empty on a repeated abort so nothing is deleted twice. */
  readonly handlesToDiscard: readonly H[];
}

/**
 * A triggered checkpoint waiting for its acknowledgements.
 *
 * @example
 * const p = new PendingCheckpoint<Handle>(7, now, [{ operatorUid: 'src', subtaskIndex: 0 }]);
 * p.acknowledge({ operatorUid: 'src', subtaskIndex: 0 }, handle); // AckResult.SUCCESS
 * if (p.isFullyAcknowledged) store(p.finalize(clock()));
 */
export class PendingCheckpoint<H> {
  /** Subtask key → subtask, for every subtask expected to ack; fixed at construction. */
  private readonly expected: ReadonlyMap<string, SubtaskId>;
  /** Subtask key → handles of the subtasks that acknowledged; keys are always a subset of `expected`. */
  private readonly acked = new Map<string, H>();
  /** Lifecycle state; once not `pending` no handle is added or released again. */
  private state: PendingCheckpointStatus = 'pending';
  /** Set exactly when `state` is `aborted`. */
  private failure: CheckpointError | undefined = undefined;

  constructor(
    readonly checkpointId: number,
    readonly triggeredAt: number,
    expectedSubtasks: Iterable<SubtaskId>,
  ) {
    if (!Number.isSafeInteger(checkpointId) || checkpointId < 1) {
      throw new RangeError(`checkpoint id must be a positive integer, got ${checkpointId}`);
    }
    if (!Number.isFinite(triggeredAt)) throw new RangeError(`triggeredAt must be a finite time, got ${triggeredAt}`);
    const expected = new Map<string, SubtaskId>();
    for (const s of expectedSubtasks) {
      if (!Number.isInteger(s.subtaskIndex) || s.subtaskIndex < 0) {
        throw new RangeError(`subtask index must be an integer >= 0, got ${s.subtaskIndex} for "${s.operatorUid}"`);
      }
      const key = subtaskKey(s);
      if (expected.has(key)) throw new RangeError(`subtask ${key} is expected twice in checkpoint ${checkpointId}`);
      expected.set(key, Object.freeze({ operatorUid: s.operatorUid, subtaskIndex: s.subtaskIndex }));
    }
    // A checkpoint nobody acknowledges would complete holding no state: a wiring bug, not a checkpoint.
    if (expected.size === 0) throw new RangeError(`checkpoint ${checkpointId} expects no subtasks`);
    this.expected = expected;
  }

  /** Current lifecycle state. */
  get status(): PendingCheckpointStatus {
    return this.state;
  }

  /** The abort's error, or `undefined` if not aborted. */
  get failureCause(): CheckpointError | undefined {
    return this.failure;
  }

  /** Every expected subtask acknowledged (stays true after finalize). */
  get isFullyAcknowledged(): boolean {
    return this.acked.size === this.expected.size;
  }

  /** How many expected subtasks acknowledged so far. */
  get numAcknowledged(): number {
    return this.acked.size;
  }

  /** How many subtasks this checkpoint waits for in total. */
  get numExpected(): number {
    return this.expected.size;
  }

  /** Handles accepted so far (while pending): what retention must not delete under an in-flight checkpoint. */
  acknowledgedHandles(): H[] {
    return this.state === 'pending' ? [...this.acked.values()] : [];
  }

  /** Subtasks still to acknowledge: what a timeout message or the UI names as the stragglers. */
  notYetAcknowledged(): SubtaskId[] {
    const out: SubtaskId[] = [];
    for (const [key, s] of this.expected) if (!this.acked.has(key)) out.push(s);
    return out;
  }

  /** Records a subtask's acknowledgement; see {@link AckResult} for what the caller does with its handles. */
  acknowledge(subtask: SubtaskId, handles: H): AckResult {
    if (this.state !== 'pending') return AckResult.DISCARDED;
    const key = subtaskKey(subtask);
    if (!this.expected.has(key)) return AckResult.UNKNOWN;
    if (this.acked.has(key)) return AckResult.DUPLICATE;
    this.acked.set(key, handles);
    return AckResult.SUCCESS;
  }

  /**
   * Fails the checkpoint: later acks are DISCARDED and it can no longer be finalized. Idempotent — the
   * first reason wins — because several failures (a timeout racing a decline) may abort the same one.
   * Aborting a finalized checkpoint is a caller bug and throws.
   */
  abort(reason: CheckpointFailureReason, detail?: string, cause?: unknown): AbortOutcome<H> {
    if (this.state === 'finalized') {
      throw new Error(`checkpoint ${this.checkpointId} is already finalized and cannot be aborted (${reason})`);
    }
    if (this.failure !== undefined) return { error: this.failure, handlesToDiscard: [] };
    this.state = 'aborted';
    this.failure = new CheckpointError(reason, this.checkpointId, detail, cause === undefined ? undefined : { cause });
    return { error: this.failure, handlesToDiscard: [...this.acked.values()] };
  }

  /**
   * Turns a fully acknowledged checkpoint into its completed form. The caller persists `_metadata`
   * afterwards; only once that write succeeded is the checkpoint completed in DESIGN.md's sense (a
   * failed write is recorded by the caller as an IO_ERROR failure of this id). Throws if acks are
   * missing or the checkpoint was aborted or already finalized: each is a caller bug.
   */
  finalize(completedAt: number): CompletedCheckpoint<H> {
    if (this.state !== 'pending') {
      throw new Error(`checkpoint ${this.checkpointId} cannot be finalized: it is ${this.state}`);
    }
    if (!this.isFullyAcknowledged) {
      const missing = this.notYetAcknowledged().map(subtaskKey);
      throw new Error(
        `checkpoint ${this.checkpointId} cannot be finalized: ${missing.length} of ${this.expected.size} ` +
          `subtasks have not acknowledged (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''})`,
      );
    }
    if (!Number.isFinite(completedAt) || completedAt < this.triggeredAt) {
      throw new RangeError(
        `completedAt must be a finite time >= triggeredAt (${this.triggeredAt}), got ${completedAt}`,
      );
    }
    const states: SubtaskState<H>[] = [];
    for (const [key, s] of this.expected) {
      states.push(Object.freeze({ subtask: s, handles: this.acked.get(key) as H }));
    }
    this.state = 'finalized';
    return new CompletedCheckpoint(this.checkpointId, this.triggeredAt, completedAt, states);
  }
}

/**
 * A checkpoint every expected subtask acknowledged: what `_metadata` records and recovery restores
 * from. Immutable, so it can be shared by the retained-checkpoint store, the REST API and recovery
 * without copies. (The handles themselves are the caller's objects; keep them immutable too.)
 */
export class CompletedCheckpoint<H> {
  /** Per-subtask handles ordered by operator uid then subtask index, so metadata written from it is deterministic. */
  readonly subtaskStates: readonly SubtaskState<H>[];
  /** Subtask key → handles, for restore lookups; never exposed, so it cannot be mutated. */
  private readonly byKey: ReadonlyMap<string, H>;

  constructor(
    readonly checkpointId: number,
    readonly triggeredAt: number,
    readonly completedAt: number,
    subtaskStates: readonly SubtaskState<H>[],
  ) {
    const sorted = [...subtaskStates].sort(compareSubtaskStates);
    this.subtaskStates = Object.freeze(sorted);
    this.byKey = new Map(sorted.map((s) => [subtaskKey(s.subtask), s.handles]));
    Object.freeze(this);
  }

  /** Trigger to completion, as the checkpoint history shows it. */
  get durationMs(): number {
    return this.completedAt - this.triggeredAt;
  }

  /** The handles a subtask acknowledged, or `undefined` if it was not part of this checkpoint. */
  handlesOf(subtask: SubtaskId): H | undefined {
    return this.byKey.get(subtaskKey(subtask));
  }
}

function compareSubtaskStates<H>(a: SubtaskState<H>, b: SubtaskState<H>): number {
  const ua = a.subtask.operatorUid;
  const ub = b.subtask.operatorUid;
  if (ua !== ub) return ua < ub ? -1 : 1;
  return a.subtask.subtaskIndex - b.subtask.subtaskIndex;
}

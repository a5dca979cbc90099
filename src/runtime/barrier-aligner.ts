/**
 * Barrier alignment for one subtask with N input channels (DESIGN.md point 1), as a small state
 * machine: each event handler is a pure function from the current {@link AlignerState} to the next one
 * plus the events the caller acts on. No clock, no I/O: the caller passes `now` (for the alignment
 * duration metric), stops polling the channels {@link isBlocked} reports, snapshots and forwards the
 * barrier on `snapshot-and-forward`, and declines on `aborted`. {@link BarrierAligner} holds the state
 * for callers that do not want to thread it through.
 *
 * - **exactly-once**: a channel that delivered barrier n is blocked until n arrived on every live
 *   channel, so no record after barrier n reaches the operator before snapshot n.
 * - **at-least-once**: nothing blocks; a checkpoint snapshots once its barrier arrived on every live
 *   channel (as Flink's `CheckpointBarrierTracker`), so several may be pending at once.
 *
 * Rules common to both modes, which the channel's FIFO order makes sound:
 * - Barrier ids strictly increase along each channel. A channel delivering barrier m without having
 *   delivered a pending n < m has skipped n for good (its source declined it), so n can never align and
 *   is aborted as SUBSUMED; in exactly-once this is Flink's "a newer barrier subsumes the alignment".
 * - A barrier whose id is not pending and not above every id seen so far belongs to a checkpoint that
 *   already snapshotted, was aborted, or can no longer align: it is ignored (late).
 * - A channel that delivered end-of-stream counts as aligned for every checkpoint from then on.
 * - A duplicate or out-of-order barrier on a channel, any event on an ended channel, and (exactly-once)
 *   any event on a blocked channel throw: each means the caller or an upstream broke an invariant, and
 *   ignoring it would silently produce an inconsistent snapshot.
 */
import type { CheckpointingMode } from '../checkpoint/checkpoint-settings.js';
import type { BarrierEvent } from './channel-events.js';

/** Why an alignment ended without a snapshot. Stable strings, for logs and metrics. */
export const AlignmentAbortReason = Object.freeze({
  /** A channel delivered a newer barrier without this one, so this checkpoint can never align here. */
  SUBSUMED: 'subsumed',
  /** The coordinator aborted the checkpoint ({@link onCancel}). */
  CANCELLED: 'cancelled',
  /** At-least-once only: more than {@link MAX_PENDING_CHECKPOINTS} were pending; the oldest gives way. */
  TOO_MANY_PENDING: 'too-many-pending',
});

/** One of the {@link AlignmentAbortReason} values. */
export type AlignmentAbortReason = (typeof AlignmentAbortReason)[keyof typeof AlignmentAbortReason];

/**
 * Bound on concurrently pending checkpoints in at-least-once mode (Flink's tracker uses the same
 * figure): a channel racing ahead of a stalled one would otherwise grow the pending list without limit.
 * Exactly-once never has more than one.
 */
export const MAX_PENDING_CHECKPOINTS = 50;

/** What the caller must do after a handler. Events of one call are in the order to act on them. */
export type AlignerEvent =
  | {
      readonly kind: 'snapshot-and-forward';
      readonly checkpointId: number;
      /** The barrier to forward downstream (the first one received, so the savepoint flag is kept). */
      readonly barrier: BarrierEvent;
      /** From the first barrier of this checkpoint to the last one needed, in the caller's time unit. */
      readonly alignmentDurationMs: number;
    }
  | {
      readonly kind: 'aborted';
      readonly checkpointId: number;
      readonly reason: AlignmentAbortReason;
    };

/** A checkpoint whose barrier arrived on some but not yet all live channels. */
export interface PendingAlignment {
  /** The first barrier received for this checkpoint. */
  readonly barrier: BarrierEvent;
  /** Caller's time of the first barrier. */
  readonly startedAt: number;
  /** arrived[c]: channel c delivered this barrier; length numChannels. */
  readonly arrived: readonly boolean[];
}

/** Everything the aligner knows; immutable, replaced by each handler. */
export interface AlignerState {
  readonly mode: CheckpointingMode;
  readonly numChannels: number;
  /** ended[c]: channel c delivered end-of-stream; length numChannels. */
  readonly ended: readonly boolean[];
  /** lastBarrierId[c]: id of the last barrier channel c delivered, 0 if none; enforces increasing ids. */
  readonly lastBarrierId: readonly number[];
  /** Highest id seen in a barrier; a non-pending barrier at or below it is late. */
  readonly latestId: number;
  /** Ids above `latestId` the coordinator cancelled before any of their barriers arrived; ascending. */
  readonly cancelledAhead: readonly number[];
  /** Checkpoints being aligned, ascending by id, all at or below `latestId`; at most one in exactly-once. */
  readonly pending: readonly PendingAlignment[];
}

/** A handler's result: the next state and what the caller must do. */
export interface Transition {
  readonly state: AlignerState;
  readonly events: readonly AlignerEvent[];
}

/** The state of a subtask that has seen nothing yet. */
export function initialAlignerState(numChannels: number, mode: CheckpointingMode): AlignerState {
  if (!Number.isSafeInteger(numChannels) || numChannels < 1) {
    throw new RangeError(`a subtask needs at least one input channel, got ${numChannels}`);
  }
  if (mode !== 'exactly-once' && mode !== 'at-least-once') {
    throw new RangeError(`mode must be exactly-once or at-least-once, got ${String(mode)}`);
  }
  return {
    mode,
    numChannels,
    ended: new Array<boolean>(numChannels).fill(false),
    lastBarrierId: new Array<number>(numChannels).fill(0),
    latestId: 0,
    cancelledAhead: [],
    pending: [],
  };
}

/** Whether the caller must stop polling `channel` (only ever in exactly-once mode). */
export function isBlocked(state: AlignerState, channel: number): boolean {
  checkChannel(state, channel);
  return state.mode === 'exactly-once' && state.pending[0]?.arrived[channel] === true;
}

/** The channels the caller must not poll now, ascending. */
export function blockedChannels(state: AlignerState): number[] {
  const out: number[] = [];
  if (state.mode !== 'exactly-once') return out;
  const arrived = state.pending[0]?.arrived;
  if (arrived === undefined) return out;
  arrived.forEach((a, c) => {
    if (a) out.push(c);
  });
  return out;
}

/** Channel `channel` delivered `barrier` at time `now`. */
export function onBarrier(state: AlignerState, channel: number, barrier: BarrierEvent, now: number): Transition {
  checkLiveChannel(state, channel, `barrier ${barrier.checkpointId}`);
  checkTime(now);
  const id = barrier.checkpointId;
  if (!Number.isSafeInteger(id) || id < 1) throw new RangeError(`checkpoint id must be a positive integer, got ${id}`);
  const last = state.lastBarrierId[channel] as number;
  if (id <= last) {
    throw new Error(
      `channel ${channel} delivered barrier ${id} after barrier ${last}: barrier ids must strictly increase per channel`,
    );
  }
  const lastBarrierId = state.lastBarrierId.slice();
  lastBarrierId[channel] = id;

  const events: AlignerEvent[] = [];
  let pending: PendingAlignment[] = [];
  let matched = false;
  for (const p of state.pending) {
    const pid = p.barrier.checkpointId;
    if (pid === id) {
      const arrived = p.arrived.slice();
      arrived[channel] = true;
      pending.push({ ...p, arrived });
      matched = true;
    } else if (pid < id && !p.arrived[channel]) {
      // This channel moved past `pid` without delivering it: `pid` cannot align any more.
      events.push(aborted(pid, AlignmentAbortReason.SUBSUMED));
    } else {
      pending.push(p);
    }
  }
  let latestId = state.latestId;
  let cancelledAhead = state.cancelledAhead;
  // First barrier of an id above all seen: a new checkpoint, unless the coordinator already cancelled it.
  const isNew = !matched && id > state.latestId;
  if (isNew) {
    latestId = id;
    cancelledAhead = cancelledAhead.filter((c) => c > id);
  }
  if (isNew && !state.cancelledAhead.includes(id)) {
    const arrived = new Array<boolean>(state.numChannels).fill(false);
    arrived[channel] = true;
    pending.push({ barrier, startedAt: now, arrived });
    if (pending.length > MAX_PENDING_CHECKPOINTS) {
      const oldest = pending[0] as PendingAlignment;
      events.push(aborted(oldest.barrier.checkpointId, AlignmentAbortReason.TOO_MANY_PENDING));
      pending = pending.slice(1);
    }
  }
  // Otherwise the barrier is late or cancelled: its checkpoint is done, aborted or cannot align; ignored.
  return completeAligned({ ...state, lastBarrierId, latestId, cancelledAhead, pending }, events, now);
}

/** Channel `channel` delivered end-of-stream at time `now`; it counts as aligned from now on. */
export function onEndOfStream(state: AlignerState, channel: number, now: number): Transition {
  checkLiveChannel(state, channel, 'end-of-stream');
  checkTime(now);
  const ended = state.ended.slice();
  ended[channel] = true;
  return completeAligned({ ...state, ended }, [], now);
}

/**
 * The coordinator aborted checkpoint `checkpointId`. A pending alignment for it ends (unblocking its
 * channels); one whose barriers have not arrived yet is remembered so they are ignored when they come.
 * Unlike Flink's in-band cancellation marker, this does not doom older checkpoints still in flight:
 * the coordinator's abort of n says nothing about n-1. Cancelling a finished checkpoint does nothing.
 */
export function onCancel(state: AlignerState, checkpointId: number): Transition {
  if (!Number.isSafeInteger(checkpointId) || checkpointId < 1) {
    throw new RangeError(`checkpoint id must be a positive integer, got ${checkpointId}`);
  }
  const i = state.pending.findIndex((p) => p.barrier.checkpointId === checkpointId);
  if (i >= 0) {
    const pending = state.pending.filter((_, j) => j !== i);
    return { state: { ...state, pending }, events: [aborted(checkpointId, AlignmentAbortReason.CANCELLED)] };
  }
  if (checkpointId > state.latestId && !state.cancelledAhead.includes(checkpointId)) {
    const cancelledAhead = [...state.cancelledAhead, checkpointId].sort((x, y) => x - y);
    return {
      state: { ...state, cancelledAhead },
      events: [aborted(checkpointId, AlignmentAbortReason.CANCELLED)],
    };
  }
  return { state, events: [] };
}

/**
 * Snapshots every pending checkpoint whose barrier is now on every live channel, oldest first. An older
 * one cannot stay behind a completed newer one: each channel delivered the older barrier first, ended,
 * or skipped it (which aborted it).
 */
function completeAligned(state: AlignerState, events: AlignerEvent[], now: number): Transition {
  const pending: PendingAlignment[] = [];
  for (const p of state.pending) {
    if (p.arrived.every((a, c) => a || state.ended[c] === true)) {
      events.push({
        kind: 'snapshot-and-forward',
        checkpointId: p.barrier.checkpointId,
        barrier: p.barrier,
        alignmentDurationMs: now - p.startedAt,
      });
    } else {
      pending.push(p);
    }
  }
  return { state: pending.length === state.pending.length ? state : { ...state, pending }, events };
}

function aborted(checkpointId: number, reason: AlignmentAbortReason): AlignerEvent {
  return { kind: 'aborted', checkpointId, reason };
}

function checkChannel(state: AlignerState, channel: number): void {
  if (!Number.isInteger(channel) || channel < 0 || channel >= state.numChannels) {
    throw new RangeError(`channel must be an integer in [0, ${state.numChannels}), got ${channel}`);
  }
}

function checkLiveChannel(state: AlignerState, channel: number, what: string): void {
  checkChannel(state, channel);
  if (state.ended[channel]) throw new Error(`channel ${channel} delivered ${what} after end-of-stream`);
  if (isBlocked(state, channel)) {
    throw new Error(`channel ${channel} delivered ${what} while blocked for alignment: the caller must not poll it`);
  }
}

function checkTime(now: number): void {
  if (!Number.isFinite(now)) throw new RangeError(`now must be a finite time, got ${now}`);
}

/**
 * The aligner with its state held for the caller: each method applies the matching pure handler and
 * returns its events.
 *
 * @example
 * const a = new BarrierAligner(2, 'exactly-once');
 * a.onBarrier(0, barrier(1), t0); // []; channel 0 is blocked
 * a.onBarrier(1, barrier(1), t1); // [{ kind: 'snapshot-and-forward', checkpointId: 1, ... }]
 */
export class BarrierAligner {
  /** The current state; replaced, never mutated, so `state` snapshots handed out stay valid. */
  private current: AlignerState;

  constructor(numChannels: number, mode: CheckpointingMode) {
    this.current = initialAlignerState(numChannels, mode);
  }

  /** The current immutable state (for metrics, debugging, or driving the pure handlers directly). */
  get state(): AlignerState {
    return this.current;
  }

  /** Ids of the checkpoints being aligned, ascending. */
  get pendingCheckpointIds(): number[] {
    return this.current.pending.map((p) => p.barrier.checkpointId);
  }

  /** See {@link onBarrier}. */
  onBarrier(channel: number, barrier: BarrierEvent, now: number): readonly AlignerEvent[] {
    return this.apply(onBarrier(this.current, channel, barrier, now));
  }

  /** See {@link onEndOfStream}. */
  onEndOfStream(channel: number, now: number): readonly AlignerEvent[] {
    return this.apply(onEndOfStream(this.current, channel, now));
  }

  /** See {@link onCancel}. */
  onCancel(checkpointId: number): readonly AlignerEvent[] {
    return this.apply(onCancel(this.current, checkpointId));
  }

  /** See {@link isBlocked}. */
  isBlocked(channel: number): boolean {
    return isBlocked(this.current, channel);
  }

  /** See {@link blockedChannels}. */
  blockedChannels(): number[] {
    return blockedChannels(this.current);
  }

  private apply(t: Transition): readonly AlignerEvent[] {
    this.current = t.state;
    return t.events;
  }
}

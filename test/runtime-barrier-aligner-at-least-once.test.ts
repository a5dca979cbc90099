import { describe, expect, it } from 'vitest';
import { AlignmentAbortReason, BarrierAligner, MAX_PENDING_CHECKPOINTS } from '../src/runtime/barrier-aligner.js';
import { barrier } from '../src/runtime/channel-events.js';

const snap = (checkpointId: number, alignmentDurationMs: number) => ({
  kind: 'snapshot-and-forward',
  checkpointId,
  barrier: barrier(checkpointId),
  alignmentDurationMs,
});
const abort = (checkpointId: number, reason: string) => ({ kind: 'aborted', checkpointId, reason });

describe('BarrierAligner at-least-once', () => {
  it('a single-input subtask snapshots on the first barrier', () => {
    const a = new BarrierAligner(1, 'at-least-once');
    expect(a.onBarrier(0, barrier(1), 3)).toEqual([snap(1, 0)]);
  });

  it('never blocks, and snapshots when the barrier arrived on every channel', () => {
    const a = new BarrierAligner(3, 'at-least-once');
    expect(a.onBarrier(1, barrier(1), 0)).toEqual([]);
    expect(a.blockedChannels()).toEqual([]);
    expect(a.isBlocked(1)).toBe(false);
    expect(a.onBarrier(2, barrier(1), 4)).toEqual([]);
    expect(a.blockedChannels()).toEqual([]);
    expect(a.onBarrier(0, barrier(1), 6)).toEqual([snap(1, 6)]);
  });

  it('a fast channel may run ahead: several checkpoints are pending at once and all complete', () => {
    const a = new BarrierAligner(2, 'at-least-once');
    expect(a.onBarrier(0, barrier(1), 0)).toEqual([]);
    expect(a.onBarrier(0, barrier(2), 1)).toEqual([]);
    expect(a.onBarrier(0, barrier(3), 2)).toEqual([]);
    expect(a.pendingCheckpointIds).toEqual([1, 2, 3]);
    expect(a.onBarrier(1, barrier(1), 10)).toEqual([snap(1, 10)]);
    expect(a.onBarrier(1, barrier(2), 11)).toEqual([snap(2, 10)]);
    expect(a.onBarrier(1, barrier(3), 12)).toEqual([snap(3, 10)]);
  });

  it('a channel that skips a pending checkpoint aborts it; the others still complete', () => {
    const a = new BarrierAligner(2, 'at-least-once');
    a.onBarrier(0, barrier(1), 0);
    a.onBarrier(0, barrier(2), 0);
    expect(a.onBarrier(1, barrier(2), 5)).toEqual([abort(1, AlignmentAbortReason.SUBSUMED), snap(2, 5)]);
    expect(a.pendingCheckpointIds).toEqual([]);
  });

  it('cancelling one pending checkpoint leaves the others', () => {
    const a = new BarrierAligner(2, 'at-least-once');
    a.onBarrier(0, barrier(1), 0);
    a.onBarrier(0, barrier(2), 0);
    expect(a.onCancel(1)).toEqual([abort(1, AlignmentAbortReason.CANCELLED)]);
    expect(a.onBarrier(1, barrier(1), 1)).toEqual([]); // late
    expect(a.onBarrier(1, barrier(2), 2)).toEqual([snap(2, 2)]);
  });

  it('end-of-stream completes every checkpoint that only waited for that channel, oldest first', () => {
    const a = new BarrierAligner(3, 'at-least-once');
    a.onBarrier(0, barrier(1), 0);
    a.onBarrier(1, barrier(1), 0);
    a.onBarrier(0, barrier(2), 1);
    a.onBarrier(1, barrier(2), 1);
    expect(a.onEndOfStream(2, 4)).toEqual([snap(1, 4), snap(2, 3)]);
  });

  it('a duplicate barrier on a channel throws rather than counting twice', () => {
    const a = new BarrierAligner(2, 'at-least-once');
    a.onBarrier(0, barrier(1), 0);
    expect(() => a.onBarrier(0, barrier(1), 0)).toThrow(/strictly increase/);
    expect(a.pendingCheckpointIds).toEqual([1]);
  });

  it('bounds the pending checkpoints, aborting the oldest', () => {
    const a = new BarrierAligner(2, 'at-least-once');
    for (let id = 1; id <= MAX_PENDING_CHECKPOINTS; id++) expect(a.onBarrier(0, barrier(id), id)).toEqual([]);
    const next = MAX_PENDING_CHECKPOINTS + 1;
    expect(a.onBarrier(0, barrier(next), next)).toEqual([abort(1, AlignmentAbortReason.TOO_MANY_PENDING)]);
    expect(a.pendingCheckpointIds.length).toBe(MAX_PENDING_CHECKPOINTS);
    expect(a.pendingCheckpointIds[0]).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import { AlignmentAbortReason, BarrierAligner } from '../src/runtime/barrier-aligner.js';
import { barrier } from '../src/runtime/channel-events.js';

const snap = (checkpointId: number, alignmentDurationMs: number, isSavepoint = false) => ({
  kind: 'snapshot-and-forward',
  checkpointId,
  barrier: barrier(checkpointId, isSavepoint),
  alignmentDurationMs,
});
const abort = (checkpointId: number, reason: string) => ({ kind: 'aborted', checkpointId, reason });

describe('BarrierAligner exactly-once', () => {
  it('a single-input subtask snapshots on the first barrier and never blocks', () => {
    const a = new BarrierAligner(1, 'exactly-once');
    expect(a.onBarrier(0, barrier(1), 10)).toEqual([snap(1, 0)]);
    expect(a.blockedChannels()).toEqual([]);
    expect(a.onBarrier(0, barrier(2, true), 20)).toEqual([snap(2, 0, true)]);
  });

  it('two channels: blocks the first until the second delivers, then snapshots once', () => {
    const a = new BarrierAligner(2, 'exactly-once');
    expect(a.onBarrier(1, barrier(1), 100)).toEqual([]);
    expect(a.blockedChannels()).toEqual([1]);
    expect(a.isBlocked(0)).toBe(false);
    expect(a.onBarrier(0, barrier(1), 130)).toEqual([snap(1, 30)]);
    expect(a.blockedChannels()).toEqual([]);
    expect(a.pendingCheckpointIds).toEqual([]);
  });

  it('three channels with skewed arrival: blocked set grows until aligned', () => {
    const a = new BarrierAligner(3, 'exactly-once');
    expect(a.onBarrier(2, barrier(4), 0)).toEqual([]);
    expect(a.blockedChannels()).toEqual([2]);
    expect(a.onBarrier(0, barrier(4), 5)).toEqual([]);
    expect(a.blockedChannels()).toEqual([0, 2]);
    expect(a.onBarrier(1, barrier(4), 12)).toEqual([snap(4, 12)]);
    expect(a.blockedChannels()).toEqual([]);
    // the next checkpoint with another skew
    expect(a.onBarrier(1, barrier(5), 20)).toEqual([]);
    expect(a.blockedChannels()).toEqual([1]);
    expect(a.onBarrier(2, barrier(5), 21)).toEqual([]);
    expect(a.blockedChannels()).toEqual([1, 2]);
    expect(a.onBarrier(0, barrier(5), 25)).toEqual([snap(5, 5)]);
  });

  it('a newer barrier on a channel that skipped the pending one subsumes it and starts aligning the newer', () => {
    const a = new BarrierAligner(3, 'exactly-once');
    a.onBarrier(0, barrier(1), 0);
    a.onBarrier(1, barrier(1), 1);
    expect(a.blockedChannels()).toEqual([0, 1]);
    expect(a.onBarrier(2, barrier(2), 2)).toEqual([abort(1, AlignmentAbortReason.SUBSUMED)]);
    expect(a.blockedChannels()).toEqual([2]);
    expect(a.pendingCheckpointIds).toEqual([2]);
    // channels 0 and 1 were unblocked; their late barrier... they have none; they deliver 2
    expect(a.onBarrier(0, barrier(2), 3)).toEqual([]);
    expect(a.onBarrier(1, barrier(2), 7)).toEqual([snap(2, 5)]);
  });

  it('ignores late barriers of a subsumed checkpoint and of older ones never started', () => {
    const a = new BarrierAligner(3, 'exactly-once');
    a.onBarrier(0, barrier(1), 0);
    expect(a.onBarrier(1, barrier(3), 0)).toEqual([abort(1, AlignmentAbortReason.SUBSUMED)]);
    expect(a.onBarrier(2, barrier(1), 0)).toEqual([]); // 1 was aborted: late
    expect(a.onBarrier(2, barrier(2), 0)).toEqual([]); // channel 1 skipped 2, so it can never align: late
    expect(a.blockedChannels()).toEqual([1]);
    expect(a.pendingCheckpointIds).toEqual([3]);
    expect(a.onBarrier(0, barrier(3), 1)).toEqual([]);
    expect(a.onBarrier(2, barrier(3), 4)).toEqual([snap(3, 4)]);
  });

  it('cancelling a checkpoint not seen yet does not doom an older one still in flight', () => {
    const a = new BarrierAligner(2, 'exactly-once');
    expect(a.onCancel(3)).toEqual([abort(3, AlignmentAbortReason.CANCELLED)]);
    expect(a.onCancel(3)).toEqual([]);
    a.onBarrier(0, barrier(2), 0);
    expect(a.onBarrier(1, barrier(2), 1)).toEqual([snap(2, 1)]);
    expect(a.onBarrier(0, barrier(3), 2)).toEqual([]);
    expect(a.blockedChannels()).toEqual([]);
  });

  it('cancellation unblocks the channels and later barriers of that checkpoint are ignored', () => {
    const a = new BarrierAligner(2, 'exactly-once');
    a.onBarrier(0, barrier(1), 0);
    expect(a.onCancel(1)).toEqual([abort(1, AlignmentAbortReason.CANCELLED)]);
    expect(a.blockedChannels()).toEqual([]);
    expect(a.onBarrier(1, barrier(1), 1)).toEqual([]);
    expect(a.blockedChannels()).toEqual([]);
    expect(a.onCancel(1)).toEqual([]); // already finished: nothing to say
    expect(a.onBarrier(0, barrier(2), 2)).toEqual([]);
    expect(a.onBarrier(1, barrier(2), 3)).toEqual([snap(2, 1)]);
  });

  it('a cancellation that arrives before any barrier of that checkpoint makes its barriers late', () => {
    const a = new BarrierAligner(2, 'exactly-once');
    expect(a.onCancel(3)).toEqual([abort(3, AlignmentAbortReason.CANCELLED)]);
    expect(a.onBarrier(0, barrier(3), 0)).toEqual([]);
    expect(a.blockedChannels()).toEqual([]);
    expect(a.onBarrier(1, barrier(3), 0)).toEqual([]);
    a.onBarrier(0, barrier(4), 1);
    expect(a.onBarrier(1, barrier(4), 2)).toEqual([snap(4, 1)]);
  });

  it('end-of-stream on the last missing channel mid-alignment completes the alignment', () => {
    const a = new BarrierAligner(3, 'exactly-once');
    a.onBarrier(0, barrier(1), 0);
    a.onBarrier(1, barrier(1), 0);
    expect(a.onEndOfStream(2, 9)).toEqual([snap(1, 9)]);
    expect(a.blockedChannels()).toEqual([]);
    // the ended channel counts as aligned for every later checkpoint
    a.onBarrier(1, barrier(2), 10);
    expect(a.blockedChannels()).toEqual([1]);
    expect(a.onBarrier(0, barrier(2), 11)).toEqual([snap(2, 1)]);
  });

  it('end-of-stream on a channel that has not delivered the barrier, with others still missing, only narrows the wait', () => {
    const a = new BarrierAligner(3, 'exactly-once');
    a.onBarrier(0, barrier(1), 0);
    expect(a.onEndOfStream(1, 1)).toEqual([]);
    expect(a.blockedChannels()).toEqual([0]);
    expect(a.onBarrier(2, barrier(1), 2)).toEqual([snap(1, 2)]);
  });

  it('throws on a duplicate barrier, on events from a blocked or ended channel, and on bad input', () => {
    const a = new BarrierAligner(2, 'exactly-once');
    a.onBarrier(0, barrier(1), 0);
    expect(() => a.onBarrier(0, barrier(1), 0)).toThrow(/blocked/);
    expect(() => a.onEndOfStream(0, 0)).toThrow(/blocked/);
    a.onBarrier(1, barrier(1), 0);
    expect(() => a.onBarrier(0, barrier(1), 0)).toThrow(/strictly increase/);
    a.onEndOfStream(1, 0);
    expect(() => a.onEndOfStream(1, 0)).toThrow(/after end-of-stream/);
    expect(() => a.onBarrier(1, barrier(2), 0)).toThrow(/after end-of-stream/);
    expect(() => a.onBarrier(2, barrier(2), 0)).toThrow(RangeError);
    expect(() => a.onBarrier(0, barrier(2), Number.NaN)).toThrow(RangeError);
    expect(() => a.onCancel(0)).toThrow(RangeError);
    expect(() => new BarrierAligner(0, 'exactly-once')).toThrow(RangeError);
  });

  it('a rejected event leaves the state unchanged', () => {
    const a = new BarrierAligner(2, 'exactly-once');
    a.onBarrier(0, barrier(1), 0);
    const before = a.state;
    expect(() => a.onBarrier(0, barrier(2), 0)).toThrow();
    expect(a.state).toBe(before);
  });
});

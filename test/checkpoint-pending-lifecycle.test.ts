import { describe, expect, it } from 'vitest';
import { CheckpointError, CheckpointFailureReason } from '../src/checkpoint/checkpoint-failure.js';
import {
  AckResult,
  CompletedCheckpoint,
  PendingCheckpoint,
  subtaskKey,
  type SubtaskId,
} from '../src/checkpoint/pending-checkpoint.js';

interface Handle {
  readonly file: string;
}

const src0: SubtaskId = { operatorUid: 'source', subtaskIndex: 0 };
const src1: SubtaskId = { operatorUid: 'source', subtaskIndex: 1 };
const map0: SubtaskId = { operatorUid: 'map', subtaskIndex: 0 };

function pending(): PendingCheckpoint<Handle> {
  return new PendingCheckpoint<Handle>(7, 1000, [src1, map0, src0]);
}

function ackAll(p: PendingCheckpoint<Handle>): void {
  for (const s of [src0, src1, map0]) expect(p.acknowledge(s, { file: subtaskKey(s) })).toBe(AckResult.SUCCESS);
}

describe('PendingCheckpoint acknowledgements', () => {
  it('SUCCESS for each expected subtask, fully acknowledged after the last', () => {
    const p = pending();
    expect(p.numExpected).toBe(3);
    expect(p.acknowledge(src0, { file: 'a' })).toBe(AckResult.SUCCESS);
    expect(p.acknowledge({ operatorUid: 'source', subtaskIndex: 1 }, { file: 'b' })).toBe(AckResult.SUCCESS);
    expect(p.isFullyAcknowledged).toBe(false);
    expect(p.numAcknowledged).toBe(2);
    expect(p.notYetAcknowledged()).toEqual([map0]);
    expect(p.acknowledge(map0, { file: 'c' })).toBe(AckResult.SUCCESS);
    expect(p.isFullyAcknowledged).toBe(true);
    expect(p.notYetAcknowledged()).toEqual([]);
  });

  it('DUPLICATE for a second ack of the same subtask; the first handles stand', () => {
    const p = pending();
    p.acknowledge(src0, { file: 'first' });
    expect(p.acknowledge(src0, { file: 'second' })).toBe(AckResult.DUPLICATE);
    expect(p.numAcknowledged).toBe(1);
    p.acknowledge(src1, { file: 'b' });
    p.acknowledge(map0, { file: 'c' });
    expect(p.finalize(2000).handlesOf(src0)).toEqual({ file: 'first' });
  });

  it('UNKNOWN for a subtask the checkpoint does not wait for', () => {
    const p = pending();
    expect(p.acknowledge({ operatorUid: 'source', subtaskIndex: 2 }, { file: 'x' })).toBe(AckResult.UNKNOWN);
    expect(p.acknowledge({ operatorUid: 'sink', subtaskIndex: 0 }, { file: 'x' })).toBe(AckResult.UNKNOWN);
    expect(p.numAcknowledged).toBe(0);
  });

  it('DISCARDED after abort, and after finalize', () => {
    const aborted = pending();
    aborted.abort(CheckpointFailureReason.TIMEOUT);
    expect(aborted.acknowledge(src0, { file: 'late' })).toBe(AckResult.DISCARDED);
    // an unknown subtask is DISCARDED too: once disposed, nothing is checked
    expect(aborted.acknowledge({ operatorUid: 'zzz', subtaskIndex: 0 }, { file: 'late' })).toBe(AckResult.DISCARDED);

    const done = pending();
    ackAll(done);
    done.finalize(1500);
    expect(done.acknowledge(src0, { file: 'again' })).toBe(AckResult.DISCARDED);
  });
});

describe('PendingCheckpoint finalize', () => {
  it('refuses while acks are missing, naming the stragglers', () => {
    const p = pending();
    p.acknowledge(src0, { file: 'a' });
    expect(() => p.finalize(2000)).toThrow(/checkpoint 7 cannot be finalized: 2 of 3 subtasks have not acknowledged \(source#1, map#0\)/);
    expect(p.status).toBe('pending');
  });

  it('produces an immutable CompletedCheckpoint in deterministic order', () => {
    const p = pending();
    p.acknowledge(map0, { file: 'm0' });
    p.acknowledge(src1, { file: 's1' });
    p.acknowledge(src0, { file: 's0' });
    const c = p.finalize(1750);
    expect(c).toBeInstanceOf(CompletedCheckpoint);
    expect(p.status).toBe('finalized');
    expect(c.checkpointId).toBe(7);
    expect(c.triggeredAt).toBe(1000);
    expect(c.completedAt).toBe(1750);
    expect(c.durationMs).toBe(750);
    expect(c.subtaskStates.map((s) => [subtaskKey(s.subtask), s.handles.file])).toEqual([
      ['map#0', 'm0'],
      ['source#0', 's0'],
      ['source#1', 's1'],
    ]);
    expect(c.handlesOf(src1)).toEqual({ file: 's1' });
    expect(c.handlesOf({ operatorUid: 'sink', subtaskIndex: 0 })).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.subtaskStates)).toBe(true);
    expect(Object.isFrozen(c.subtaskStates[0])).toBe(true);
    expect(() => (c.subtaskStates as unknown as unknown[]).push(1)).toThrow(TypeError);
  });

  it('finalizes once only, and never after abort', () => {
    const p = pending();
    ackAll(p);
    p.finalize(2000);
    expect(() => p.finalize(2001)).toThrow(/cannot be finalized: it is finalized/);

    const a = pending();
    ackAll(a);
    a.abort(CheckpointFailureReason.SUBSUMED);
    expect(() => a.finalize(2000)).toThrow(/cannot be finalized: it is aborted/);
  });

  it('rejects a completion time before the trigger', () => {
    const p = pending();
    ackAll(p);
    expect(() => p.finalize(999)).toThrow(/completedAt must be a finite time >= triggeredAt \(1000\), got 999/);
    expect(p.status).toBe('pending');
  });
});

describe('PendingCheckpoint abort', () => {
  it('returns the error and the handles to discard; a repeat keeps the first reason and discards nothing', () => {
    const p = pending();
    p.acknowledge(src0, { file: 'a' });
    p.acknowledge(map0, { file: 'c' });
    const cause = new Error('boom');
    const first = p.abort(CheckpointFailureReason.DECLINED, 'map#0 declined', cause);
    expect(first.error).toBeInstanceOf(CheckpointError);
    expect(first.error.reason).toBe(CheckpointFailureReason.DECLINED);
    expect(first.error.checkpointId).toBe(7);
    expect(first.error.cause).toBe(cause);
    expect(first.handlesToDiscard).toEqual([{ file: 'a' }, { file: 'c' }]);
    expect(p.status).toBe('aborted');
    expect(p.failureCause).toBe(first.error);

    const second = p.abort(CheckpointFailureReason.TIMEOUT);
    expect(second.error).toBe(first.error);
    expect(second.handlesToDiscard).toEqual([]);
  });

  it('cannot abort a finalized checkpoint', () => {
    const p = pending();
    ackAll(p);
    p.finalize(1200);
    expect(() => p.abort(CheckpointFailureReason.TIMEOUT)).toThrow(/already finalized/);
  });
});

describe('PendingCheckpoint construction', () => {
  it('validates id, time and the expected subtasks', () => {
    expect(() => new PendingCheckpoint(0, 0, [src0])).toThrow(/checkpoint id must be a positive integer, got 0/);
    expect(() => new PendingCheckpoint(1.5, 0, [src0])).toThrow(/got 1.5/);
    expect(() => new PendingCheckpoint(1, NaN, [src0])).toThrow(/triggeredAt/);
    expect(() => new PendingCheckpoint(1, 0, [])).toThrow(/expects no subtasks/);
    expect(() => new PendingCheckpoint(1, 0, [src0, { ...src0 }])).toThrow(/subtask source#0 is expected twice/);
    expect(() => new PendingCheckpoint(1, 0, [{ operatorUid: 'x', subtaskIndex: -1 }])).toThrow(/subtask index/);
  });

  it('keys subtasks unambiguously even when a uid contains #', () => {
    const a = { operatorUid: 'op#1', subtaskIndex: 2 };
    const b = { operatorUid: 'op', subtaskIndex: 12 };
    expect(subtaskKey(a)).not.toBe(subtaskKey(b));
    const p = new PendingCheckpoint<string>(1, 0, [a, b]);
    expect(p.acknowledge(a, 'ha')).toBe(AckResult.SUCCESS);
    expect(p.acknowledge(b, 'hb')).toBe(AckResult.SUCCESS);
    expect(p.finalize(1).handlesOf(a)).toBe('ha');
  });
});

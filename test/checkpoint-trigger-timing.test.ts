import { describe, expect, it } from 'vitest';
import { CheckpointTrigger, type TriggerSettings } from '../src/checkpoint/checkpoint-trigger.js';

function settings(over: Partial<TriggerSettings> = {}): TriggerSettings {
  return { intervalMs: 1000, timeoutMs: 10_000, minPauseBetweenCheckpointsMs: 0, maxConcurrentCheckpoints: 1, ...over };
}

describe('CheckpointTrigger interval', () => {
  it('first trigger is one interval after start', () => {
    const t = new CheckpointTrigger(settings(), 500);
    expect(t.shouldTrigger(1499)).toBe(false);
    expect(t.decide(1499)).toEqual({ kind: 'wait', until: 1500, because: 'interval' });
    expect(t.nextTriggerAt(0)).toBe(1500);
    expect(t.shouldTrigger(1500)).toBe(true);
    expect(t.nextTriggerAt(1500)).toBe(1500);
  });

  it('measures the interval from the last actual trigger', () => {
    const t = new CheckpointTrigger(settings({ maxConcurrentCheckpoints: 5 }), 0);
    t.onTriggered(1, 1300); // late, e.g. the runtime was busy
    expect(t.nextTriggerAt(1300)).toBe(2300);
    expect(t.shouldTrigger(2299)).toBe(false);
    expect(t.shouldTrigger(2300)).toBe(true);
  });

  it('a completion alone does not make the next checkpoint due earlier', () => {
    const t = new CheckpointTrigger(settings(), 0);
    t.onTriggered(1, 1000);
    t.onCompleted(1, 1100);
    expect(t.nextTriggerAt(1100)).toBe(2000);
  });
});

describe('CheckpointTrigger min pause', () => {
  it('waits min pause after the last completion even when the interval elapsed', () => {
    const t = new CheckpointTrigger(settings({ minPauseBetweenCheckpointsMs: 800 }), 0);
    t.onTriggered(1, 1000);
    t.onCompleted(1, 1900); // slow checkpoint
    expect(t.decide(2000)).toEqual({ kind: 'wait', until: 2700, because: 'min-pause' });
    expect(t.shouldTrigger(2699)).toBe(false);
    expect(t.shouldTrigger(2700)).toBe(true);
    t.onTriggered(2, 2700);
    t.onCompleted(2, 2800);
    // the next interval counts from the delayed trigger (min pause would allow 3600)
    expect(t.decide(2800)).toEqual({ kind: 'wait', until: 3700, because: 'interval' });
  });

  it('does not apply before any checkpoint completed', () => {
    const t = new CheckpointTrigger(settings({ minPauseBetweenCheckpointsMs: 5000 }), 0);
    expect(t.shouldTrigger(1000)).toBe(true);
  });

  it('is not restarted by an abort (measured from the last completion)', () => {
    const t = new CheckpointTrigger(settings({ minPauseBetweenCheckpointsMs: 500 }), 0);
    t.onTriggered(1, 1000);
    t.onCompleted(1, 1200);
    t.onTriggered(2, 2000);
    expect(t.onAborted(2)).toBe(true);
    expect(t.shouldTrigger(3000)).toBe(true);
  });
});

describe('CheckpointTrigger max concurrent', () => {
  it('blocks while max concurrent are pending and fires as soon as a slot frees', () => {
    const t = new CheckpointTrigger(settings(), 0);
    t.onTriggered(1, 1000);
    expect(t.decide(5000)).toEqual({ kind: 'blocked', because: 'max-concurrent' });
    expect(t.nextTriggerAt(5000)).toBeUndefined();
    t.onCompleted(1, 5000);
    expect(t.shouldTrigger(5000)).toBe(true); // overdue since 2000
  });

  it('allows up to maxConcurrentCheckpoints pending', () => {
    const t = new CheckpointTrigger(settings({ maxConcurrentCheckpoints: 2 }), 0);
    t.onTriggered(1, 1000);
    expect(t.shouldTrigger(2000)).toBe(true);
    t.onTriggered(2, 2000);
    expect(t.pendingCount).toBe(2);
    expect(t.shouldTrigger(3000)).toBe(false);
    expect(t.onAborted(1)).toBe(true);
    expect(t.shouldTrigger(3000)).toBe(true);
    expect(t.pendingIds()).toEqual([2]);
  });

  it('counts checkpoints it did not decide (savepoints) towards the limit', () => {
    const t = new CheckpointTrigger(settings(), 0);
    t.onTriggered(1, 200);
    expect(t.decide(1200)).toEqual({ kind: 'blocked', because: 'max-concurrent' });
  });
});

describe('CheckpointTrigger bookkeeping', () => {
  it('rejects a duplicate trigger id and ignores unknown completions and aborts', () => {
    const t = new CheckpointTrigger(settings(), 0);
    t.onTriggered(1, 1000);
    expect(() => t.onTriggered(1, 1001)).toThrow(/checkpoint 1 is already pending/);
    expect(t.onCompleted(9, 1500)).toBe(false);
    expect(t.onAborted(9)).toBe(false);
    expect(t.pendingIds()).toEqual([1]);
  });

  it('an unknown completion does not start a min pause', () => {
    const t = new CheckpointTrigger(settings({ minPauseBetweenCheckpointsMs: 5000 }), 0);
    t.onCompleted(9, 900);
    expect(t.shouldTrigger(1000)).toBe(true);
  });

  it('rejects non-finite times', () => {
    expect(() => new CheckpointTrigger(settings(), NaN)).toThrow(/startedAt/);
    const t = new CheckpointTrigger(settings(), 0);
    expect(() => t.decide(Infinity)).toThrow(/now must be a finite time/);
  });
});

describe('CheckpointTrigger timeouts', () => {
  it('reports pending checkpoints whose timeout elapsed, oldest first', () => {
    const t = new CheckpointTrigger(settings({ timeoutMs: 3000, maxConcurrentCheckpoints: 3 }), 0);
    expect(t.nextExpiryAt()).toBeUndefined();
    t.onTriggered(1, 1000);
    t.onTriggered(2, 2000);
    t.onTriggered(3, 3000);
    expect(t.nextExpiryAt()).toBe(4000);
    expect(t.expired(3999)).toEqual([]);
    expect(t.expired(4000)).toEqual([1]);
    expect(t.expired(5500)).toEqual([1, 2]);
    // a query only: nothing changes until the caller reports the abort
    expect(t.expired(5500)).toEqual([1, 2]);
    t.onAborted(1);
    t.onCompleted(2, 5500);
    expect(t.expired(5500)).toEqual([]);
    expect(t.nextExpiryAt()).toBe(6000);
    expect(t.expired(6000)).toEqual([3]);
  });
});

import { describe, expect, it } from 'vitest';
import {
  COUNTED_FAILURE_REASONS,
  CheckpointError,
  CheckpointFailureReason,
  FailureCounter,
} from '../src/checkpoint/checkpoint-failure.js';

const R = CheckpointFailureReason;

describe('FailureCounter', () => {
  it('fails the job on the first counted failure when nothing is tolerated', () => {
    const c = new FailureCounter(0);
    expect(c.onFailure(1, R.TIMEOUT)).toEqual({ counted: true, consecutiveFailures: 1, mustFailJob: true });
  });

  it('tolerates exactly tolerableFailures consecutive failures', () => {
    const c = new FailureCounter(2);
    expect(c.onFailure(1, R.TIMEOUT).mustFailJob).toBe(false);
    expect(c.onFailure(2, R.DECLINED).mustFailJob).toBe(false);
    expect(c.onFailure(3, R.IO_ERROR)).toEqual({ counted: true, consecutiveFailures: 3, mustFailJob: true });
  });

  it('a completed checkpoint resets the count', () => {
    const c = new FailureCounter(1);
    c.onFailure(1, R.TIMEOUT);
    c.onSuccess(2);
    expect(c.consecutiveFailures).toBe(0);
    expect(c.onFailure(3, R.TIMEOUT).mustFailJob).toBe(false);
    expect(c.onFailure(4, R.TIMEOUT).mustFailJob).toBe(true);
  });

  it('does not count reasons that say nothing about checkpointing ability', () => {
    const c = new FailureCounter(0);
    for (const reason of [R.TASK_FAILURE, R.TOO_MANY_CONCURRENT, R.SUBSUMED, R.JOB_FAILING, R.COORDINATOR_SHUTDOWN]) {
      expect(c.onFailure(1, reason)).toEqual({ counted: false, consecutiveFailures: 0, mustFailJob: false });
    }
    expect([...COUNTED_FAILURE_REASONS].sort()).toEqual([R.DECLINED, R.IO_ERROR, R.TIMEOUT].sort());
  });

  it('counts a checkpoint id once even if it fails twice', () => {
    const c = new FailureCounter(1);
    c.onFailure(5, R.DECLINED);
    expect(c.onFailure(5, R.TIMEOUT)).toEqual({ counted: false, consecutiveFailures: 1, mustFailJob: false });
  });

  it('ignores failures of checkpoints older than the latest completed one', () => {
    const c = new FailureCounter(0);
    c.onSuccess(7);
    expect(c.onFailure(6, R.TIMEOUT).counted).toBe(false);
    expect(c.onFailure(7, R.IO_ERROR).counted).toBe(false);
    expect(c.onFailure(8, R.TIMEOUT).counted).toBe(true);
  });

  it('an older completion than the latest does not reset the count', () => {
    const c = new FailureCounter(5);
    c.onSuccess(4);
    c.onFailure(6, R.TIMEOUT);
    c.onSuccess(3);
    expect(c.consecutiveFailures).toBe(1);
    c.onSuccess(5);
    expect(c.consecutiveFailures).toBe(0);
  });

  it('counts failures without a checkpoint id every time', () => {
    const c = new FailureCounter(1);
    c.onFailure(undefined, R.IO_ERROR);
    expect(c.onFailure(undefined, R.IO_ERROR)).toMatchObject({ consecutiveFailures: 2, mustFailJob: true });
  });

  it('rejects a bad tolerance', () => {
    expect(() => new FailureCounter(-1)).toThrow(/tolerableFailedCheckpoints must be an integer >= 0, got -1/);
    expect(() => new FailureCounter(0.5)).toThrow(/got 0.5/);
  });
});

describe('CheckpointError', () => {
  it('carries the reason, the id and the cause', () => {
    const cause = new Error('disk full');
    const e = new CheckpointError(R.IO_ERROR, 12, 'writing _metadata', { cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('CheckpointError');
    expect(e.reason).toBe('io-error');
    expect(e.checkpointId).toBe(12);
    expect(e.cause).toBe(cause);
    expect(e.message).toBe('checkpoint 12 failed (io-error): writing _metadata');
    expect(new CheckpointError(R.TOO_MANY_CONCURRENT, undefined).message).toBe('checkpoint failed (too-many-concurrent)');
  });
});

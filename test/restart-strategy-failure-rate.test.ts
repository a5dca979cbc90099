import { describe, expect, it } from 'vitest';
import { createRestartStrategy } from '../src/checkpoint/restart-strategy.js';

const MIN = 60_000;

describe('failure-rate', () => {
  it('restarts up to maxFailuresPerInterval failures in the window with delayMs, declines the next', () => {
    const s = createRestartStrategy({
      type: 'failure-rate',
      maxFailuresPerInterval: 3,
      failureRateIntervalMs: MIN,
      delayMs: 500,
    });
    expect(s.onFailure(0)).toEqual({ restart: true, delayMs: 500 });
    expect(s.onFailure(10_000)).toEqual({ restart: true, delayMs: 500 });
    expect(s.onFailure(20_000)).toEqual({ restart: true, delayMs: 500 });
    const fourth = s.onFailure(30_000);
    expect(fourth.restart).toBe(false);
    if (!fourth.restart) {
      expect(fourth.reason).toMatch(/maxFailuresPerInterval \(3\)/);
      expect(fourth.reason).toMatch(/failureRateIntervalMs \(60000\)/);
    }
  });

  it('slides: failures that fall out of the window make room for more', () => {
    const s = createRestartStrategy({ type: 'failure-rate', maxFailuresPerInterval: 2, failureRateIntervalMs: MIN, delayMs: 0 });
    expect(s.onFailure(0).restart).toBe(true);
    expect(s.onFailure(30_000).restart).toBe(true);
    // t=0 is more than a minute old: only 30 s and 60.001 s are in the window.
    expect(s.onFailure(MIN + 1).restart).toBe(true);
    // 30 s, 60.001 s and 80 s are all within one minute: a third failure in the window.
    expect(s.onFailure(80_000).restart).toBe(false);
  });

  it('counts a failure exactly one interval old as still inside the window (Flink: now - oldest > interval)', () => {
    const s = createRestartStrategy({ type: 'failure-rate', maxFailuresPerInterval: 1, failureRateIntervalMs: 1000, delayMs: 0 });
    expect(s.onFailure(0).restart).toBe(true);
    expect(s.onFailure(1000).restart).toBe(false);
  });

  it('with the window just passed, the same rate can go on for ever', () => {
    const s = createRestartStrategy({ type: 'failure-rate', maxFailuresPerInterval: 1, failureRateIntervalMs: 1000, delayMs: 0 });
    for (let t = 0; t < 100_000; t += 1001) expect(s.onFailure(t).restart).toBe(true);
  });

  it('uses Flink defaults: 1 failure per minute, 1 s delay', () => {
    const s = createRestartStrategy({ type: 'failure-rate' });
    expect(s.config).toEqual({ type: 'failure-rate', maxFailuresPerInterval: 1, failureRateIntervalMs: MIN, delayMs: 1000 });
    expect(s.onFailure(0)).toEqual({ restart: true, delayMs: 1000 });
    expect(s.onFailure(MIN).restart).toBe(false);
  });

  it('stays declined even after the window has emptied', () => {
    const s = createRestartStrategy({ type: 'failure-rate', maxFailuresPerInterval: 1, failureRateIntervalMs: 1000, delayMs: 0 });
    s.onFailure(0);
    expect(s.onFailure(1).restart).toBe(false);
    expect(s.onFailure(1_000_000).restart).toBe(false);
  });
});

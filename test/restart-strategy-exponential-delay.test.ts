import { describe, expect, it } from 'vitest';
import { createRestartStrategy, type RestartStrategy } from '../src/checkpoint/restart-strategy.js';
import { mulberry32 } from '../src/random/mulberry32.js';

const HOUR = 3_600_000;

/** Fails `n` times, each failure right when the previous restart was due; returns the delays. */
function delaysOf(s: RestartStrategy, n: number, startMs = 0): number[] {
  const delays: number[] = [];
  let now = startMs;
  for (let i = 0; i < n; i++) {
    const d = s.onFailure(now);
    if (!d.restart) throw new Error(`declined at failure ${i + 1}: ${d.reason}`);
    delays.push(d.delayMs);
    now += d.delayMs;
  }
  return delays;
}

describe('exponential-delay', () => {
  it('grows by the multiplier and caps at maxBackoffMs', () => {
    const s = createRestartStrategy({
      type: 'exponential-delay',
      initialBackoffMs: 1000,
      maxBackoffMs: 10_000,
      backoffMultiplier: 2,
      jitterFactor: 0,
    });
    expect(delaysOf(s, 7)).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  it('with Flink 1.19 defaults (jitter off) truncates to whole ms at each step, as Flink does', () => {
    const s = createRestartStrategy({ type: 'exponential-delay', jitterFactor: 0 });
    expect(delaysOf(s, 13)).toEqual([
      1000, 1500, 2250, 3375, 5062, 7593, 11389, 17083, 25624, 38436, 57654, 60_000, 60_000,
    ]);
  });

  it('fills in Flink 1.19 defaults', () => {
    expect(createRestartStrategy({ type: 'exponential-delay' }).config).toEqual({
      type: 'exponential-delay',
      initialBackoffMs: 1000,
      maxBackoffMs: 60_000,
      backoffMultiplier: 1.5,
      resetBackoffThresholdMs: HOUR,
      jitterFactor: 0.1,
      attemptsBeforeResetBackoff: Infinity,
    });
  });

  it('jitter moves each delay by at most ±jitterFactor of the un-jittered delay, never above max', () => {
    const config = { type: 'exponential-delay', initialBackoffMs: 1000, maxBackoffMs: 30_000, backoffMultiplier: 2, jitterFactor: 0.25 } as const;
    const bases = delaysOf(createRestartStrategy({ ...config, jitterFactor: 0 }), 12);
    for (const seed of [1, 2, 3, 42, 1234]) {
      const delays = delaysOf(createRestartStrategy(config, { random: mulberry32(seed) }), 12);
      delays.forEach((d, i) => {
        const base = bases[i] as number;
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.75));
        expect(d).toBeLessThanOrEqual(Math.min(Math.ceil(base * 1.25), 30_000));
      });
      // Jitter is on: not every delay can equal its base.
      expect(delays).not.toEqual(bases);
    }
  });

  it('reaches both ends of the jitter range, and at the cap jitter only shortens', () => {
    const config = { type: 'exponential-delay', initialBackoffMs: 1000, maxBackoffMs: 2000, backoffMultiplier: 2, jitterFactor: 0.5 } as const;
    expect(delaysOf(createRestartStrategy(config, { random: () => 0 }), 3)).toEqual([500, 1000, 1000]);
    expect(delaysOf(createRestartStrategy(config, { random: () => 0.999_999 }), 3)).toEqual([1500, 2000, 2000]);
  });

  it('is deterministic for a seeded random; another seed gives another sequence', () => {
    const config = { type: 'exponential-delay', jitterFactor: 0.5 } as const;
    const a = delaysOf(createRestartStrategy(config, { random: mulberry32(7) }), 10);
    const b = delaysOf(createRestartStrategy(config, { random: mulberry32(7) }), 10);
    const c = delaysOf(createRestartStrategy(config, { random: mulberry32(8) }), 10);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('jitter does not compound: the next delay grows from the un-jittered one', () => {
    const s = createRestartStrategy(
      { type: 'exponential-delay', initialBackoffMs: 1000, backoffMultiplier: 2, jitterFactor: 0.5 },
      { random: () => 0 },
    );
    expect(delaysOf(s, 4)).toEqual([500, 1000, 2000, 4000]);
  });

  it('resets to initialBackoffMs after running resetBackoffThresholdMs since onRunning', () => {
    const s = createRestartStrategy({ type: 'exponential-delay', backoffMultiplier: 2, jitterFactor: 0, resetBackoffThresholdMs: 10_000 });
    expect(delaysOf(s, 3)).toEqual([1000, 2000, 4000]);
    s.onRunning(8_000);
    s.onRunning(15_000); // later healthy signals do not move the start
    expect(s.onFailure(18_000)).toEqual({ restart: true, delayMs: 1000 });
    expect(s.onFailure(19_000)).toEqual({ restart: true, delayMs: 2000 });
  });

  it('does not reset one millisecond short of the threshold', () => {
    const s = createRestartStrategy({ type: 'exponential-delay', backoffMultiplier: 2, jitterFactor: 0, resetBackoffThresholdMs: 10_000 });
    expect(delaysOf(s, 3)).toEqual([1000, 2000, 4000]);
    s.onRunning(8_000);
    expect(s.onFailure(17_999)).toEqual({ restart: true, delayMs: 8000 });
  });

  it('without onRunning, measures the healthy run from the scheduled restart', () => {
    const s = createRestartStrategy({ type: 'exponential-delay', backoffMultiplier: 2, jitterFactor: 0, resetBackoffThresholdMs: 10_000 });
    expect(s.onFailure(0)).toEqual({ restart: true, delayMs: 1000 }); // restart due at 1000
    expect(s.onFailure(10_999)).toEqual({ restart: true, delayMs: 2000 }); // due at 12999
    expect(s.onFailure(22_999)).toEqual({ restart: true, delayMs: 1000 });
  });

  it('declines after attemptsBeforeResetBackoff restarts, naming the setting', () => {
    const s = createRestartStrategy({ type: 'exponential-delay', attemptsBeforeResetBackoff: 3, jitterFactor: 0 });
    delaysOf(s, 3);
    const d = s.onFailure(100_000);
    expect(d.restart).toBe(false);
    if (!d.restart) expect(d.reason).toMatch(/attemptsBeforeResetBackoff \(3\)/);
  });

  it('a reset refills attemptsBeforeResetBackoff', () => {
    const s = createRestartStrategy({ type: 'exponential-delay', attemptsBeforeResetBackoff: 2, jitterFactor: 0, resetBackoffThresholdMs: 10_000 });
    expect(delaysOf(s, 2)).toEqual([1000, 1500]);
    s.onRunning(3_000);
    expect(delaysOf(s, 2, 13_000)).toEqual([1000, 1500]);
    expect(s.onFailure(16_000).restart).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { planKillDelays } from '../src/cli/kill-plan.js';

describe('planKillDelays', () => {
  it('is a pure function of its options', () => {
    const o = { seed: 9, kills: 5, minUptimeMs: 300, windowMs: 8000 };
    expect(planKillDelays(o)).toEqual(planKillDelays(o));
    expect(planKillDelays(o)).not.toEqual(planKillDelays({ ...o, seed: 10 }));
  });

  it('every delay is at least the minimum uptime and together they stay within the window', () => {
    for (let seed = 0; seed < 200; seed++) {
      const delays = planKillDelays({ seed, kills: 4, minUptimeMs: 500, windowMs: 6000 });
      expect(delays).toHaveLength(4);
      for (const d of delays) expect(d).toBeGreaterThanOrEqual(500);
      // Rounding each delay may add up to half a millisecond per kill.
      expect(delays.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(6002);
    }
  });

  it('kill moments spread over the window rather than bunching at its start', () => {
    const lastMoments = Array.from({ length: 300 }, (_, seed) =>
      planKillDelays({ seed, kills: 3, minUptimeMs: 0, windowMs: 1000 }).reduce((a, b) => a + b, 0),
    );
    const mean = lastMoments.reduce((a, b) => a + b, 0) / lastMoments.length;
    expect(mean).toBeGreaterThan(650); // the max of 3 uniform draws averages 750
    expect(mean).toBeLessThan(850);
  });

  it('a window too short for the kills gives each the minimum uptime; no kills gives no delays', () => {
    expect(planKillDelays({ seed: 1, kills: 3, minUptimeMs: 400, windowMs: 500 })).toEqual([400, 400, 400]);
    expect(planKillDelays({ seed: 1, kills: 0, minUptimeMs: 400, windowMs: 500 })).toEqual([]);
  });

  it('rejects a negative or fractional number of kills', () => {
    expect(() => planKillDelays({ seed: 1, kills: -1, minUptimeMs: 0, windowMs: 1 })).toThrow(/kills must be an integer >= 0/);
    expect(() => planKillDelays({ seed: 1, kills: 1.5, minUptimeMs: 0, windowMs: 1 })).toThrow(/kills/);
  });
});

/**
 * When `weir chaos` kills its runs: `kills` moments drawn uniformly at random (seeded) on the
 * chaos run's timeline within `windowMs`, at least `minUptimeMs` apart and after each start, and
 * returned as delays from the start of each attempt. With the window set to the reference run's
 * duration, every kill normally lands before the job could have finished: a run that restarts only
 * loses time against the reference run.
 */
import { mulberry32 } from '../random/mulberry32.js';

/** Inputs of {@link planKillDelays}. */
export interface KillPlanOptions {
  readonly seed: number;
  readonly kills: number;
  /** Least time an attempt runs before it is killed, ms. */
  readonly minUptimeMs: number;
  /** The stretch of the timeline the kills fall in, ms. */
  readonly windowMs: number;
}

/**
 * Delay before each kill, from the start of its attempt: `kills` numbers, each >= `minUptimeMs`,
 * summing to at most `max(windowMs, kills * minUptimeMs)`. Pure: the same options give the same plan.
 *
 * @example
 * planKillDelays({ seed: 7, kills: 3, minUptimeMs: 500, windowMs: 6000 }); // e.g. [2140, 640, 1875]
 */
export function planKillDelays(options: KillPlanOptions): number[] {
  const { seed, kills, minUptimeMs, windowMs } = options;
  if (!Number.isSafeInteger(kills) || kills < 0) throw new RangeError(`kills must be an integer >= 0, got ${kills}`);
  if (!(minUptimeMs >= 0) || !(windowMs >= 0)) throw new RangeError('minUptimeMs and windowMs must be >= 0');
  const spare = Math.max(0, windowMs - kills * minUptimeMs);
  const rnd = mulberry32(seed);
  // Uniform points in [0, spare], sorted: their gaps, each plus the minimum uptime, are the delays.
  const points = Array.from({ length: kills }, () => rnd() * spare).sort((a, b) => a - b);
  return points.map((p, i) => Math.round(minUptimeMs + p - (i === 0 ? 0 : points[i - 1]!)));
}

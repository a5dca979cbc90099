/**
 * Restart strategies (DESIGN.md point 5): given the failures of a job over time, decide whether to
 * restart it and after what delay. Pure decision logic: no timers and no clock of its own; the caller
 * passes the time of every event and schedules the restart itself.
 */
import { resolveRestartConfig, type ResolvedRestartConfig, type RestartStrategyConfig } from './restart-config.js';

export {
  RESTART_DEFAULTS,
  RESTART_STRATEGY_TYPES,
  RestartConfigError,
  resolveRestartConfig,
  type ExponentialDelayRestartConfig,
  type FailureRateRestartConfig,
  type FixedDelayRestartConfig,
  type NoRestartConfig,
  type ResolvedRestartConfig,
  type RestartConfigErrorReason,
  type RestartStrategyConfig,
  type RestartStrategyType,
} from './restart-config.js';

/** The answer to a failure: restart after `delayMs`, or fail the job for `reason` (names the limit hit). */
export type RestartDecision =
  | { readonly restart: true; readonly delayMs: number }
  | { readonly restart: false; readonly reason: string };

/**
 * A job's restart policy and the failure history it needs. Times are milliseconds from any monotonic
 * clock (e.g. `performance.now()`), and must not go backwards.
 */
export interface RestartStrategy {
  /** The settings in force, defaults filled in. */
  readonly config: ResolvedRestartConfig;
  /**
   * Call once per job failover (merge simultaneous task failures into one call). Once it has declined,
   * it keeps declining: the job has failed for good.
   */
  onFailure(nowMs: number): RestartDecision;
  /**
   * The restarted job is running again since `nowMs`. Only the first call after a failure counts, so
   * calling it on every healthy signal is harmless. Only exponential-delay uses it (for its reset).
   */
  onRunning(nowMs: number): void;
}

/** Injected dependencies of a strategy. */
export interface RestartStrategyOptions {
  /** Uniform in [0, 1); exponential-delay draws its jitter from it. Default: Math.random. */
  readonly random?: () => number;
}

/**
 * Validates `config` (throwing {@link RestartConfigError}) and returns a fresh strategy for one job.
 *
 * @example
 * const strategy = createRestartStrategy({ type: 'fixed-delay', attempts: 3, delayMs: 5000 });
 * const decision = strategy.onFailure(performance.now());
 * if (decision.restart) setTimeout(restartJob, decision.delayMs); else failJob(decision.reason);
 */
export function createRestartStrategy(
  config: RestartStrategyConfig,
  options: RestartStrategyOptions = {},
): RestartStrategy {
  const resolved = resolveRestartConfig(config);
  let decide: (nowMs: number) => RestartDecision;
  let running: (nowMs: number) => void = () => {};
  switch (resolved.type) {
    case 'none':
      decide = () => ({ restart: false, reason: 'restart strategy is none: the job is not restarted' });
      break;
    case 'fixed-delay': {
      const { attempts, delayMs } = resolved;
      let restarts = 0; // restarts granted so far; never reset, as in Flink
      decide = () => {
        if (restarts >= attempts) {
          return { restart: false, reason: `fixed-delay restart strategy exhausted its attempts (${attempts})` };
        }
        restarts++;
        return { restart: true, delayMs };
      };
      break;
    }
    case 'failure-rate': {
      const { maxFailuresPerInterval: max, failureRateIntervalMs: interval, delayMs } = resolved;
      const recent: number[] = []; // failure times within the last `interval`, oldest first; at most max + 1
      decide = (nowMs) => {
        // A failure exactly `interval` ago is still inside the window (Flink: restart iff now - oldest > interval).
        while (recent.length > 0 && nowMs - (recent[0] as number) > interval) recent.shift();
        recent.push(nowMs);
        if (recent.length > max) {
          return {
            restart: false,
            reason:
              `failure-rate restart strategy exceeded maxFailuresPerInterval (${max}): ` +
              `${recent.length} failures within failureRateIntervalMs (${interval})`,
          };
        }
        return { restart: true, delayMs };
      };
      break;
    }
    case 'exponential-delay': {
      const c = resolved;
      const random = options.random ?? Math.random;
      let attempts = 0; // restarts granted since the last reset
      let backoffMs = c.initialBackoffMs; // un-jittered delay of the next restart; jitter never compounds
      let lastFailureMs: number | undefined;
      let lastDelayMs = 0;
      let runningSinceMs: number | undefined; // first onRunning after the last failure
      decide = (nowMs) => {
        if (lastFailureMs !== undefined) {
          // Without an onRunning report, assume the job ran from its scheduled restart (as Flink does).
          const healthySince = runningSinceMs ?? lastFailureMs + lastDelayMs;
          if (nowMs - healthySince >= c.resetBackoffThresholdMs) {
            attempts = 0;
            backoffMs = c.initialBackoffMs;
          } else {
            // Flink truncates to whole milliseconds at every step.
            backoffMs = Math.min(Math.floor(backoffMs * c.backoffMultiplier), c.maxBackoffMs);
          }
        }
        lastFailureMs = nowMs;
        runningSinceMs = undefined;
        if (attempts >= c.attemptsBeforeResetBackoff) {
          return {
            restart: false,
            reason:
              `exponential-delay restart strategy exhausted attemptsBeforeResetBackoff ` +
              `(${c.attemptsBeforeResetBackoff}) without running resetBackoffThresholdMs (${c.resetBackoffThresholdMs})`,
          };
        }
        attempts++;
        lastDelayMs = jittered(backoffMs, c.jitterFactor, c.maxBackoffMs, random);
        return { restart: true, delayMs: lastDelayMs };
      };
      running = (nowMs) => {
        if (lastFailureMs !== undefined && runningSinceMs === undefined) runningSinceMs = nowMs;
      };
      break;
    }
  }

  let lastNowMs = -Infinity; // latest time seen; time must not go backwards
  let declined: RestartDecision | undefined; // sticky once the job has failed for good
  const observe = (nowMs: number, what: string): void => {
    if (!Number.isFinite(nowMs)) throw new RangeError(`${what}: nowMs must be a finite number, got ${nowMs}`);
    if (nowMs < lastNowMs) {
      throw new RangeError(`${what}: time went backwards (${nowMs} < ${lastNowMs}); use a monotonic clock`);
    }
    lastNowMs = nowMs;
  };
  return {
    config: resolved,
    onFailure(nowMs) {
      observe(nowMs, 'onFailure');
      if (declined !== undefined) return declined;
      const decision = decide(nowMs);
      if (!decision.restart) declined = decision;
      return decision;
    },
    onRunning(nowMs) {
      observe(nowMs, 'onRunning');
      running(nowMs);
    },
  };
}

/**
 * `baseMs` moved by a random fraction in [-jitterFactor, +jitterFactor) of itself, in whole ms.
 * `maxBackoffMs` stays a hard ceiling, so at the cap jitter only shortens the delay.
 */
function jittered(baseMs: number, jitterFactor: number, maxBackoffMs: number, random: () => number): number {
  if (jitterFactor === 0) return baseMs;
  const offset = baseMs * jitterFactor * (2 * random() - 1);
  return Math.max(0, Math.min(Math.round(baseMs + offset), maxBackoffMs));
}

/**
 * Restart-strategy settings (Flink's `restart-strategy.*` options, with durations in milliseconds) and
 * their validation. Configs arrive from user code, JSON files and the CLI, so they are checked as
 * untyped values here once, and the strategies in restart-strategy.ts only ever see resolved settings.
 */

/** Flink's `restart-strategy.type` values, in the order error messages list them. */
export const RESTART_STRATEGY_TYPES = ['none', 'fixed-delay', 'failure-rate', 'exponential-delay'] as const;

/** One of {@link RESTART_STRATEGY_TYPES}. */
export type RestartStrategyType = (typeof RESTART_STRATEGY_TYPES)[number];

/** Never restart: the first failure fails the job. */
export interface NoRestartConfig {
  readonly type: 'none';
}

/** Restart up to `attempts` times over the job's lifetime, waiting `delayMs` each time. */
export interface FixedDelayRestartConfig {
  readonly type: 'fixed-delay';
  /** Restarts allowed in total; Infinity for unlimited. Flink's default: 1. */
  readonly attempts?: number;
  /** Wait before each restart. Flink's default: 1000 (1 s). */
  readonly delayMs?: number;
}

/** Restart while at most `maxFailuresPerInterval` failures fall within any `failureRateIntervalMs`. */
export interface FailureRateRestartConfig {
  readonly type: 'failure-rate';
  /** Failures tolerated within one sliding interval; one more fails the job. Flink's default: 1. */
  readonly maxFailuresPerInterval?: number;
  /** Length of the sliding window. Flink's default: 60000 (1 min). */
  readonly failureRateIntervalMs?: number;
  /** Wait before each restart. Flink's default: 1000 (1 s). */
  readonly delayMs?: number;
}

/** Restart with a delay that grows by `backoffMultiplier` per consecutive failure. */
export interface ExponentialDelayRestartConfig {
  readonly type: 'exponential-delay';
  /** Delay of the first restart after a reset. Flink's default: 1000 (1 s). */
  readonly initialBackoffMs?: number;
  /** Ceiling of the delay, jitter included. Flink 1.19's default: 60000 (1 min). */
  readonly maxBackoffMs?: number;
  /** Growth per consecutive failure (≥ 1). Flink 1.19's default: 1.5. */
  readonly backoffMultiplier?: number;
  /** Running this long without failure resets delay and attempt count. Flink's default: 3600000 (1 h). */
  readonly resetBackoffThresholdMs?: number;
  /** Random ± fraction of each delay in [0, 1], so many jobs do not retry in lockstep. Flink's default: 0.1. */
  readonly jitterFactor?: number;
  /** Restarts allowed between resets; Infinity for unlimited. Flink's default: unlimited. */
  readonly attemptsBeforeResetBackoff?: number;
}

/** A restart strategy's settings, as given by the user; omitted settings take Flink's defaults. */
export type RestartStrategyConfig =
  | NoRestartConfig
  | FixedDelayRestartConfig
  | FailureRateRestartConfig
  | ExponentialDelayRestartConfig;

/** A config with every default filled in and every value checked: what a job reports as its settings. */
export type ResolvedRestartConfig =
  | NoRestartConfig
  | Required<FixedDelayRestartConfig>
  | Required<FailureRateRestartConfig>
  | Required<ExponentialDelayRestartConfig>;

/** Flink's defaults, per strategy type. */
export const RESTART_DEFAULTS = {
  'fixed-delay': { attempts: 1, delayMs: 1000 },
  'failure-rate': { maxFailuresPerInterval: 1, failureRateIntervalMs: 60_000, delayMs: 1000 },
  'exponential-delay': {
    initialBackoffMs: 1000,
    maxBackoffMs: 60_000,
    backoffMultiplier: 1.5,
    resetBackoffThresholdMs: 3_600_000,
    jitterFactor: 0.1,
    attemptsBeforeResetBackoff: Infinity,
  },
} as const;

/** What was wrong with a restart config; stable strings so callers and tests can match on them. */
export type RestartConfigErrorReason =
  | 'missing-type' // no `type` at all
  | 'unknown-type' // a `type` that is not one of RESTART_STRATEGY_TYPES
  | 'unknown-setting' // a key the chosen type does not have (usually a typo that would fall back to a default)
  | 'invalid-value'; // a setting of the wrong kind or outside its range

/** The one error config validation throws; `setting` names the offending key (`type` for type errors). */
export class RestartConfigError extends Error {
  constructor(
    readonly reason: RestartConfigErrorReason,
    readonly setting: string,
    message: string,
  ) {
    super(message);
    this.name = 'RestartConfigError';
  }
}

/**
 * Checks `config` and fills in Flink's defaults. Throws {@link RestartConfigError} naming the setting
 * and the bad value.
 *
 * @example resolveRestartConfig({ type: 'fixed-delay', attempts: 3 }) // → { type, attempts: 3, delayMs: 1000 }
 */
export function resolveRestartConfig(config: RestartStrategyConfig): ResolvedRestartConfig {
  // Typed for callers, but checked as untyped: configs are often parsed from JSON.
  const raw: unknown = config;
  if (typeof raw !== 'object' || raw === null) {
    throw new RestartConfigError('invalid-value', 'type', `restart strategy config must be an object, got ${show(raw)}`);
  }
  const input = raw as Record<string, unknown>;
  const type = input['type'];
  const known = RESTART_STRATEGY_TYPES.join(' | ');
  if (type === undefined) {
    throw new RestartConfigError('missing-type', 'type', `restart strategy type is missing; expected one of ${known}`);
  }
  if (!isStrategyType(type)) {
    throw new RestartConfigError(
      'unknown-type',
      'type',
      `unknown restart strategy type ${show(type)}; expected one of ${known}`,
    );
  }
  if (type === 'none') {
    rejectUnknownSettings(type, input, []);
    return { type };
  }
  const defaults: Readonly<Record<string, number>> = RESTART_DEFAULTS[type];
  rejectUnknownSettings(type, input, Object.keys(defaults));
  const get = (setting: string): number => {
    const value = input[setting] ?? defaults[setting];
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw invalid(type, setting, value, 'must be a number');
    }
    return value;
  };

  switch (type) {
    case 'fixed-delay': {
      const attempts = count(type, 'attempts', get('attempts'), 0);
      const delayMs = millis(type, 'delayMs', get('delayMs'), 0);
      return { type, attempts, delayMs };
    }
    case 'failure-rate': {
      const maxFailuresPerInterval = count(type, 'maxFailuresPerInterval', get('maxFailuresPerInterval'), 1, false);
      const failureRateIntervalMs = millis(type, 'failureRateIntervalMs', get('failureRateIntervalMs'), 1);
      const delayMs = millis(type, 'delayMs', get('delayMs'), 0);
      return { type, maxFailuresPerInterval, failureRateIntervalMs, delayMs };
    }
    case 'exponential-delay': {
      const initialBackoffMs = millis(type, 'initialBackoffMs', get('initialBackoffMs'), 1);
      const maxBackoffMs = millis(type, 'maxBackoffMs', get('maxBackoffMs'), 1);
      if (maxBackoffMs < initialBackoffMs) {
        throw invalid(type, 'maxBackoffMs', maxBackoffMs, `must be ≥ initialBackoffMs (${initialBackoffMs})`);
      }
      const backoffMultiplier = get('backoffMultiplier');
      if (!Number.isFinite(backoffMultiplier) || backoffMultiplier < 1) {
        throw invalid(type, 'backoffMultiplier', backoffMultiplier, 'must be a finite number ≥ 1');
      }
      const resetBackoffThresholdMs = millis(type, 'resetBackoffThresholdMs', get('resetBackoffThresholdMs'), 1);
      const jitterFactor = get('jitterFactor');
      if (!(jitterFactor >= 0 && jitterFactor <= 1)) {
        throw invalid(type, 'jitterFactor', jitterFactor, 'must be in [0, 1]');
      }
      const attemptsBeforeResetBackoff = count(type, 'attemptsBeforeResetBackoff', get('attemptsBeforeResetBackoff'), 1);
      return {
        type,
        initialBackoffMs,
        maxBackoffMs,
        backoffMultiplier,
        resetBackoffThresholdMs,
        jitterFactor,
        attemptsBeforeResetBackoff,
      };
    }
  }
}

function isStrategyType(value: unknown): value is RestartStrategyType {
  return (RESTART_STRATEGY_TYPES as readonly unknown[]).includes(value);
}

function rejectUnknownSettings(type: RestartStrategyType, input: Record<string, unknown>, allowed: string[]): void {
  for (const key of Object.keys(input)) {
    if (key !== 'type' && !allowed.includes(key)) {
      const expected = allowed.length === 0 ? 'it takes no settings' : `its settings are ${allowed.join(', ')}`;
      throw new RestartConfigError('unknown-setting', key, `${type} restart strategy has no setting ${key}; ${expected}`);
    }
  }
}

/** Durations are whole milliseconds, as Flink's are. */
function millis(type: RestartStrategyType, setting: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw invalid(type, setting, value, `must be an integer number of milliseconds ≥ ${min}`);
  }
  return value;
}

/** Counts are whole numbers; Infinity means unlimited where `allowInfinity`. */
function count(type: RestartStrategyType, setting: string, value: number, min: number, allowInfinity = true): number {
  const ok = (allowInfinity && value === Infinity) || (Number.isSafeInteger(value) && value >= min);
  if (!ok) {
    throw invalid(type, setting, value, `must be an integer ≥ ${min}${allowInfinity ? ' or Infinity' : ''}`);
  }
  return value;
}

function invalid(type: RestartStrategyType, setting: string, value: unknown, rule: string): RestartConfigError {
  return new RestartConfigError('invalid-value', setting, `${type} restart strategy: ${setting} ${rule}, got ${show(value)}`);
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * Checkpoint settings with Flink's meaning (see DESIGN.md point 2). Everything that consumes them —
 * the trigger, the failure counter, storage — takes the resolved form, so defaults and validation live
 * in exactly one place and a bad value fails at job submission, not at the first checkpoint.
 */

/** How barriers are handled at operators with several inputs (DESIGN.md point 1). */
export type CheckpointingMode = 'exactly-once' | 'at-least-once';

/** Every valid {@link CheckpointingMode}; error messages list them so a typo is easy to fix. */
export const CHECKPOINTING_MODES: readonly CheckpointingMode[] = Object.freeze(['exactly-once', 'at-least-once']);

/**
 * Which codec compresses checkpoint files. Only the name and level travel here: the storage layer's
 * codec registry owns the list of codecs and their level ranges and checks them when it builds the
 * codec, so this module stays below storage in the dependency order.
 */
export interface CompressionSettings {
  /** A codec name as registered in storage (`none`, `deflate`, `brotli`, `fflate`, …). */
  readonly codec: string;
  /** Codec-specific level; `undefined` means the codec's own default. */
  readonly level: number | undefined;
}

/**
 * Fully resolved checkpoint settings. Durations are milliseconds of the clock the runtime injects into
 * {@link CheckpointTrigger}; counts are integers.
 */
export interface CheckpointSettings {
  /** Time between periodic triggers. Flink has no default (checkpointing is off until set); weir checkpoints every 1000 ms by default. */
  readonly intervalMs: number;
  /** A pending checkpoint older than this is aborted as expired (Flink default: 10 min). */
  readonly timeoutMs: number;
  /** Least time from the last *completed* checkpoint to the next trigger, so a slow job still makes progress between checkpoints. */
  readonly minPauseBetweenCheckpointsMs: number;
  /** How many checkpoints may be pending at once. */
  readonly maxConcurrentCheckpoints: number;
  /** Consecutive counted checkpoint failures tolerated before the job fails (see {@link FailureCounter}). */
  readonly tolerableFailedCheckpoints: number;
  /** Barrier alignment: block aligned channels (exactly-once) or not (at-least-once). */
  readonly mode: CheckpointingMode;
  /** Completed checkpoints kept on disk (Flink's `state.checkpoints.num-retained`). */
  readonly retainedCheckpoints: number;
  /** Write only what changed since the previous checkpoint (DESIGN.md point 4). */
  readonly incremental: boolean;
  /** Codec for checkpoint files. */
  readonly compression: CompressionSettings;
}

/** What a user may pass: any subset of {@link CheckpointSettings}; the rest comes from the defaults. */
export type CheckpointSettingsInput = Partial<Omit<CheckpointSettings, 'compression'>> & {
  readonly compression?: { readonly codec?: string; readonly level?: number | undefined };
};

/**
 * weir's defaults. Brotli level 1 is the default codec because the storage benchmark measured it the
 * fastest of the candidates on snapshot-like payloads (see FACTS.md).
 */
export const DEFAULT_CHECKPOINT_SETTINGS: CheckpointSettings = Object.freeze({
  intervalMs: 1000,
  timeoutMs: 10 * 60 * 1000,
  minPauseBetweenCheckpointsMs: 0,
  maxConcurrentCheckpoints: 1,
  tolerableFailedCheckpoints: 0,
  mode: 'exactly-once',
  retainedCheckpoints: 1,
  incremental: true,
  compression: Object.freeze({ codec: 'brotli', level: 1 }),
});

const KNOWN_KEYS: readonly string[] = Object.keys(DEFAULT_CHECKPOINT_SETTINGS);

/**
 * Fills in defaults and validates. Throws a `RangeError` (or `TypeError` for a value of the wrong
 * type) whose message names the setting and the bad value. Unknown setting names are rejected too:
 * settings often come from untyped config files, where `intervalMS` would otherwise be silently ignored.
 *
 * @example
 * const s = resolveCheckpointSettings({ intervalMs: 5000, mode: 'at-least-once' });
 * s.timeoutMs; // 600000
 */
export function resolveCheckpointSettings(input: CheckpointSettingsInput = {}): CheckpointSettings {
  for (const key of Object.keys(input)) {
    if (!KNOWN_KEYS.includes(key)) {
      throw new RangeError(`unknown checkpoint setting "${key}" (known: ${KNOWN_KEYS.join(', ')})`);
    }
  }
  const d = DEFAULT_CHECKPOINT_SETTINGS;
  const intervalMs = input.intervalMs ?? d.intervalMs;
  const timeoutMs = input.timeoutMs ?? d.timeoutMs;
  const minPause = input.minPauseBetweenCheckpointsMs ?? d.minPauseBetweenCheckpointsMs;
  const maxConcurrent = input.maxConcurrentCheckpoints ?? d.maxConcurrentCheckpoints;
  const tolerable = input.tolerableFailedCheckpoints ?? d.tolerableFailedCheckpoints;
  const mode = input.mode ?? d.mode;
  const retained = input.retainedCheckpoints ?? d.retainedCheckpoints;
  const incremental = input.incremental ?? d.incremental;

  requireDuration('intervalMs', intervalMs, { allowZero: false });
  requireDuration('timeoutMs', timeoutMs, { allowZero: false });
  requireDuration('minPauseBetweenCheckpointsMs', minPause, { allowZero: true });
  requireInteger('maxConcurrentCheckpoints', maxConcurrent, 1);
  requireInteger('tolerableFailedCheckpoints', tolerable, 0);
  requireInteger('retainedCheckpoints', retained, 1);
  if (!CHECKPOINTING_MODES.includes(mode)) {
    throw new RangeError(`mode must be one of ${CHECKPOINTING_MODES.join(', ')}, got ${show(mode)}`);
  }
  if (typeof incremental !== 'boolean') {
    throw new TypeError(`incremental must be a boolean, got ${show(incremental)}`);
  }

  return Object.freeze({
    intervalMs,
    timeoutMs,
    minPauseBetweenCheckpointsMs: minPause,
    maxConcurrentCheckpoints: maxConcurrent,
    tolerableFailedCheckpoints: tolerable,
    mode,
    retainedCheckpoints: retained,
    incremental,
    compression: resolveCompression(input.compression),
  });
}

function resolveCompression(input: CheckpointSettingsInput['compression']): CompressionSettings {
  if (input === undefined) return DEFAULT_CHECKPOINT_SETTINGS.compression;
  if (typeof input !== 'object' || input === null) {
    throw new TypeError(`compression must be an object { codec, level }, got ${show(input)}`);
  }
  const codec = input.codec ?? DEFAULT_CHECKPOINT_SETTINGS.compression.codec;
  if (typeof codec !== 'string' || codec.length === 0) {
    throw new TypeError(`compression.codec must be a non-empty codec name, got ${show(codec)}`);
  }
  // The default level belongs to the default codec: switching codec must not inherit brotli's level,
  // which may be outside the other codec's range. Another codec without a level gets its own default.
  const defaults = DEFAULT_CHECKPOINT_SETTINGS.compression;
  const level = 'level' in input ? input.level : codec === defaults.codec ? defaults.level : undefined;
  if (level !== undefined && (typeof level !== 'number' || !Number.isInteger(level))) {
    throw new TypeError(`compression.level must be an integer, got ${show(level)}`);
  }
  return Object.freeze({ codec, level });
}

function requireDuration(name: string, value: unknown, opts: { allowZero: boolean }): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${name} must be a number of milliseconds, got ${show(value)}`);
  }
  const ok = Number.isFinite(value) && (opts.allowZero ? value >= 0 : value > 0);
  if (!ok) {
    const bound = opts.allowZero ? '>= 0' : '> 0';
    throw new RangeError(`${name} must be a finite number of milliseconds ${bound}, got ${show(value)}`);
  }
}

function requireInteger(name: string, value: unknown, min: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${show(value)}`);
  }
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

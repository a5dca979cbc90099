import { describe, expect, it } from 'vitest';
import {
  CHECKPOINTING_MODES,
  DEFAULT_CHECKPOINT_SETTINGS,
  resolveCheckpointSettings,
  type CheckpointSettingsInput,
} from '../src/checkpoint/checkpoint-settings.js';

/** Untyped input, as from a config file: lets tests pass values the types would forbid. */
function resolveLoose(input: Record<string, unknown>) {
  return resolveCheckpointSettings(input as CheckpointSettingsInput);
}

describe('resolveCheckpointSettings', () => {
  it('fills every default', () => {
    expect(resolveCheckpointSettings()).toEqual({
      intervalMs: 1000,
      timeoutMs: 600_000,
      minPauseBetweenCheckpointsMs: 0,
      maxConcurrentCheckpoints: 1,
      tolerableFailedCheckpoints: 0,
      mode: 'exactly-once',
      retainedCheckpoints: 1,
      incremental: true,
      compression: { codec: 'brotli', level: 1 },
    });
    expect(resolveCheckpointSettings({})).toEqual(DEFAULT_CHECKPOINT_SETTINGS);
  });

  it('keeps given values and returns a frozen object', () => {
    const s = resolveCheckpointSettings({
      intervalMs: 5000,
      timeoutMs: 30_000,
      minPauseBetweenCheckpointsMs: 200,
      maxConcurrentCheckpoints: 3,
      tolerableFailedCheckpoints: 2,
      mode: 'at-least-once',
      retainedCheckpoints: 5,
      incremental: false,
      compression: { codec: 'deflate', level: 6 },
    });
    expect(s).toMatchObject({ intervalMs: 5000, maxConcurrentCheckpoints: 3, mode: 'at-least-once', incremental: false });
    expect(s.compression).toEqual({ codec: 'deflate', level: 6 });
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.compression)).toBe(true);
  });

  it('gives another codec without a level its own default, not brotli\'s level', () => {
    expect(resolveCheckpointSettings({ compression: { codec: 'fflate' } }).compression).toEqual({ codec: 'fflate', level: undefined });
    expect(resolveCheckpointSettings({ compression: { codec: 'brotli' } }).compression).toEqual({ codec: 'brotli', level: 1 });
    expect(resolveCheckpointSettings({ compression: { level: 4 } }).compression).toEqual({ codec: 'brotli', level: 4 });
  });

  const rejected: [string, Record<string, unknown>, RegExp][] = [
    ['zero interval', { intervalMs: 0 }, /intervalMs .*> 0, got 0/],
    ['negative interval', { intervalMs: -5 }, /intervalMs .*got -5/],
    ['infinite interval', { intervalMs: Infinity }, /intervalMs .*got Infinity/],
    ['NaN interval', { intervalMs: NaN }, /intervalMs must be a number.*got NaN/],
    ['string interval', { intervalMs: '1000' }, /intervalMs must be a number.*got "1000"/],
    ['zero timeout', { timeoutMs: 0 }, /timeoutMs .*got 0/],
    ['negative timeout', { timeoutMs: -1 }, /timeoutMs .*got -1/],
    ['negative min pause', { minPauseBetweenCheckpointsMs: -1 }, /minPauseBetweenCheckpointsMs .*>= 0, got -1/],
    ['zero max concurrent', { maxConcurrentCheckpoints: 0 }, /maxConcurrentCheckpoints must be an integer >= 1, got 0/],
    ['fractional max concurrent', { maxConcurrentCheckpoints: 1.5 }, /maxConcurrentCheckpoints .*got 1.5/],
    ['negative tolerable failures', { tolerableFailedCheckpoints: -1 }, /tolerableFailedCheckpoints must be an integer >= 0, got -1/],
    ['unknown mode', { mode: 'exactly_once' }, /mode must be one of exactly-once, at-least-once, got "exactly_once"/],
    ['zero retained', { retainedCheckpoints: 0 }, /retainedCheckpoints must be an integer >= 1, got 0/],
    ['non-boolean incremental', { incremental: 'yes' }, /incremental must be a boolean, got "yes"/],
    ['string level', { compression: { codec: 'brotli', level: '1' } }, /compression.level must be an integer, got "1"/],
    ['fractional level', { compression: { codec: 'brotli', level: 1.5 } }, /compression.level must be an integer, got 1.5/],
    ['empty codec', { compression: { codec: '' } }, /compression.codec must be a non-empty codec name/],
    ['non-object compression', { compression: 'brotli' }, /compression must be an object/],
    ['misspelt setting', { intervalMS: 1000 }, /unknown checkpoint setting "intervalMS" \(known: intervalMs, /],
  ];
  for (const [what, input, message] of rejected) {
    it(`rejects ${what}, naming the setting and the value`, () => {
      expect(() => resolveLoose(input)).toThrow(message);
    });
  }

  it('accepts min pause of zero and every listed mode', () => {
    expect(resolveCheckpointSettings({ minPauseBetweenCheckpointsMs: 0 }).minPauseBetweenCheckpointsMs).toBe(0);
    for (const mode of CHECKPOINTING_MODES) expect(resolveCheckpointSettings({ mode }).mode).toBe(mode);
  });
});

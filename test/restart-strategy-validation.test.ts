import { describe, expect, it } from 'vitest';
import {
  createRestartStrategy,
  RestartConfigError,
  type RestartConfigErrorReason,
  type RestartStrategyConfig,
} from '../src/checkpoint/restart-strategy.js';

/** Asserts that creating a strategy from `config` throws a RestartConfigError with these fields. */
function rejects(config: unknown, reason: RestartConfigErrorReason, setting: string, message: RegExp): void {
  let thrown: unknown;
  try {
    createRestartStrategy(config as RestartStrategyConfig);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(RestartConfigError);
  const error = thrown as RestartConfigError;
  expect(error.reason).toBe(reason);
  expect(error.setting).toBe(setting);
  expect(error.message).toMatch(message);
}

describe('restart strategy config validation', () => {
  it('requires a type and lists the known ones', () => {
    rejects({}, 'missing-type', 'type', /none \| fixed-delay \| failure-rate \| exponential-delay/);
  });

  it('rejects an unknown type, naming it and listing the known ones', () => {
    rejects({ type: 'fixeddelay' }, 'unknown-type', 'type', /"fixeddelay".*none \| fixed-delay \| failure-rate \| exponential-delay/);
  });

  it('rejects a non-object config', () => {
    rejects(null, 'invalid-value', 'type', /must be an object, got null/);
  });

  it('rejects settings the type does not have, so a typo cannot silently fall back to a default', () => {
    rejects({ type: 'fixed-delay', delay: 5000 }, 'unknown-setting', 'delay', /no setting delay; its settings are attempts, delayMs/);
    rejects({ type: 'none', attempts: 3 }, 'unknown-setting', 'attempts', /takes no settings/);
    rejects({ type: 'failure-rate', initialBackoffMs: 1 }, 'unknown-setting', 'initialBackoffMs', /failure-rate/);
  });

  it('rejects negative delays, naming the setting and the value', () => {
    rejects({ type: 'fixed-delay', delayMs: -1 }, 'invalid-value', 'delayMs', /fixed-delay.*delayMs.*got -1/);
    rejects({ type: 'failure-rate', delayMs: -5 }, 'invalid-value', 'delayMs', /got -5/);
    rejects({ type: 'exponential-delay', initialBackoffMs: -100 }, 'invalid-value', 'initialBackoffMs', /got -100/);
  });

  it('rejects non-integer, non-finite and non-numeric durations', () => {
    rejects({ type: 'fixed-delay', delayMs: 1.5 }, 'invalid-value', 'delayMs', /integer.*got 1\.5/);
    rejects({ type: 'fixed-delay', delayMs: Infinity }, 'invalid-value', 'delayMs', /got Infinity/);
    rejects({ type: 'fixed-delay', delayMs: '10 s' }, 'invalid-value', 'delayMs', /must be a number, got "10 s"/);
    rejects({ type: 'fixed-delay', delayMs: Number.NaN }, 'invalid-value', 'delayMs', /got NaN/);
  });

  it('rejects bad counts', () => {
    rejects({ type: 'fixed-delay', attempts: -1 }, 'invalid-value', 'attempts', /≥ 0 or Infinity, got -1/);
    rejects({ type: 'fixed-delay', attempts: 2.5 }, 'invalid-value', 'attempts', /got 2\.5/);
    rejects({ type: 'failure-rate', maxFailuresPerInterval: 0 }, 'invalid-value', 'maxFailuresPerInterval', /≥ 1, got 0/);
    rejects({ type: 'failure-rate', maxFailuresPerInterval: Infinity }, 'invalid-value', 'maxFailuresPerInterval', /got Infinity/);
    rejects({ type: 'failure-rate', failureRateIntervalMs: 0 }, 'invalid-value', 'failureRateIntervalMs', /got 0/);
    rejects({ type: 'exponential-delay', attemptsBeforeResetBackoff: 0 }, 'invalid-value', 'attemptsBeforeResetBackoff', /got 0/);
  });

  it('rejects a multiplier below 1', () => {
    rejects({ type: 'exponential-delay', backoffMultiplier: 0.9 }, 'invalid-value', 'backoffMultiplier', /≥ 1, got 0\.9/);
    rejects({ type: 'exponential-delay', backoffMultiplier: Infinity }, 'invalid-value', 'backoffMultiplier', /got Infinity/);
  });

  it('rejects jitter outside [0, 1]', () => {
    rejects({ type: 'exponential-delay', jitterFactor: -0.1 }, 'invalid-value', 'jitterFactor', /\[0, 1\], got -0\.1/);
    rejects({ type: 'exponential-delay', jitterFactor: 1.5 }, 'invalid-value', 'jitterFactor', /got 1\.5/);
  });

  it('rejects maxBackoffMs below initialBackoffMs, naming both', () => {
    rejects(
      { type: 'exponential-delay', initialBackoffMs: 5000, maxBackoffMs: 1000 },
      'invalid-value',
      'maxBackoffMs',
      /maxBackoffMs must be ≥ initialBackoffMs \(5000\), got 1000/,
    );
    rejects({ type: 'exponential-delay', resetBackoffThresholdMs: 0 }, 'invalid-value', 'resetBackoffThresholdMs', /got 0/);
  });

  it('accepts the boundaries: zero delays, jitter 0 and 1, multiplier 1, unlimited attempts', () => {
    expect(createRestartStrategy({ type: 'fixed-delay', attempts: Infinity, delayMs: 0 }).onFailure(0)).toEqual({ restart: true, delayMs: 0 });
    for (const jitterFactor of [0, 1]) {
      expect(() => createRestartStrategy({ type: 'exponential-delay', jitterFactor, backoffMultiplier: 1 })).not.toThrow();
    }
    expect(() => createRestartStrategy({ type: 'exponential-delay', initialBackoffMs: 7, maxBackoffMs: 7 })).not.toThrow();
  });

  it('treats an explicitly undefined setting as omitted (default applies)', () => {
    expect(createRestartStrategy({ type: 'fixed-delay', delayMs: undefined }).config).toEqual({ type: 'fixed-delay', attempts: 1, delayMs: 1000 });
  });
});

import { describe, expect, it } from 'vitest';
import { createRestartStrategy } from '../src/checkpoint/restart-strategy.js';

describe('fixed-delay', () => {
  it('restarts exactly `attempts` times with the configured delay, then declines naming attempts', () => {
    const s = createRestartStrategy({ type: 'fixed-delay', attempts: 3, delayMs: 250 });
    expect(s.onFailure(0)).toEqual({ restart: true, delayMs: 250 });
    expect(s.onFailure(1_000)).toEqual({ restart: true, delayMs: 250 });
    expect(s.onFailure(2_000)).toEqual({ restart: true, delayMs: 250 });
    const fourth = s.onFailure(3_000);
    expect(fourth.restart).toBe(false);
    if (!fourth.restart) expect(fourth.reason).toMatch(/attempts \(3\)/);
  });

  it('counts attempts over the whole job: long healthy runs do not refill them (as in Flink)', () => {
    const s = createRestartStrategy({ type: 'fixed-delay', attempts: 1, delayMs: 0 });
    expect(s.onFailure(0).restart).toBe(true);
    s.onRunning(10);
    expect(s.onFailure(10 * 24 * 3_600_000).restart).toBe(false);
  });

  it('uses Flink defaults: one attempt, 1 s delay', () => {
    const s = createRestartStrategy({ type: 'fixed-delay' });
    expect(s.config).toEqual({ type: 'fixed-delay', attempts: 1, delayMs: 1000 });
    expect(s.onFailure(0)).toEqual({ restart: true, delayMs: 1000 });
    expect(s.onFailure(5_000).restart).toBe(false);
  });

  it('attempts: 0 never restarts; Infinity always does', () => {
    expect(createRestartStrategy({ type: 'fixed-delay', attempts: 0 }).onFailure(0).restart).toBe(false);
    const unlimited = createRestartStrategy({ type: 'fixed-delay', attempts: Infinity, delayMs: 5 });
    for (let i = 0; i < 1_000; i++) expect(unlimited.onFailure(i)).toEqual({ restart: true, delayMs: 5 });
  });

  it('stays declined once it has declined', () => {
    const s = createRestartStrategy({ type: 'fixed-delay', attempts: 0 });
    const first = s.onFailure(0);
    expect(s.onFailure(1)).toEqual(first);
  });

  it('rejects time going backwards and non-finite times', () => {
    const s = createRestartStrategy({ type: 'fixed-delay', attempts: 5 });
    s.onFailure(100);
    expect(() => s.onFailure(99)).toThrow(/backwards/);
    expect(() => s.onRunning(Number.NaN)).toThrow(/finite/);
    expect(s.onFailure(100).restart).toBe(true);
  });
});

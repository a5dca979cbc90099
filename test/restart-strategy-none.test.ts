import { describe, expect, it } from 'vitest';
import { createRestartStrategy } from '../src/checkpoint/restart-strategy.js';

describe('none', () => {
  it('declines the first failure, naming the strategy', () => {
    const s = createRestartStrategy({ type: 'none' });
    const d = s.onFailure(0);
    expect(d.restart).toBe(false);
    if (!d.restart) expect(d.reason).toMatch(/none/);
  });
});

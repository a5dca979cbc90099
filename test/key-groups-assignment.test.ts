import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_MAX_PARALLELISM,
  keyGroupOfHash,
  keyGroupRange,
  keyGroupRangeForSubtask,
  MAX_MAX_PARALLELISM,
  rangeContains,
  subtaskForKeyGroup,
  validateMaxParallelism,
} from '../src/state/key-groups.js';
import { keyGroupOf, keyHash } from '../src/state/key-codec.js';

/**
 * Flink's KeyGroupRangeAssignment written with integer arithmetic, as in its Java source:
 * start = (i * maxP + p - 1) / p, inclusive end = ((i + 1) * maxP - 1) / p.
 */
function flinkRange(maxP: number, p: number, i: number): { start: number; end: number } {
  const start = Math.floor((i * maxP + p - 1) / p);
  const endInclusive = Math.floor(((i + 1) * maxP - 1) / p);
  return { start, end: endInclusive + 1 };
}

const PAIRS: ReadonlyArray<readonly [number, number]> = [
  [1, 1],
  [2, 1],
  [2, 2],
  [7, 3],
  [10, 4],
  [128, 1],
  [128, 3],
  [128, 7],
  [128, 128],
  [100, 99],
  [1000, 33],
  [4096, 10],
  [32768, 1],
  [32768, 7],
  [32768, 32768],
];

describe('key groups: Flink range assignment', () => {
  it.each(PAIRS)('maxP=%i p=%i: every key group is owned by exactly one subtask', (maxP, p) => {
    const owner = new Int32Array(maxP).fill(-1);
    const problems: string[] = [];
    let previousEnd = 0;
    for (let i = 0; i < p; i++) {
      const r = keyGroupRangeForSubtask(maxP, p, i);
      expect(r).toEqual(flinkRange(maxP, p, i));
      expect(r.start).toBe(previousEnd); // contiguous, in subtask order
      previousEnd = r.end;
      for (let kg = r.start; kg < r.end; kg++) {
        if (owner[kg] !== -1) problems.push(`key group ${kg} owned by ${owner[kg]} and ${i}`);
        owner[kg] = i;
      }
    }
    expect(previousEnd).toBe(maxP);
    for (let kg = 0; kg < maxP; kg++) {
      if (owner[kg] === -1) problems.push(`key group ${kg} has no owner`);
      const i = subtaskForKeyGroup(maxP, p, kg);
      if (i !== owner[kg]) problems.push(`subtaskForKeyGroup(${kg}) = ${i}, range owner ${owner[kg]}`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
  });

  it('ranges are balanced: sizes differ by at most one', () => {
    for (const [maxP, p] of PAIRS) {
      const sizes = Array.from({ length: p }, (_, i) => {
        const r = keyGroupRangeForSubtask(maxP, p, i);
        return r.end - r.start;
      });
      expect(Math.max(...sizes) - Math.min(...sizes), `maxP=${maxP} p=${p}`).toBeLessThanOrEqual(1);
    }
  });

  it('subtaskForKeyGroup agrees with the ranges for random (maxP, p, keyGroup)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_MAX_PARALLELISM }).chain((maxP) =>
          fc.tuple(fc.constant(maxP), fc.integer({ min: 1, max: maxP }), fc.integer({ min: 0, max: maxP - 1 })),
        ),
        ([maxP, p, kg]) => {
          const i = subtaskForKeyGroup(maxP, p, kg);
          expect(i).toBeGreaterThanOrEqual(0);
          expect(i).toBeLessThan(p);
          expect(rangeContains(keyGroupRangeForSubtask(maxP, p, i), kg)).toBe(true);
          expect(keyGroupRangeForSubtask(maxP, p, i)).toEqual(flinkRange(maxP, p, i));
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each<[string, () => unknown, RegExp]>([
    ['parallelism 0', () => keyGroupRangeForSubtask(128, 0, 0), /parallelism must be in \[1, maxParallelism=128\]/],
    ['parallelism above maxParallelism', () => keyGroupRangeForSubtask(4, 5, 0), /parallelism/],
    ['a negative subtask index', () => keyGroupRangeForSubtask(128, 4, -1), /subtask index/],
    ['a subtask index = parallelism', () => keyGroupRangeForSubtask(128, 4, 4), /subtask index must be in \[0, 4\)/],
    ['a fractional parallelism', () => keyGroupRangeForSubtask(128, 1.5, 0), /parallelism/],
    ['maxParallelism 0', () => keyGroupRangeForSubtask(0, 1, 0), /maxParallelism/],
  ])('rejects %s', (_name, call, message) => {
    expect(call).toThrow(RangeError);
    expect(call).toThrow(message);
  });
});

describe('key groups: maxParallelism and ranges', () => {
  it('defaults to 128 and accepts [1, 32768]', () => {
    expect(DEFAULT_MAX_PARALLELISM).toBe(128);
    expect(MAX_MAX_PARALLELISM).toBe(32768);
    for (const ok of [1, 128, 32768]) expect(() => validateMaxParallelism(ok)).not.toThrow();
    for (const bad of [0, -1, 32769, 1.5, NaN, Infinity]) {
      expect(() => validateMaxParallelism(bad), String(bad)).toThrow(/maxParallelism must be an integer in \[1, 32768\]/);
    }
  });

  it('keyGroupRange validates its bounds', () => {
    expect(keyGroupRange(3, 3)).toEqual({ start: 3, end: 3 });
    expect(() => keyGroupRange(4, 3)).toThrow(RangeError);
    expect(() => keyGroupRange(-1, 3)).toThrow(RangeError);
    expect(() => keyGroupRange(0.5, 3)).toThrow(RangeError);
  });

  it('rangeContains is inclusive-exclusive', () => {
    const r = keyGroupRange(2, 5);
    expect([1, 2, 3, 4, 5].map((kg) => rangeContains(r, kg))).toEqual([false, true, true, true, false]);
  });

  it('a key group is the unsigned hash modulo maxParallelism, always in range', () => {
    expect(keyGroupOfHash(0xffffffff, 128)).toBe(127);
    expect(keyGroupOfHash(0x80000000, 3)).toBe(0x80000000 % 3);
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.double(), fc.bigInt()), fc.integer({ min: 1, max: 32768 }), (key, maxP) => {
        const kg = keyGroupOf(key, maxP);
        expect(kg).toBe(keyGroupOfHash(keyHash(key), maxP));
        expect(kg >= 0 && kg < maxP && Number.isInteger(kg)).toBe(true);
      }),
    );
  });

  it('spreads keys over all key groups', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 4000; i++) seen.add(keyGroupOf(`key-${i}`, 128));
    expect(seen.size).toBe(128);
  });
});

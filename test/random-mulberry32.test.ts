import { describe, expect, it } from 'vitest';
import { mulberry32, mulberry32At } from '../src/random/mulberry32.js';

describe('mulberry32At', () => {
  it.each([0, 1, 42, 0x7fffffff, 0xffffffff])('draw n equals the generator sequence of seed %i', (seed) => {
    const next = mulberry32(seed);
    for (let n = 0; n < 1000; n++) expect(mulberry32At(seed, n)).toBe(next());
  });
});

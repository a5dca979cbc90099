/** The count aggregate shared by the windowed counting queries (q5, q11, q12). */
import type { AggregateFunction } from '../../api/windows/window-functions.js';

/** Counts records; the accumulator is a number, so it takes the state backends' fixed-width path. */
export const COUNT: AggregateFunction<unknown, number, number> = {
  createAccumulator: () => 0,
  add: (_value, n) => n + 1,
  getResult: (n) => n,
  merge: (a, b) => a + b,
};

import type { OutputTag } from './functions.js';

/**
 * Creates a side-output tag (Flink's `new OutputTag<T>("id")`); tags are compared by id, so two calls
 * with one id name the same side output.
 *
 * @example
 * const late = outputTag<Bid>('late-bids');
 */
export function outputTag<T>(id: string): OutputTag<T> {
  if (typeof id !== 'string' || id.length === 0 || id.startsWith('__weir.')) {
    throw new TypeError(`outputTag: the id must be a non-empty string not starting with '__weir.', got ${JSON.stringify(id)}`);
  }
  return Object.freeze({ id });
}

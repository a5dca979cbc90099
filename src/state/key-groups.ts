/** Key groups as in Flink: a key hashes to one of `maxParallelism` groups; subtasks own ranges. */

export const DEFAULT_MAX_PARALLELISM = 128;
/** Upper bound, as Flink's (2^15): key groups are stored as u16. */
export const MAX_MAX_PARALLELISM = 32768;

/** A contiguous, inclusive-exclusive range of key groups `[start, end)`. */
export interface KeyGroupRange {
  readonly start: number;
  readonly end: number;
}

export function keyGroupRange(start: number, end: number): KeyGroupRange {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
    throw new RangeError(`invalid key-group range [${start}, ${end})`);
  }
  return { start, end };
}

export function validateMaxParallelism(maxParallelism: number): void {
  if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > MAX_MAX_PARALLELISM) {
    throw new RangeError(
      `maxParallelism must be an integer in [1, ${MAX_MAX_PARALLELISM}], got ${maxParallelism}`,
    );
  }
}

/** Key group of a key whose serialized bytes hash to `hash` (unsigned 32-bit). */
export function keyGroupOfHash(hash: number, maxParallelism: number): number {
  return hash % maxParallelism;
}

/** The key groups subtask `index` of `parallelism` owns (Flink's KeyGroupRangeAssignment). */
export function keyGroupRangeForSubtask(
  maxParallelism: number,
  parallelism: number,
  index: number,
): KeyGroupRange {
  validateMaxParallelism(maxParallelism);
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > maxParallelism) {
    throw new RangeError(`parallelism must be in [1, maxParallelism=${maxParallelism}], got ${parallelism}`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= parallelism) {
    throw new RangeError(`subtask index must be in [0, ${parallelism}), got ${index}`);
  }
  const start = Math.ceil((index * maxParallelism) / parallelism);
  const end = Math.ceil(((index + 1) * maxParallelism) / parallelism);
  return { start, end };
}

/** The subtask that owns `keyGroup` when running with `parallelism` subtasks. */
export function subtaskForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

export function rangeContains(range: KeyGroupRange, keyGroup: number): boolean {
  return keyGroup >= range.start && keyGroup < range.end;
}

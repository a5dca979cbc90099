/** Validates and fills in {@link KeyedStateBackendOptions}; both backends start here. */
import {
  DEFAULT_MAX_PARALLELISM,
  keyGroupRange,
  validateMaxParallelism,
  type KeyGroupRange,
} from './key-groups.js';
import type { KeyedStateBackendOptions } from './types.js';

export interface ResolvedBackendOptions {
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  readonly incremental: boolean;
  readonly clock: () => number;
}

export function resolveBackendOptions(options: KeyedStateBackendOptions): ResolvedBackendOptions {
  const maxParallelism = options.maxParallelism ?? DEFAULT_MAX_PARALLELISM;
  validateMaxParallelism(maxParallelism);
  const range = options.keyGroupRange ?? keyGroupRange(0, maxParallelism);
  if (range.start < 0 || range.end > maxParallelism || range.end < range.start) {
    throw new RangeError(
      `keyGroupRange [${range.start}, ${range.end}) is outside [0, maxParallelism=${maxParallelism})`,
    );
  }
  return {
    maxParallelism,
    keyGroupRange: range,
    incremental: options.incremental ?? true,
    clock: options.clock ?? Date.now,
  };
}

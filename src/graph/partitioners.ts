/**
 * Where a record goes on a non-chained edge: pure routing decisions the runtime calls per record. A
 * router returns downstream subtask indices; the indices are positions in the upstream subtask's
 * output channel list as {@link expandSubtasks} orders it (by downstream index).
 */
import type { Key } from '../state/types.js';
import { keyGroupOf } from '../state/key-codec.js';
import { subtaskForKeyGroup } from '../state/key-groups.js';
import type { PartitionerKind } from './job-graph.js';

/** Picks the downstream subtasks of one record. The returned array is shared and must not be modified. */
export type RecordRouter = (record: unknown) => readonly number[];

/**
 * The downstream subtask owning `key`: key → key group → the subtask whose range holds it. The same
 * mapping decides which key groups a subtask restores, so records and state always meet.
 */
export function hashTarget(key: Key, maxParallelism: number, downstreamParallelism: number): number {
  return subtaskForKeyGroup(maxParallelism, downstreamParallelism, keyGroupOf(key, maxParallelism));
}

/** What a router needs to know about its edge and the upstream subtask using it. */
export interface RouterOptions {
  readonly partitioner: PartitionerKind;
  /** Index of the upstream subtask that routes (forward keeps it; rebalance starts from it). */
  readonly upstreamIndex: number;
  readonly downstreamParallelism: number;
  readonly maxParallelism: number;
  /** Required for `hash`. */
  readonly keySelector?: (record: any) => Key;
}

/**
 * A router for one upstream subtask. Rebalance starts at `upstreamIndex` rather than at random (as
 * Flink does) so runs are reproducible; upstream subtasks still start on different channels.
 */
export function createRouter(options: RouterOptions): RecordRouter {
  const { partitioner, upstreamIndex, downstreamParallelism: n, maxParallelism } = options;
  // Frozen one-element arrays, built once, so routing a record does not allocate.
  const single = Array.from({ length: n }, (_, i) => Object.freeze([i]));
  const pick = (i: number): readonly number[] => single[i] ?? [];
  switch (partitioner) {
    case 'forward': {
      if (upstreamIndex >= n) throw new RangeError(`forward edge: upstream subtask ${upstreamIndex} has no downstream peer (parallelism ${n})`);
      const target = pick(upstreamIndex);
      return () => target;
    }
    case 'hash': {
      const selector = options.keySelector;
      if (selector === undefined) throw new TypeError('hash partitioner needs a keySelector');
      return (record) => pick(hashTarget(selector(record), maxParallelism, n));
    }
    case 'rebalance': {
      let next = upstreamIndex % n;
      return () => {
        const target = pick(next);
        next = (next + 1) % n;
        return target;
      };
    }
    case 'broadcast': {
      const all = Object.freeze(Array.from({ length: n }, (_, i) => i));
      return () => all;
    }
  }
}

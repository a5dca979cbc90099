/**
 * Job graph → subtasks: each vertex runs as `parallelism` subtasks; each edge becomes the list of
 * channels between their subtasks. Plain data, so the scheduler can deploy it and the REST API can
 * show it unchanged.
 */
import { keyGroupRangeForSubtask, type KeyGroupRange } from '../state/key-groups.js';
import type { JobGraph, PartitionerKind } from './job-graph.js';

/** One parallel instance of a vertex. */
export interface SubtaskDescriptor {
  /** `<vertexId>.<index>`, unique in the job; used in channel and checkpoint acknowledgements. */
  readonly id: string;
  readonly vertexId: number;
  readonly index: number;
  readonly parallelism: number;
  /** Only for keyed vertices: the key groups whose state and records this subtask owns. */
  readonly keyGroupRange?: KeyGroupRange;
}

/** A channel from upstream subtask `from` to downstream subtask `to` (indices within their vertices). */
export interface Channel {
  readonly from: number;
  readonly to: number;
}

/** A job edge with its channels. */
export interface ExecutionEdge {
  readonly jobEdgeId: number;
  readonly sourceVertex: number;
  readonly targetVertex: number;
  readonly partitioner: PartitionerKind;
  /**
   * Ordered by `from`, then `to`: an upstream subtask's output channels are in downstream-index order,
   * which is what router results index into. Forward is one-to-one; every other partitioner is
   * all-to-all, since any record may go to any downstream subtask.
   */
  readonly channels: readonly Channel[];
}

/** Everything the scheduler deploys. */
export interface ExecutionPlan {
  readonly jobName: string;
  readonly maxParallelism: number;
  /** Grouped by vertex (in vertex order), then by index. */
  readonly subtasks: readonly SubtaskDescriptor[];
  readonly edges: readonly ExecutionEdge[];
}

/** Expands every vertex into subtasks and every edge into channels. Pure. */
export function expandSubtasks(jobGraph: JobGraph): ExecutionPlan {
  const { maxParallelism } = jobGraph;
  const subtasks: SubtaskDescriptor[] = [];
  for (const v of jobGraph.vertices) {
    for (let index = 0; index < v.parallelism; index++) {
      const base = { id: `${v.id}.${index}`, vertexId: v.id, index, parallelism: v.parallelism };
      subtasks.push(
        Object.freeze(
          v.keyed ? { ...base, keyGroupRange: keyGroupRangeForSubtask(maxParallelism, v.parallelism, index) } : base,
        ),
      );
    }
  }

  const parallelismOf = (vertexId: number): number => {
    const v = jobGraph.vertices[vertexId];
    if (v === undefined) throw new Error(`job graph has no vertex ${vertexId}`);
    return v.parallelism;
  };
  const edges: ExecutionEdge[] = jobGraph.edges.map((e) => {
    const up = parallelismOf(e.sourceVertex);
    const down = parallelismOf(e.targetVertex);
    const channels: Channel[] = [];
    if (e.partitioner === 'forward') {
      if (up !== down) {
        throw new RangeError(`job edge ${e.id}: forward needs equal parallelism on both sides, got ${up} → ${down}`);
      }
      for (let i = 0; i < up; i++) channels.push(Object.freeze({ from: i, to: i }));
    } else {
      for (let from = 0; from < up; from++) {
        for (let to = 0; to < down; to++) channels.push(Object.freeze({ from, to }));
      }
    }
    return Object.freeze({
      jobEdgeId: e.id,
      sourceVertex: e.sourceVertex,
      targetVertex: e.targetVertex,
      partitioner: e.partitioner,
      channels: Object.freeze(channels),
    });
  });

  return Object.freeze({
    jobName: jobGraph.jobName,
    maxParallelism,
    subtasks: Object.freeze(subtasks),
    edges: Object.freeze(edges),
  });
}

/**
 * Logical graph → job graph: operators are grouped into chains (one task vertex each, operators called
 * directly, no channel in between) and every remaining edge gets a partitioner. The result is plain,
 * serializable data (the REST API and the web UI show it); it names logical nodes and edges by id, and
 * the runtime looks the user functions up in the logical graph.
 */
import { KEYED_OPERATOR_KINDS, type LogicalEdge, type LogicalGraph, type LogicalNode } from '../api/logical-graph.js';

/** How records cross an edge between two task vertices. */
export type PartitionerKind = 'forward' | 'hash' | 'rebalance' | 'broadcast';

/** One task vertex: a chain of operators that run in one subtask by direct calls. */
export interface JobVertex {
  readonly id: number;
  /** Operator names joined with ' -> ', as Flink shows chains. */
  readonly name: string;
  /** Logical node ids, head first; each operator feeds the next. */
  readonly operatorIds: readonly number[];
  readonly parallelism: number;
  /** Whether an operator of the chain uses keyed state, so each subtask owns a key-group range. */
  readonly keyed: boolean;
}

/** An edge between two vertices that is not chained. */
export interface JobEdge {
  readonly id: number;
  readonly sourceVertex: number;
  readonly targetVertex: number;
  readonly partitioner: PartitionerKind;
  /** The logical edge this comes from; it holds the key selector of a `hash` edge. */
  readonly logicalEdgeId: number;
  /** Carries this side output of the source vertex's tail operator (dead letters among them), not its main output. */
  readonly sideOutput: string | undefined;
  /** Which input of the target's head operator the edge feeds: 1 only for a two-input operator's second input. */
  readonly inputSide: 0 | 1;
}

/** The job graph: what the scheduler deploys. */
export interface JobGraph {
  readonly jobName: string;
  readonly maxParallelism: number;
  /** In topological order (a vertex's inputs have smaller ids). */
  readonly vertices: readonly JobVertex[];
  readonly edges: readonly JobEdge[];
  /** Logical edges that became direct calls inside a chain. */
  readonly chainedLogicalEdgeIds: readonly number[];
}

/**
 * The partitioner of a logical edge. An unspecified (`default`) edge is forward when both sides have
 * the same parallelism and rebalance otherwise: forward keeps records local and ordered, and it is
 * only well defined one-to-one.
 */
export function partitionerFor(edge: LogicalEdge, source: LogicalNode, target: LogicalNode): PartitionerKind {
  if (edge.partitioning !== 'default') return edge.partitioning;
  return source.parallelism === target.parallelism ? 'forward' : 'rebalance';
}

/**
 * Flink's chaining rule: `target` runs in `source`'s task when the edge is forward, `target` has no
 * other input, `source` has no other output, and neither side disabled chaining. Requiring one output
 * keeps chains linear, so a chain is a list and each operator's output goes to exactly one place.
 */
export function isChainable(
  edge: LogicalEdge,
  source: LogicalNode,
  target: LogicalNode,
  inDegree: (nodeId: number) => number,
  outDegree: (nodeId: number) => number,
): boolean {
  return (
    edge.sideOutput === undefined &&
    partitionerFor(edge, source, target) === 'forward' &&
    inDegree(target.id) === 1 &&
    outDegree(source.id) === 1 &&
    source.chainable &&
    target.chainable
  );
}

/** Builds the job graph. Pure; the logical graph must come from `env.build()` (validated). */
export function toJobGraph(graph: LogicalGraph): JobGraph {
  const inEdges = groupBy(graph.edges, (e) => e.target);
  const outEdges = groupBy(graph.edges, (e) => e.source);
  const inDegree = (id: number): number => inEdges.get(id)?.length ?? 0;
  const outDegree = (id: number): number => outEdges.get(id)?.length ?? 0;
  const node = (id: number): LogicalNode => {
    const n = graph.nodes[id];
    if (n === undefined || n.id !== id) throw new Error(`logical graph has no node #${id} (not from env.build()?)`);
    return n;
  };

  const chains: number[][] = [];
  /** nodeId → index in `chains`. */
  const vertexOf = new Map<number, number>();
  const chained: number[] = [];
  for (const n of graph.nodes) {
    const inputs = inEdges.get(n.id) ?? [];
    const only = inputs.length === 1 ? inputs[0] : undefined;
    const upstreamVertex = only === undefined ? undefined : vertexOf.get(only.source);
    if (only !== undefined && upstreamVertex !== undefined && isChainable(only, node(only.source), n, inDegree, outDegree)) {
      chains[upstreamVertex]?.push(n.id);
      vertexOf.set(n.id, upstreamVertex);
      chained.push(only.id);
    } else {
      vertexOf.set(n.id, chains.length);
      chains.push([n.id]);
    }
  }

  const vertices: JobVertex[] = chains.map((ids, id) => {
    const ops = ids.map(node);
    return Object.freeze({
      id,
      name: ops.map((o) => o.name).join(' -> '),
      operatorIds: Object.freeze(ids),
      // Chained operators share the head's parallelism (a chain condition).
      parallelism: ops[0]?.parallelism ?? 1,
      keyed: ops.some((o) => KEYED_OPERATOR_KINDS.includes(o.kind)),
    });
  });

  const chainedSet = new Set(chained);
  const edges: JobEdge[] = graph.edges
    .filter((e) => !chainedSet.has(e.id))
    .map((e, id) =>
      Object.freeze({
        id,
        sourceVertex: vertexOf.get(e.source) ?? -1,
        targetVertex: vertexOf.get(e.target) ?? -1,
        partitioner: partitionerFor(e, node(e.source), node(e.target)),
        logicalEdgeId: e.id,
        sideOutput: e.sideOutput,
        inputSide: e.inputSide ?? 0,
      }),
    );

  return Object.freeze({
    jobName: graph.settings.jobName,
    maxParallelism: graph.settings.maxParallelism,
    vertices: Object.freeze(vertices),
    edges: Object.freeze(edges),
    chainedLogicalEdgeIds: Object.freeze(chained),
  });
}

function groupBy<T>(items: readonly T[], key: (item: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list === undefined) out.set(k, [item]);
    else list.push(item);
  }
  return out;
}

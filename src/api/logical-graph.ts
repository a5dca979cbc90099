/**
 * The logical graph: what the user wrote, one node per operator, one edge per input. `keyBy`, `union`,
 * `rebalance` and `broadcast` are not nodes (as in Flink they are virtual): they only decide how the
 * next operator's input edges partition. Nodes keep the user's functions, so this graph is not
 * serializable; the job graph built from it (src/graph/) is, and refers back to nodes by id.
 */
import type { CheckpointSettings } from '../checkpoint/checkpoint-settings.js';
import type { ResolvedRestartConfig } from '../checkpoint/restart-config.js';
import type { Key, StateBackendKind } from '../state/types.js';
import type { FilterFunction, FlatMapFunction, KeyedCoProcessFunction, KeyedProcessFunction, KeySelector, MapFunction } from './functions.js';
import type { WatermarkStrategy } from './watermark-strategy.js';
import type { SinkSpec, SourceSpec } from './specs.js';

/** Every operator kind the builder creates. */
export type LogicalOperatorKind = 'source' | 'map' | 'filter' | 'flatMap' | 'keyedProcess' | 'keyedCoProcess' | 'sink';

/** Operator kinds that own state and therefore need a `uid` to be matched on restore (DESIGN.md point 7). */
export const STATEFUL_OPERATOR_KINDS: readonly LogicalOperatorKind[] = Object.freeze(['source', 'keyedProcess', 'keyedCoProcess', 'sink']);

/** Operator kinds that own keyed state: each subtask owns a key-group range and a state backend. */
export const KEYED_OPERATOR_KINDS: readonly LogicalOperatorKind[] = Object.freeze(['keyedProcess', 'keyedCoProcess']);

interface NodeBase<K extends LogicalOperatorKind> {
  /** Dense, in creation order: a node's inputs always have smaller ids, so id order is a topological order. */
  readonly id: number;
  readonly kind: K;
  readonly name: string;
  readonly uid: string | undefined;
  /** Resolved: the operator's own setting, else the environment's. */
  readonly parallelism: number;
  /** False after `disableChaining()`: the operator gets its own task on both sides. */
  readonly chainable: boolean;
  /**
   * Some stream reads this operator's dead letters (`stream.deadLetters()`): a record its function
   * throws on goes there, with the error, instead of failing the task.
   */
  readonly deadLetters: boolean;
}

/** Reads from a connector; stateful (its positions are checkpointed). */
export interface SourceNode extends NodeBase<'source'> {
  readonly source: SourceSpec<any>;
  /** Assigns event timestamps and generates watermarks; absent: records carry no timestamp. */
  readonly watermarks: WatermarkStrategy<any> | undefined;
}
/** A `map` callback. */
export interface MapNode extends NodeBase<'map'> {
  readonly fn: MapFunction<any, unknown>;
}
/** A `filter` callback. */
export interface FilterNode extends NodeBase<'filter'> {
  readonly fn: FilterFunction<any>;
}
/** A `flatMap` callback. */
export interface FlatMapNode extends NodeBase<'flatMap'> {
  readonly fn: FlatMapFunction<any, unknown>;
}
/** A keyed process function; its inputs are always hash-partitioned edges. */
export interface KeyedProcessNode extends NodeBase<'keyedProcess'> {
  readonly fn: KeyedProcessFunction<any, any, unknown>;
}
/** A keyed co-process function over two connected streams; its first input edges come first, both hash-partitioned. */
export interface KeyedCoProcessNode extends NodeBase<'keyedCoProcess'> {
  readonly fn: KeyedCoProcessFunction<any, any, any, unknown>;
}
/** Writes to a connector; stateful (pending transactions are checkpointed, DESIGN.md point 6). */
export interface SinkNode extends NodeBase<'sink'> {
  readonly sink: SinkSpec<any>;
}

/** One operator of the logical graph. */
export type LogicalNode = SourceNode | MapNode | FilterNode | FlatMapNode | KeyedProcessNode | KeyedCoProcessNode | SinkNode;

/**
 * How an edge was asked to partition. `default` lets the graph choose (forward when parallelism
 * matches, rebalance otherwise, as Flink does); the others are what `keyBy`, `rebalance()` and
 * `broadcast()` ask for.
 */
export type EdgePartitioning = 'default' | 'hash' | 'rebalance' | 'broadcast';

/** One input of an operator. */
export interface LogicalEdge {
  readonly id: number;
  readonly source: number;
  readonly target: number;
  readonly partitioning: EdgePartitioning;
  /** Present exactly when `partitioning` is `hash`. */
  readonly keySelector?: KeySelector<any, Key>;
  /**
   * The edge carries one of the source operator's side outputs (the tag's id), not its main output;
   * dead letters are the side output {@link DEAD_LETTERS_OUTPUT}.
   */
  readonly sideOutput?: string;
  /** 1 for the second input of a two-input operator (`connect`); absent (0) otherwise. */
  readonly inputSide?: 1;
}

/** The side-output id of an operator's dead letters (`stream.deadLetters()`). */
export const DEAD_LETTERS_OUTPUT = '__weir.dead-letters';

/** Job-wide settings, resolved and validated. */
export interface JobSettings {
  readonly jobName: string;
  /** Default parallelism of operators that set none. */
  readonly parallelism: number;
  /** Number of key groups; the upper bound of any operator's parallelism, fixed for the job's life. */
  readonly maxParallelism: number;
  readonly stateBackend: StateBackendKind;
  readonly checkpoint: CheckpointSettings;
  readonly restartStrategy: ResolvedRestartConfig;
}

/** The validated result of `env.build()`. */
export interface LogicalGraph {
  readonly settings: JobSettings;
  /** Ordered by id (a topological order). */
  readonly nodes: readonly LogicalNode[];
  /** Ordered by id; a node's input edges appear in the order the inputs were given (union order). */
  readonly edges: readonly LogicalEdge[];
}

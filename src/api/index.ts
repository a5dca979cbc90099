/** The job builder's public surface, re-exported by src/index.ts. */
export { StreamEnvironment, DEFAULT_RESTART_STRATEGY } from './environment.js';
export type { StreamEnvironmentOptions } from './environment.js';
export { DataStream, OperatorStream, KeyedStream, SinkOperator } from './data-stream.js';
export type { OperatorOptions, StatefulOperatorOptions } from './data-stream.js';
export { JobBuildError } from './job-build-error.js';
export type { JobBuildErrorReason } from './job-build-error.js';
export { STATEFUL_OPERATOR_KINDS } from './logical-graph.js';
export type {
  EdgePartitioning,
  JobSettings,
  LogicalEdge,
  LogicalGraph,
  LogicalNode,
  LogicalOperatorKind,
} from './logical-graph.js';
export type {
  Collector,
  DeadLetter,
  FilterFunction,
  FlatMapFunction,
  KeyedProcessContext,
  KeyedProcessFunction,
  KeyedRuntimeContext,
  KeySelector,
  MapFunction,
  OnTimerContext,
  TimerService,
} from './functions.js';
export type { SinkSpec, SourceSpec } from './specs.js';

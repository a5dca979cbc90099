/** The job builder's public surface, re-exported by src/index.ts. */
export { StreamEnvironment, DEFAULT_RESTART_STRATEGY } from './environment.js';
export type { StreamEnvironmentOptions } from './environment.js';
export { DataStream, OperatorStream, KeyedStream, SinkOperator, ConnectedStreams, ConnectedKeyedStreams } from './data-stream.js';
export type { OperatorOptions, SourceOptions, StatefulOperatorOptions } from './data-stream.js';
export { WatermarkStrategy } from './watermark-strategy.js';
export type { TimestampAssigner, WatermarkGenerator } from './watermark-strategy.js';
export { outputTag } from './output-tag.js';
export * from './windows/index.js';
export { JobBuildError } from './job-build-error.js';
export type { JobBuildErrorReason } from './job-build-error.js';
export { KEYED_OPERATOR_KINDS, STATEFUL_OPERATOR_KINDS } from './logical-graph.js';
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
  KeyedCoProcessFunction,
  KeyedProcessContext,
  KeyedProcessFunction,
  KeyedRuntimeContext,
  KeySelector,
  MapFunction,
  OnTimerContext,
  OutputTag,
  TimeDomain,
  TimerService,
} from './functions.js';
export type { SinkSpec, SourceSpec } from './specs.js';

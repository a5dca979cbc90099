/** Windows on keyed streams and windowed joins: the public surface, re-exported by src/api/index.ts. */
export {
  AlignedWindowAssigner,
  SessionWindowAssigner,
  TumblingEventTimeWindows,
  SlidingEventTimeWindows,
  EventTimeSessionWindows,
  TumblingProcessingTimeWindows,
  SlidingProcessingTimeWindows,
  ProcessingTimeSessionWindows,
  type WindowAssigner,
} from './assigners.js';
export { TimeWindow } from './time-window.js';
export { WindowedStream, type ReduceWindowOptions, type AggregateWindowOptions, type ProcessWindowOptions } from './windowed-stream.js';
export type { ReduceFunction, AggregateFunction, ProcessWindowFunction, ProcessWindowContext } from './window-functions.js';
export {
  joinStreams,
  coGroupStreams,
  JoinedStreams,
  CoGroupedStreams,
  TwoInputWhere,
  TwoInputEqualTo,
  JoinWithWindow,
  CoGroupWithWindow,
  type JoinFunction,
  type CoGroupFunction,
  type TwoInputWindowOptions,
} from './join.js';

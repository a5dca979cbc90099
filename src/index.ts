/**
 * weir: stateful stream processing for Node.js with Flink's fault-tolerance model and a
 * WebAssembly keyed-state backend. This module is the public API; everything else is internal.
 */
export { createKeyedStateBackend, STATE_BACKEND_KINDS } from './state/backend-factory.js';
export {
  valueState,
  listState,
  mapState,
  reducingState,
  aggregatingState,
  type StateOptions,
} from './state/descriptors.js';
export { Serializers, type Serializer } from './state/serializers.js';
export { ByteWriter } from './state/byte-writer.js';
export {
  DEFAULT_MAX_PARALLELISM,
  keyGroupRange,
  keyGroupRangeForSubtask,
  subtaskForKeyGroup,
  type KeyGroupRange,
} from './state/key-groups.js';
export { keyGroupOf } from './state/key-codec.js';
export { SnapshotFormatError } from './state/snapshot-format.js';
export type {
  Key,
  StateBackendKind,
  StateKind,
  StateTtlConfig,
  KeyedStateBackend,
  KeyedStateBackendOptions,
  SnapshotOptions,
  StateSnapshot,
  KeyedState,
  ValueState,
  ListState,
  MapState,
  ReducingState,
  AggregatingState,
  ValueStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  AggregatingStateDescriptor,
  StateDescriptor,
} from './state/types.js';

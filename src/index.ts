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
// State schema evolution: versioned serializers, the record serializer, and the restore error.
export { recordSerializer, RecordSerializer, type RecordSchema, type RecordField } from './state/record-serializer.js';
export type { SchemaCompatibility, SerializerSnapshot } from './state/serializers.js';
export { StateMigrationError } from './state/state-migration.js';
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

// Jobs: the builder, functions, connectors and the runtime.
export * from './api/index.js';
export { LocalExecutor, JobExecutionError, type LocalExecutorOptions, type RunStats, type OperatorRunStats } from './runtime/local-executor.js';
export type {
  JobListener,
  CheckpointSummary,
  CheckpointFailureSummary,
  RestoreSummary,
  RestartSummary,
  ProgressSummary,
} from './runtime/job-listener.js';
export {
  ConnectorRegistry,
  ConnectorConfigError,
  defaultConnectorRegistry,
  DISCARD_SINK_KIND,
  type SinkWriter,
  type SinkContext,
  type SourceFactory,
  type SinkFactory,
} from './runtime/connector-registry.js';
export { IncompatibleCheckpointError, StateFileError } from './runtime/checkpoint-recovery.js';
// Savepoints: the handle of a running job, and opening a savepoint or retained checkpoint.
export { SavepointError, type JobClient, type SavepointInfo, type SavepointOptions } from './runtime/job-client.js';
export { RestorePointError, openRestorePoint, type RestorePoint } from './storage/restore-point.js';
export type { CheckpointMetadata, SnapshotType } from './storage/checkpoint-metadata.js';
export { GeneratorSource, type GeneratorOptions, type GeneratedRecord, type KeySkew } from './connectors/generator-source.js';
export { FileLineSource, type FileSourceOptions } from './connectors/file-source.js';
export { CollectSink, type CollectSinkOptions } from './connectors/collect-sink.js';
export { TransactionalFileSink, committedFileName, type TransactionalFileSinkOptions, type PendingTransaction } from './connectors/transactional-file-sink.js';
export { SourcePositionError, type ReplayableSource } from './connectors/source.js';
// The Nexmark benchmark's event generator (Person, Auction, Bid) as a replayable source.
export * from './connectors/nexmark/index.js';

// Checkpoint settings, restart strategies and the errors recovery reports.
export {
  DEFAULT_CHECKPOINT_SETTINGS,
  resolveCheckpointSettings,
  type CheckpointSettings,
  type CheckpointSettingsInput,
  type CheckpointingMode,
} from './checkpoint/checkpoint-settings.js';
export { CheckpointError, CheckpointFailureReason } from './checkpoint/checkpoint-failure.js';
export { RESTART_DEFAULTS, type RestartStrategyConfig } from './checkpoint/restart-strategy.js';
export { NoRestorableCheckpointError, type RejectedCheckpoint } from './storage/checkpoint-restore.js';
export { StorageFormatError } from './storage/storage-error.js';

// Job files for the `weir` CLI (`export default function build(ctx: JobContext)`).
export type { JobContext } from './cli/job-context.js';

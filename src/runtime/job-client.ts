/**
 * The handle of a running job (DESIGN.md point 7): what the caller of `LocalExecutor.start`, the
 * CLI's control channel and later the REST API use to take savepoints and to stop the job with one.
 */
import type { RunStats } from './local-executor.js';

/** Where a savepoint goes. */
export interface SavepointOptions {
  /**
   * The directory the savepoint directory (`savepoint-<job>-<id>-<random>/`) is created in.
   * Default: the run's `savepointDir` option; a trigger fails when neither is set.
   */
  readonly targetDirectory?: string;
}

/** A completed savepoint. */
export interface SavepointInfo {
  /** Absolute path of the savepoint directory; pass it to `fromSavepoint` / `--from-savepoint`. */
  readonly path: string;
  /** The checkpoint id the savepoint took (ids are shared with checkpoints). */
  readonly checkpointId: number;
  /** Bytes of every file in the savepoint, `_metadata` included. */
  readonly sizeBytes: number;
  /** Trigger to durable `_metadata`, ms. */
  readonly durationMs: number;
}

/** Why a savepoint was not taken: the job is not running, not checkpointed, or the savepoint failed. */
export class SavepointError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SavepointError';
  }
}

/** A job started by `LocalExecutor.start`. */
export interface JobClient {
  readonly jobId: string;
  /** 'running' until `result` settles. */
  readonly status: 'running' | 'stopping' | 'finished' | 'failed';
  /**
   * Takes a savepoint while the job keeps running. Like Flink since 1.15, an intermediate savepoint
   * does not commit sinks: its pending output is committed by the next checkpoint, so a recovery
   * from an earlier checkpoint can never duplicate it.
   */
  triggerSavepoint(options?: SavepointOptions): Promise<SavepointInfo>;
  /**
   * Stop-with-savepoint: sources stop at their next batch boundary, a final savepoint is taken, the
   * sinks commit on its completion and the job ends; `result` then resolves. Resume with
   * `fromSavepoint: info.path`.
   */
  stopWithSavepoint(options?: SavepointOptions): Promise<SavepointInfo>;
  /** Settles when the job ends: statistics, or the failure. */
  readonly result: Promise<RunStats>;
}

/**
 * The {@link JobClient} of a job run by the local executor: forwards savepoint requests to the
 * run's checkpoint coordinator (which exists once the first attempt has restored its state), and
 * keeps the savepoint a stop took for the executor to record in the job directory.
 */
import type { CheckpointCoordinator } from '../checkpoint/checkpoint-coordinator.js';
import { SavepointError, type JobClient, type SavepointInfo, type SavepointOptions } from './job-client.js';
import type { RunStats } from './local-executor.js';

export class JobControl implements JobClient {
  status: JobClient['status'] = 'running';
  /** The run's coordinator once the first attempt restored its state; undefined without checkpointing. */
  private readonly coordinator: Promise<CheckpointCoordinator | undefined>;
  private setCoordinator!: (c: CheckpointCoordinator | undefined) => void;
  /** The savepoint a completed stop-with-savepoint took; the executor records it once the attempt ended. */
  stoppedWith: SavepointInfo | undefined;
  result!: Promise<RunStats>;

  constructor(
    readonly jobId: string,
    private readonly savepointDir: string | undefined,
  ) {
    this.coordinator = new Promise((resolve) => (this.setCoordinator = resolve));
  }

  /** The executor hands over the coordinator (or undefined: no checkpointing, or the run ended first). */
  coordinatorReady(coordinator: CheckpointCoordinator | undefined): void {
    this.setCoordinator(coordinator);
  }

  /** Adopts the run's promise as `result`, keeping `status` in step with it. */
  track(run: Promise<RunStats>): void {
    this.result = run.then(
      (stats) => {
        this.status = 'finished';
        return stats;
      },
      (error: unknown) => {
        this.status = 'failed';
        throw error;
      },
    );
    // a caller that never awaits `result` must not see an unhandled rejection from here
    this.result.catch(() => undefined);
  }

  triggerSavepoint(options: SavepointOptions = {}): Promise<SavepointInfo> {
    return this.trigger(options, false);
  }

  async stopWithSavepoint(options: SavepointOptions = {}): Promise<SavepointInfo> {
    const info = await this.trigger(options, true);
    return info;
  }

  private async trigger(options: SavepointOptions, stop: boolean): Promise<SavepointInfo> {
    if (this.status !== 'running') throw new SavepointError(`job '${this.jobId}' is ${this.status}`);
    const target = options.targetDirectory ?? this.savepointDir;
    if (target === undefined) {
      throw new SavepointError('no savepoint directory: pass targetDirectory or set the savepointDir option');
    }
    // a request made while the job is still starting waits for it rather than failing
    const coordinator = await this.coordinator;
    if (coordinator === undefined) {
      throw new SavepointError(
        `job '${this.jobId}' cannot take a savepoint: it runs without checkpointing (set checkpointDir)`,
      );
    }
    if (stop) this.status = 'stopping';
    try {
      const info = await coordinator.triggerSavepoint(target, stop);
      if (stop) this.stoppedWith = info;
      return info;
    } catch (e) {
      if (stop && this.status === 'stopping') this.status = 'running';
      throw e;
    }
  }
}

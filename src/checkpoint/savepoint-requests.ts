/**
 * The savepoints a coordinator has been asked for (DESIGN.md point 7): intermediate ones queued for
 * the next tick, at most one stop-with-savepoint (which becomes the job's final checkpoint), and per
 * triggered savepoint id the directory it writes into. The coordinator drives the checkpoint flow;
 * this keeps who waits for what, and says so when it fails.
 */
import { SavepointError, type SavepointInfo } from '../runtime/job-client.js';
import type { CheckpointMetadata } from '../storage/checkpoint-metadata.js';
import type { CheckpointStorage } from '../storage/checkpoint-store.js';
import { SavepointLocation } from './savepoint-location.js';

/** A savepoint asked for and not yet completed or failed. */
export interface SavepointRequest {
  readonly targetDirectory: string;
  /** Stop-with-savepoint: the final checkpoint of the job is this savepoint. */
  readonly stop: boolean;
  location?: SavepointLocation;
  readonly resolve: (info: SavepointInfo) => void;
  readonly reject: (error: SavepointError) => void;
}

/** See the module comment. */
export class SavepointRequests {
  private closed = false;
  /** Intermediate savepoints waiting for the next tick. */
  private readonly queued: SavepointRequest[] = [];
  /** The stop-with-savepoint request, until it completes or fails. */
  private stop: SavepointRequest | undefined;
  /** Where each savepoint id writes; `live` false once it failed (late writes are then removed). */
  private readonly locations = new Map<number, { readonly location: SavepointLocation; live: boolean }>();

  /** A new request; refused once the run is over or the job is already finishing. */
  add(targetDirectory: string, stop: boolean, finishing: boolean): Promise<SavepointInfo> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new SavepointError('the job has ended'));
      if (finishing || this.stop !== undefined) {
        return reject(new SavepointError('the job is already finishing: its sources have ended or a stop-with-savepoint is in progress'));
      }
      const request: SavepointRequest = { targetDirectory, stop, resolve, reject };
      if (stop) this.stop = request;
      else this.queued.push(request);
    });
  }

  /** The stop-with-savepoint request, if one is waiting for the sources to stop. */
  get stopRequest(): SavepointRequest | undefined {
    return this.stop;
  }

  /** The queued intermediate requests, handed over for triggering. */
  takeQueued(): SavepointRequest[] {
    return this.queued.splice(0);
  }

  /**
   * Fails every request not yet triggered, and a stop that has not completed (`stopDone` false);
   * `close` also refuses new ones. `when` finishes "… ended before the savepoint …".
   */
  failWaiting(when: string, stopDone: boolean, close = false): void {
    this.closed ||= close;
    for (const r of this.queued.splice(0)) r.reject(new SavepointError(`${when} ended before the savepoint was triggered`));
    if (this.stop !== undefined && !stopDone) this.stop.reject(new SavepointError(`${when} ended before the stop-with-savepoint completed`));
    this.stop = undefined;
  }

  /** Creates the directory of savepoint `id`; false (and the request failed) when it cannot be. */
  open(request: SavepointRequest, jobId: string, id: number): boolean {
    try {
      request.location = SavepointLocation.create(request.targetDirectory, jobId, id);
    } catch (e) {
      this.fail(request, `cannot create a savepoint directory in ${request.targetDirectory}: ${(e as Error).message}`, e);
      return false;
    }
    this.locations.set(id, { location: request.location, live: true });
    return true;
  }

  /** Where the subtasks write savepoint `id`; undefined once it failed. */
  storage(id: number): CheckpointStorage | undefined {
    const entry = this.locations.get(id);
    return entry?.live === true ? entry.location.storage : undefined;
  }

  /** Writes `_metadata` of savepoint `id` and tells the caller; false when that failed (the caller was told too). */
  async complete(request: SavepointRequest, id: number, metadata: CheckpointMetadata, durationMs: () => number): Promise<boolean> {
    const location = request.location!;
    let sizeBytes: number;
    try {
      sizeBytes = await location.complete(metadata);
    } catch (e) {
      await this.abort(request, id, `writing the savepoint's _metadata failed: ${(e as Error).message}`, e);
      return false;
    }
    request.resolve({ path: location.path, checkpointId: id, sizeBytes, durationMs: durationMs() });
    return true;
  }

  /** A triggered savepoint failed: its caller learns why, its directory goes. */
  async abort(request: SavepointRequest, id: number, message: string, cause: unknown): Promise<void> {
    const entry = this.locations.get(id);
    if (entry !== undefined) entry.live = false;
    this.fail(request, message, cause);
    await request.location?.discard();
  }

  /**
   * A subtask's write finished after its checkpoint stopped being pending. For a failed savepoint
   * the write may have recreated its directory, which goes again; 'not-a-savepoint' for a checkpoint.
   */
  discardLate(id: number): Promise<void> | 'not-a-savepoint' {
    const entry = this.locations.get(id);
    if (entry === undefined) return 'not-a-savepoint';
    return entry.live ? Promise.resolve() : entry.location.discard();
  }

  private fail(request: SavepointRequest, message: string, cause: unknown): void {
    if (request === this.stop) this.stop = undefined;
    request.reject(new SavepointError(message, { cause }));
  }
}

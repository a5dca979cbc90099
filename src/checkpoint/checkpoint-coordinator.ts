/**
 * The checkpoint coordinator (DESIGN.md point 1): triggers checkpoints, collects every stateful
 * subtask's acknowledgement, makes a fully acknowledged checkpoint durable (`_metadata`, atomically)
 * and only then notifies the subtasks; aborts checkpoints that time out or are declined (deleting
 * their files), counts failures against `tolerableFailedCheckpoints`, and applies retention.
 *
 * It lives for a whole run (all execution attempts), so checkpoint ids keep increasing and failure
 * counts carry over; each attempt {@link attach}es the hooks that reach its subtasks. The decisions
 * come from the pure pieces (CheckpointTrigger, PendingCheckpoint, FailureCounter, filesToDelete);
 * this class is the I/O and the wiring around them. Single-threaded: every method runs on the job's
 * thread, acknowledgements arrive from promise callbacks between scheduler rounds.
 */
import type { FileRef, StateHandle } from '../storage/checkpoint-metadata.js';
import { handleFiles, referencedFiles, type CheckpointMetadata, type OperatorStateMetadata } from '../storage/checkpoint-metadata.js';
import { checkpointDirName } from '../storage/checkpoint-layout.js';
import { writeCheckpointMetadata, type CheckpointStorage } from '../storage/checkpoint-store.js';
import type { Codec } from '../storage/codec.js';
import { CheckpointError, CheckpointFailureReason, FailureCounter } from './checkpoint-failure.js';
import { CheckpointFiles } from './checkpoint-files.js';
import type { CheckpointSettings } from './checkpoint-settings.js';
import { CheckpointTrigger } from './checkpoint-trigger.js';
import { AckResult, PendingCheckpoint, type CompletedCheckpoint } from './pending-checkpoint.js';
import type { SavepointInfo } from '../runtime/job-client.js';
import type { CheckpointStorage as SavepointStorage } from '../storage/checkpoint-store.js';
import { SavepointRequests, type SavepointRequest } from './savepoint-requests.js';

/** A stateful operator whose every subtask must acknowledge each checkpoint. */
export interface ExpectedOperator {
  readonly uid: string;
  readonly parallelism: number;
}

/** The handles one operator of a subtask acknowledges. */
export interface OperatorAck {
  readonly uid: string;
  readonly handles: readonly StateHandle[];
}

/** One subtask's acknowledgement (all stateful operators of its chain). */
export interface CoordinatorAck {
  readonly checkpointId: number;
  readonly subtaskIndex: number;
  readonly operators: readonly OperatorAck[];
  /** Files this checkpoint wrote for this subtask (deleted if the checkpoint is discarded). */
  readonly written: readonly FileRef[];
  readonly syncMs: number;
  readonly alignmentMs: number;
}

/** A completed checkpoint as reported to hooks and listeners (the runtime's `CheckpointSummary`). */
export interface CompletedCheckpointInfo {
  readonly checkpointId: number;
  /** Bytes of every file this checkpoint wrote itself (not the shared segments it reuses). */
  readonly writtenBytes: number;
  /** Bytes of every file the checkpoint references (what a restore reads). */
  readonly fullSizeBytes: number;
  /** Trigger to durable `_metadata`, ms. */
  readonly durationMs: number;
  /** Longest barrier alignment of any subtask, ms (0 when no subtask had several inputs). */
  readonly maxAlignmentMs: number;
  /** Longest synchronous snapshot part of any subtask, ms (the time records stood still). */
  readonly maxSyncMs: number;
  /** Triggered because every source finished: the checkpoint that commits the job's last output. */
  readonly final: boolean;
}

/** A checkpoint that failed, as reported to hooks and listeners. */
export interface FailedCheckpointInfo {
  readonly checkpointId: number;
  readonly error: CheckpointError;
  readonly consecutiveFailures: number;
}

/** How the coordinator reaches the subtasks of the current attempt. */
export interface CoordinatorHooks {
  /** Emit barrier `checkpointId` at every source subtask, now (between two batches). */
  injectBarriers(checkpointId: number, isSavepoint: boolean): void;
  /** `_metadata` of `checkpointId` is durable: pass `notifyCheckpointComplete` to every subtask. */
  notifyComplete(checkpointId: number): void;
  /** `checkpointId` was aborted: unblock its alignments, forget its chains. */
  abort(checkpointId: number): void;
}

/** Construction parameters; see {@link CheckpointCoordinator}. */
export interface CoordinatorOptions {
  readonly storage: CheckpointStorage;
  readonly settings: CheckpointSettings;
  /** Codec of `_metadata` (state files are written by the subtasks). */
  readonly metadataCodec?: Codec;
  readonly jobId: string;
  /** Recorded in savepoints' `_metadata` (informational: the format is backend-independent). */
  readonly stateBackend?: string;
  readonly maxParallelism: number;
  readonly operators: readonly ExpectedOperator[];
  /** The first id to use: above every `chk-<n>` on disk. */
  readonly firstCheckpointId: number;
  /** Completed checkpoints already on disk (the restored one and older retained ones), any order. */
  readonly retained: readonly CheckpointMetadata[];
  /** Monotonic ms for timing (trigger, timeouts, durations). */
  readonly clock: () => number;
  /** Epoch ms for the timestamps recorded in `_metadata`. */
  readonly wallClock?: () => number;
  readonly onCompleted?: (info: CompletedCheckpointInfo) => void;
  readonly onFailed?: (info: FailedCheckpointInfo) => void;
  /** Test hook; see FaultInjector in runtime/subtask-snapshotter.ts. */
  readonly faults?: (point: 'after-metadata-before-notify', checkpointId: number, subtaskIndex: undefined) => void;
}

/** Per pending checkpoint, what PendingCheckpoint does not keep. */
interface PendingExtra {
  readonly pending: PendingCheckpoint<readonly StateHandle[]>;
  readonly triggeredAtWall: number;
  readonly final: boolean;
  /** Set for a savepoint: where it goes and who waits for it. */
  readonly savepoint: SavepointRequest | undefined;
  written: FileRef[];
  maxAlignmentMs: number;
  maxSyncMs: number;
}

/** See the module comment. */
export class CheckpointCoordinator {
  private nextId: number;
  private trigger: CheckpointTrigger;
  private readonly failures: FailureCounter;
  private readonly pending = new Map<number, PendingExtra>();
  /** Retention, deletions and the storage operations in flight. */
  private readonly files: CheckpointFiles;
  private hooks: CoordinatorHooks | undefined;
  /** Set when the job must fail (tolerance exceeded, metadata fault); the executor rethrows it. */
  private fatal: { error: unknown } | undefined;
  /** Checkpoints with an id at or above this one are final (every source had ended when triggered). */
  private finalFrom: number | undefined;
  /** A final checkpoint completed: the sources are ending, nothing more to checkpoint. */
  private finalCompleted = false;
  /** Fully acknowledged checkpoints whose `_metadata` is being written. */
  private readonly completing = new Set<number>();
  private readonly wallClock: () => number;
  private lastCompleted: CompletedCheckpointInfo | undefined;
  private completedCount = 0;
  private readonly savepoints = new SavepointRequests();

  constructor(private readonly o: CoordinatorOptions) {
    this.nextId = o.firstCheckpointId;
    this.trigger = new CheckpointTrigger(o.settings, o.clock());
    this.failures = new FailureCounter(o.settings.tolerableFailedCheckpoints);
    this.files = new CheckpointFiles(o.storage, o.settings.retainedCheckpoints, o.retained, () => this.referencedByPending());
    this.wallClock = o.wallClock ?? Date.now;
  }

  /** The error that must fail the job, if any. */
  get failure(): { error: unknown } | undefined {
    return this.fatal;
  }

  /** The newest completed checkpoint of this run. */
  get latestCompleted(): CompletedCheckpointInfo | undefined {
    return this.lastCompleted;
  }

  /** Checkpoints completed during this run. */
  get numCompleted(): number {
    return this.completedCount;
  }

  /** Ids of the pending checkpoints, ascending. */
  pendingIds(): number[] {
    return [...this.pending.keys()].sort((a, b) => a - b);
  }

  /** Starts an execution attempt: new hooks, a fresh trigger (the interval counts from now). */
  attach(hooks: CoordinatorHooks): void {
    this.hooks = hooks;
    this.fatal = undefined;
    this.finalFrom = undefined;
    this.finalCompleted = false;
    this.trigger = new CheckpointTrigger(this.o.settings, this.o.clock());
  }

  /**
   * The attempt failed or ended: aborts every pending checkpoint with `reason`, waits for the
   * coordinator's own I/O, and detaches the hooks.
   */
  async detach(reason: typeof CheckpointFailureReason.TASK_FAILURE | typeof CheckpointFailureReason.COORDINATOR_SHUTDOWN): Promise<void> {
    for (const id of this.pendingIds()) this.abort(id, reason, 'the execution attempt ended');
    this.savepoints.failWaiting('the execution attempt', this.finalCompleted);
    this.hooks = undefined;
    await this.settle();
    // The job finished and nothing writes any more: leave only what the retained checkpoints need.
    if (reason === CheckpointFailureReason.COORDINATOR_SHUTDOWN && this.files.hasRetained) {
      this.files.scheduleRetention(false);
      await this.settle();
    }
  }

  /** Waits until no metadata write, deletion or retention pass is running. */
  async settle(): Promise<void> {
    await this.files.settle();
  }

  /**
   * Takes a savepoint into a new directory under `targetDirectory` (see savepoint-location.ts); with
   * `stop`, it becomes the job's final checkpoint once the sources have stopped (the caller stops
   * them when {@link stopRequested}). Savepoints are triggered at the next tick regardless of the
   * interval, and their failures do not count against `tolerableFailedCheckpoints`.
   */
  triggerSavepoint(targetDirectory: string, stop: boolean): Promise<SavepointInfo> {
    // between attempts (starting, restarting) a request waits for the next attach
    return this.savepoints.add(targetDirectory, stop, this.finalFrom !== undefined);
  }

  /** The run is over: savepoint requests still waiting fail, new ones are refused. */
  close(): void {
    this.savepoints.failWaiting('the job', this.finalCompleted, true);
  }

  /** A stop-with-savepoint was asked for: the sources must stop (then the final checkpoint is it). */
  get stopRequested(): boolean {
    return this.savepoints.stopRequest !== undefined;
  }

  /** Where the subtasks write savepoint `checkpointId`; undefined once it was aborted. */
  savepointStorage(checkpointId: number): SavepointStorage | undefined {
    return this.savepoints.storage(checkpointId);
  }

  /** Every source has ended: trigger the final checkpoint as soon as a slot is free. */
  requestFinalCheckpoint(): void {
    this.finalFrom ??= this.nextId;
  }

  /** A final checkpoint (see {@link requestFinalCheckpoint}) completed. */
  isFinal(checkpointId: number): boolean {
    return this.finalFrom !== undefined && checkpointId >= this.finalFrom;
  }

  /** Called every scheduler round: expires timed-out checkpoints and triggers one when due. */
  tick(now: number): void {
    if (this.hooks === undefined || this.fatal !== undefined || this.finalCompleted) return;
    for (const id of this.trigger.expired(now)) {
      const p = this.pending.get(id);
      const stragglers = p?.pending.notYetAcknowledged().map((s) => `${s.operatorUid}#${s.subtaskIndex}`) ?? [];
      this.abort(id, CheckpointFailureReason.TIMEOUT, `not acknowledged within ${this.o.settings.timeoutMs} ms by ${stragglers.slice(0, 5).join(', ')}`);
    }
    for (const [id, p] of this.pending) {
      if (p.savepoint !== undefined && now - p.pending.triggeredAt > this.o.settings.timeoutMs) {
        this.abort(id, CheckpointFailureReason.TIMEOUT, `savepoint not completed within ${this.o.settings.timeoutMs} ms`);
      }
    }
    if (this.fatal !== undefined) return; // an expiry just exceeded the tolerance: no new checkpoint
    for (const request of this.savepoints.takeQueued()) this.triggerNow(now, request);
    const decision = this.trigger.decide(now);
    const finalDue = this.finalFrom !== undefined && this.pendingFinalCount() === 0 && decision.kind !== 'blocked';
    if (finalDue) this.triggerNow(now, this.savepoints.stopRequest);
    // once a stop is asked for, the next checkpoint is its savepoint: none may follow it
    else if (decision.kind === 'trigger' && !this.stopRequested) this.triggerNow(now, undefined);
  }

  /** A subtask's acknowledgement; may complete the checkpoint. */
  acknowledge(ack: CoordinatorAck): void {
    const p = this.pending.get(ack.checkpointId);
    if (p === undefined) {
      this.discardLate(ack.checkpointId, ack.written);
      return;
    }
    for (const op of ack.operators) {
      const r = p.pending.acknowledge({ operatorUid: op.uid, subtaskIndex: ack.subtaskIndex }, op.handles);
      if (r === AckResult.UNKNOWN) {
        this.abort(ack.checkpointId, CheckpointFailureReason.DECLINED, `unexpected acknowledgement from ${op.uid}#${ack.subtaskIndex}`);
        this.files.discardFiles(ack.written);
        return;
      }
    }
    p.written.push(...ack.written);
    p.maxAlignmentMs = Math.max(p.maxAlignmentMs, ack.alignmentMs);
    p.maxSyncMs = Math.max(p.maxSyncMs, ack.syncMs);
    if (p.pending.isFullyAcknowledged) this.complete(p);
  }

  /** A subtask could not take or write its snapshot; `written` is what it had written already. */
  decline(checkpointId: number, subtaskIndex: number, error: unknown, written: readonly FileRef[] = []): void {
    const p = this.pending.get(checkpointId);
    if (p === undefined) {
      this.discardLate(checkpointId, written);
      return;
    }
    p.written.push(...written);
    const message = error instanceof Error ? error.message : String(error);
    this.abort(checkpointId, CheckpointFailureReason.DECLINED, `subtask ${subtaskIndex}: ${message}`, error);
  }

  /** A subtask's alignment was subsumed by a newer barrier: this checkpoint can never complete. */
  subsumedAtSubtask(checkpointId: number): void {
    if (this.pending.has(checkpointId)) this.abort(checkpointId, CheckpointFailureReason.SUBSUMED, 'a newer barrier overtook it');
  }

  /** Final checkpoints pending or completing (their `_metadata` being written): while any, no other is due. */
  private pendingFinalCount(): number {
    let n = 0;
    for (const id of this.pending.keys()) if (this.isFinal(id)) n++;
    for (const id of this.completing) if (this.isFinal(id)) n++;
    return n;
  }

  private triggerNow(now: number, savepoint: SavepointRequest | undefined): void {
    const id = this.nextId++;
    if (savepoint !== undefined && !this.savepoints.open(savepoint, this.o.jobId, id)) return;
    const expected = this.o.operators.flatMap((op) =>
      Array.from({ length: op.parallelism }, (_, subtaskIndex) => ({ operatorUid: op.uid, subtaskIndex })),
    );
    const pending = new PendingCheckpoint<readonly StateHandle[]>(id, now, expected);
    this.pending.set(id, {
      pending,
      triggeredAtWall: this.wallClock(),
      final: this.isFinal(id),
      savepoint,
      written: [],
      maxAlignmentMs: 0,
      maxSyncMs: 0,
    });
    // A savepoint is outside the periodic schedule: it neither waits for nor delays a checkpoint.
    if (savepoint === undefined) this.trigger.onTriggered(id, now);
    this.hooks?.injectBarriers(id, savepoint !== undefined);
  }

  private complete(p: PendingExtra): void {
    const id = p.pending.checkpointId;
    const now = this.o.clock();
    const completed = p.pending.finalize(now);
    this.pending.delete(id);
    if (p.savepoint !== undefined) {
      this.completeSavepoint(p, p.savepoint, completed);
      return;
    }
    this.completing.add(id);
    const metadata = this.metadataOf(completed, p);
    const hooks = this.hooks;
    this.files.track(
      (async () => {
        try {
          await writeCheckpointMetadata(this.o.storage, metadata, this.o.metadataCodec);
        } catch (e) {
          this.completing.delete(id);
          this.trigger.onAborted(id);
          this.recordFailure(id, new CheckpointError(CheckpointFailureReason.IO_ERROR, id, `writing _metadata failed: ${(e as Error).message}`, { cause: e }));
          this.files.discardCheckpoint(id, p.written);
          return;
        }
        // Durable: this checkpoint is completed in DESIGN.md's sense from here on.
        this.completing.delete(id);
        this.trigger.onCompleted(id, this.o.clock());
        this.failures.onSuccess(id);
        this.files.addCompleted(metadata);
        this.completedCount++;
        const info: CompletedCheckpointInfo = {
          checkpointId: id,
          writtenBytes: p.written.reduce((a, f) => a + f.size, 0),
          fullSizeBytes: referencedFiles(metadata).reduce((a, f) => a + f.size, 0),
          durationMs: this.o.clock() - completed.triggeredAt,
          maxAlignmentMs: p.maxAlignmentMs,
          maxSyncMs: p.maxSyncMs,
          final: p.final,
        };
        this.lastCompleted = info;
        if (p.final) this.finalCompleted = true;
        // Older checkpoints still pending are subsumed: this one covers everything they would.
        for (const older of this.pendingIds()) {
          if (older < id) this.abort(older, CheckpointFailureReason.SUBSUMED, `checkpoint ${id} completed first`);
        }
        try {
          this.o.faults?.('after-metadata-before-notify', id, undefined);
        } catch (error) {
          this.fatal ??= { error };
          return;
        }
        this.o.onCompleted?.(info);
        if (hooks !== undefined && hooks === this.hooks) hooks.notifyComplete(id);
        this.files.scheduleRetention();
      })(),
    );
  }

  /**
   * A savepoint is complete when its `_metadata` is durable. An intermediate one is not announced to
   * the subtasks (Flink ≥ 1.15: savepoints do not commit side effects, so recovering from an earlier
   * checkpoint cannot duplicate output); a stop-with-savepoint is the final checkpoint: its
   * completion commits the sinks and lets the sources end.
   */
  private completeSavepoint(p: PendingExtra, request: SavepointRequest, completed: CompletedCheckpoint<readonly StateHandle[]>): void {
    const id = completed.checkpointId;
    const metadata: CheckpointMetadata = {
      type: 'savepoint',
      ...(this.o.stateBackend === undefined ? {} : { stateBackend: this.o.stateBackend }),
      ...this.metadataOf(completed, p),
    };
    const hooks = this.hooks;
    this.completing.add(id);
    this.files.track(
      (async () => {
        const done = await this.savepoints.complete(request, id, metadata, () => this.o.clock() - completed.triggeredAt);
        this.completing.delete(id);
        if (!done || !p.final) return;
        this.finalCompleted = true;
        if (hooks !== undefined && hooks === this.hooks) hooks.notifyComplete(id);
      })(),
    );
  }

  private metadataOf(completed: CompletedCheckpoint<readonly StateHandle[]>, p: PendingExtra): CheckpointMetadata {
    const s = this.o.settings;
    const operators: OperatorStateMetadata[] = this.o.operators.map((op) => ({
      uid: op.uid,
      parallelism: op.parallelism,
      maxParallelism: this.o.maxParallelism,
      subtasks: completed.subtaskStates
        .filter((st) => st.subtask.operatorUid === op.uid)
        .map((st) => ({ subtaskIndex: st.subtask.subtaskIndex, handles: st.handles })),
    }));
    return {
      checkpointId: completed.checkpointId,
      jobId: this.o.jobId,
      triggerTimestamp: p.triggeredAtWall,
      completionTimestamp: Math.max(p.triggeredAtWall, this.wallClock()),
      settings: {
        mode: s.mode,
        intervalMs: Math.round(s.intervalMs),
        retainCount: s.retainedCheckpoints,
        incremental: s.incremental,
        codec: s.compression.codec,
        codecLevel: s.compression.level ?? 0,
      },
      operators,
    };
  }

  /**
   * Aborts a pending checkpoint: counts the failure, tells the subtasks, deletes what it wrote. With
   * incremental checkpoints, later pending ones may build on its deltas, so they are aborted too.
   */
  private abort(id: number, reason: CheckpointFailureReason, detail: string, cause?: unknown): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    const { error } = p.pending.abort(reason, detail, cause);
    this.hooks?.abort(id);
    if (p.savepoint !== undefined) {
      // a failed savepoint is its caller's news, not the job's: no failure is counted
      this.files.track(this.savepoints.abort(p.savepoint, id, `savepoint ${id} failed: ${error.message}`, error));
      return;
    }
    this.trigger.onAborted(id);
    if (reason !== CheckpointFailureReason.SUBSUMED) {
      this.recordFailure(id, error);
      if (this.o.settings.incremental) {
        for (const later of this.pendingIds()) {
          // a savepoint is written in full: it builds on nothing
          if (later > id && this.pending.get(later)?.savepoint === undefined) {
            this.abort(later, CheckpointFailureReason.DECLINED, `it builds on aborted checkpoint ${id}`);
          }
        }
      }
    }
    this.files.discardCheckpoint(id, p.written);
  }

  private recordFailure(id: number, error: CheckpointError): void {
    const verdict = this.failures.onFailure(id, error.reason);
    this.o.onFailed?.({ checkpointId: id, error, consecutiveFailures: verdict.consecutiveFailures });
    if (verdict.mustFailJob && this.fatal === undefined) {
      const tolerable = this.o.settings.tolerableFailedCheckpoints;
      this.fatal = {
        error: new CheckpointError(
          error.reason,
          id,
          `${verdict.consecutiveFailures} checkpoint failure(s) in a row exceed tolerableFailedCheckpoints=${tolerable}; last: ${error.message}`,
          { cause: error },
        ),
      };
    }
  }

  /**
   * Files of a checkpoint that is no longer pending (aborted while this subtask was still writing):
   * they and the directory the late write recreated go, unless the checkpoint completed after all.
   */
  private discardLate(checkpointId: number, written: readonly FileRef[]): void {
    if (this.files.isRetained(checkpointId) || this.completing.has(checkpointId)) return;
    const savepoint = this.savepoints.discardLate(checkpointId);
    if (savepoint === 'not-a-savepoint') this.files.discardCheckpoint(checkpointId, written);
    else this.files.track(savepoint);
  }

  /** Directories of pending checkpoints and the files they wrote or whose acks reference. */
  private referencedByPending(): Set<string> {
    const keep = new Set<string>();
    for (const p of this.pending.values()) {
      keep.add(checkpointDirName(p.pending.checkpointId));
      for (const f of p.written) keep.add(f.path);
      for (const st of p.pending.acknowledgedHandles()) for (const h of st) for (const f of handleFiles(h)) keep.add(f.path);
    }
    return keep;
  }
}

/**
 * The coordinator's housekeeping in the job directory: which completed checkpoints are retained, what
 * may be deleted (an aborted checkpoint's files, checkpoints beyond the retention count, segments no
 * live checkpoint references), and the storage operations in flight, so teardown can wait for them.
 *
 * "Live" paths are those of the retained checkpoints (from their metadata) plus whatever the
 * coordinator reports for its pending checkpoints; nothing either names is ever deleted.
 */
import { checkpointDirName } from '../storage/checkpoint-layout.js';
import { referencedFiles, type CheckpointMetadata, type FileRef } from '../storage/checkpoint-metadata.js';
import { filesToDelete } from '../storage/checkpoint-retention.js';
import { applyDeletionPlan, scanJobDirectory, type CheckpointStorage } from '../storage/checkpoint-store.js';

/** See the module comment. */
export class CheckpointFiles {
  /** Completed checkpoints still on disk, oldest first. */
  private retained: CheckpointMetadata[];
  private readonly io = new Set<Promise<unknown>>();
  /** Serializes retention passes so two never plan over the same listing. */
  private retention: Promise<void> = Promise.resolve();

  constructor(
    private readonly storage: CheckpointStorage,
    private readonly retainCount: number,
    retained: readonly CheckpointMetadata[],
    /** Paths pending checkpoints wrote or reference, and their directories. */
    private readonly pendingPaths: () => Set<string>,
  ) {
    this.retained = [...retained].sort((a, b) => a.checkpointId - b.checkpointId);
  }

  /** Whether a completed checkpoint is retained (on disk, restorable). */
  isRetained(checkpointId: number): boolean {
    return this.retained.some((m) => m.checkpointId === checkpointId);
  }

  /** Whether any completed checkpoint is retained. */
  get hasRetained(): boolean {
    return this.retained.length > 0;
  }

  /** A checkpoint's `_metadata` is durable: it is retained until a retention pass drops it. */
  addCompleted(metadata: CheckpointMetadata): void {
    this.retained.push(metadata);
  }

  /** Deletes an aborted checkpoint's directory and the segments it wrote that nothing live references. */
  discardCheckpoint(checkpointId: number, written: readonly FileRef[]): void {
    this.track(this.storage.delete(checkpointDirName(checkpointId)));
    this.discardFiles(written);
  }

  /** Deletes files nothing live references. */
  discardFiles(written: readonly FileRef[]): void {
    if (written.length === 0) return;
    const keep = this.pendingPaths();
    for (const m of this.retained) for (const f of referencedFiles(m)) keep.add(f.path);
    for (const f of written) if (!keep.has(f.path)) this.track(this.storage.delete(f.path));
  }

  /**
   * Queues a retention pass. `writersActive: false` only when no subtask can be writing (the attempt
   * ended): then every unreferenced segment and temp file is a leftover too.
   */
  scheduleRetention(writersActive = true): void {
    this.retention = this.retention.then(async () => {
      try {
        const listing = await scanJobDirectory(this.storage);
        const considered = [...this.retained];
        const plan = filesToDelete({
          listing,
          completed: considered,
          retainCount: this.retainCount,
          writersActive,
          // Retained checkpoints' references are retention's own business; pending ones are not in `completed`.
          protectedPaths: this.pendingPaths(),
        });
        await applyDeletionPlan(this.storage, plan);
        // Only what this pass decided to drop: a checkpoint that completed meanwhile stays retained.
        const kept = new Set(plan.retained);
        const dropped = new Set(considered.filter((m) => !kept.has(m.checkpointId)).map((m) => m.checkpointId));
        this.retained = this.retained.filter((m) => !dropped.has(m.checkpointId));
      } catch (e) {
        // Retention is housekeeping: a failed pass leaves extra files, never a broken checkpoint.
        console.error(`weir: checkpoint retention failed (will retry after the next checkpoint): ${(e as Error).message}`);
      }
    });
  }

  /** Runs a storage operation in the background; a failure is logged (housekeeping never fails a job). */
  track(p: Promise<unknown>): void {
    const t = p.catch((e: unknown) => {
      console.error(`weir: checkpoint storage operation failed: ${(e as Error).message}`);
    });
    this.io.add(t);
    void t.finally(() => this.io.delete(t));
  }

  /** Waits until no tracked operation or retention pass is running. */
  async settle(): Promise<void> {
    while (this.io.size > 0) await Promise.allSettled([...this.io]);
    await this.retention;
  }
}

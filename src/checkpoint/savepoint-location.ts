/**
 * Where one savepoint is written (DESIGN.md, "Files"): `<target>/savepoint-<job>-<id>-<random>/`,
 * holding `_metadata` and every file it references side by side, so the directory alone is the
 * savepoint — move or copy it and it still restores. weir never deletes a completed savepoint; it
 * only removes the directory of one that failed before its `_metadata` was written.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { METADATA_FILE } from '../storage/checkpoint-layout.js';
import { encodeCheckpointMetadata, referencedFiles, type CheckpointMetadata } from '../storage/checkpoint-metadata.js';
import { FsCheckpointStorage } from '../storage/checkpoint-store.js';

/** File name fragment of a job id: portable, bounded. */
function jobSlug(jobId: string): string {
  const s = jobId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return s.length > 0 ? s : 'job';
}

/** A savepoint directory being written. */
export class SavepointLocation {
  readonly storage: FsCheckpointStorage;

  private constructor(readonly path: string) {
    this.storage = new FsCheckpointStorage(path);
  }

  /**
   * Creates a fresh, empty savepoint directory under `targetDirectory`. Synchronous: it happens once
   * per savepoint, when its barriers are injected, and the subtasks write into it right after.
   */
  static create(targetDirectory: string, jobId: string, checkpointId: number): SavepointLocation {
    const path = join(resolve(targetDirectory), `savepoint-${jobSlug(jobId)}-${checkpointId}-${randomBytes(3).toString('hex')}`);
    mkdirSync(path, { recursive: true });
    return new SavepointLocation(path);
  }

  /** Completes the savepoint: `_metadata` written atomically; returns the savepoint's size in bytes. */
  async complete(metadata: CheckpointMetadata): Promise<number> {
    const bytes = await encodeCheckpointMetadata(metadata);
    await this.storage.writeAtomically(METADATA_FILE, bytes);
    return referencedFiles(metadata).reduce((n, f) => n + f.size, bytes.length);
  }

  /** Removes a savepoint that did not complete. */
  async discard(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }
}

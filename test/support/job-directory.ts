/**
 * Looking at a job's checkpoint directory the way recovery does: what is completed, what is
 * referenced, and what is left over. Plus a storage wrapper that checks, at every deletion while a job
 * runs, that no file of a retained checkpoint is ever deleted.
 */
import { isTempFileName } from '../../src/storage/atomic-file.js';
import { checkpointIdsOnDisk, classifyPath, metadataPath, METADATA_FILE, type DiskListing } from '../../src/storage/checkpoint-layout.js';
import { decodeCheckpointMetadata, referencedFiles, type CheckpointMetadata } from '../../src/storage/checkpoint-metadata.js';
import { checkpointProblems } from '../../src/storage/checkpoint-restore.js';
import {
  loadAllMetadata,
  scanJobDirectory,
  type CheckpointStorage,
  type StorageEntry,
} from '../../src/storage/checkpoint-store.js';

/** A job directory at rest: its files and its completed checkpoints (valid `_metadata`), oldest first. */
export interface JobDirectory {
  readonly listing: DiskListing;
  readonly completed: readonly CheckpointMetadata[];
  /** Problems a directory at rest (no job running) must not have; see {@link inspectJobDirectory}. */
  readonly problems: readonly string[];
  /** Paths under `shared/`. */
  readonly segments: readonly string[];
}

/**
 * Reads the directory and lists what is wrong with it at rest: a `chk-<n>` without valid `_metadata`
 * (an orphan of an aborted or crashed checkpoint), more completed checkpoints than `retainCount`, a
 * completed checkpoint that would not restore (missing or mis-sized file), a file inside `chk-<n>` its
 * metadata does not reference, a shared segment no completed checkpoint references, a temp file.
 */
export async function inspectJobDirectory(storage: CheckpointStorage, retainCount: number): Promise<JobDirectory> {
  const listing = await scanJobDirectory(storage);
  const loads = await loadAllMetadata(storage, listing);
  const problems: string[] = [];
  const completed: CheckpointMetadata[] = [];
  for (const id of checkpointIdsOnDisk(listing)) {
    const load = loads.get(id);
    if (load === undefined) {
      problems.push(`chk-${id} has no _metadata (left over)`);
      continue;
    }
    if (!load.ok) {
      problems.push(`chk-${id}: ${load.error}`);
      continue;
    }
    for (const why of checkpointProblems(id, listing, load)) problems.push(`chk-${id} would not restore: ${why.kind}: ${why.message}`);
    completed.push(load.metadata);
  }
  if (completed.length > retainCount) {
    problems.push(`${completed.length} completed checkpoints on disk (${completed.map((m) => m.checkpointId).join(', ')}), retainCount is ${retainCount}`);
  }
  const referenced = new Set<string>();
  for (const m of completed) for (const f of referencedFiles(m)) referenced.add(f.path);
  const segments: string[] = [];
  for (const path of listing.files.keys()) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    if (isTempFileName(name)) {
      problems.push(`temp file ${path}`);
      continue;
    }
    const area = classifyPath(path);
    if (area.area === 'shared') {
      segments.push(path);
      if (!referenced.has(path)) problems.push(`unreferenced segment ${path}`);
    } else if (area.area === 'checkpoint') {
      if (area.rest !== METADATA_FILE && !referenced.has(path)) problems.push(`stray file ${path}`);
    } else if (area.area === 'other') {
      problems.push(`unexpected file ${path}`);
    }
  }
  return { listing, completed, problems, segments: segments.sort() };
}

/** `shared/<uid>-<hash>-<subtask>-<checkpointId>-<base|delta>-<rand>.seg` → its parts (see subtask-snapshotter.ts). */
export function parseSegmentName(path: string): { subtask: number; checkpointId: number; base: boolean } | undefined {
  const m = /-(\d+)-(\d+)-(base|delta)-[0-9a-f]+\.seg$/.exec(path);
  if (m === null) return undefined;
  return { subtask: Number(m[1]), checkpointId: Number(m[2]), base: m[3] === 'base' };
}

/**
 * Wraps a storage and records every `_metadata` written (decoded), and checks every deletion against
 * the checkpoints that must be kept: the `retainCount` newest whose `_metadata` was written and not
 * deleted. A deletion that removes a file one of them references (or its `_metadata`) is recorded in
 * {@link violations}, and not carried out, so the run stays restorable for the assertions after it.
 */
export class GuardedStorage implements CheckpointStorage {
  /** Every `_metadata` written, in write order. */
  readonly metadataWritten: CheckpointMetadata[] = [];
  readonly violations: string[] = [];
  /** Paths passed to `delete`, in order. */
  readonly deleted: string[] = [];
  /** Checkpoint id → metadata, for completed checkpoints still on disk. */
  private readonly live = new Map<number, CheckpointMetadata>();

  constructor(
    readonly inner: CheckpointStorage,
    private readonly retainCount: number,
  ) {}

  list(dir: string): Promise<StorageEntry[]> {
    return this.inner.list(dir);
  }

  read(path: string): Promise<Uint8Array> {
    return this.inner.read(path);
  }

  async writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
    const m = /^chk-(\d+)\/_metadata$/.exec(path);
    const metadata = m === null ? undefined : await decodeCheckpointMetadata(bytes, path);
    await this.inner.writeAtomically(path, bytes);
    if (metadata !== undefined) {
      this.metadataWritten.push(metadata);
      this.live.set(metadata.checkpointId, metadata);
    }
  }

  async delete(path: string): Promise<void> {
    this.deleted.push(path);
    const keep = [...this.live.keys()].sort((a, b) => b - a).slice(0, this.retainCount);
    for (const id of keep) {
      const needed = [metadataPath(id), ...referencedFiles(this.live.get(id)!).map((f) => f.path)];
      const hit = needed.find((p) => p === path || p.startsWith(`${path}/`));
      if (hit !== undefined) {
        this.violations.push(`deleting ${path} removes ${hit}, which retained checkpoint ${id} needs`);
        return;
      }
    }
    await this.inner.delete(path);
    const chk = /^chk-(\d+)(\/_metadata)?$/.exec(path);
    if (chk !== null) this.live.delete(Number(chk[1]));
  }

  /** Whether `_metadata` of `checkpointId` has been written (durably, for the file storage) and not deleted. */
  isCompleted(checkpointId: number): boolean {
    return this.live.has(checkpointId);
  }
}

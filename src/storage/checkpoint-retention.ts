/**
 * What may be deleted from a job directory (DESIGN.md points 1 and 4): checkpoints beyond the
 * retention count, shared segments no retained checkpoint references (reference counting), and what
 * a crash left behind. A pure function of a {@link DiskListing} and the completed checkpoints'
 * metadata, so the "never delete a file a retained checkpoint needs" property is tested without a disk.
 *
 * Reference counts are recomputed from the retained checkpoints' metadata every time rather than kept
 * as a counter: a counter would be state that a crash can desynchronise from the files; the metadata
 * is the truth and is already at hand.
 */
import { isTempFileName } from './atomic-file.js';
import { classifyPath, parseCheckpointDirName, metadataPath, type DiskListing } from './checkpoint-layout.js';
import { referencedFiles, type CheckpointMetadata } from './checkpoint-metadata.js';

/** Why a path is on the deletion list; stable strings for logs and tests. */
export type DeletionReason =
  | 'beyond-retention' // a completed checkpoint older than the `retainCount` newest
  | 'incomplete' // a chk-<n> older than the latest completed one that never completed (crash, subsumed)
  | 'unreferenced-segment' // a shared segment no retained checkpoint references
  | 'temp-file'; // a leftover of an interrupted atomic write

/** One path to delete. */
export interface Deletion {
  /** Job-relative. */
  readonly path: string;
  readonly isDirectory: boolean;
  /** Set for `chk-<n>` directories, so the deleter can remove `_metadata` first. */
  readonly checkpointId?: number;
  readonly reason: DeletionReason;
}

/** The outcome of {@link filesToDelete}. */
export interface DeletionPlan {
  /** Ids of the checkpoints kept, newest first. */
  readonly retained: readonly number[];
  /**
   * In a safe order: checkpoint directories first (oldest first), then segments, then temp files, so
   * a crash part way never leaves a retained checkpoint without its segments.
   */
  readonly deletions: readonly Deletion[];
}

/** Input to {@link filesToDelete}. */
export interface RetentionInput {
  readonly listing: DiskListing;
  /**
   * Metadata of the completed checkpoints the caller knows: those still retained plus any being
   * discarded now (whose references say which segments become free). Any order.
   */
  readonly completed: readonly CheckpointMetadata[];
  /** How many of the newest completed checkpoints to keep (>= 1). */
  readonly retainCount: number;
  /**
   * True while the job runs: checkpoints newer than the latest completed one may be writing, so an
   * unreferenced segment is only deleted when a discarded checkpoint referenced it, and temp files
   * outside deleted directories stay. False at start-up or recovery, before any writer runs: every
   * unreferenced segment and every temp file is a leftover.
   */
  readonly writersActive: boolean;
  /** Paths an in-flight checkpoint has written or will reference; never deleted. */
  readonly protectedPaths?: Iterable<string>;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Decides what to delete after checkpoint n completed (or at start-up). Never lists a file a retained
 * checkpoint references, a `taskowned/` file other than a leftover temp file, or a directory of a
 * checkpoint newer than the latest completed one (it may still be in flight, or be damaged evidence
 * that recovery reported).
 *
 * @example
 * const plan = filesToDelete({ listing, completed, retainCount: 3, writersActive: true });
 * await applyDeletionPlan(storage, plan);
 */
export function filesToDelete(input: RetentionInput): DeletionPlan {
  const { listing, retainCount, writersActive } = input;
  if (!Number.isSafeInteger(retainCount) || retainCount < 1) {
    throw new RangeError(`retainCount must be an integer >= 1, got ${retainCount}`);
  }
  const byId = new Map<number, CheckpointMetadata>();
  for (const m of input.completed) byId.set(m.checkpointId, m);
  const newestFirst = [...byId.keys()].sort((a, b) => b - a);
  const retained = newestFirst.slice(0, retainCount);
  const retainedSet = new Set(retained);
  const latest = newestFirst[0] ?? -1;
  const protectedPaths = new Set(input.protectedPaths ?? []);

  const referenced = new Set<string>();
  for (const id of retained) for (const f of referencedFiles(byId.get(id)!)) referenced.add(f.path);
  const freedByDiscard = new Set<string>();
  for (const id of newestFirst.slice(retainCount)) {
    for (const f of referencedFiles(byId.get(id)!)) if (!referenced.has(f.path)) freedByDiscard.add(f.path);
  }

  const dirDeletions: Deletion[] = [];
  const deletedDirs = new Set<string>();
  // A kept checkpoint whose _metadata we could not read may reference any segment: keep them all.
  let unreadableKept = false;
  const chkDirs = [...listing.directories]
    .filter((d) => !d.includes('/') && parseCheckpointDirName(d) !== undefined)
    .map((d) => ({ dir: d, id: parseCheckpointDirName(d)! }))
    .sort((a, b) => a.id - b.id);
  for (const { dir, id } of chkDirs) {
    if (retainedSet.has(id)) continue;
    const protectedInside = [...protectedPaths].some((p) => p === dir || p.startsWith(`${dir}/`));
    if (id < latest && !protectedInside) {
      const reason: DeletionReason = byId.has(id) ? 'beyond-retention' : 'incomplete';
      dirDeletions.push({ path: dir, isDirectory: true, checkpointId: id, reason });
      deletedDirs.add(dir);
    } else if (!byId.has(id) && listing.files.has(metadataPath(id))) {
      unreadableKept = true;
    }
  }

  const segmentDeletions: Deletion[] = [];
  const tempDeletions: Deletion[] = [];
  const sortedFiles = [...listing.files.keys()].sort();
  for (const path of sortedFiles) {
    if (protectedPaths.has(path)) continue;
    const area = classifyPath(path);
    if (area.area === 'checkpoint' && deletedDirs.has(path.slice(0, path.indexOf('/')))) continue;
    if (isTempFileName(basename(path))) {
      if (!writersActive) tempDeletions.push({ path, isDirectory: false, reason: 'temp-file' });
      continue;
    }
    if (area.area !== 'shared' || referenced.has(path)) continue;
    const orphanAtRest = !writersActive && !unreadableKept;
    if (freedByDiscard.has(path) || orphanAtRest) {
      segmentDeletions.push({ path, isDirectory: false, reason: 'unreferenced-segment' });
    }
  }
  return { retained, deletions: [...dirDeletions, ...segmentDeletions, ...tempDeletions] };
}

/**
 * Which checkpoint to restore from (DESIGN.md point 5): the newest one whose `_metadata` decodes and
 * whose every referenced file is on disk with the recorded size; otherwise the next older one, with
 * the reasons each newer one was passed over so recovery can say so loudly. A pure function of a
 * {@link DiskListing} and the decoded metadata, so every fallback case is tested without a disk.
 *
 * Content corruption of a state file with the right size is not seen here; the restore that reads
 * it fails with a StorageFormatError, and the caller can retry excluding that checkpoint.
 */
import { checkpointIdsOnDisk, metadataPath, type DiskListing } from './checkpoint-layout.js';
import { referencedFiles, type CheckpointMetadata } from './checkpoint-metadata.js';

/** The outcome of reading one `_metadata`: decoded, or the error message (which names the file). */
export type MetadataLoad =
  | { readonly ok: true; readonly metadata: CheckpointMetadata }
  | { readonly ok: false; readonly error: string };

/**
 * Why a checkpoint cannot be restored. `incomplete` (no `_metadata`) is expected for a checkpoint
 * that was in flight at a crash; the others mean damage and deserve a warning.
 */
export type RejectionKind =
  | 'incomplete'
  | 'metadata-invalid'
  | 'metadata-mismatch'
  | 'missing-file'
  | 'size-mismatch'
  /** A file had the recorded size but failed to decode (checksum, codec) when restoring. */
  | 'state-unreadable';

/** One reason, with the job-relative path it concerns. */
export interface RejectionReason {
  readonly kind: RejectionKind;
  readonly path: string;
  readonly message: string;
}

/** A checkpoint newer than the chosen one (or any, when none was chosen) and why it was skipped. */
export interface RejectedCheckpoint {
  readonly checkpointId: number;
  readonly reasons: readonly RejectionReason[];
}

/** What to restore, and what was passed over on the way (newest first). */
export interface RestoreDecision {
  /** Undefined only when `allowEmpty` was set and nothing was usable. */
  readonly checkpoint: { readonly checkpointId: number; readonly metadata: CheckpointMetadata } | undefined;
  readonly rejected: readonly RejectedCheckpoint[];
}

/** Options for {@link chooseRestoreCheckpoint}. */
export interface RestoreOptions {
  /** Start with empty state instead of throwing when no checkpoint is usable (a first run). */
  readonly allowEmpty?: boolean;
  /** Refuse metadata of another job (a directory copied into the wrong place). */
  readonly jobId?: string;
}

/** Nothing on disk can be restored; `rejected` says why for each candidate, newest first. */
export class NoRestorableCheckpointError extends Error {
  constructor(readonly rejected: readonly RejectedCheckpoint[]) {
    super(
      rejected.length === 0
        ? 'no checkpoint to restore from: the checkpoint directory holds no chk-<n> directories'
        : `no restorable checkpoint among ${rejected.length} candidate(s):\n` + describeRejections(rejected),
    );
    this.name = 'NoRestorableCheckpointError';
  }
}

/** A multi-line summary of rejections, one line per reason, for logs. */
export function describeRejections(rejected: readonly RejectedCheckpoint[]): string {
  return rejected
    .flatMap((r) => r.reasons.map((why) => `  chk-${r.checkpointId}: ${why.kind}: ${why.message}`))
    .join('\n');
}

/**
 * Why checkpoint `checkpointId` cannot be restored (empty when it can). Every missing or mis-sized
 * file is listed, not just the first, so one log line shows the extent of the damage.
 */
export function checkpointProblems(
  checkpointId: number,
  listing: DiskListing,
  load: MetadataLoad | undefined,
  options: RestoreOptions = {},
): RejectionReason[] {
  const mpath = metadataPath(checkpointId);
  if (!listing.files.has(mpath) || load === undefined) {
    return [{ kind: 'incomplete', path: mpath, message: 'no _metadata: the checkpoint never completed' }];
  }
  if (!load.ok) return [{ kind: 'metadata-invalid', path: mpath, message: load.error }];
  const m = load.metadata;
  if (m.checkpointId !== checkpointId) {
    return [{ kind: 'metadata-mismatch', path: mpath, message: `_metadata is for checkpoint ${m.checkpointId}` }];
  }
  if (options.jobId !== undefined && m.jobId !== options.jobId) {
    return [{ kind: 'metadata-mismatch', path: mpath, message: `_metadata is for job "${m.jobId}", not "${options.jobId}"` }];
  }
  const problems: RejectionReason[] = [];
  for (const f of referencedFiles(m)) {
    const size = listing.files.get(f.path);
    if (size === undefined) {
      problems.push({ kind: 'missing-file', path: f.path, message: `${f.path} is missing` });
    } else if (size !== f.size) {
      problems.push({
        kind: 'size-mismatch',
        path: f.path,
        message: `${f.path} has ${size} bytes, _metadata records ${f.size}${size < f.size ? ' (truncated)' : ''}`,
      });
    }
  }
  return problems;
}

/**
 * The newest restorable checkpoint. `metadataOf` gives the decoded `_metadata` of a checkpoint id
 * (see `loadAllMetadata` in checkpoint-store.ts); it is a lookup, not I/O, so this stays pure.
 * Throws {@link NoRestorableCheckpointError} when nothing is usable, unless `allowEmpty`.
 *
 * @example
 * const d = chooseRestoreCheckpoint(listing, (id) => loads.get(id), { jobId });
 * if (d.rejected.length > 0) log.warn(describeRejections(d.rejected));
 */
export function chooseRestoreCheckpoint(
  listing: DiskListing,
  metadataOf: (checkpointId: number) => MetadataLoad | undefined,
  options: RestoreOptions = {},
): RestoreDecision {
  const rejected: RejectedCheckpoint[] = [];
  const ids = checkpointIdsOnDisk(listing).reverse();
  for (const id of ids) {
    const load = metadataOf(id);
    const reasons = checkpointProblems(id, listing, load, options);
    if (reasons.length === 0 && load?.ok) {
      return { checkpoint: { checkpointId: id, metadata: load.metadata }, rejected };
    }
    rejected.push({ checkpointId: id, reasons });
  }
  if (options.allowEmpty) return { checkpoint: undefined, rejected };
  throw new NoRestorableCheckpointError(rejected);
}

/**
 * Names inside a job's checkpoint directory (DESIGN.md, "Files"):
 *
 *   <checkpoint-dir>/<job-id>/chk-<n>/_metadata    completed checkpoint n
 *   <checkpoint-dir>/<job-id>/chk-<n>/…            files only checkpoint n uses (deleted with it)
 *   <checkpoint-dir>/<job-id>/shared/<id>.seg      incremental segments, reference-counted
 *   <checkpoint-dir>/<job-id>/taskowned/…          owned by the running job, never touched by retention
 *
 * Every path the metadata stores, and every path the storage interface takes, is relative to the
 * job directory and '/'-separated. That is what makes a job directory relocatable: copy it anywhere
 * and {@link resolveInJobDirectory} finds the same files.
 */
import { join } from 'node:path';

/** The file whose appearance completes a checkpoint. */
export const METADATA_FILE = '_metadata';
/** Segments that several checkpoints may reference. */
export const SHARED_DIR = 'shared';
/** State the running job owns; retention leaves it alone. */
export const TASK_OWNED_DIR = 'taskowned';
/** Suffix of a shared segment file. */
export const SEGMENT_SUFFIX = '.seg';

/** Decimal without leading zeros, so `chk-07` and `chk-7` cannot both name checkpoint 7. */
const CHECKPOINT_DIR = /^chk-(0|[1-9][0-9]*)$/;
/** Segment ids become file names: keep them portable and free of separators. */
const SEGMENT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** `chk-<n>`; checkpoint ids are non-negative safe integers. */
export function checkpointDirName(checkpointId: number): string {
  if (!Number.isSafeInteger(checkpointId) || checkpointId < 0) {
    throw new RangeError(`invalid checkpoint id ${checkpointId}`);
  }
  return `chk-${checkpointId}`;
}

/** The checkpoint id a directory name denotes, or undefined for anything that is not `chk-<n>`. */
export function parseCheckpointDirName(name: string): number | undefined {
  const m = CHECKPOINT_DIR.exec(name);
  if (!m) return undefined;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) ? id : undefined;
}

/** `chk-<n>/_metadata`, relative to the job directory. */
export function metadataPath(checkpointId: number): string {
  return `${checkpointDirName(checkpointId)}/${METADATA_FILE}`;
}

/** `shared/<id>.seg`, relative to the job directory. */
export function sharedSegmentPath(segmentId: string): string {
  if (!SEGMENT_ID.test(segmentId)) throw new RangeError(`invalid segment id "${segmentId}"`);
  return `${SHARED_DIR}/${segmentId}${SEGMENT_SUFFIX}`;
}

/** Which area of the job directory a path falls in; what retention and validation decide on. */
export type PathArea =
  | { readonly area: 'checkpoint'; readonly checkpointId: number; readonly rest: string }
  | { readonly area: 'shared'; readonly rest: string }
  | { readonly area: 'taskowned'; readonly rest: string }
  | { readonly area: 'other' };

/** Classifies a job-relative path by its first component (`rest` is what follows it, possibly ''). */
export function classifyPath(path: string): PathArea {
  const slash = path.indexOf('/');
  const head = slash < 0 ? path : path.slice(0, slash);
  const rest = slash < 0 ? '' : path.slice(slash + 1);
  const id = parseCheckpointDirName(head);
  if (id !== undefined) return { area: 'checkpoint', checkpointId: id, rest };
  if (head === SHARED_DIR) return { area: 'shared', rest };
  if (head === TASK_OWNED_DIR) return { area: 'taskowned', rest };
  return { area: 'other' };
}

/**
 * Why a path is not a normalised job-relative path, or undefined when it is. Absolute paths and `..`
 * would tie a checkpoint to one location or let a corrupt file point outside the job directory.
 */
export function relativePathProblem(path: string): string | undefined {
  if (path.length === 0) return 'is empty';
  if (path.includes('\\')) return 'contains a backslash';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'is absolute';
  if (path.includes('\0')) return 'contains a NUL byte';
  for (const part of path.split('/')) {
    if (part === '' || part === '.' || part === '..') return `has an empty, "." or ".." component`;
  }
  return undefined;
}

/** Throws a RangeError for a path {@link relativePathProblem} rejects; guards the storage edge. */
export function assertRelativePath(path: string): void {
  const problem = relativePathProblem(path);
  if (problem !== undefined) throw new RangeError(`path "${path}" ${problem}`);
}

/** `<checkpoint-dir>/<job-id>`: the root every stored path is relative to. */
export function jobDirectory(checkpointDir: string, jobId: string): string {
  if (relativePathProblem(jobId) !== undefined || jobId.includes('/')) {
    throw new RangeError(`job id "${jobId}" cannot be a directory name`);
  }
  return join(checkpointDir, jobId);
}

/** An OS path for a job-relative path under `jobDir`, wherever that directory now lives. */
export function resolveInJobDirectory(jobDir: string, path: string): string {
  assertRelativePath(path);
  return join(jobDir, ...path.split('/'));
}

/**
 * Everything under a job directory, as plain data so restore and retention decisions are pure
 * functions of it (STYLE.md: "decision logic pure, I/O at the edge").
 */
export interface DiskListing {
  /** Job-relative file path → size in bytes. */
  readonly files: ReadonlyMap<string, number>;
  /** Job-relative directory paths, including empty ones (a crash can leave an empty `chk-<n>`). */
  readonly directories: ReadonlySet<string>;
}

/** Builds a listing from `{ path: size }`; directories are implied by the files plus `extraDirs`. */
export function diskListing(files: Readonly<Record<string, number>>, extraDirs: readonly string[] = []): DiskListing {
  const map = new Map<string, number>();
  const dirs = new Set<string>();
  const addParents = (p: string): void => {
    for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) dirs.add(p.slice(0, i));
  };
  for (const [p, size] of Object.entries(files)) {
    assertRelativePath(p);
    map.set(p, size);
    addParents(p);
  }
  for (const d of extraDirs) {
    assertRelativePath(d);
    dirs.add(d);
    addParents(d);
  }
  return { files: map, directories: dirs };
}

/** Checkpoint ids that have a `chk-<n>` directory, ascending. */
export function checkpointIdsOnDisk(listing: DiskListing): number[] {
  const ids = new Set<number>();
  for (const d of listing.directories) {
    if (d.includes('/')) continue;
    const id = parseCheckpointDirName(d);
    if (id !== undefined) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

/**
 * The id the next checkpoint should get after a restart: above every `chk-<n>` on disk, including
 * rejected or incomplete ones, so a new checkpoint never writes into a directory with stale files.
 */
export function nextCheckpointId(listing: DiskListing): number {
  const ids = checkpointIdsOnDisk(listing);
  const last = ids[ids.length - 1];
  return last === undefined ? 1 : last + 1;
}

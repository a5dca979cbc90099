/**
 * Where a run starts when a savepoint is involved (DESIGN.md point 7). A savepoint (or a retained
 * checkpoint the user points at) starts a new history in the job's checkpoint directory: the
 * completed checkpoints of the earlier run there are superseded — resuming from one of them later
 * would silently go back before the savepoint — so they are deleted once the savepoint has been read
 * in full. A retained checkpoint of this very directory keeps itself and its predecessors.
 *
 * Stop-with-savepoint leaves a marker in the job directory, so that running the job again without
 * naming the savepoint resumes from it rather than from the older checkpoint before it, which would
 * emit again what the savepoint's completion committed.
 */
import { dirname, resolve } from 'node:path';
import { checkpointIdsOnDisk, METADATA_FILE } from '../storage/checkpoint-layout.js';
import { FsCheckpointStorage, loadAllMetadata, scanJobDirectory, type CheckpointStorage } from '../storage/checkpoint-store.js';
import { openRestorePoint, RestorePointError, type RestorePoint } from '../storage/restore-point.js';
import { textDecoder, textEncoder } from '../state/byte-writer.js';
import { restoreFromPoint, type MatchingOptions, type RecoveredCheckpoint } from './checkpoint-recovery.js';
import type { JobListener } from './job-listener.js';

/** Name of the stop-with-savepoint marker in the job directory. */
export const STOP_MARKER = 'stopped-with-savepoint.json';

/** A savepoint the run starts from, already read and matched to the job. */
export interface StartingPoint {
  readonly point: RestorePoint;
  readonly restored: RecoveredCheckpoint;
}

/**
 * Opens the savepoint to start from — `fromSavepoint`, or else the stop marker's when it is newer
 * than every completed checkpoint — reads and matches its state, then supersedes the job directory's
 * older history. Undefined when the run simply resumes from its latest checkpoint.
 */
export async function startingPoint(
  storage: CheckpointStorage,
  fromSavepoint: string | undefined,
  matching: MatchingOptions,
  listener: JobListener | undefined,
): Promise<StartingPoint | undefined> {
  let path = fromSavepoint;
  let announce: string | undefined;
  if (path === undefined) {
    const marker = await readStopMarker(storage);
    if (marker === undefined || (await newestCompleted(storage)) >= marker.checkpointId) return undefined;
    path = marker.path;
    announce = `the job was stopped with savepoint ${marker.path}: resuming from it`;
    if (listener === undefined) console.warn(`weir: ${announce}`);
  }
  let point: RestorePoint;
  try {
    point = await openRestorePoint(path);
  } catch (e) {
    if (announce === undefined) throw e;
    throw new RestorePointError(`${announce}, but ${(e as Error).message}; name a savepoint to start from, or start over`, { cause: e });
  }
  const restored = await restoreFromPoint(point, matching);
  const superseded = await supersede(storage, point);
  if (superseded.length > 0 && listener === undefined) {
    console.warn(`weir: starting from ${point.type} ${point.path}: deleted superseded checkpoint(s) ${superseded.join(', ')}`);
  }
  await storage.delete(STOP_MARKER);
  return { point, restored };
}

/** The same restored state with the next checkpoint id at least `next`. */
export function withNextId(restored: RecoveredCheckpoint, next: number): RecoveredCheckpoint {
  return { ...restored, nextCheckpointId: Math.max(restored.nextCheckpointId, next) };
}

/** Records a completed stop-with-savepoint in the job directory. */
export async function writeStopMarker(storage: CheckpointStorage, path: string, checkpointId: number): Promise<void> {
  await storage.writeAtomically(STOP_MARKER, textEncoder.encode(JSON.stringify({ path, checkpointId })));
}

async function readStopMarker(storage: CheckpointStorage): Promise<{ path: string; checkpointId: number } | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await storage.read(STOP_MARKER);
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(textDecoder.decode(bytes)) as { path?: unknown; checkpointId?: unknown };
    if (typeof v.path === 'string' && Number.isSafeInteger(v.checkpointId)) return { path: v.path, checkpointId: v.checkpointId as number };
  } catch {
    // reported below
  }
  throw new RestorePointError(`${STOP_MARKER} in the job directory is corrupt; delete it to resume from the latest checkpoint`);
}

async function newestCompleted(storage: CheckpointStorage): Promise<number> {
  const loads = await loadAllMetadata(storage, await scanJobDirectory(storage));
  let newest = 0;
  for (const [id, load] of loads) if (load.ok) newest = Math.max(newest, id);
  return newest;
}

/** Deletes the checkpoints `point` supersedes (see the module comment); returns their names. */
async function supersede(storage: CheckpointStorage, point: RestorePoint): Promise<string[]> {
  const own =
    point.type === 'checkpoint' &&
    storage instanceof FsCheckpointStorage &&
    resolve(storage.jobDir) === dirname(point.path);
  const gone: string[] = [];
  for (const id of checkpointIdsOnDisk(await scanJobDirectory(storage))) {
    if (own && id <= point.metadata.checkpointId) continue;
    // _metadata first: a crash half way leaves an incomplete checkpoint, never a damaged complete one
    await storage.delete(`chk-${id}/${METADATA_FILE}`);
    await storage.delete(`chk-${id}`);
    gone.push(`chk-${id}`);
  }
  return gone;
}

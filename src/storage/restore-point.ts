/**
 * A snapshot a user points at (DESIGN.md point 7): a savepoint directory, or a retained checkpoint
 * `chk-<n>` of some job directory, given as the directory or as its `_metadata` file. Opening one
 * validates the metadata and that every file it references is there with the recorded size, and says
 * which file is wrong when one is not; decoding the files is the reader's part.
 *
 * The metadata's file paths are relative: to the savepoint directory for a savepoint, to the job
 * directory (the parent of `chk-<n>`) for a checkpoint. That is what makes both relocatable.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { METADATA_FILE, parseCheckpointDirName } from './checkpoint-layout.js';
import { decodeCheckpointMetadata, referencedFiles, type CheckpointMetadata, type FileRef } from './checkpoint-metadata.js';
import { FsCheckpointStorage, type CheckpointStorage } from './checkpoint-store.js';

/** A savepoint or retained checkpoint that cannot be used; the message names the path and the problem. */
export class RestorePointError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RestorePointError';
  }
}

/** An opened savepoint or retained checkpoint. */
export interface RestorePoint {
  readonly type: 'savepoint' | 'checkpoint';
  /** Absolute path of the savepoint directory or of `chk-<n>`. */
  readonly path: string;
  readonly metadata: CheckpointMetadata;
  /** Reads the metadata's file paths (rooted at the savepoint directory, or at the job directory). */
  readonly storage: CheckpointStorage;
  /** Absolute OS path of a file the metadata references, for messages. */
  osPath(file: FileRef | string): string;
}

/**
 * Opens the savepoint or checkpoint at `path`; throws {@link RestorePointError} naming the problem
 * (no `_metadata`, a corrupt one, a missing or truncated file).
 */
export async function openRestorePoint(path: string): Promise<RestorePoint> {
  let dir = resolve(path);
  if (basename(dir) === METADATA_FILE) dir = dirname(dir);
  const metadataFile = join(dir, METADATA_FILE);
  const dirStat = await stat(dir).catch(() => undefined);
  if (dirStat === undefined) throw new RestorePointError(`${dir} does not exist`);
  if (!dirStat.isDirectory()) throw new RestorePointError(`${dir} is not a savepoint or checkpoint directory`);
  const own = new FsCheckpointStorage(dir);
  let bytes: Uint8Array;
  try {
    bytes = await own.read(METADATA_FILE);
  } catch {
    throw new RestorePointError(`${dir} has no ${METADATA_FILE}: not a completed savepoint or checkpoint`);
  }
  let metadata: CheckpointMetadata;
  try {
    metadata = await decodeCheckpointMetadata(bytes, metadataFile);
  } catch (e) {
    throw new RestorePointError(`${(e as Error).message}`, { cause: e });
  }
  const type = metadata.type ?? 'checkpoint';
  let root = dir;
  if (type === 'checkpoint') {
    const id = parseCheckpointDirName(basename(dir));
    if (id !== metadata.checkpointId) {
      throw new RestorePointError(
        `${metadataFile} is the metadata of checkpoint ${metadata.checkpointId}, but its directory is not chk-${metadata.checkpointId}: ` +
          'a checkpoint must stay inside its job directory (take a savepoint to move state elsewhere)',
      );
    }
    root = dirname(dir);
  }
  const storage = type === 'savepoint' ? own : new FsCheckpointStorage(root);
  const osPath = (f: FileRef | string): string => join(root, ...(typeof f === 'string' ? f : f.path).split('/'));
  const problems: string[] = [];
  for (const f of referencedFiles(metadata)) {
    const st = await stat(osPath(f)).catch(() => undefined);
    if (st === undefined || !st.isFile()) problems.push(`${osPath(f)} is missing`);
    else if (st.size !== f.size) {
      problems.push(`${osPath(f)} has ${st.size} bytes, ${METADATA_FILE} records ${f.size}${st.size < f.size ? ' (truncated)' : ''}`);
    }
  }
  if (problems.length > 0) {
    throw new RestorePointError(`${type} ${dir} cannot be restored:\n  ${problems.join('\n  ')}`);
  }
  return { type, path: dir, metadata, storage, osPath };
}

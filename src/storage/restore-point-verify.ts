/**
 * `weir verify`: checks every file of a savepoint or retained checkpoint and reports each one, OK or
 * what is wrong, rather than stopping at the first bad file as a restore does: after an incident one
 * wants the extent of the damage. `_metadata` is checked first (its container, then its schema);
 * each referenced file for presence, its recorded size, its container (magic, kind, version, both
 * CRC32s) and, for keyed state, the snapshot inside: its CRC, header, index and every entry, and that
 * it is what the metadata says it is (key groups, maxParallelism, full or incremental).
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { readSnapshotEntries, readSnapshotHeader, SnapshotFormatError, type SnapshotHeader } from '../state/snapshot-format.js';
import { METADATA_FILE, parseCheckpointDirName } from './checkpoint-layout.js';
import { decodeCheckpointMetadata, handleFiles, type CheckpointMetadata, type FileRef, type OperatorStateMetadata } from './checkpoint-metadata.js';
import { decodeFile, FILE_KIND } from './file-container.js';
import { RestorePointError } from './restore-point.js';
import { isKeyedHandle, type KeyedHandle } from './restore-point-state.js';

/** The verdict on one file. */
export interface FileVerdict {
  /** As the metadata names it (relative to the savepoint or job directory), or `_metadata`. */
  readonly path: string;
  readonly osPath: string;
  /** Undefined when the file is good. */
  readonly error?: string;
}

export interface VerifyReport {
  /** The savepoint or `chk-<n>` directory. */
  readonly path: string;
  /** Known when `_metadata` decodes. */
  readonly metadata?: CheckpointMetadata;
  /** `_metadata` first, then every referenced file once, in metadata order. */
  readonly files: readonly FileVerdict[];
  readonly ok: boolean;
}

/** What a file must be, from the handle that references it. */
type Expectation =
  | { readonly kind: 'operator' }
  | { readonly kind: 'keyed'; readonly op: OperatorStateMetadata; readonly handle: KeyedHandle; readonly position: number };

/**
 * Verifies the savepoint or checkpoint at `path` (the directory or its `_metadata`). Throws a
 * {@link RestorePointError} only when `path` is not one at all (missing, not a directory, no
 * `_metadata`); every problem of its files is a verdict in the report.
 */
export async function verifyRestorePoint(path: string): Promise<VerifyReport> {
  let dir = resolve(path);
  if (basename(dir) === METADATA_FILE) dir = dirname(dir);
  const dirStat = await stat(dir).catch(() => undefined);
  if (dirStat === undefined) throw new RestorePointError(`${dir} does not exist`);
  if (!dirStat.isDirectory()) throw new RestorePointError(`${dir} is not a savepoint or checkpoint directory`);
  const metadataOsPath = join(dir, METADATA_FILE);
  const bytes = await readFile(metadataOsPath).catch(() => undefined);
  if (bytes === undefined) throw new RestorePointError(`${dir} has no ${METADATA_FILE}: not a completed savepoint or checkpoint`);

  const metadataVerdict = (error?: string): FileVerdict => ({ path: METADATA_FILE, osPath: metadataOsPath, ...(error === undefined ? {} : { error }) });
  let metadata: CheckpointMetadata;
  try {
    metadata = await decodeCheckpointMetadata(bytes, metadataOsPath);
  } catch (e) {
    return { path: dir, files: [metadataVerdict((e as Error).message)], ok: false };
  }
  const type = metadata.type ?? 'checkpoint';
  let misplaced: string | undefined;
  if (type === 'checkpoint' && parseCheckpointDirName(basename(dir)) !== metadata.checkpointId) {
    misplaced = `metadata of checkpoint ${metadata.checkpointId} in a directory not named chk-${metadata.checkpointId}: its file paths cannot be resolved`;
  }
  // Paths are relative to the savepoint directory, or to the job directory holding chk-<n>.
  const root = type === 'savepoint' ? dir : dirname(dir);
  const files: FileVerdict[] = [metadataVerdict(misplaced)];
  for (const [ref, expect] of referencedWithExpectations(metadata)) {
    const osPath = join(root, ...ref.path.split('/'));
    const error = await fileProblem(osPath, ref, expect);
    files.push({ path: ref.path, osPath, ...(error === undefined ? {} : { error }) });
  }
  return { path: dir, metadata, files, ok: files.every((f) => f.error === undefined) };
}

/** Each file once, with what its first referencing handle says it must be. */
function referencedWithExpectations(metadata: CheckpointMetadata): Map<FileRef, Expectation> {
  const out = new Map<FileRef, Expectation>();
  const seen = new Set<string>();
  for (const op of metadata.operators) {
    for (const st of op.subtasks) {
      for (const handle of st.handles) {
        handleFiles(handle).forEach((ref, position) => {
          if (seen.has(ref.path)) return;
          seen.add(ref.path);
          out.set(ref, isKeyedHandle(handle) ? { kind: 'keyed', op, handle, position } : { kind: 'operator' });
        });
      }
    }
  }
  return out;
}

/** What is wrong with one file, or undefined. */
async function fileProblem(osPath: string, ref: FileRef, expect: Expectation): Promise<string | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(osPath);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `cannot read: ${(e as Error).message}`;
  }
  if (bytes.length !== ref.size) {
    return `has ${bytes.length} bytes, ${METADATA_FILE} records ${ref.size}${bytes.length < ref.size ? ' (truncated)' : ''}`;
  }
  try {
    if (expect.kind === 'operator') {
      await decodeFile(bytes, FILE_KIND.operatorState);
      return undefined;
    }
    checkKeyedSnapshot(await decodeFile(bytes, FILE_KIND.stateSegment), expect);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The snapshot's own checks (CRC, header, index, every entry) plus agreement with the metadata. */
function checkKeyedSnapshot(raw: Uint8Array, expect: Extract<Expectation, { kind: 'keyed' }>): void {
  const header: SnapshotHeader = readSnapshotHeader(raw);
  const ids = new Set(header.states.map((s) => s.id));
  readSnapshotEntries(raw, header, header.keyGroups, {
    put(_kg, c) {
      const sid = c[0]! | (c[1]! << 8);
      if (!ids.has(sid)) throw new SnapshotFormatError(`entry of state id ${sid}, which the state table does not list`);
    },
    delete() {},
  });
  const { op, handle, position } = expect;
  // A restore reads every handle's files as a chain: a full snapshot, then deltas.
  const want = position === 0 ? 'full' : 'incremental';
  const problems: string[] = [];
  if (header.maxParallelism !== op.maxParallelism) {
    problems.push(`maxParallelism ${header.maxParallelism}, operator "${op.uid}" has ${op.maxParallelism}`);
  }
  if (header.keyGroups.start !== handle.keyGroups.start || header.keyGroups.end !== handle.keyGroups.end) {
    problems.push(
      `covers key groups [${header.keyGroups.start}, ${header.keyGroups.end}), ${METADATA_FILE} says [${handle.keyGroups.start}, ${handle.keyGroups.end})`,
    );
  }
  if (header.kind !== want) problems.push(`is a ${header.kind} snapshot at position ${position} of its chain, expected ${want}`);
  if (problems.length > 0) throw new SnapshotFormatError(`snapshot ${problems.join('; ')}`);
}

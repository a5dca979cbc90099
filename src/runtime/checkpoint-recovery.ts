/**
 * Where an execution attempt starts from (DESIGN.md point 5): the newest completed checkpoint whose
 * files are all present and decode, else the next older one, loudly. Reads every state file the job's
 * subtasks need up front, so a checkpoint whose content turns out corrupt is passed over before any
 * subtask starts, not half way through a deployment.
 *
 * Starting empty is only silent when nothing was ever completed (every `chk-<n>` lacks `_metadata`: a
 * first run, or a crash during the first checkpoint). When completed checkpoints exist but none is
 * usable, recovery fails with every reason, unless the caller allows an empty start.
 */
import type { CheckpointMetadata, FileRef } from '../storage/checkpoint-metadata.js';
import { nextCheckpointId } from '../storage/checkpoint-layout.js';
import {
  checkpointProblems,
  chooseRestoreCheckpoint,
  NoRestorableCheckpointError,
  type MetadataLoad,
  type RejectedCheckpoint,
} from '../storage/checkpoint-restore.js';
import { filesToDelete } from '../storage/checkpoint-retention.js';
import { applyDeletionPlan, loadAllMetadata, scanJobDirectory, type CheckpointStorage } from '../storage/checkpoint-store.js';
import { decodeFile, FILE_KIND } from '../storage/file-container.js';
import type { RestorePoint } from '../storage/restore-point.js';
import { assignState, type RestoringOperator, type SubtaskRestoreState, type WrittenSubtaskState } from './state-assignment.js';

export { IncompatibleCheckpointError, type RestoringOperator, type SubtaskRestoreState } from './state-assignment.js';

/** The outcome of {@link recoverLatestCheckpoint}. */
export interface RecoveredCheckpoint {
  /** Undefined when starting with empty state. */
  readonly checkpointId: number | undefined;
  /** Newer checkpoints passed over, newest first, with reasons. */
  readonly rejected: readonly RejectedCheckpoint[];
  /** Completed, restorable checkpoints up to the restored one (retention's starting point). */
  readonly retained: readonly CheckpointMetadata[];
  /** The id the next checkpoint takes: above everything on disk. */
  readonly nextCheckpointId: number;
  /** State of `uid` subtask `index`, or undefined when the checkpoint holds none for it. */
  stateOf(uid: string, subtaskIndex: number): SubtaskRestoreState | undefined;
}

/** How restored state is matched to the job being started. */
export interface MatchingOptions {
  readonly operators: readonly RestoringOperator[];
  readonly maxParallelism: number;
  /** Drop state of uids the job no longer has instead of failing. */
  readonly allowNonRestoredState: boolean;
}

/** Options of {@link recoverLatestCheckpoint}. */
export interface RecoveryOptions extends MatchingOptions {
  readonly jobId: string;
  /** Start empty when completed checkpoints exist but none is usable. */
  readonly allowEmpty: boolean;
  /** Remove leftovers (incomplete checkpoints, unreferenced segments, temp files); only when no writer runs. */
  readonly cleanUp?: { readonly retainCount: number };
}

/** See the module comment. */
export async function recoverLatestCheckpoint(storage: CheckpointStorage, options: RecoveryOptions): Promise<RecoveredCheckpoint> {
  const listing = await scanJobDirectory(storage);
  const loads = await loadAllMetadata(storage, listing);
  const unreadable = new Map<number, string>();
  const metadataOf = (id: number): MetadataLoad | undefined => {
    const why = unreadable.get(id);
    return why === undefined ? loads.get(id) : { ok: false, error: why };
  };
  for (;;) {
    const decision = chooseRestoreCheckpoint(listing, metadataOf, { jobId: options.jobId, allowEmpty: true });
    const rejected = decision.rejected.map((r) =>
      unreadable.has(r.checkpointId)
        ? { checkpointId: r.checkpointId, reasons: [{ kind: 'state-unreadable' as const, path: r.reasons[0]?.path ?? '', message: unreadable.get(r.checkpointId)! }] }
        : r,
    );
    const chosen = decision.checkpoint;
    if (chosen === undefined) {
      const damaged = rejected.some((r) => r.reasons.some((why) => why.kind !== 'incomplete'));
      if (damaged && !options.allowEmpty) throw new NoRestorableCheckpointError(rejected);
      if (options.cleanUp !== undefined) await cleanUp(storage, [], options.cleanUp.retainCount);
      return empty(rejected, nextCheckpointId(listing));
    }
    let written: Map<string, WrittenSubtaskState>;
    try {
      written = await readWrittenState(storage, chosen.metadata, (f) => f.path);
    } catch (e) {
      unreadable.set(chosen.checkpointId, (e as Error).message);
      continue;
    }
    const states = assignState(chosen.metadata, (uid, i) => written.get(`${uid}#${i}`), {
      ...options,
      describe: `checkpoint ${chosen.checkpointId}`,
    });
    const retained: CheckpointMetadata[] = [];
    for (const [id, load] of loads) {
      if (id > chosen.checkpointId || !load.ok || unreadable.has(id)) continue;
      if (checkpointProblems(id, listing, load, { jobId: options.jobId }).length === 0) retained.push(load.metadata);
    }
    if (options.cleanUp !== undefined) await cleanUp(storage, retained, options.cleanUp.retainCount);
    return {
      checkpointId: chosen.checkpointId,
      rejected,
      retained,
      nextCheckpointId: nextCheckpointId(listing),
      stateOf: (uid, index) => states.get(`${uid}#${index}`),
    };
  }
}

function empty(rejected: readonly RejectedCheckpoint[], next: number): RecoveredCheckpoint {
  return { checkpointId: undefined, rejected, retained: [], nextCheckpointId: next, stateOf: () => undefined };
}

/**
 * Restores the savepoint or retained checkpoint a user pointed at. Every file is read and decoded
 * before anything deploys; a corrupt one fails with the file's path.
 */
export async function restoreFromPoint(point: RestorePoint, options: MatchingOptions): Promise<RecoveredCheckpoint> {
  const { metadata } = point;
  const written = await readWrittenState(point.storage, metadata, point.osPath);
  const states = assignState(metadata, (uid, i) => written.get(`${uid}#${i}`), {
    ...options,
    describe: `${point.type} ${point.path}`,
  });
  return {
    checkpointId: metadata.checkpointId,
    rejected: [],
    retained: [],
    nextCheckpointId: metadata.checkpointId + 1,
    stateOf: (uid, index) => states.get(`${uid}#${index}`),
  };
}

/** Reads and decodes every file of a snapshot, by `uid#subtask`; errors name the file (`name(f)`). */
async function readWrittenState(
  storage: CheckpointStorage,
  metadata: CheckpointMetadata,
  name: (f: FileRef) => string,
): Promise<Map<string, WrittenSubtaskState>> {
  const out = new Map<string, WrittenSubtaskState>();
  const read = async (f: FileRef, kind: typeof FILE_KIND.stateSegment | typeof FILE_KIND.operatorState): Promise<Uint8Array> => {
    try {
      return await decodeFile(await storage.read(f.path), kind);
    } catch (e) {
      throw new StateFileError(`${name(f)}: ${(e as Error).message}`, { cause: e });
    }
  };
  for (const op of metadata.operators) {
    for (const st of op.subtasks) {
      const keyed: Array<WrittenSubtaskState['keyed'][number]> = [];
      const operatorFiles: Uint8Array[] = [];
      for (const h of st.handles) {
        if (h.kind === 'operator') {
          for (const f of h.files) operatorFiles.push(await read(f, FILE_KIND.operatorState));
        } else if (h.kind === 'keyed-full') {
          const chain: Uint8Array[] = [];
          for (const f of h.files) chain.push(await read(f, FILE_KIND.stateSegment));
          keyed.push({ keyGroups: h.keyGroups, chain, shared: [] });
        } else {
          const chain: Uint8Array[] = [];
          for (const f of h.chain) chain.push(await read(f, FILE_KIND.stateSegment));
          keyed.push({ keyGroups: h.keyGroups, chain, shared: h.chain });
        }
      }
      out.set(`${op.uid}#${st.subtaskIndex}`, { keyed, operatorFiles });
    }
  }
  return out;
}

/** A state file of a snapshot failed to decode (checksum, codec, format); the message names it. */
export class StateFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateFileError';
  }
}

async function cleanUp(storage: CheckpointStorage, retained: readonly CheckpointMetadata[], retainCount: number): Promise<void> {
  const listing = await scanJobDirectory(storage);
  const plan = filesToDelete({ listing, completed: retained, retainCount, writersActive: false });
  await applyDeletionPlan(storage, plan);
}

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

/** What one subtask of one operator restores. */
export interface SubtaskRestoreState {
  /** Keyed state: a full snapshot then incrementals (empty for a non-keyed operator). */
  readonly keyedChain: readonly Uint8Array[];
  /** The files of `keyedChain` when they are shared segments, so the next snapshot can extend the chain. */
  readonly sharedChain: readonly FileRef[];
  /** Operator state (source position, sink transactions), one entry per file. */
  readonly operatorState: readonly Uint8Array[];
}

/** A stateful operator of the job being started. */
export interface RestoringOperator {
  readonly uid: string;
  readonly parallelism: number;
}

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

/** Options of {@link recoverLatestCheckpoint}. */
export interface RecoveryOptions {
  readonly jobId: string;
  readonly operators: readonly RestoringOperator[];
  /** Start empty when completed checkpoints exist but none is usable. */
  readonly allowEmpty: boolean;
  /** Remove leftovers (incomplete checkpoints, unreferenced segments, temp files); only when no writer runs. */
  readonly cleanUp?: { readonly retainCount: number };
}

/** A checkpoint that cannot be applied to this job (different operators or parallelism). */
export class IncompatibleCheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncompatibleCheckpointError';
  }
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
    checkCompatible(chosen.metadata, options.operators);
    let states: Map<string, SubtaskRestoreState>;
    try {
      states = await readStates(storage, chosen.metadata);
    } catch (e) {
      unreadable.set(chosen.checkpointId, (e as Error).message);
      continue;
    }
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
 * Same operators (by uid) with the same parallelism. Rescaling and dropping state are savepoint
 * features: until they exist a mismatch fails here, naming the operator, instead of restoring wrong.
 */
function checkCompatible(metadata: CheckpointMetadata, operators: readonly RestoringOperator[]): void {
  const byUid = new Map(operators.map((o) => [o.uid, o]));
  for (const op of metadata.operators) {
    const now = byUid.get(op.uid);
    if (now === undefined) {
      throw new IncompatibleCheckpointError(
        `checkpoint ${metadata.checkpointId} holds state of operator uid "${op.uid}", which this job does not have ` +
          `(restoring it would drop that state)`,
      );
    }
    if (now.parallelism !== op.parallelism) {
      throw new IncompatibleCheckpointError(
        `checkpoint ${metadata.checkpointId} was taken with operator "${op.uid}" at parallelism ${op.parallelism}, ` +
          `the job now has ${now.parallelism} (changing parallelism needs a savepoint restore)`,
      );
    }
  }
}

async function readStates(storage: CheckpointStorage, metadata: CheckpointMetadata): Promise<Map<string, SubtaskRestoreState>> {
  const out = new Map<string, SubtaskRestoreState>();
  const read = async (f: FileRef, kind: typeof FILE_KIND.stateSegment | typeof FILE_KIND.operatorState): Promise<Uint8Array> => {
    const bytes = await storage.read(f.path);
    try {
      return await decodeFile(bytes, kind);
    } catch (e) {
      throw new Error(`${f.path}: ${(e as Error).message}`, { cause: e });
    }
  };
  for (const op of metadata.operators) {
    for (const st of op.subtasks) {
      const keyedChain: Uint8Array[] = [];
      const sharedChain: FileRef[] = [];
      const operatorState: Uint8Array[] = [];
      for (const h of st.handles) {
        if (h.kind === 'operator') {
          for (const f of h.files) operatorState.push(await read(f, FILE_KIND.operatorState));
        } else if (h.kind === 'keyed-full') {
          for (const f of h.files) keyedChain.push(await read(f, FILE_KIND.stateSegment));
        } else {
          for (const f of h.chain) keyedChain.push(await read(f, FILE_KIND.stateSegment));
          sharedChain.push(...h.chain);
        }
      }
      out.set(`${op.uid}#${st.subtaskIndex}`, { keyedChain, sharedChain, operatorState });
    }
  }
  return out;
}

async function cleanUp(storage: CheckpointStorage, retained: readonly CheckpointMetadata[], retainCount: number): Promise<void> {
  const listing = await scanJobDirectory(storage);
  const plan = filesToDelete({ listing, completed: retained, retainCount, writersActive: false });
  await applyDeletionPlan(storage, plan);
}

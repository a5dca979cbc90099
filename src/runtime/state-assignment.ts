/**
 * Which restored state each subtask of the job being started gets (DESIGN.md point 7): state is
 * matched to operators by uid; a uid the job no longer has fails the restore unless
 * `allowNonRestoredState`; an operator the snapshot lacks starts empty. When an operator's
 * parallelism changed, keyed state is re-cut by key group (a subtask reads only the key groups it
 * owns) and operator state is redistributed entry by entry (operator-state-list.ts).
 */
import { keyGroupRangeForSubtask, type KeyGroupRange } from '../state/key-groups.js';
import { mergeSnapshotChains } from '../state/snapshot-merge.js';
import type { CheckpointMetadata, FileRef } from '../storage/checkpoint-metadata.js';
import { decodeStateList, redistributeStateLists } from '../storage/operator-state-list.js';

/** What one subtask of one operator restores. */
export interface SubtaskRestoreState {
  /** Keyed state: a full snapshot then incrementals (empty for a non-keyed operator). */
  readonly keyedChain: readonly Uint8Array[];
  /** The files of `keyedChain` when they are shared segments it may extend; empty after a rescale. */
  readonly sharedChain: readonly FileRef[];
  /** Operator-state entries (a source's splits, a sink's transactions), see operator-state-list.ts. */
  readonly operatorState: readonly Uint8Array[];
}

/** A stateful operator of the job being started. */
export interface RestoringOperator {
  readonly uid: string;
  readonly parallelism: number;
  /** Whether it has keyed state (a keyed process function). */
  readonly keyed: boolean;
}

/** The decoded files of one old subtask, as written. */
export interface WrittenSubtaskState {
  readonly keyed: ReadonlyArray<{ readonly keyGroups: KeyGroupRange; readonly chain: readonly Uint8Array[]; readonly shared: readonly FileRef[] }>;
  /** Payload of each operator-state file (an encoded entry list). */
  readonly operatorFiles: readonly Uint8Array[];
}

/** A snapshot that cannot be applied to this job; the message names the operator. */
export class IncompatibleCheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IncompatibleCheckpointError';
  }
}

export interface AssignmentOptions {
  readonly operators: readonly RestoringOperator[];
  readonly maxParallelism: number;
  /** Drop state of uids the job no longer has instead of failing. */
  readonly allowNonRestoredState: boolean;
  /** "checkpoint 7" or "savepoint /path", for messages. */
  readonly describe: string;
}

/** Subtask state by `uid#index` for the new job. */
export type AssignedState = ReadonlyMap<string, SubtaskRestoreState>;

/**
 * Assigns the snapshot's state to the job's subtasks; `written(uid, i)` gives old subtask `i`'s
 * decoded files. Throws {@link IncompatibleCheckpointError} before anything is deployed.
 */
export function assignState(
  metadata: CheckpointMetadata,
  written: (uid: string, subtaskIndex: number) => WrittenSubtaskState | undefined,
  o: AssignmentOptions,
): AssignedState {
  const out = new Map<string, SubtaskRestoreState>();
  const byUid = new Map(o.operators.map((op) => [op.uid, op]));
  const dropped: string[] = [];
  for (const old of metadata.operators) {
    const now = byUid.get(old.uid);
    if (now === undefined) {
      dropped.push(old.uid);
      continue;
    }
    const olds = Array.from({ length: old.parallelism }, (_, i) => written(old.uid, i) ?? { keyed: [], operatorFiles: [] });
    const hasKeyed = olds.some((w) => w.keyed.length > 0);
    if (hasKeyed && !now.keyed) {
      throw new IncompatibleCheckpointError(`${o.describe} holds keyed state for uid "${old.uid}", which is not a keyed operator in this job`);
    }
    if (hasKeyed && old.maxParallelism !== o.maxParallelism) {
      throw new IncompatibleCheckpointError(
        `${o.describe} was taken with maxParallelism ${old.maxParallelism} for uid "${old.uid}", the job has ${o.maxParallelism}: ` +
          'keyed state is cut into maxParallelism key groups, so maxParallelism cannot change',
      );
    }
    const rescaled = old.parallelism !== now.parallelism;
    const lists = redistributeStateLists(
      olds.map((w) => w.operatorFiles.flatMap((f) => decodeStateList(f, `uid "${old.uid}"`))),
      now.parallelism,
    );
    for (let j = 0; j < now.parallelism; j++) {
      const keyed = hasKeyed ? keyedFor(olds, o.maxParallelism, now.parallelism, j, rescaled) : { keyedChain: [], sharedChain: [] };
      out.set(`${old.uid}#${j}`, { ...keyed, operatorState: lists[j]! });
    }
  }
  if (dropped.length > 0 && !o.allowNonRestoredState) {
    throw new IncompatibleCheckpointError(
      `${o.describe} holds state of operator uid ${dropped.map((u) => `"${u}"`).join(', ')}, which this job does not have; ` +
        'set allowNonRestoredState (--allow-non-restored-state) to start without that state',
    );
  }
  return out;
}

function keyedFor(
  olds: readonly WrittenSubtaskState[],
  maxParallelism: number,
  parallelism: number,
  j: number,
  rescaled: boolean,
): Pick<SubtaskRestoreState, 'keyedChain' | 'sharedChain'> {
  if (!rescaled) {
    const own = olds[j]!.keyed;
    if (own.length === 0) return { keyedChain: [], sharedChain: [] };
    if (own.length > 1) throw new Error('internal: a subtask wrote two keyed handles for one operator');
    return { keyedChain: own[0]!.chain, sharedChain: own[0]!.shared };
  }
  const range = keyGroupRangeForSubtask(maxParallelism, parallelism, j);
  const overlapping = olds.flatMap((w) => w.keyed).filter((h) => h.keyGroups.start < range.end && range.start < h.keyGroups.end);
  if (overlapping.length === 0) return { keyedChain: [], sharedChain: [] };
  const only = overlapping[0]!;
  // One old chain covering the whole range restores as it is: the backend reads only its key groups.
  if (overlapping.length === 1 && only.keyGroups.start <= range.start && range.end <= only.keyGroups.end) {
    return { keyedChain: only.chain, sharedChain: [] };
  }
  return { keyedChain: [mergeSnapshotChains(overlapping.map((h) => h.chain), maxParallelism, range)], sharedChain: [] };
}

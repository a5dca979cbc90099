/**
 * What a savepoint or retained checkpoint holds (the "state processor" of `weir inspect`, for
 * debugging and migration): a summary per operator uid and subtask (key groups, handles, files,
 * bytes on disk and uncompressed, entries per keyed state after applying incremental chains,
 * operator-state entries), and a dump of one operator's keyed state as plain objects.
 *
 * Everything is read through the restore path's own readers (restore-point-state.ts), so what is
 * shown is what a restore would load.
 */
import { compareBytes, type SnapshotStateInfo } from '../state/snapshot-format.js';
import { decodeStateEntry, type DecodedStateEntry } from '../state/state-entry-decoder.js';
import type { KeyGroupRange } from '../state/key-groups.js';
import type { StateKind } from '../state/types.js';
import { decodeStateList } from './operator-state-list.js';
import { handleFiles, type CheckpointSettingsSummary, type OperatorStateMetadata, type SnapshotType } from './checkpoint-metadata.js';
import { FILE_KIND } from './file-container.js';
import { isKeyedHandle, rawEntries, readKeyedHandle, readRestorePointFile, type RawEntry } from './restore-point-state.js';
import type { RestorePoint } from './restore-point.js';

/** A request about an operator or state the restore point does not hold; lists what it does hold. */
export class InspectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InspectionError';
  }
}

/** Files and their sizes: on disk (as stored, maybe compressed) and raw (uncompressed payloads). */
export interface FileTotals {
  readonly files: number;
  readonly bytes: number;
  readonly rawBytes: number;
}

/** One keyed state of an operator. */
export interface StateSummary {
  readonly name: string;
  readonly kind: StateKind;
  readonly ttl: boolean;
  readonly serializerId: string;
  /** Live entries (a map entry counts one) over all subtasks. */
  readonly entries: number;
}

export interface SubtaskSummary extends FileTotals {
  readonly subtaskIndex: number;
  /** The key groups its keyed state covers; absent for a subtask with only operator state. */
  readonly keyGroups?: KeyGroupRange;
  /** Handle kinds with their file counts, e.g. `keyed-incremental(3)`. */
  readonly handles: readonly string[];
  /** Live keyed entries by state name. */
  readonly keyedEntries: Readonly<Record<string, number>>;
  /** Entries of its operator state list; absent without operator state, null when it is not a list. */
  readonly operatorStateEntries?: number | null;
}

export interface OperatorSummary extends FileTotals {
  readonly uid: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly states: readonly StateSummary[];
  readonly subtasks: readonly SubtaskSummary[];
}

export interface RestorePointSummary extends FileTotals {
  readonly type: SnapshotType;
  readonly path: string;
  readonly checkpointId: number;
  readonly jobId: string;
  readonly stateBackend?: string;
  readonly triggerTimestamp: number;
  readonly completionTimestamp: number;
  readonly settings: CheckpointSettingsSummary;
  readonly operators: readonly OperatorSummary[];
}

/** Reads every file of `rp` and summarizes it; throws a RestorePointReadError naming a bad file. */
export async function summarizeRestorePoint(rp: RestorePoint): Promise<RestorePointSummary> {
  const m = rp.metadata;
  const operators: OperatorSummary[] = [];
  for (const op of m.operators) operators.push(await summarizeOperator(rp, op));
  return {
    type: rp.type,
    path: rp.path,
    checkpointId: m.checkpointId,
    jobId: m.jobId,
    ...(m.stateBackend === undefined ? {} : { stateBackend: m.stateBackend }),
    triggerTimestamp: m.triggerTimestamp,
    completionTimestamp: m.completionTimestamp,
    settings: m.settings,
    ...sumTotals(operators),
    operators,
  };
}

async function summarizeOperator(rp: RestorePoint, op: OperatorStateMetadata): Promise<OperatorSummary> {
  const states = new Map<string, { info: SnapshotStateInfo; entries: number }>();
  const subtasks: SubtaskSummary[] = [];
  for (const st of [...op.subtasks].sort((a, b) => a.subtaskIndex - b.subtaskIndex)) {
    let files = 0;
    let bytes = 0;
    let rawBytes = 0;
    let keyGroups: KeyGroupRange | undefined;
    let operatorStateEntries: number | null | undefined;
    const keyedEntries: Record<string, number> = {};
    for (const h of st.handles) {
      const refs = handleFiles(h);
      files += refs.length;
      for (const f of refs) bytes += f.size;
      if (isKeyedHandle(h)) {
        keyGroups = h.keyGroups;
        const { rawBytes: raw, restored } = await readKeyedHandle(rp, op, h);
        for (const n of raw) rawBytes += n;
        for (const info of restored.states) {
          const n = restored.entries.get(info.id)?.length ?? 0;
          keyedEntries[info.name] = (keyedEntries[info.name] ?? 0) + n;
          const s = states.get(info.name) ?? { info, entries: 0 };
          s.entries += n;
          states.set(info.name, s);
        }
      } else {
        for (const f of refs) {
          const raw = await readRestorePointFile(rp, f, FILE_KIND.operatorState);
          rawBytes += raw.length;
          const n = stateListLength(raw);
          operatorStateEntries = n === null || operatorStateEntries === null ? null : (operatorStateEntries ?? 0) + n;
        }
      }
    }
    subtasks.push({
      subtaskIndex: st.subtaskIndex,
      ...(keyGroups === undefined ? {} : { keyGroups }),
      handles: st.handles.map((h) => `${h.kind}(${handleFiles(h).length})`),
      files,
      bytes,
      rawBytes,
      keyedEntries,
      ...(operatorStateEntries === undefined ? {} : { operatorStateEntries }),
    });
  }
  return {
    uid: op.uid,
    parallelism: op.parallelism,
    maxParallelism: op.maxParallelism,
    ...sumTotals(subtasks),
    states: [...states.values()]
      .sort((a, b) => a.info.id - b.info.id)
      .map(({ info, entries }) => ({ name: info.name, kind: info.kind, ttl: info.ttl, serializerId: info.serializerId, entries })),
    subtasks,
  };
}

/**
 * Operator state is a list of entries (operator-state-list.ts) whose contents belong to the
 * operator; files written before that layout are one opaque blob, reported as null.
 */
function stateListLength(raw: Uint8Array): number | null {
  try {
    return decodeStateList(raw, 'operator state').length;
  } catch {
    return null;
  }
}

function sumTotals(parts: readonly FileTotals[]): FileTotals {
  return parts.reduce((t, p) => ({ files: t.files + p.files, bytes: t.bytes + p.bytes, rawBytes: t.rawBytes + p.rawBytes }), {
    files: 0,
    bytes: 0,
    rawBytes: 0,
  });
}

/** One line of a keyed-state dump: a decoded entry and where it lives. */
export interface KeyedStateRecord extends DecodedStateEntry {
  readonly subtask: number;
  readonly keyGroup: number;
}

/** The uids of the operators `rp` holds state for. */
export function operatorUids(rp: RestorePoint): string[] {
  return rp.metadata.operators.map((o) => o.uid);
}

/**
 * The keyed state of operator `uid`, subtask by subtask, in the canonical order within (key group,
 * key hash, bytes). Throws an {@link InspectionError} at once for an unknown uid; with `state`, only
 * that state's entries, and an InspectionError at the end when no subtask has such a state.
 */
export function dumpKeyedState(rp: RestorePoint, uid: string, options: { readonly state?: string } = {}): AsyncIterable<KeyedStateRecord> {
  const op = rp.metadata.operators.find((o) => o.uid === uid);
  if (op === undefined) {
    const uids = operatorUids(rp);
    throw new InspectionError(
      `${rp.type} ${rp.path} has no operator with uid "${uid}" (uids: ${uids.length === 0 ? 'none' : uids.map((u) => `"${u}"`).join(', ')})`,
    );
  }
  return dumpOperator(rp, op, options.state);
}

async function* dumpOperator(rp: RestorePoint, op: OperatorStateMetadata, only: string | undefined): AsyncGenerator<KeyedStateRecord> {
  const seen = new Set<string>();
  for (const st of [...op.subtasks].sort((a, b) => a.subtaskIndex - b.subtaskIndex)) {
    for (const h of st.handles) {
      if (!isKeyedHandle(h)) continue;
      const { restored } = await readKeyedHandle(rp, op, h);
      const entries: Array<{ info: SnapshotStateInfo; e: RawEntry }> = [];
      for (const info of restored.states) {
        seen.add(info.name);
        if (only !== undefined && info.name !== only) continue;
        const raw = restored.entries.get(info.id);
        if (raw !== undefined) for (const e of rawEntries(raw)) entries.push({ info, e });
      }
      const maxP = op.maxParallelism;
      entries.sort((a, b) => a.e.hash % maxP - b.e.hash % maxP || a.e.hash - b.e.hash || compareBytes(a.e.composite, b.e.composite));
      for (const { info, e } of entries) {
        yield { subtask: st.subtaskIndex, keyGroup: e.hash % maxP, ...decodeStateEntry(info, e.composite, e.value) };
      }
    }
  }
  if (only !== undefined && !seen.has(only)) {
    const names = [...seen];
    throw new InspectionError(
      `operator "${op.uid}" has no keyed state named "${only}" (states: ${names.length === 0 ? 'none' : names.map((n) => `"${n}"`).join(', ')})`,
    );
  }
}

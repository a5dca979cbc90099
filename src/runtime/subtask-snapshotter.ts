/**
 * One subtask's side of a checkpoint (DESIGN.md points 1, 3 and 4): at the barrier, the synchronous
 * part captures every keyed backend's snapshot and the operator state handed in (source position,
 * sink transactions); then, off the record path, it serializes, compresses and writes the files and
 * acknowledges to the coordinator with handles to them.
 *
 * Incremental chains. With incremental checkpoints a keyed operator's state is a base snapshot plus
 * deltas, all in `shared/`. A backend's delta covers the changes since its previous `snapshot()` call,
 * whatever became of that checkpoint, so the chain this subtask keeps is the chain of its *last
 * snapshot*: when a checkpoint this subtask snapshotted is aborted, its delta may be deleted and the
 * next snapshot must be a full one (a new base). A chain that grows past {@link MAX_CHAIN_LENGTH}
 * files, or whose deltas outweigh its base, is compacted the same way: the next snapshot is a base.
 *
 * The async parts of one subtask run one after another, in checkpoint order, so acknowledgements of
 * one subtask arrive in id order and a chain never names a segment that is still being written by an
 * earlier checkpoint that could then fail without the later one noticing.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { CoordinatorAck, OperatorAck } from '../checkpoint/checkpoint-coordinator.js';
import type { KeyGroupRange } from '../state/key-groups.js';
import type { StateSnapshot } from '../state/types.js';
import { checkpointDirName, sharedSegmentPath } from '../storage/checkpoint-layout.js';
import type { FileRef } from '../storage/checkpoint-metadata.js';
import type { CheckpointStorage } from '../storage/checkpoint-store.js';
import type { Codec } from '../storage/codec.js';
import { encodeFile, FILE_KIND } from '../storage/file-container.js';
import type { KeyedOperatorInstance } from './operator-chain.js';

/** Past this many files (base + deltas) the next snapshot writes a new base. */
export const MAX_CHAIN_LENGTH = 10;

/** Operator (non-keyed) state captured at the barrier; `bytes` may still be in the making (a sink's pre-commit). */
export interface OperatorStateCapture {
  readonly uid: string;
  readonly bytes: Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

/** Where acknowledgements and declines go. */
export interface AckTarget {
  acknowledge(ack: CoordinatorAck): void;
  /** Where savepoint `checkpointId` is written; undefined when it was aborted meanwhile. */
  savepointStorage(checkpointId: number): CheckpointStorage | undefined;
  /** `written`: files this subtask had already written for the checkpoint, to be deleted with it. */
  decline(checkpointId: number, subtaskIndex: number, error: unknown, written: readonly FileRef[]): void;
}

/** Everything a snapshotter writes with. */
export interface SnapshotterOptions {
  readonly subtaskIndex: number;
  readonly keyed: readonly KeyedOperatorInstance[];
  readonly keyGroupRange: KeyGroupRange | undefined;
  readonly storage: CheckpointStorage;
  readonly codec: Codec;
  readonly incremental: boolean;
  /** Chains restored per keyed uid (incremental mode), so the first snapshot after a restore can be a delta. */
  readonly restoredChains: ReadonlyMap<string, readonly FileRef[]>;
  readonly target: AckTarget;
  /** Test hook: called at named points of the async part; throwing there simulates the failure. */
  readonly faults?: FaultInjector;
}

/** Points of a checkpoint where tests inject failures (see {@link FaultInjector}). */
export type FaultPoint =
  | 'before-sync-snapshot'
  | 'after-sync-snapshot'
  | 'async-write'
  | 'after-metadata-before-notify'
  | 'sink-pre-commit'
  | 'sink-commit';

/**
 * Called at each {@link FaultPoint} with the checkpoint id and the subtask (or undefined for the
 * coordinator's points); a throw there is the simulated failure. For tests of every failure point.
 */
export type FaultInjector = (point: FaultPoint, checkpointId: number, subtaskIndex: number | undefined) => void;

/** A file name fragment for a uid: readable, portable, and distinct for distinct uids. */
export function fileSafeUid(uid: string): string {
  const readable = uid.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  const hash = createHash('sha1').update(uid).digest('hex').slice(0, 8);
  return `${readable.length > 0 && /^[A-Za-z0-9]/.test(readable) ? readable : 'op'}-${hash}`;
}

interface KeyedChain {
  files: FileRef[];
  /** Raw bytes of the base (uncompressed), to compare the deltas' weight against. */
  baseRawBytes: number;
  deltaRawBytes: number;
}

/** One subtask's checkpoint writer; see the module comment. */
export class SubtaskSnapshotter {
  private readonly chains = new Map<string, KeyedChain>();
  /** Next snapshot of every keyed operator must be a base (after an abort or on a fresh backend). */
  private needsBase: boolean;
  /** Tail of this subtask's async parts, so they run in checkpoint order. */
  private tail: Promise<void> = Promise.resolve();
  /** Async parts not yet settled, for teardown. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Highest checkpoint id snapshotted; an abort at or below it invalidates the chain. */
  private lastSnapshotId = 0;

  constructor(private readonly o: SnapshotterOptions) {
    this.needsBase = true;
    if (o.incremental && o.keyed.length > 0 && o.keyed.every((k) => (o.restoredChains.get(k.uid)?.length ?? 0) > 0)) {
      for (const k of o.keyed) {
        const files = [...o.restoredChains.get(k.uid)!];
        this.chains.set(k.uid, { files, baseRawBytes: Number.POSITIVE_INFINITY, deltaRawBytes: 0 });
      }
      this.needsBase = false;
    }
  }

  /**
   * The synchronous part at barrier `checkpointId`: snapshots every keyed backend now (the caller
   * must not process another record before this returns), then schedules the async part.
   */
  snapshot(checkpointId: number, operatorStates: readonly OperatorStateCapture[], alignmentMs: number, isSavepoint = false): void {
    if (isSavepoint) {
      this.savepoint(checkpointId, operatorStates, alignmentMs);
      return;
    }
    this.o.faults?.('before-sync-snapshot', checkpointId, this.o.subtaskIndex);
    const t0 = performance.now();
    const base = !this.o.incremental || this.needsBase || this.chainTooLong();
    const snaps: Array<{ uid: string; snap: StateSnapshot }> = [];
    for (const k of this.o.keyed) snaps.push({ uid: k.uid, snap: k.backend.snapshot({ incremental: !base }) });
    const syncMs = performance.now() - t0;
    this.lastSnapshotId = checkpointId;
    this.needsBase = false;
    this.o.faults?.('after-sync-snapshot', checkpointId, this.o.subtaskIndex);
    // Chains are advanced now, synchronously, so the next barrier builds on this snapshot even while
    // its files are still being written (they are written before the next checkpoint's, see tail).
    const plannedKeyed = snaps.map(({ uid, snap }) => ({ uid, snap, path: this.plannedPath(uid, checkpointId, base) }));
    this.schedule(checkpointId, (written) =>
      this.writeAndAck(checkpointId, base, plannedKeyed, operatorStates, syncMs, alignmentMs, written, this.o.storage),
    );
  }

  /**
   * A savepoint: every keyed backend snapshots in full (the canonical format any backend restores),
   * into the savepoint's own directory. A full snapshot restarts a backend's change tracking, so the
   * next checkpoint writes a new base rather than a delta the chain could not explain.
   */
  private savepoint(checkpointId: number, operatorStates: readonly OperatorStateCapture[], alignmentMs: number): void {
    const storage = this.o.target.savepointStorage(checkpointId);
    if (storage === undefined) {
      // aborted before its barrier got here; the pre-commit a sink started still settles in order
      this.schedule(checkpointId, async () => {
        for (const { bytes } of operatorStates) await bytes;
        throw new Error(`savepoint ${checkpointId} was aborted before subtask ${this.o.subtaskIndex} reached its barrier`);
      });
      return;
    }
    const t0 = performance.now();
    const snaps = this.o.keyed.map((k) => ({ uid: k.uid, snap: k.backend.snapshot({ incremental: false }) }));
    const syncMs = performance.now() - t0;
    this.needsBase = true;
    this.chains.clear();
    const planned = snaps.map(({ uid, snap }) => ({ uid, snap, path: `${fileSafeUid(uid)}-${this.o.subtaskIndex}.state` }));
    this.schedule(checkpointId, (written) =>
      this.writeAndAck(checkpointId, true, planned, operatorStates, syncMs, alignmentMs, written, storage, ''),
    );
  }

  /** Runs an async part after the previous ones; a failure declines the checkpoint with what it wrote. */
  private schedule(checkpointId: number, part: (written: FileRef[]) => Promise<void>): void {
    const written: FileRef[] = [];
    const run = this.tail.then(() => part(written));
    const tracked = run.catch((error: unknown) => {
      this.invalidateChains();
      this.o.target.decline(checkpointId, this.o.subtaskIndex, error, written);
    });
    this.tail = tracked;
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  /**
   * The coordinator aborted `checkpointId`. If this subtask had snapshotted it (or a later one built
   * on it), the chain may reference files that are now deleted: the next snapshot is a base.
   */
  onAborted(checkpointId: number): void {
    if (checkpointId <= this.lastSnapshotId) this.invalidateChains();
  }

  /** Waits for every async part to settle (teardown after a failure or at the end). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private invalidateChains(): void {
    this.needsBase = true;
    this.chains.clear();
  }

  private chainTooLong(): boolean {
    for (const c of this.chains.values()) {
      if (c.files.length >= MAX_CHAIN_LENGTH || c.deltaRawBytes > c.baseRawBytes) return true;
    }
    return false;
  }

  private plannedPath(uid: string, checkpointId: number, base: boolean): string {
    const name = `${fileSafeUid(uid)}-${this.o.subtaskIndex}-${checkpointId}-${base ? 'base' : 'delta'}`;
    if (!this.o.incremental) return `${checkpointDirName(checkpointId)}/${name}.state`;
    return sharedSegmentPath(`${name}-${randomBytes(4).toString('hex')}`);
  }

  private async writeAndAck(
    checkpointId: number,
    base: boolean,
    keyed: ReadonlyArray<{ uid: string; snap: StateSnapshot; path: string }>,
    operatorStates: readonly OperatorStateCapture[],
    syncMs: number,
    alignmentMs: number,
    written: FileRef[],
    storage: CheckpointStorage,
    /** Directory of operator-state files inside `storage`: `chk-<n>/`, or '' in a savepoint. */
    operatorDir = `${checkpointDirName(checkpointId)}/`,
  ): Promise<void> {
    const { codec, faults, subtaskIndex } = this.o;
    const full = operatorDir === '' || !this.o.incremental;
    const operators: OperatorAck[] = [];
    const range = this.o.keyGroupRange;
    for (const { uid, snap, path } of keyed) {
      if (range === undefined) throw new Error(`internal: keyed operator '${uid}' has no key-group range`);
      const raw = await snap.bytes();
      faults?.('async-write', checkpointId, subtaskIndex);
      const file = await encodeFile(FILE_KIND.stateSegment, raw, codec);
      await storage.writeAtomically(path, file);
      const ref: FileRef = { path, size: file.length };
      written.push(ref);
      if (full) {
        operators.push({ uid, handles: [{ kind: 'keyed-full', keyGroups: range, files: [ref] }] });
        continue;
      }
      const chain = this.advanceChain(uid, ref, raw.length, base);
      operators.push({ uid, handles: [{ kind: 'keyed-incremental', keyGroups: range, chain }] });
    }
    for (const { uid, bytes } of operatorStates) {
      const state = await bytes;
      if (state === undefined) {
        operators.push({ uid, handles: [] });
        continue;
      }
      const path = `${operatorDir}${fileSafeUid(uid)}-${subtaskIndex}.op`;
      const file = await encodeFile(FILE_KIND.operatorState, state, codec);
      await storage.writeAtomically(path, file);
      const ref: FileRef = { path, size: file.length };
      written.push(ref);
      operators.push({ uid, handles: [{ kind: 'operator', files: [ref] }] });
    }
    this.o.target.acknowledge({ checkpointId, subtaskIndex, operators, written, syncMs, alignmentMs });
  }

  /** Appends this snapshot's file to the operator's chain (or starts one) and returns the chain to record. */
  private advanceChain(uid: string, ref: FileRef, rawBytes: number, base: boolean): readonly FileRef[] {
    let c = this.chains.get(uid);
    if (!base && c === undefined) {
      // An abort invalidated the chain this delta builds on; the coordinator aborts this checkpoint too.
      throw new Error(`the incremental chain of '${uid}' was invalidated by an aborted checkpoint`);
    }
    if (base || c === undefined) {
      c = { files: [ref], baseRawBytes: rawBytes, deltaRawBytes: 0 };
      this.chains.set(uid, c);
    } else {
      c.files.push(ref);
      c.deltaRawBytes += rawBytes;
    }
    return [...c.files];
  }
}

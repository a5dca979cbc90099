/**
 * The contract between a replayable source and the (future) task runtime (DESIGN.md, "What the
 * system must do" 6). The runtime polls batches on the task thread and, at a barrier (always between
 * two batches), stores `snapshotPosition()` in operator state; after a failure it reopens the source
 * with that position, so every record after the barrier is produced again and none before it.
 *
 * Splits and rescaling: a source's split is a pure function of `(subtaskIndex, parallelism)` at the
 * job's first start, and a position is only meaningful for the split it was taken from. Every
 * position therefore carries its split in a common header, and `open` rejects a position from
 * another split with a {@link SourcePositionError}. Splits keep their identity for good: after a
 * rescale the runtime opens one instance of the source per split a subtask now reads, each with the
 * split's original `(subtaskIndex, parallelism)` (see runtime/source-splits.ts), so a source needs
 * no code of its own to be rescaled.
 */
import { ByteReader, ByteFormatError } from '../state/byte-reader.js';
import { ByteWriter } from '../state/byte-writer.js';

/**
 * A source the runtime can rewind: it produces records in batches (no per-record Promise, so the
 * hot loop stays synchronous) and reports where it is between batches.
 */
export interface ReplayableSource<T> {
  /**
   * Prepares subtask `subtaskIndex` of `parallelism` to read its split, from the start or from a
   * position returned by {@link snapshotPosition} of the same split.
   */
  open(subtaskIndex: number, parallelism: number, restoredPosition?: Uint8Array): void;
  /** Up to `max` (>= 1) next records; `'end'` once the split is exhausted (bounded sources only). */
  pollBatch(max: number): T[] | 'end';
  /** The position of the next record not yet returned; called at a barrier, between batches. */
  snapshotPosition(): Uint8Array;
  /** Releases resources (file descriptors); the source cannot be polled afterwards. */
  close(): void;
}

/** A position that cannot be restored here: malformed, of another source kind, or of another split. */
export class SourcePositionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourcePositionError';
  }
}

/** Bumped when any position layout changes; old checkpoints then fail loudly instead of misreading. */
const POSITION_VERSION = 1;

/** Which split a position belongs to; every source's position starts with it. */
export interface SplitId {
  readonly subtaskIndex: number;
  readonly parallelism: number;
}

/**
 * Validates `(subtaskIndex, parallelism)` as given to `open`; throws a RangeError so a runtime bug
 * shows up at open, not as a silently empty split.
 */
export function checkSplit(subtaskIndex: number, parallelism: number): void {
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    throw new RangeError(`parallelism must be an integer >= 1, got ${parallelism}`);
  }
  if (!Number.isInteger(subtaskIndex) || subtaskIndex < 0 || subtaskIndex >= parallelism) {
    throw new RangeError(`subtaskIndex must be in [0, ${parallelism}), got ${subtaskIndex}`);
  }
}

/**
 * Starts a position: version, source kind, split. `kind` names the source class so a position of a
 * file source handed to a generator is rejected rather than read as a number.
 */
export function beginPosition(kind: string, split: SplitId): ByteWriter {
  const w = new ByteWriter(32);
  w.u8(POSITION_VERSION);
  w.string(kind);
  w.varint(split.subtaskIndex);
  w.varint(split.parallelism);
  return w;
}

/**
 * Reads and checks the header written by {@link beginPosition}; returns a reader at the
 * source-specific part. Any mismatch or truncation becomes a {@link SourcePositionError}.
 */
export function readPositionHeader(bytes: Uint8Array, kind: string, split: SplitId): ByteReader {
  try {
    const r = new ByteReader(bytes, 0, bytes.length, `${kind} position`);
    const version = r.u8();
    if (version !== POSITION_VERSION) {
      throw new SourcePositionError(`${kind} position: unsupported version ${version}`);
    }
    const k = r.string();
    if (k !== kind) throw new SourcePositionError(`position of a '${k}' source given to a '${kind}' source`);
    const index = r.varint();
    const parallelism = r.varint();
    if (index !== split.subtaskIndex || parallelism !== split.parallelism) {
      throw new SourcePositionError(
        `${kind} position belongs to split ${index}/${parallelism}, not ${split.subtaskIndex}/${split.parallelism} ` +
          `(a position is restored only into the split it was taken from)`,
      );
    }
    return r;
  } catch (e) {
    if (e instanceof ByteFormatError) throw new SourcePositionError(e.message);
    throw e;
  }
}

/** Fails if bytes follow the source-specific part: a longer position is from a newer layout or corrupt. */
export function endPosition(r: ByteReader, kind: string): void {
  if (r.remaining() !== 0) {
    throw new SourcePositionError(`${kind} position: ${r.remaining()} unexpected trailing bytes`);
  }
}

/** Reads an f64 that must be a non-negative safe integer (ids and byte offsets). */
export function readPositionCounter(r: ByteReader, kind: string): number {
  let v: number;
  try {
    v = r.f64();
  } catch (e) {
    if (e instanceof ByteFormatError) throw new SourcePositionError(e.message);
    throw e;
  }
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new SourcePositionError(`${kind} position: counter ${v} is not a non-negative integer`);
  }
  return v;
}

/**
 * Where an *interleaved* split starts: split j of p emits the numbers ≡ j (mod p) in increasing order
 * (records, events, ids), and its position is the next such number. Returns `subtaskIndex` for a
 * fresh start, else the number `restoredPosition` holds, checked to belong to the split.
 */
export function openInterleavedSplit(kind: string, subtaskIndex: number, parallelism: number, restoredPosition?: Uint8Array): number {
  checkSplit(subtaskIndex, parallelism);
  if (restoredPosition === undefined) return subtaskIndex;
  const r = readPositionHeader(restoredPosition, kind, { subtaskIndex, parallelism });
  const next = readPositionCounter(r, kind);
  endPosition(r, kind);
  if (next % parallelism !== subtaskIndex) {
    throw new SourcePositionError(`${kind} position ${next} is not a number of split ${subtaskIndex}/${parallelism}`);
  }
  return next;
}

/** The position of an interleaved split whose next number is `next` (see {@link openInterleavedSplit}). */
export function interleavedSplitPosition(kind: string, split: SplitId, next: number): Uint8Array {
  const w = beginPosition(kind, split);
  w.f64(next);
  return w.bytes().slice();
}

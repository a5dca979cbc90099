/**
 * Reading the state of an opened savepoint or checkpoint for tools (inspect, dump): each file
 * decoded from its container with errors naming the file, and a keyed handle's chain applied (full
 * snapshot, then deltas) by the same code a restore uses, so a tool sees exactly what a restore
 * would.
 */
import { readRestoreChain, type RawEntries, type RestoredChain } from '../state/heap/heap-restore.js';
import { handleFiles, type FileRef, type KeyedFullHandle, type KeyedIncrementalHandle, type OperatorStateMetadata, type StateHandle } from './checkpoint-metadata.js';
import { decodeFile, FILE_KIND, type FileKind } from './file-container.js';
import type { RestorePoint } from './restore-point.js';

/** A file of a restore point that cannot be read or decoded; the message names the file. */
export class RestorePointReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RestorePointReadError';
  }
}

export type KeyedHandle = KeyedFullHandle | KeyedIncrementalHandle;

export function isKeyedHandle(h: StateHandle): h is KeyedHandle {
  return h.kind !== 'operator';
}

/** The raw (decompressed) payload of one file, checked against its container. */
export async function readRestorePointFile(rp: RestorePoint, file: FileRef, kind: FileKind): Promise<Uint8Array> {
  try {
    return await decodeFile(await rp.storage.read(file.path), kind);
  } catch (e) {
    throw new RestorePointReadError(`${rp.osPath(file)}: ${(e as Error).message}`, { cause: e });
  }
}

/** A keyed handle's files, decoded, and its chain applied. */
export interface KeyedHandleState {
  /** Raw bytes of each file of the chain, in chain order. */
  readonly rawBytes: readonly number[];
  readonly restored: RestoredChain;
}

/** Reads and applies a keyed handle's chain (a full handle is a chain of one). */
export async function readKeyedHandle(rp: RestorePoint, op: OperatorStateMetadata, handle: KeyedHandle): Promise<KeyedHandleState> {
  const files = handleFiles(handle);
  const chain: Uint8Array[] = [];
  for (const f of files) chain.push(await readRestorePointFile(rp, f, FILE_KIND.stateSegment));
  try {
    return { rawBytes: chain.map((b) => b.length), restored: readRestoreChain(chain, op.maxParallelism, handle.keyGroups) };
  } catch (e) {
    throw new RestorePointReadError(
      `uid "${op.uid}": keyed state chain ${files.map((f) => rp.osPath(f)).join(', ')}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

/** Numbers per entry in {@link RawEntries.refs}, as documented there. */
const REF = 6;

/** One live entry of a restored chain, as views into the chain's buffers. */
export interface RawEntry {
  readonly hash: number;
  readonly composite: Uint8Array;
  readonly value: Uint8Array;
}

/** The live entries of one state of a restored chain, in no particular order. */
export function* rawEntries(raw: RawEntries): Generator<RawEntry> {
  const refs = raw.refs;
  for (let r = 0; r < refs.length; r += REF) {
    const buf = raw.bufs[refs[r]!]!;
    yield {
      composite: buf.subarray(refs[r + 1]!, refs[r + 1]! + refs[r + 2]!),
      value: buf.subarray(refs[r + 3]!, refs[r + 3]! + refs[r + 4]!),
      hash: refs[r + 5]!,
    };
  }
}

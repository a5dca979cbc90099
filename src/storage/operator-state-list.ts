/**
 * Operator (non-keyed) state as Flink's list state: each subtask's state is a list of entries, and an
 * entry is the unit that moves when the parallelism changes (DESIGN.md point 7, rescaling). A source
 * subtask keeps one entry per split it reads (the split and its position), a sink subtask one entry
 * with its pending transactions.
 *
 * Redistribution ("even split", round robin): with the same parallelism every subtask gets its own
 * entries back; otherwise the entries of all old subtasks, in subtask order, are dealt out to the
 * new subtasks one at a time, so none is lost or given twice.
 */
import { ByteFormatError, ByteReader } from '../state/byte-reader.js';
import { ByteWriter } from '../state/byte-writer.js';

/** Layout version of the list (the entries' own layouts belong to their operators). */
const LIST_VERSION = 1;

/** Encodes a subtask's entries as one operator-state file payload. */
export function encodeStateList(entries: readonly Uint8Array[]): Uint8Array {
  const w = new ByteWriter(16 + entries.reduce((n, e) => n + e.length + 5, 0));
  w.u8(LIST_VERSION);
  w.varint(entries.length);
  for (const e of entries) {
    w.varint(e.length);
    w.raw(e);
  }
  return w.bytes().slice();
}

/** Decodes {@link encodeStateList}; `what` names the operator in errors. */
export function decodeStateList(bytes: Uint8Array, what: string): Uint8Array[] {
  try {
    const r = new ByteReader(bytes, 0, bytes.length, `${what} operator state`);
    const version = r.u8();
    if (version !== LIST_VERSION) throw new ByteFormatError(`${what} operator state: unsupported layout version ${version}`);
    const n = r.varint();
    const out: Uint8Array[] = [];
    for (let i = 0; i < n; i++) out.push(new Uint8Array(r.bytes(r.varint())));
    if (r.remaining() !== 0) throw new ByteFormatError(`${what} operator state: ${r.remaining()} trailing bytes`);
    return out;
  } catch (e) {
    if (e instanceof ByteFormatError) throw new ByteFormatError(e.message.startsWith(what) ? e.message : `${what}: ${e.message}`);
    throw e;
  }
}

/**
 * The entries each of `newParallelism` subtasks restores, from `old[i]` = the entries old subtask
 * `i` wrote; see the module comment.
 */
export function redistributeStateLists(old: readonly (readonly Uint8Array[])[], newParallelism: number): Uint8Array[][] {
  const out: Uint8Array[][] = Array.from({ length: newParallelism }, () => []);
  if (old.length === newParallelism) {
    old.forEach((entries, i) => out[i]!.push(...entries));
    return out;
  }
  let k = 0;
  for (const entries of old) for (const e of entries) out[k++ % newParallelism]!.push(e);
  return out;
}

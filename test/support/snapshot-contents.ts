/** Reading a snapshot's entries with the shared reader, for checks on what a backend wrote. */
import { crc32 } from 'node:zlib';
import { readSnapshotEntries, readSnapshotHeader, SnapshotFormatError, type SnapshotHeader } from '../../src/state/snapshot-format.js';
import type { KeyGroupRange } from '../../src/state/key-groups.js';

export interface SnapshotContents {
  readonly header: SnapshotHeader;
  /** composite (hex) → value (hex), in file order. */
  readonly puts: Map<string, string>;
  /** composites (hex) of deletes. */
  readonly deletes: Set<string>;
  /** key group of every put and delete, by composite (hex). */
  readonly keyGroups: Map<string, number>;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export function contents(bytes: Uint8Array, range?: KeyGroupRange): SnapshotContents {
  const header = readSnapshotHeader(bytes);
  const puts = new Map<string, string>();
  const deletes = new Set<string>();
  const keyGroups = new Map<string, number>();
  readSnapshotEntries(bytes, header, range ?? header.keyGroups, {
    put(kg, c, v) {
      puts.set(hex(c), hex(v));
      keyGroups.set(hex(c), kg);
    },
    delete(kg, c) {
      deletes.add(hex(c));
      keyGroups.set(hex(c), kg);
    },
  });
  return { header, puts, deletes, keyGroups };
}

/** Replaces the CRC trailer so a deliberately edited file passes the checksum. */
export function withFixedCrc(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)) >>> 0, true);
  return out;
}

/** Runs `call`, expects a SnapshotFormatError whose message matches; returns the message. */
export function formatErrorOf(call: () => unknown): string {
  try {
    call();
  } catch (e) {
    if (!(e instanceof SnapshotFormatError)) {
      throw new Error(`expected a SnapshotFormatError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
    }
    return e.message;
  }
  throw new Error('expected a SnapshotFormatError, nothing was thrown');
}

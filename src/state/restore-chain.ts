/**
 * What both backends check before restoring a chain of snapshots: every header valid, one full
 * snapshot first then incrementals, the same maxParallelism throughout, and state tables that agree.
 */
import { readSnapshotHeader, SnapshotFormatError, type SnapshotHeader, type SnapshotStateInfo } from './snapshot-format.js';

export interface ChainHeaders {
  readonly headers: SnapshotHeader[];
  /** The union of the chain's state tables. */
  readonly states: SnapshotStateInfo[];
}

export function readChainHeaders(chain: readonly Uint8Array[], maxParallelism: number): ChainHeaders {
  if (chain.length === 0) throw new Error('restore needs at least one snapshot (a full one first)');
  const headers = chain.map((bytes, i) => inChain(i, () => readSnapshotHeader(bytes)));
  checkChain(headers, maxParallelism);
  return { headers, states: mergeStateTables(headers) };
}

/** Runs `read`, prefixing a format error with which snapshot of the chain it is about. */
export function inChain<T>(i: number, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof SnapshotFormatError) throw new SnapshotFormatError(`snapshot ${i} of the restore chain: ${e.message}`);
    throw e;
  }
}

/** A chain is one full snapshot then incrementals, all with this backend's maxParallelism. */
export function checkChain(headers: readonly SnapshotHeader[], maxParallelism: number): void {
  headers.forEach((h, i) => {
    if (i === 0 && h.kind !== 'full') {
      throw new SnapshotFormatError('a restore chain must start with a full snapshot, got an incremental one');
    }
    if (i > 0 && h.kind !== 'incremental') {
      throw new SnapshotFormatError(`snapshot ${i} of the restore chain is full; only the first may be`);
    }
    if (h.maxParallelism !== maxParallelism) {
      throw new SnapshotFormatError(
        `snapshot ${i} was taken with maxParallelism ${h.maxParallelism}, this backend has ${maxParallelism}: ` +
          'key groups cannot be remapped',
      );
    }
  });
}

/**
 * The union of the chain's state tables; a name must keep its id and kind along the chain. The
 * newest table wins: a state migrated to a new serializer has every entry rewritten into the next
 * snapshot (state-migration.ts), so that snapshot's serializer id and schema describe all its values.
 */
export function mergeStateTables(headers: readonly SnapshotHeader[]): SnapshotStateInfo[] {
  const byName = new Map<string, SnapshotStateInfo>();
  const byId = new Map<number, string>();
  for (const h of headers) {
    for (const s of h.states) {
      const prior = byName.get(s.name);
      if (prior && (prior.id !== s.id || prior.kind !== s.kind)) {
        throw new SnapshotFormatError(`state '${s.name}' changes id or kind along the restore chain`);
      }
      const holder = byId.get(s.id);
      if (holder !== undefined && holder !== s.name) {
        throw new SnapshotFormatError(`states '${holder}' and '${s.name}' share id ${s.id} in the restore chain`);
      }
      byName.set(s.name, s);
      byId.set(s.id, s.name);
    }
  }
  return [...byName.values()];
}


/**
 * The asynchronous part of a heap snapshot: reads the state as of the barrier through the captured
 * overlays (live values for what did not change since), serializes it with the states' serializers
 * and writes the canonical file, yielding to the event loop as it goes.
 */
import type { SnapshotHeader } from '../snapshot-format.js';
import { EntrySink } from './heap-entry-list.js';
import type { Overlay } from './heap-overlay.js';
import { Pacer } from './heap-pacer.js';
import type { RawEntries } from './heap-restore.js';
import { writeSnapshotFile } from './heap-snapshot-writer.js';
import type { Table } from './heap-table.js';

export interface CapturedTable {
  readonly table: Table;
  /** The overlay that began at the barrier: with its successors, the undo log back to the barrier. */
  readonly since: Overlay<any>;
  /** Incremental only: the overlay sealed at the barrier, what changed since the previous snapshot. */
  readonly changes: Overlay<any> | undefined;
}

/** What the synchronous part captured: O(number of states), no entry copied. */
export interface SnapshotCapture {
  readonly header: Omit<SnapshotHeader, 'indexOffset'>;
  readonly tables: readonly CapturedTable[];
  /** Restored entries of states not registered yet (full snapshots only): they never change. */
  readonly raw: readonly RawEntries[];
}

export async function produceSnapshot(c: SnapshotCapture): Promise<Uint8Array> {
  const pace = new Pacer();
  const { maxParallelism, keyGroups } = c.header;
  const puts = new EntrySink(maxParallelism, keyGroups);
  const deletes = new EntrySink(maxParallelism, keyGroups);
  const full = c.header.kind === 'full';
  for (const { table, since, changes } of c.tables) {
    if (full) await table.collectFull(since, puts, pace);
    else await table.collectIncremental(since, changes!, puts, deletes, pace);
  }
  for (const raw of c.raw) {
    for (let k = 0; k < raw.length; k++) {
      raw.addTo(puts, k);
      if (pace.step()) await pace.pause();
    }
  }
  return writeSnapshotFile(c.header, puts, deletes, pace);
}

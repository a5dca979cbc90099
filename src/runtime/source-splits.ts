/**
 * The splits one source subtask reads. A split is fixed when a job first starts — subtask `i` of
 * `p` reads split `i/p` — and keeps that identity for good: its position only makes sense for it.
 * After a rescale a subtask may therefore read several old splits, or none (as a Flink subtask with
 * more subtasks than Kafka partitions); each split is read by its own instance of the user's source,
 * opened with the split's original `(index, parallelism)` and its position.
 *
 * The operator state of a source subtask is one entry per split (see operator-state-list.ts):
 * `varint index, varint parallelism, position bytes`.
 */
import { ByteFormatError, ByteReader } from '../state/byte-reader.js';
import { ByteWriter } from '../state/byte-writer.js';
import type { ReplayableSource } from '../connectors/source.js';
import { encodeStateList } from '../storage/operator-state-list.js';

/** A split's identity: the subtask that first read it and that run's parallelism. */
export interface SourceSplit {
  readonly index: number;
  readonly parallelism: number;
  /** Where to continue; undefined to start at the beginning. */
  readonly position?: Uint8Array;
}

/** Decodes one operator-state entry of a source subtask. */
export function decodeSplitEntry(entry: Uint8Array, uid: string): SourceSplit {
  try {
    const r = new ByteReader(entry, 0, entry.length, `source '${uid}' split`);
    const index = r.varint();
    const parallelism = r.varint();
    if (parallelism < 1 || index >= parallelism) throw new ByteFormatError(`source '${uid}': split ${index}/${parallelism} is not a split`);
    return { index, parallelism, position: new Uint8Array(r.bytes(r.remaining())) };
  } catch (e) {
    if (e instanceof ByteFormatError) throw new ByteFormatError(`source '${uid}' operator state: ${e.message}`);
    throw e;
  }
}

function encodeSplitEntry(split: SourceSplit, position: Uint8Array): Uint8Array {
  const w = new ByteWriter(position.length + 10);
  w.varint(split.index);
  w.varint(split.parallelism);
  w.raw(position);
  return w.bytes().slice();
}

/**
 * A source subtask over its splits, itself a {@link ReplayableSource} for the runner: batches come
 * from the splits in turn, `'end'` once every split has ended, and the position is the list of the
 * splits' positions.
 */
export class SourceSplits implements ReplayableSource<unknown> {
  private readonly readers: ReplayableSource<unknown>[];
  private readonly ended: boolean[];
  private next = 0;
  private live: number;

  constructor(
    private readonly splits: readonly SourceSplit[],
    create: () => ReplayableSource<unknown>,
  ) {
    this.readers = splits.map(() => create());
    this.ended = splits.map(() => false);
    this.live = splits.length;
  }

  /** Opens every split's reader; the arguments are ignored (each split knows its own). */
  open(): void {
    this.splits.forEach((s, i) => this.readers[i]!.open(s.index, s.parallelism, s.position));
  }

  pollBatch(max: number): unknown[] | 'end' {
    const n = this.readers.length;
    if (n === 1 && !this.ended[0]) return this.pollOne(0, max);
    for (let tried = 0; tried < n && this.live > 0; tried++) {
      const i = this.next;
      this.next = (i + 1) % n;
      if (this.ended[i]) continue;
      const batch = this.pollOne(i, max);
      if (batch !== 'end' && batch.length > 0) return batch;
    }
    return this.live === 0 ? 'end' : [];
  }

  snapshotPosition(): Uint8Array {
    return encodeStateList(this.splits.map((s, i) => encodeSplitEntry(s, this.readers[i]!.snapshotPosition())));
  }

  close(): void {
    let first: { error: unknown } | undefined;
    for (const r of this.readers) {
      try {
        r.close();
      } catch (error) {
        first ??= { error };
      }
    }
    if (first !== undefined) throw first.error;
  }

  private pollOne(i: number, max: number): unknown[] | 'end' {
    const batch = this.readers[i]!.pollBatch(max);
    if (batch === 'end') {
      this.ended[i] = true;
      this.live--;
      return this.live === 0 ? 'end' : [];
    }
    return batch;
  }
}

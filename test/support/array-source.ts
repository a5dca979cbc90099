/**
 * A replayable source over a fixed array of records, for event-time tests that need exact control of
 * order (out-of-order input, late records). Split j of p emits the records at indices ≡ j (mod p) in
 * order; the position is the next index. `endless` keeps a split open after its records (an unbounded
 * source with nothing to say), for idleness tests.
 */
import type { SourceSpec } from '../../src/api/specs.js';
import { interleavedSplitPosition, openInterleavedSplit, type ReplayableSource } from '../../src/connectors/source.js';
import { defaultConnectorRegistry, type ConnectorRegistry } from '../../src/runtime/connector-registry.js';

const KIND = 'array';

/** Payload of the `array` source kind. */
export interface ArraySourceOptions<T> {
  readonly records: readonly T[];
  /** Per split: how many records it emits before staying empty forever (never ending). */
  readonly endlessAfter?: readonly number[];
  /** Records per `pollBatch` at most (small values interleave splits finely). Default unlimited. */
  readonly batch?: number;
}

class ArraySource<T> implements ReplayableSource<T> {
  private index = 0;
  private next = -1;
  private parallelism = 1;

  constructor(private readonly options: ArraySourceOptions<T>) {}

  open(subtaskIndex: number, parallelism: number, restoredPosition?: Uint8Array): void {
    this.next = openInterleavedSplit(KIND, subtaskIndex, parallelism, restoredPosition);
    this.index = subtaskIndex;
    this.parallelism = parallelism;
  }

  pollBatch(max: number): T[] | 'end' {
    const { records, endlessAfter, batch } = this.options;
    const limit = endlessAfter?.[this.index];
    const out: T[] = [];
    const n = Math.min(max, batch ?? max);
    while (out.length < n && this.next < records.length) {
      if (limit !== undefined && (this.next - this.index) / this.parallelism >= limit) return out;
      out.push(records[this.next]!);
      this.next += this.parallelism;
    }
    if (out.length > 0 || limit !== undefined) return out;
    return 'end';
  }

  snapshotPosition(): Uint8Array {
    return interleavedSplitPosition(KIND, { subtaskIndex: this.index, parallelism: this.parallelism }, this.next);
  }

  close(): void {}
}

/** A source spec over `records` (see the module comment). */
export function arraySource<T>(options: ArraySourceOptions<T>): SourceSpec<T> {
  return { kind: KIND, payload: options };
}

/** The default registry plus the `array` source. */
export function arrayConnectors(): ConnectorRegistry {
  return defaultConnectorRegistry().registerSource(KIND, (p) => new ArraySource(p as ArraySourceOptions<unknown>));
}

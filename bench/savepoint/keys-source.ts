/**
 * The savepoint job's source. Record `n < keys` is key `fmix32(n)`, so every key is written exactly
 * once and the state ends up with `keys` entries (a random generator would need several times as many
 * records to reach every key). murmur3's finaliser is a bijection on 32-bit integers: the keys are
 * distinct but look like hashed ids, so the savepoint does not compress the way a run of consecutive
 * integers would. Then the source idles instead of ending: the job must still be running when
 * the savepoints are triggered, and an ended source would start the job's final checkpoint.
 *
 * A source restored at position `keys` emits `probes` more records, keys written before and picked
 * evenly over the write order, then idles again until the run is aborted.
 */
import {
  beginPosition,
  checkSplit,
  endPosition,
  readPositionCounter,
  readPositionHeader,
  type ReplayableSource,
} from '../../src/connectors/source.js';
import { fmix32 } from '../../src/state/murmur3.js';

export const KEYS_SOURCE_KIND = 'savepoint-bench-keys';

export interface KeysSourceOptions {
  readonly keys: number;
  /** Records after the first `keys`: 0 for the run that takes the savepoints. */
  readonly probes: number;
}

/** The key of record `n`: the `n`-th key written, or for `n >= keys` an earlier one again (a probe). */
export function keyOf(n: number, o: KeysSourceOptions): number {
  // probes are distinct for probes <= keys
  return fmix32(n < o.keys ? n : Math.floor(((n - o.keys) * o.keys) / o.probes));
}

export class KeysSource implements ReplayableSource<number> {
  private next = -1;
  private subtaskIndex = 0;
  private parallelism = 1;

  constructor(private readonly o: KeysSourceOptions) {
    if (!(Number.isSafeInteger(o.keys) && o.keys >= 1 && o.keys <= 2 ** 32)) throw new RangeError(`keys must be in [1, 2^32], got ${o.keys}`);
    if (!(Number.isSafeInteger(o.probes) && o.probes >= 0 && o.probes <= o.keys)) throw new RangeError(`probes must be in [0, keys], got ${o.probes}`);
  }

  open(subtaskIndex: number, parallelism: number, restoredPosition?: Uint8Array): void {
    checkSplit(subtaskIndex, parallelism);
    // one split: every key must be written by this one source, in order
    if (parallelism !== 1) throw new RangeError(`${KEYS_SOURCE_KIND} runs at parallelism 1, got ${parallelism}`);
    this.subtaskIndex = subtaskIndex;
    this.parallelism = parallelism;
    if (restoredPosition === undefined) {
      this.next = 0;
      return;
    }
    const r = readPositionHeader(restoredPosition, KEYS_SOURCE_KIND, { subtaskIndex, parallelism });
    this.next = readPositionCounter(r, KEYS_SOURCE_KIND);
    endPosition(r, KEYS_SOURCE_KIND);
  }

  pollBatch(max: number): number[] {
    if (this.next < 0) throw new Error(`${KEYS_SOURCE_KIND}: pollBatch before open`);
    const { keys, probes } = this.o;
    const end = Math.min(keys + probes, this.next + max);
    const out: number[] = [];
    for (; this.next < end; this.next++) out.push(keyOf(this.next, this.o));
    // an empty batch is an idle source: the job keeps running (and can take savepoints)
    return out;
  }

  snapshotPosition(): Uint8Array {
    const w = beginPosition(KEYS_SOURCE_KIND, { subtaskIndex: this.subtaskIndex, parallelism: this.parallelism });
    w.f64(this.next);
    return w.bytes().slice();
  }

  close(): void {
    this.next = -1;
  }
}

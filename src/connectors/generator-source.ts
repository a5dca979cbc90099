/**
 * A deterministic, replayable record generator for tests, demos and benchmarks. Record `i` is a pure
 * function of `(seed, i)` (a counter-based draw, not a sequential PRNG stream), so restoring from a
 * position needs no fast-forward and replays exactly what was produced before the failure.
 */
import { mulberry32At } from '../random/mulberry32.js';
import { fmix32 } from '../state/murmur3.js';
import { interleavedSplitPosition, openInterleavedSplit, type ReplayableSource } from './source.js';

/** One generated record. `key` is a key index in `[0, keys)`; `value` an integer in `[0, 1000)` so sums stay exact. */
export interface GeneratedRecord {
  readonly id: number;
  readonly key: number;
  readonly value: number;
  /** Event time in ms: the record's scheduled emission time (see {@link GeneratorSource.emitTimeOf}). */
  readonly ts: number;
}

/**
 * How keys are distributed. `zipf`: P(key k) ∝ 1 / (k + 1)^exponent. `hotKey`: key 0 receives
 * `share` of the records, the rest are uniform over the other keys.
 */
export type KeySkew =
  | { readonly kind: 'uniform' }
  | { readonly kind: 'zipf'; readonly exponent: number }
  | { readonly kind: 'hotKey'; readonly share: number };

/** Options of {@link GeneratorSource}. */
export interface GeneratorOptions {
  /** Total records over all subtasks; `Infinity` for an unbounded source. */
  readonly count: number;
  /** Number of distinct keys (>= 1). A zipf skew precomputes a CDF of this many doubles. */
  readonly keys: number;
  readonly seed: number;
  /** Default uniform. */
  readonly skew?: KeySkew;
  /**
   * Total rate over all subtasks. `pollBatch` returns only records whose time has come (an empty batch
   * when none has, which the runtime treats as an idle source); also spaces event times.
   */
  readonly ratePerSecond?: number;
  /** Event time of record 0, ms. Default 0. */
  readonly startTimestamp?: number;
}

const KIND = 'generator';

/** The `value` range; small so aggregates over millions of records stay exact in a double. */
const VALUE_RANGE = 1000;

/**
 * Derives record `i`'s 32-bit PRNG seed from (seed, i). Mixes both halves of `i` so ids beyond 2^32
 * do not repeat earlier records; murmur3's fmix32 finaliser spreads neighbouring ids apart.
 */
function recordSeed(seed: number, i: number): number {
  const lo = i >>> 0;
  const hi = Math.floor(i / 4294967296) >>> 0;
  return fmix32((seed ^ Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi + 0x7f4a7c15, 0x85ebca6b)) >>> 0);
}

/**
 * Generates `{ id, key, value, ts }` records; subtask `j` of `p` emits ids `i ≡ j (mod p)` in
 * increasing order, so the splits partition the id space. Position = the next id of this split.
 *
 * @example
 * const src = new GeneratorSource({ count: 1000, keys: 10, seed: 42 });
 * src.open(0, 1);
 * const batch = src.pollBatch(100); // ids 0..99
 */
export class GeneratorSource implements ReplayableSource<GeneratedRecord> {
  private readonly skew: KeySkew;
  /** zipf only: cdf[k] = P(key <= k), cdf[keys - 1] = 1. */
  private readonly zipfCdf: Float64Array | undefined;
  private subtaskIndex = 0;
  private parallelism = 1;
  /** Next id this split emits; always ≡ subtaskIndex (mod parallelism). -1 before open. */
  private nextId = -1;
  /** Rate-limited only: the clock time at which record 0 would have been due, so a restored split continues at the rate. */
  private streamStart = 0;
  /** Monotonic ms for rate limiting; injectable for tests. */
  private readonly now: () => number;

  constructor(
    private readonly options: GeneratorOptions,
    clock: () => number = () => performance.now(),
  ) {
    this.now = clock;
    const { count, keys, ratePerSecond } = options;
    if (!(count === Infinity || (Number.isSafeInteger(count) && count >= 0))) {
      throw new RangeError(`count must be a non-negative integer or Infinity, got ${count}`);
    }
    if (!Number.isSafeInteger(keys) || keys < 1) throw new RangeError(`keys must be an integer >= 1, got ${keys}`);
    if (ratePerSecond !== undefined && !(ratePerSecond > 0 && Number.isFinite(ratePerSecond))) {
      throw new RangeError(`ratePerSecond must be a positive finite number, got ${ratePerSecond}`);
    }
    this.skew = options.skew ?? { kind: 'uniform' };
    if (this.skew.kind === 'zipf') {
      const s = this.skew.exponent;
      if (!(s >= 0 && Number.isFinite(s))) throw new RangeError(`zipf exponent must be >= 0, got ${s}`);
      this.zipfCdf = zipfCdf(keys, s);
    } else if (this.skew.kind === 'hotKey') {
      const share = this.skew.share;
      if (!(share >= 0 && share <= 1)) throw new RangeError(`hotKey share must be in [0, 1], got ${share}`);
    }
  }

  open(subtaskIndex: number, parallelism: number, restoredPosition?: Uint8Array): void {
    const next = openInterleavedSplit(KIND, subtaskIndex, parallelism, restoredPosition);
    this.subtaskIndex = subtaskIndex;
    this.parallelism = parallelism;
    this.nextId = next;
    this.streamStart = this.now() - this.emitTimeOf(next, 0);
  }

  pollBatch(max: number): GeneratedRecord[] | 'end' {
    if (this.nextId < 0) throw new Error('GeneratorSource: pollBatch before open');
    const { count, ratePerSecond } = this.options;
    if (this.nextId >= count) return 'end';
    const out: GeneratedRecord[] = [];
    let i = this.nextId;
    // Rate-limited: ids due by now; record i is due at emitTimeOf(i) after the stream's start.
    const limit = ratePerSecond === undefined ? count : Math.min(count, Math.floor(((this.now() - this.streamStart) * ratePerSecond) / 1000) + 1);
    for (let n = 0; n < max && i < limit; n++, i += this.parallelism) out.push(this.record(i));
    this.nextId = i;
    return out;
  }

  snapshotPosition(): Uint8Array {
    if (this.nextId < 0) throw new Error('GeneratorSource: snapshotPosition before open');
    return interleavedSplitPosition(KIND, { subtaskIndex: this.subtaskIndex, parallelism: this.parallelism }, this.nextId);
  }

  close(): void {
    this.nextId = -1;
  }

  /** Record `i` of the whole stream, whichever split emits it; pure, so tests can compute expectations. */
  record(i: number): GeneratedRecord {
    const seed = recordSeed(this.options.seed, i);
    const key = this.pickKey(mulberry32At(seed, 0));
    const value = Math.floor(mulberry32At(seed, 1) * VALUE_RANGE);
    return { id: i, key, value, ts: this.emitTimeOf(i, this.options.startTimestamp ?? 0) };
  }

  /**
   * When record `i` is due if the stream started at `startMs`: at `ratePerSecond` over all subtasks,
   * record i is due at `startMs + i * 1000 / rate` (floored). Without a rate, one record per ms, so
   * event times still increase with ids.
   */
  emitTimeOf(i: number, startMs: number): number {
    const rate = this.options.ratePerSecond;
    return rate === undefined ? startMs + i : startMs + Math.floor((i * 1000) / rate);
  }

  /**
   * When this split's next record is due (see {@link emitTimeOf}); `undefined` once exhausted. A
   * runtime throttling to the rate polls only when its clock has reached it, which keeps the clock
   * (and any sleeping) out of the source and the source testable without timers.
   */
  nextEmitTime(startMs: number): number | undefined {
    if (this.nextId < 0 || this.nextId >= this.options.count) return undefined;
    return this.emitTimeOf(this.nextId, startMs);
  }

  /** Maps a uniform draw `u` in [0, 1) to a key per the configured skew. */
  private pickKey(u: number): number {
    const keys = this.options.keys;
    switch (this.skew.kind) {
      case 'uniform':
        return Math.floor(u * keys);
      case 'hotKey': {
        const share = this.skew.share;
        if (u < share || keys === 1) return 0;
        // Reuse the remainder of the draw: (u - share) / (1 - share) is uniform in [0, 1).
        return 1 + Math.min(keys - 2, Math.floor(((u - share) / (1 - share)) * (keys - 1)));
      }
      case 'zipf':
        return lowerBound(this.zipfCdf!, u);
    }
  }
}

/**
 * Expected share of key `k` under a zipf skew over `keys` keys; exported so tests and benchmarks can
 * compare observed key frequencies against it.
 */
export function zipfShare(keys: number, exponent: number, k: number): number {
  let h = 0;
  for (let j = 1; j <= keys; j++) h += 1 / j ** exponent;
  return 1 / (k + 1) ** exponent / h;
}

function zipfCdf(keys: number, exponent: number): Float64Array {
  const cdf = new Float64Array(keys);
  let sum = 0;
  for (let k = 0; k < keys; k++) {
    sum += 1 / (k + 1) ** exponent;
    cdf[k] = sum;
  }
  for (let k = 0; k < keys; k++) cdf[k] = cdf[k]! / sum;
  cdf[keys - 1] = 1; // rounding must never leave a draw past the last key
  return cdf;
}

/** First index with cdf[index] > u (u in [0, 1) and the last entry is 1, so always in range). */
function lowerBound(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

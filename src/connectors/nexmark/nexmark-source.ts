/**
 * The Nexmark generator as a replayable weir source. Event i is a pure function of the options and
 * i, so a position is just the next event number of a split and a restore replays exactly.
 */
import type { SourceSpec } from '../../api/specs.js';
import { interleavedSplitPosition, openInterleavedSplit, type ReplayableSource } from '../source.js';
import { checkNexmarkOptions, nexmarkConfig, timestampOf, type NexmarkConfig, type NexmarkOptions } from './nexmark-config.js';
import { nexmarkEvent } from './nexmark-generator.js';
import type { NexmarkEvent } from './nexmark-model.js';

/** The source kind under which the default connector registry knows {@link NexmarkSource}. */
export const NEXMARK_SOURCE_KIND = 'nexmark';

/**
 * Generates the Nexmark stream of `options.events` events. Subtask j of p emits event numbers
 * i ≡ j (mod p) in increasing order, so the splits partition the stream. (flink-nexmark instead
 * gives each generator a contiguous range of ids on its own timeline; interleaving keeps event time
 * nearly in order across splits, so a watermark lags little behind any of them.) Position = the next
 * event number of this split.
 *
 * @example
 * const src = new NexmarkSource({ events: 1000, seed: 1 });
 * src.open(0, 1);
 * const batch = src.pollBatch(100); // events 0..99: a person, 3 auctions, 46 bids, twice
 */
export class NexmarkSource implements ReplayableSource<NexmarkEvent> {
  /** Validated options with precomputed tables; shared by every event of this source. */
  readonly config: NexmarkConfig;
  private subtaskIndex = 0;
  private parallelism = 1;
  /** Next event number this split emits; always ≡ subtaskIndex (mod parallelism). -1 before open. */
  private nextId = -1;
  /** Throttled only: the clock time at which event 0 would have been due, so a restored split keeps pace. */
  private streamStart = 0;
  /** Monotonic ms for throttling; injectable for tests. */
  private readonly now: () => number;

  constructor(options: NexmarkOptions, clock: () => number = () => performance.now()) {
    this.config = nexmarkConfig(options);
    this.now = clock;
  }

  open(subtaskIndex: number, parallelism: number, restoredPosition?: Uint8Array): void {
    const next = openInterleavedSplit(NEXMARK_SOURCE_KIND, subtaskIndex, parallelism, restoredPosition);
    this.subtaskIndex = subtaskIndex;
    this.parallelism = parallelism;
    this.nextId = next;
    this.streamStart = this.now() - this.offsetMs(next);
  }

  pollBatch(max: number): NexmarkEvent[] | 'end' {
    if (this.nextId < 0) throw new Error('NexmarkSource: pollBatch before open');
    const config = this.config;
    const events = config.events;
    if (this.nextId >= events) return 'end';
    const step = this.parallelism;
    const out: NexmarkEvent[] = [];
    let i = this.nextId;
    if (config.throttle) {
      // Only events whose time, as an offset from event 0's, the clock has reached since the start.
      const elapsed = this.now() - this.streamStart;
      for (let n = 0; n < max && i < events && this.offsetMs(i) <= elapsed; n++, i += step) out.push(nexmarkEvent(config, i));
    } else {
      for (let n = 0; n < max && i < events; n++, i += step) out.push(nexmarkEvent(config, i));
    }
    this.nextId = i;
    return out;
  }

  snapshotPosition(): Uint8Array {
    if (this.nextId < 0) throw new Error('NexmarkSource: snapshotPosition before open');
    return interleavedSplitPosition(NEXMARK_SOURCE_KIND, { subtaskIndex: this.subtaskIndex, parallelism: this.parallelism }, this.nextId);
  }

  close(): void {
    this.nextId = -1;
  }

  /** Event number `i` of the whole stream, whichever split emits it (see {@link nexmarkEvent}). */
  event(i: number): NexmarkEvent {
    return nexmarkEvent(this.config, i);
  }

  /** Event time of this split's next event, epoch ms; `undefined` before open or once exhausted. */
  nextEventTime(): number | undefined {
    if (this.nextId < 0 || this.nextId >= this.config.events) return undefined;
    return timestampOf(this.config, this.nextId);
  }

  /** Event time of event i relative to event 0, ms: when a throttled source emits it after starting. */
  private offsetMs(i: number): number {
    return timestampOf(this.config, i) - this.config.baseTime;
  }
}

/**
 * A job-graph spec for a {@link NexmarkSource}; validates the options now, so a bad option fails
 * while the job is built rather than when it runs.
 *
 * @example
 * env.source(nexmarkSource({ events: 1_000_000, seed: 42 }), { uid: 'nexmark' })
 */
export function nexmarkSource(options: NexmarkOptions): SourceSpec<NexmarkEvent> {
  checkNexmarkOptions(options);
  return { kind: NEXMARK_SOURCE_KIND, payload: options };
}

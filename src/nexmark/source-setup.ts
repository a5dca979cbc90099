/**
 * The source end every Nexmark query shares: one Nexmark generator source with nexmark-flink's
 * watermark (`dateTime - INTERVAL '4' SECOND`), and the split of its event stream into persons,
 * auctions and bids. Each split is a filter on the event type and a map to the payload, chained to
 * the source, and made only when a query asks for it: a bids-only query pays nothing for persons.
 *
 * @example
 * const streams = nexmarkStreams(env, { source: { events: 1_000_000, seed: 1 } });
 * streams.bids.filter((b) => b.price > 10_000).sink(sink, { uid: 'out' });
 */
import type { DataStream } from '../api/data-stream.js';
import type { StreamEnvironment } from '../api/environment.js';
import { WatermarkStrategy } from '../api/watermark-strategy.js';
import { nexmarkSource, type Auction, type Bid, type NexmarkEvent, type NexmarkOptions, type Person } from '../connectors/nexmark/index.js';

/** nexmark-flink's watermark delay: `WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND`. */
export const NEXMARK_OUT_OF_ORDERNESS_MS = 4000;

/** The source's uid unless {@link NexmarkSourceSetup.uid} overrides it. */
export const NEXMARK_SOURCE_UID = 'nexmark-source';

/** How a query's source is set up; the options every query's `build` takes. */
export interface NexmarkSourceSetup {
  /** The generator's options (events, seed, rate, proportions, ...). */
  readonly source: NexmarkOptions;
  /** Uid of the source operator. Default {@link NEXMARK_SOURCE_UID}. */
  readonly sourceUid?: string;
  /** Watermark delay behind the largest event time seen. Default {@link NEXMARK_OUT_OF_ORDERNESS_MS}. */
  readonly outOfOrdernessMs?: number;
  /**
   * Inserted between the source and the split, e.g. a test's map that fails once, or a benchmark's
   * counter. Must return a stream of the same events (it may drop some, never reorder within a split).
   */
  readonly tapEvents?: (events: DataStream<NexmarkEvent>) => DataStream<NexmarkEvent>;
}

/** Event time of any Nexmark event: its payload's `dateTime` (epoch ms). */
export function nexmarkEventTime(e: NexmarkEvent): number {
  return e.type === 2 ? e.bid.dateTime : e.type === 1 ? e.auction.dateTime : e.person.dateTime;
}

const isPerson = (e: NexmarkEvent): boolean => e.type === 0;
const isAuction = (e: NexmarkEvent): boolean => e.type === 1;
const isBid = (e: NexmarkEvent): boolean => e.type === 2;
const toPerson = (e: NexmarkEvent): Person => e.person!;
const toAuction = (e: NexmarkEvent): Auction => e.auction!;
const toBid = (e: NexmarkEvent): Bid => e.bid!;

/** The event stream of one Nexmark source and its lazily made splits by type. */
export class NexmarkStreams {
  /** Invariant: each split is made at most once, so every query reads the same filter and map. */
  private personStream: DataStream<Person> | undefined;
  private auctionStream: DataStream<Auction> | undefined;
  private bidStream: DataStream<Bid> | undefined;

  constructor(
    /** Every event, timestamped with {@link nexmarkEventTime}, after `tapEvents` when given. */
    readonly events: DataStream<NexmarkEvent>,
  ) {}

  get persons(): DataStream<Person> {
    return (this.personStream ??= this.events.filter(isPerson, { name: 'persons' }).map(toPerson, { name: 'person' }));
  }

  get auctions(): DataStream<Auction> {
    return (this.auctionStream ??= this.events.filter(isAuction, { name: 'auctions' }).map(toAuction, { name: 'auction' }));
  }

  get bids(): DataStream<Bid> {
    return (this.bidStream ??= this.events.filter(isBid, { name: 'bids' }).map(toBid, { name: 'bid' }));
  }
}

/** Adds the Nexmark source to `env` (with watermarks) and returns its streams; see the module comment. */
export function nexmarkStreams(env: StreamEnvironment, setup: NexmarkSourceSetup): NexmarkStreams {
  const watermarks = WatermarkStrategy.forBoundedOutOfOrderness<NexmarkEvent>(setup.outOfOrdernessMs ?? NEXMARK_OUT_OF_ORDERNESS_MS).withTimestampAssigner(
    nexmarkEventTime,
  );
  const source = env.source(nexmarkSource(setup.source), { uid: setup.sourceUid ?? NEXMARK_SOURCE_UID, name: 'nexmark', watermarks });
  return new NexmarkStreams(setup.tapEvents === undefined ? source : setup.tapEvents(source));
}

/**
 * Options of the Nexmark generator (Nexmark's NexmarkConfiguration and GeneratorConfig), their
 * validation, and the event-number arithmetic every generator shares: which kind event i is and
 * when it happens.
 */
import { letterPool, wordPool } from './strings-generator.js';

/** How the event rate changes over time when `nextRatePerSecond` differs from `ratePerSecond`. */
export type NexmarkRateShape = 'square' | 'sine';

/**
 * Options of the Nexmark source; every Nexmark knob is optional and defaults to nexmark-flink's
 * value. Plain data, so it can travel in a job graph as a source payload.
 *
 * @example
 * const options: NexmarkOptions = { events: 10_000_000, seed: 1 };
 */
export interface NexmarkOptions {
  /** Total events over all subtasks; `Infinity` for an unbounded source. */
  readonly events: number;
  /** Job seed (an integer); event i is a pure function of the options (seed included) and i. Default 0. */
  readonly seed?: number;
  /**
   * Events per second over all subtasks (Nexmark's `firstEventRate`): spaces event times, and paces
   * emission when `throttle` is set. Default 10_000_000.
   */
  readonly ratePerSecond?: number;
  /** Second rate of a varying rate (Nexmark's `nextEventRate`). Default: `ratePerSecond` (constant rate). */
  readonly nextRatePerSecond?: number;
  /** Shape of a varying rate: two alternating steps or a 10-step sine. Default 'square'. */
  readonly rateShape?: NexmarkRateShape;
  /** Seconds for one full cycle of a varying rate. Default 600. */
  readonly ratePeriodSec?: number;
  /** Event time of event 0, epoch ms. Default {@link DEFAULT_BASE_TIME}, so runs are reproducible. */
  readonly baseTime?: number;
  /**
   * false (default): emit as fast as polled. true: emit an event only once the wall clock, measured
   * from the split's open, has reached its event time's offset from `baseTime`.
   */
  readonly throttle?: boolean;
  /** Out of every `person + auction + bid` consecutive events this many are people. Default 1. */
  readonly personProportion?: number;
  /** Default 3. */
  readonly auctionProportion?: number;
  /** Default 46. */
  readonly bidProportion?: number;
  /** A bid goes to the current hot auction with probability 1 - 1/hotAuctionRatio. Default 2. */
  readonly hotAuctionRatio?: number;
  /** An auction is by the current hot seller with probability 1 - 1/hotSellersRatio. Default 4. */
  readonly hotSellersRatio?: number;
  /** A bid is by the current hot bidder with probability 1 - 1/hotBiddersRatio. Default 4. */
  readonly hotBiddersRatio?: number;
  /** Sellers and bidders are drawn from the latest this many people (plus a small lead). Default 1000. */
  readonly numActivePeople?: number;
  /**
   * Bids go to the latest this many auctions (plus a small lead); also sets auction length: an
   * auction lasts on average as long as it takes to open this many more auctions. Default 100.
   */
  readonly numInFlightAuctions?: number;
  /** Average size a person's fields add up to, `extra` padding included. Default 200. */
  readonly avgPersonByteSize?: number;
  /** Default 500. */
  readonly avgAuctionByteSize?: number;
  /** Default 100. */
  readonly avgBidByteSize?: number;
}

/** Default event time of event 0: 2026-01-01T00:00:00Z. */
export const DEFAULT_BASE_TIME = Date.UTC(2026, 0, 1);
/** nexmark-flink's default rate, events per second over all generators. */
export const DEFAULT_RATE_PER_SECOND = 10_000_000;

/** Every key of {@link NexmarkOptions}; anything else in a payload is a typo and rejected. */
const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof NexmarkOptions>([
  'events',
  'seed',
  'ratePerSecond',
  'nextRatePerSecond',
  'rateShape',
  'ratePeriodSec',
  'baseTime',
  'throttle',
  'personProportion',
  'auctionProportion',
  'bidProportion',
  'hotAuctionRatio',
  'hotSellersRatio',
  'hotBiddersRatio',
  'numActivePeople',
  'numInFlightAuctions',
  'avgPersonByteSize',
  'avgAuctionByteSize',
  'avgBidByteSize',
]);

/** Steps a sine-shaped rate is approximated with. */
const SINE_STEPS = 10;

/**
 * {@link NexmarkOptions} checked and with defaults applied, plus what generation precomputes from
 * them. Built once per source instance by {@link nexmarkConfig}; read-only afterwards except for the
 * lazily filled, deterministic channel table.
 */
export interface NexmarkConfig {
  readonly events: number;
  readonly seed: number;
  readonly baseTime: number;
  readonly throttle: boolean;
  readonly personProportion: number;
  readonly auctionProportion: number;
  readonly bidProportion: number;
  /** person + auction + bid: the length of one repeating block of event kinds. */
  readonly totalProportion: number;
  readonly hotAuctionRatio: number;
  readonly hotSellersRatio: number;
  readonly hotBiddersRatio: number;
  readonly numActivePeople: number;
  readonly numInFlightAuctions: number;
  readonly avgPersonByteSize: number;
  readonly avgAuctionByteSize: number;
  readonly avgBidByteSize: number;
  /** Events an auction's expiry looks ahead: numInFlightAuctions auctions' worth of events. */
  readonly auctionHorizonEvents: number;
  /** Events per second of each rate step; one entry for a constant rate. */
  readonly stepRates: readonly number[];
  /** Events in each rate step (varying rate only). */
  readonly stepEvents: readonly number[];
  /** Milliseconds each rate step lasts (varying rate only). */
  readonly stepMs: readonly number[];
  /** Events in one full cycle of the steps (varying rate only). */
  readonly eventsPerCycle: number;
  /** Milliseconds of one full cycle of the steps (varying rate only). */
  readonly cycleMs: number;
  /** Uniform lowercase letters that `extra` strings are slices of; long enough for the largest. */
  readonly extraPool: string;
  /** Letters with a space 1 time in 13 that item names, descriptions and emails are slices of. */
  readonly wordPool: string;
  /** Bid channel urls by channel number, filled on first use (deterministic from the seed). */
  readonly channelUrls: (string | undefined)[];
  /** Urls of the hot channels in HOT_CHANNELS order, filled on first use (deterministic from the seed). */
  readonly hotChannelUrls: string[];
}

/** Validates options without building a config; throws a RangeError naming the offending option. */
export function checkNexmarkOptions(options: NexmarkOptions): void {
  nexmarkConfigOf(options, false);
}

/** Validates `options`, applies defaults and precomputes tables. Throws a RangeError naming the option. */
export function nexmarkConfig(options: NexmarkOptions): NexmarkConfig {
  return nexmarkConfigOf(options, true) as NexmarkConfig;
}

function nexmarkConfigOf(options: NexmarkOptions, build: boolean): NexmarkConfig | undefined {
  if (typeof options !== 'object' || options === null) throw new RangeError(`nexmark options must be an object, got ${options}`);
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new RangeError(`unknown nexmark option '${key}' (known: ${[...KNOWN_OPTIONS].join(', ')})`);
  }
  const events = options.events;
  if (!(events === Infinity || (Number.isSafeInteger(events) && events >= 0))) {
    throw new RangeError(`events must be a non-negative integer or Infinity, got ${events}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const rate = options.ratePerSecond ?? DEFAULT_RATE_PER_SECOND;
  if (!(typeof rate === 'number' && rate > 0 && Number.isFinite(rate))) {
    throw new RangeError(`ratePerSecond must be a positive finite number, got ${rate}`);
  }
  const nextRate = options.nextRatePerSecond ?? rate;
  if (!(typeof nextRate === 'number' && nextRate > 0 && Number.isFinite(nextRate))) {
    throw new RangeError(`nextRatePerSecond must be a positive finite number, got ${nextRate}`);
  }
  const shape = options.rateShape ?? 'square';
  if (shape !== 'square' && shape !== 'sine') throw new RangeError(`rateShape must be 'square' or 'sine', got ${String(shape)}`);
  const ratePeriodSec = intOption(options, 'ratePeriodSec', 600, 1);
  const baseTime = options.baseTime ?? DEFAULT_BASE_TIME;
  if (!Number.isSafeInteger(baseTime)) throw new RangeError(`baseTime must be an integer (epoch ms), got ${baseTime}`);
  const throttle = options.throttle ?? false;
  if (typeof throttle !== 'boolean') throw new RangeError(`throttle must be a boolean, got ${String(throttle)}`);
  const personProportion = intOption(options, 'personProportion', 1, 1);
  const auctionProportion = intOption(options, 'auctionProportion', 3, 1);
  const bidProportion = intOption(options, 'bidProportion', 46, 0);
  const hotAuctionRatio = intOption(options, 'hotAuctionRatio', 2, 1);
  const hotSellersRatio = intOption(options, 'hotSellersRatio', 4, 1);
  const hotBiddersRatio = intOption(options, 'hotBiddersRatio', 4, 1);
  const numActivePeople = intOption(options, 'numActivePeople', 1000, 1);
  const numInFlightAuctions = intOption(options, 'numInFlightAuctions', 100, 0);
  const avgPersonByteSize = intOption(options, 'avgPersonByteSize', 200, 0);
  const avgAuctionByteSize = intOption(options, 'avgAuctionByteSize', 500, 0);
  const avgBidByteSize = intOption(options, 'avgBidByteSize', 100, 0);
  const steps = rateSteps(rate, nextRate, shape, ratePeriodSec);
  if (!build) return undefined;

  const totalProportion = personProportion + auctionProportion + bidProportion;
  // The longest extra is just under 1.2 × the largest average; twice that leaves room for offsets.
  const largestExtra = Math.ceil(Math.max(avgPersonByteSize, avgAuctionByteSize, avgBidByteSize) * 1.2) + 1;
  return {
    events,
    seed,
    baseTime,
    throttle,
    personProportion,
    auctionProportion,
    bidProportion,
    totalProportion,
    hotAuctionRatio,
    hotSellersRatio,
    hotBiddersRatio,
    numActivePeople,
    numInFlightAuctions,
    avgPersonByteSize,
    avgAuctionByteSize,
    avgBidByteSize,
    auctionHorizonEvents: Math.floor((numInFlightAuctions * totalProportion) / auctionProportion),
    ...steps,
    extraPool: letterPool(Math.max(1 << 16, 2 * largestExtra)),
    wordPool: wordPool(1 << 16),
    channelUrls: [],
    hotChannelUrls: [],
  };
}

function intOption(options: NexmarkOptions, name: keyof NexmarkOptions, fallback: number, min: number): number {
  const v = options[name] ?? fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

/**
 * The rate steps of a (possibly varying) rate, as Nexmark's RateShape lays them out: a constant rate
 * is one step; 'square' alternates the two rates; 'sine' steps through 10 rates on a cosine between
 * them. Each step lasts ceil(ratePeriodSec / steps) seconds.
 */
function rateSteps(
  rate: number,
  nextRate: number,
  shape: NexmarkRateShape,
  ratePeriodSec: number,
): Pick<NexmarkConfig, 'stepRates' | 'stepEvents' | 'stepMs' | 'eventsPerCycle' | 'cycleMs'> {
  if (rate === nextRate) return { stepRates: [rate], stepEvents: [], stepMs: [], eventsPerCycle: 0, cycleMs: 0 };
  let stepRates: number[];
  if (shape === 'square') {
    stepRates = [rate, nextRate];
  } else {
    const mid = (rate + nextRate) / 2;
    const amplitude = (rate - nextRate) / 2;
    stepRates = Array.from({ length: SINE_STEPS }, (_, k) => Math.round(mid + amplitude * Math.cos((2 * Math.PI * k) / SINE_STEPS)));
  }
  const stepSec = Math.ceil(ratePeriodSec / stepRates.length);
  const stepEvents = stepRates.map((r) => Math.floor(stepSec * r));
  if (stepEvents.some((n) => n < 1)) {
    throw new RangeError(
      `ratePerSecond/nextRatePerSecond too low for ratePeriodSec ${ratePeriodSec}: every rate step must hold at least one event`,
    );
  }
  const stepMs = stepEvents.map((n, k) => Math.floor((n * 1000) / stepRates[k]!));
  return {
    stepRates,
    stepEvents,
    stepMs,
    eventsPerCycle: stepEvents.reduce((a, b) => a + b, 0),
    cycleMs: stepMs.reduce((a, b) => a + b, 0),
  };
}

/**
 * Event time of event number `i`, epoch ms (Nexmark's timestampForEvent). At a constant rate r:
 * `baseTime + floor(i * 1000 / r)`; at a varying rate the same within the current step, after the
 * whole cycles and steps before it. Non-decreasing in i.
 */
export function timestampOf(config: NexmarkConfig, i: number): number {
  const rates = config.stepRates;
  if (rates.length === 1) return config.baseTime + Math.floor((i * 1000) / rates[0]!);
  const cycle = Math.floor(i / config.eventsPerCycle);
  let n = i - cycle * config.eventsPerCycle;
  let ms = config.baseTime + cycle * config.cycleMs;
  for (let k = 0; ; k++) {
    const count = config.stepEvents[k]!;
    if (n < count) return ms + Math.floor((n * 1000) / rates[k]!);
    n -= count;
    ms += config.stepMs[k]!;
  }
}

/** Kind of event `i`: 0 person, 1 auction, 2 bid, by its position in the repeating block of kinds. */
export function eventTypeOf(config: NexmarkConfig, i: number): 0 | 1 | 2 {
  const rem = i % config.totalProportion;
  if (rem < config.personProportion) return 0;
  return rem < config.personProportion + config.auctionProportion ? 1 : 2;
}

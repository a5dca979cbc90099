/**
 * The Nexmark queries as weir jobs, on both backends: (a) a plain run's results equal a
 * straightforward computation over `nexmarkEvent(config, i)` for i in [0, n), written here without
 * any of the queries' code; (b) with checkpoints every 5 ms, one injected failure in the middle and
 * a transactional file sink, the committed lines are exactly the same, each once.
 *
 * The unwindowed queries run at 1000 events/s of event time, so auctions (open ~1.7 s on average)
 * open and close many times over and bids land before, inside and after their auction's time; the
 * windowed ones at 200 events/s, so 20,000 events span 100 s: ten tumbling 10 s windows, ~50
 * sliding ones, and bidder sessions that both merge and end.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DataStream } from '../src/api/data-stream.js';
import { StreamEnvironment } from '../src/api/environment.js';
import { readCommittedLines } from '../src/cli/committed-output.js';
import { CollectSink } from '../src/connectors/collect-sink.js';
import {
  nexmarkConfig,
  nexmarkEvent,
  NexmarkSource,
  NEXMARK_SOURCE_KIND,
  type Auction,
  type Bid,
  type NexmarkEvent,
  type NexmarkOptions,
  type Person,
} from '../src/connectors/nexmark/index.js';
import { NEXMARK_QUERIES, type NexmarkQuery } from '../src/nexmark/queries/index.js';
import { defaultConnectorRegistry, type ConnectorRegistry } from '../src/runtime/connector-registry.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import type { StateBackendKind } from '../src/state/types.js';
import { BACKEND_KINDS } from './support/backends.js';
import { expectExactlyOnce, QUICK_RESTARTS } from './support/counting-job.js';
import { tempDirs } from './support/temp-dirs.js';

/** Events 0..n-1 of one stream, straight from the generator function, split by kind. */
interface Stream {
  readonly options: NexmarkOptions;
  readonly events: NexmarkEvent[];
  readonly persons: Person[];
  readonly auctions: Auction[];
  readonly bids: Bid[];
}

function generate(options: NexmarkOptions): Stream {
  const config = nexmarkConfig(options);
  const events = Array.from({ length: options.events }, (_, i) => nexmarkEvent(config, i));
  return {
    options,
    events,
    persons: events.flatMap((e) => (e.person === null ? [] : [e.person])),
    auctions: events.flatMap((e) => (e.auction === null ? [] : [e.auction])),
    bids: events.flatMap((e) => (e.bid === null ? [] : [e.bid])),
  };
}

const AUCTION_STREAM = generate({ events: 20_000, seed: 7, ratePerSecond: 1000 });
const WINDOW_STREAM = generate({ events: 20_000, seed: 8, ratePerSecond: 200 });

/** Event time of any event, for the injected failure. */
function timeOf(e: NexmarkEvent): number {
  return e.bid?.dateTime ?? e.auction?.dateTime ?? e.person!.dateTime;
}

/** The bids of `a` placed while it was open (`dateTime BETWEEN a.dateTime AND a.expires`). */
function bidsInRange(s: Stream, a: Auction): Bid[] {
  return s.bids.filter((b) => b.auction === a.id && b.dateTime >= a.dateTime && b.dateTime <= a.expires);
}

/** Start of the `size`-ms window (aligned to 0) holding time `t`. */
function windowOf(t: number, size: number): number {
  return t - (t % size);
}

/** Appends `value` to the list under `key`. */
function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** One query's test: its stream, and its expected records (compared with a plain run) or a check of output lines. */
interface Case {
  readonly stream: Stream;
  readonly records?: (s: Stream) => unknown[];
  readonly checkLines?: (s: Stream, lines: readonly string[]) => void;
}

const CASES: Record<string, Case> = {
  q0: { stream: AUCTION_STREAM, records: (s) => s.bids },
  q1: {
    stream: AUCTION_STREAM,
    records: (s) =>
      s.bids.map((b) => ({
        auction: b.auction,
        bidder: b.bidder,
        // 0.908 × price, rounded half up to whole cents, in exact integer arithmetic
        price: Number((BigInt(b.price) * 908n + 500n) / 1000n),
        dateTime: b.dateTime,
        extra: b.extra,
      })),
  },
  q2: { stream: AUCTION_STREAM, records: (s) => s.bids.filter((b) => b.auction % 123 === 0).map((b) => ({ auction: b.auction, price: b.price })) },
  q3: {
    stream: AUCTION_STREAM,
    records: (s) => {
      const out: unknown[] = [];
      for (const a of s.auctions) {
        if (a.category !== 10) continue;
        for (const p of s.persons) {
          if (p.id === a.seller && (p.state === 'OR' || p.state === 'ID' || p.state === 'CA')) {
            out.push({ name: p.name, city: p.city, state: p.state, id: a.id });
          }
        }
      }
      return out;
    },
  },
  q4: { stream: AUCTION_STREAM, checkLines: checkRunningAverages },
  q5: {
    stream: WINDOW_STREAM,
    records: (s) => {
      // every 10 s window starting at a multiple of 2 s that holds the bid
      const counts = new Map<number, Map<number, number>>(); // window end → auction → bids
      for (const b of s.bids) {
        for (let start = windowOf(b.dateTime, 2000); start > b.dateTime - 10_000; start -= 2000) {
          const perAuction = counts.get(start + 10_000) ?? new Map<number, number>();
          perAuction.set(b.auction, (perAuction.get(b.auction) ?? 0) + 1);
          counts.set(start + 10_000, perAuction);
        }
      }
      const out: unknown[] = [];
      for (const [windowEnd, perAuction] of counts) {
        const max = Math.max(...perAuction.values());
        for (const [auction, count] of perAuction) if (count === max) out.push({ auction, count, windowEnd });
      }
      return out;
    },
  },
  q7: {
    stream: WINDOW_STREAM,
    records: (s) => {
      const byWindow = new Map<number, Bid[]>();
      for (const b of s.bids) push(byWindow, windowOf(b.dateTime, 10_000) + 10_000, b);
      const out: unknown[] = [];
      for (const [windowEnd, bids] of byWindow) {
        const max = Math.max(...bids.map((b) => b.price));
        for (const bid of bids) if (bid.price === max) out.push({ windowEnd, bid });
      }
      return out;
    },
  },
  q8: {
    stream: WINDOW_STREAM,
    records: (s) => {
      const sold = new Set(s.auctions.map((a) => `${a.seller}@${windowOf(a.dateTime, 10_000)}`));
      return s.persons
        .filter((p) => sold.has(`${p.id}@${windowOf(p.dateTime, 10_000)}`))
        .map((p) => ({ id: p.id, name: p.name, windowStart: windowOf(p.dateTime, 10_000) }));
    },
  },
  q9: {
    stream: AUCTION_STREAM,
    records: (s) => {
      const out: unknown[] = [];
      for (const a of s.auctions) {
        const candidates = bidsInRange(s, a).sort(
          (x, y) =>
            y.price - x.price ||
            x.dateTime - y.dateTime ||
            x.bidder - y.bidder ||
            (x.channel + '\u0000' + x.url + '\u0000' + x.extra < y.channel + '\u0000' + y.url + '\u0000' + y.extra ? -1 : 1),
        );
        if (candidates.length > 0) out.push({ auction: a, bid: candidates[0] });
      }
      return out;
    },
  },
  q11: {
    stream: WINDOW_STREAM,
    records: (s) => {
      const times = new Map<number, number[]>();
      for (const b of s.bids) push(times, b.bidder, b.dateTime);
      const out: unknown[] = [];
      for (const [bidder, ts] of times) {
        ts.sort((x, y) => x - y);
        let start = ts[0]!;
        let count = 0;
        for (let i = 0; i < ts.length; i++) {
          count++;
          // the session goes on while the next bid is at most 10 s after this one
          if (i === ts.length - 1 || ts[i + 1]! - ts[i]! > 10_000) {
            out.push({ bidder, count, start, end: ts[i]! + 10_000 });
            start = ts[i + 1]!;
            count = 0;
          }
        }
      }
      return out;
    },
  },
};

/** Per category, the winning prices: per auction the highest bid placed while it was open. */
function winningPricesByCategory(s: Stream): Map<number, number[]> {
  const byCategory = new Map<number, number[]>();
  for (const a of s.auctions) {
    const prices = bidsInRange(s, a).map((b) => b.price);
    if (prices.length > 0) push(byCategory, a.category, Math.max(...prices));
  }
  return byCategory;
}

/**
 * q4 emits `category,average` after every winning price, in order per category. So the k-th line
 * of a category is (p1 + … + pk) / k for the winning prices in some order: k × avg_k − (k−1) ×
 * avg_(k−1) recovers p_k, and the recovered prices must be exactly the category's winning prices;
 * the last line is the average over all of them.
 */
function checkRunningAverages(s: Stream, lines: readonly string[]): void {
  const expected = winningPricesByCategory(s);
  const seen = new Map<number, number[]>();
  for (const line of lines) {
    const [category, average] = line.split(',').map(Number) as [number, number];
    push(seen, category, average);
  }
  expect([...seen.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [category, prices] of expected) {
    const averages = seen.get(category)!;
    expect(averages, `category ${category}`).toHaveLength(prices.length);
    const recovered: number[] = [];
    let previousSum = 0;
    averages.forEach((avg, k) => {
      const sum = Math.round(avg * (k + 1));
      recovered.push(sum - previousSum);
      previousSum = sum;
    });
    expect(recovered.sort((x, y) => x - y), `category ${category}`).toEqual([...prices].sort((x, y) => x - y));
    const total = prices.reduce((x, y) => x + y, 0);
    expect(averages[averages.length - 1]).toBe(total / prices.length);
  }
}

/** A map that fails the task once, at the first event at or after the middle of the stream's time. */
/**
 * Fails once, at the first event from the middle of event time on. The source holds back the events
 * from the middle on until a checkpoint completed (`checkpointed()`, called from the listener), so
 * the failure always comes after one and the restart restores state, however fast the machine is.
 */
function failOnceInTheMiddle(s: Stream): {
  tap: (events: DataStream<NexmarkEvent>) => DataStream<NexmarkEvent>;
  connectors: ConnectorRegistry;
  failed: () => boolean;
  checkpointed: () => void;
} {
  const middle = timeOf(s.events[Math.floor(s.events.length / 2)]!);
  let thrown = false;
  let anyCheckpoint = false;
  return {
    connectors: defaultConnectorRegistry().registerSource(NEXMARK_SOURCE_KIND, (p) => {
      const inner = new NexmarkSource(p as NexmarkOptions);
      return {
        open: (i, n, pos) => inner.open(i, n, pos),
        pollBatch: (max) => {
          if (anyCheckpoint) return inner.pollBatch(max);
          // one event at a time up to the middle, so no batch runs past it
          const out: NexmarkEvent[] = [];
          for (let t = inner.nextEventTime(); out.length < max && t !== undefined && t < middle; t = inner.nextEventTime()) {
            const one = inner.pollBatch(1);
            if (one === 'end') break;
            out.push(...one);
          }
          return out.length === 0 && inner.nextEventTime() === undefined ? inner.pollBatch(max) : out;
        },
        snapshotPosition: () => inner.snapshotPosition(),
        close: () => inner.close(),
      };
    }),
    tap: (events) =>
      events.map(
        (e) => {
          if (!thrown && timeOf(e) >= middle) {
            thrown = true;
            throw new Error('injected failure');
          }
          return e;
        },
        { name: 'fail-once' },
      ),
    failed: () => thrown,
    checkpointed: () => {
      anyCheckpoint = true;
    },
  };
}

const dirs = tempDirs();

describe.each(BACKEND_KINDS)('nexmark queries on the %s backend', (backend: StateBackendKind) => {
  describe.each(Object.keys(CASES))('%s', (name) => {
    const query: NexmarkQuery = NEXMARK_QUERIES[name]!;
    const { stream, records, checkLines } = CASES[name]!;

    it('equals the straightforward computation', async () => {
      const env = new StreamEnvironment({ parallelism: 3, stateBackend: backend });
      const out = new CollectSink<unknown>();
      query.build(env, { source: stream.options }).sink(out.spec(), { uid: 'out' });
      await new LocalExecutor().run(env);
      if (records !== undefined) {
        const byLine = (rs: readonly unknown[]) => rs.map((r) => [query.format(r), r] as const).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
        const expected = records(stream);
        expect(expected.length).toBeGreaterThanOrEqual(10);
        const actual = byLine(out.values);
        expect(actual.length).toBe(expected.length);
        expect(actual).toEqual(byLine(expected));
      } else {
        checkLines!(stream, out.values.map((r) => query.format(r)));
      }
    });

    it('commits the same results exactly once across a failure in the middle', async () => {
      const dir = dirs('nexmark-q');
      const failure = failOnceInTheMiddle(stream);
      const env = new StreamEnvironment({
        parallelism: 2,
        stateBackend: backend,
        checkpoint: { intervalMs: 5 },
        restartStrategy: QUICK_RESTARTS,
      });
      query
        .build(env, { source: stream.options, tapEvents: failure.tap })
        .sink({ kind: 'transactional-file', payload: { dir: join(dir, 'out'), encode: (r: unknown) => query.format(r) } }, { uid: 'out' });
      let restoredFrom: number | undefined;
      const result = await new LocalExecutor().run(env, {
        checkpointDir: join(dir, 'chk'),
        connectors: failure.connectors,
        listener: {
          onCheckpointCompleted: failure.checkpointed,
          onRestored(info) {
            if (info.attempt === 2) restoredFrom = info.checkpointId;
          },
        },
      });
      expect(failure.failed()).toBe(true);
      expect(result.attempts).toBe(2);
      // the second attempt started from a checkpoint taken before the failure, not from scratch
      expect(restoredFrom).toBeGreaterThan(0);
      const { lines } = await readCommittedLines(join(dir, 'out'));
      if (records !== undefined) expectExactlyOnce(lines, records(stream).map((r) => query.format(r)));
      else checkLines!(stream, lines);
    });
  });
});

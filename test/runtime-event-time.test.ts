/**
 * Event time end to end through the LocalExecutor: timestamps assigned at the source travel through
 * channels; watermarks (bounded out-of-orderness, minimum over parallel inputs, idle splits) fire
 * event-time timers kept in keyed state on both backends; timers survive a crash; records emitted
 * from an event-time timer carry its timestamp; and two connected streams meet in a keyed
 * co-process function. Every expectation is computed independently from the input array.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { KeyedCoProcessFunction, KeyedProcessFunction } from '../src/api/functions.js';
import { WatermarkStrategy } from '../src/api/watermark-strategy.js';
import { readCommittedLines } from '../src/cli/committed-output.js';
import { CollectSink } from '../src/connectors/collect-sink.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import { mulberry32 } from '../src/random/mulberry32.js';
import { valueState } from '../src/state/descriptors.js';
import { Serializers } from '../src/state/serializers.js';
import type { StateBackendKind, ValueState } from '../src/state/types.js';
import { arrayConnectors, arraySource } from './support/array-source.js';
import { BACKEND_KINDS } from './support/backends.js';
import { expectExactlyOnce, QUICK_RESTARTS } from './support/counting-job.js';

interface Ev {
  readonly id: number;
  readonly key: number;
  readonly ts: number;
}

const DISORDER = 50;
const TIMER_DELAY = 20;

/** `n` events over `keys` keys whose timestamps rise ~1 ms per event but jitter back by up to DISORDER. */
function disorderedEvents(n: number, keys: number, seed: number): Ev[] {
  const rnd = mulberry32(seed);
  const out: Ev[] = [];
  for (let i = 0; i < n; i++) out.push({ id: i, key: Math.floor(rnd() * keys), ts: 1000 + i - Math.floor(rnd() * DISORDER) });
  return out;
}

const strategy = WatermarkStrategy.forBoundedOutOfOrderness<Ev>(DISORDER).withTimestampAssigner((e) => e.ts);

/**
 * Per record: count it, and register an event-time timer at ts + TIMER_DELAY. A timer at T emits
 * `key@T=n`, n the key's count when the watermark passed T (checked by `expectTimerOutput`).
 */
function countingTimers(onElement?: (e: Ev) => void): KeyedProcessFunction<number, Ev, string> & { count?: ValueState<number> } {
  return {
    open(rt) {
      this.count = rt.getState(valueState('count', Serializers.number));
    },
    processElement(e, ctx) {
      onElement?.(e);
      expect(ctx.timestamp).toBe(e.ts);
      this.count!.update((this.count!.value() ?? 0) + 1);
      ctx.timerService.registerEventTimeTimer(e.ts + TIMER_DELAY);
    },
    onTimer(ts, ctx, out) {
      expect(ctx.timeDomain).toBe('event-time');
      expect(ctx.timestamp).toBe(ts);
      expect(ctx.timerService.currentWatermark()).toBeGreaterThanOrEqual(ts);
      out.collect(`${ctx.key}@${ts}=${this.count!.value()}`);
    },
  };
}

/** Downstream of the timers: tags each line with the timestamp it arrived with. */
const tagTimestamp: KeyedProcessFunction<string, string, string> = {
  processElement(line, ctx, out) {
    out.collect(`${line}|${ctx.timestamp}`);
  },
};

/**
 * The independent check: every timer time T of a key fires exactly once; its count is at least the
 * key's records with ts <= T (input is never later than the strategy allows, so all of those precede
 * watermark T) and at most all of the key's records; its output arrives downstream carrying T.
 */
function expectTimerOutput(lines: readonly string[], events: readonly Ev[]): void {
  const timers = new Map<string, number>();
  for (const e of events) timers.set(`${e.key}@${e.ts + TIMER_DELAY}`, e.key);
  expect(lines).toHaveLength(timers.size);
  for (const line of lines) {
    const m = /^(\d+)@(\d+)=(\d+)\|(\d+)$/.exec(line);
    expect(m, line).not.toBeNull();
    const [, k, t, n, stamp] = m!.map(Number) as [number, number, number, number, number];
    expect(timers.has(`${k}@${t}`), line).toBe(true);
    timers.delete(`${k}@${t}`);
    expect(stamp).toBe(t);
    const atLeast = events.filter((e) => e.key === k && e.ts <= t).length;
    expect(n, line).toBeGreaterThanOrEqual(atLeast);
    expect(n, line).toBeLessThanOrEqual(events.filter((e) => e.key === k).length);
  }
  expect(timers.size).toBe(0);
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.each(BACKEND_KINDS)('event time on the %s backend', (backend: StateBackendKind) => {
  it('fires every event-time timer once, after all records at or before it, with its timestamp downstream', async () => {
    const events = disorderedEvents(3000, 13, 1);
    const env = new StreamEnvironment({ parallelism: 3, stateBackend: backend });
    const out = new CollectSink<string>();
    env
      .source(arraySource({ records: events, batch: 7 }), { uid: 'src', watermarks: strategy })
      .keyBy((e) => e.key)
      .process(countingTimers(), { uid: 'timers' })
      .keyBy((line) => line)
      .process(tagTimestamp, { uid: 'tag' })
      .sink(out.spec(), { uid: 'out' });
    await new LocalExecutor().run(env, { connectors: arrayConnectors(), batchSize: 16, stepBudget: 64 });
    expectTimerOutput(out.values, events);
  });

  it('a timer fires only when the minimum watermark over all input channels passes it', async () => {
    // split 1 is 1000 ms behind split 0: timers of split 0's records wait for split 1's watermark
    const events: Ev[] = [];
    for (let i = 0; i < 400; i++) events.push({ id: i, key: i % 5, ts: i % 2 === 0 ? 2000 + i : 1000 + i });
    const seen: number[] = [];
    const fn: KeyedProcessFunction<number, Ev, string> = {
      processElement(e, ctx) {
        seen.push(e.ts);
        ctx.timerService.registerEventTimeTimer(e.ts);
      },
      onTimer(ts, ctx, out) {
        // everything of split 1 up to ts - DISORDER must have been processed before this fires
        const slowMax = Math.max(...seen.filter((t) => t < 2000));
        if (ts < Number.POSITIVE_INFINITY && ts >= 2000) expect(slowMax === 1399 || slowMax >= ts - 1000 - DISORDER - 2).toBe(true);
        expect(ctx.timerService.currentWatermark()).toBeGreaterThanOrEqual(ts);
        out.collect(`${ts}`);
      },
    };
    const env = new StreamEnvironment({ parallelism: 2, stateBackend: backend });
    const out = new CollectSink<string>();
    env
      .source(arraySource({ records: events, batch: 3 }), { uid: 'src', watermarks: strategy })
      .keyBy((e) => e.key)
      .process(fn, { uid: 'timers' })
      .setParallelism(1)
      .sink(out.spec(), { uid: 'out' });
    await new LocalExecutor().run(env, { connectors: arrayConnectors(), batchSize: 4, stepBudget: 8 });
    expect(out.values.map(Number).sort((a, b) => a - b)).toEqual(events.map((e) => e.ts).sort((a, b) => a - b));
  });

  it('an idle split stops holding the watermark back only with withIdleness', async () => {
    // split 1 has no records; neither split ends, so the watermark stops at split 0's last one
    const events: Ev[] = [];
    for (let i = 0; i < 200; i++) events.push({ id: i, key: i % 4, ts: 1000 + i });
    const records = events.flatMap((e) => [e, e]); // split 0 gets the even indices: every event once
    const lastWatermark = events[events.length - 1]!.ts - DISORDER - 1;
    const expected = events.map((e) => e.ts).filter((ts) => ts <= lastWatermark);
    const run = async (idleness: boolean): Promise<string[]> => {
      const fn: KeyedProcessFunction<number, Ev, string> = {
        processElement(e, ctx) {
          ctx.timerService.registerEventTimeTimer(e.ts);
        },
        onTimer(ts, _ctx, out) {
          out.collect(`${ts}`);
        },
      };
      const env = new StreamEnvironment({ parallelism: 2, stateBackend: backend });
      const out = new CollectSink<string>();
      const s = idleness ? strategy.withIdleness(30) : strategy;
      env
        .source(arraySource({ records, endlessAfter: [Infinity, 0] }), { uid: 'src', watermarks: s })
        .keyBy((e) => e.key)
        .process(fn, { uid: 'timers' })
        .sink(out.spec(), { uid: 'out' });
      const abort = new AbortController();
      const deadline = Date.now() + (idleness ? 10_000 : 400);
      const watch = setInterval(() => {
        if (out.values.length >= expected.length || Date.now() > deadline) abort.abort();
      }, 10);
      await new LocalExecutor().run(env, { connectors: arrayConnectors(), signal: abort.signal }).catch(() => undefined);
      clearInterval(watch);
      return out.values;
    };
    expect((await run(true)).map(Number).sort((a, b) => a - b)).toEqual(expected);
    expect(await run(false)).toEqual([]);
  });

  it('event-time timers survive a crash: the committed output is exactly the uninterrupted one', async () => {
    const events = disorderedEvents(4000, 11, 2);
    const dir = mkdtempSync(join(tmpdir(), 'weir-et-'));
    dirs.push(dir);
    let thrown = false;
    const env = new StreamEnvironment({
      parallelism: 2,
      stateBackend: backend,
      checkpoint: { intervalMs: 5 },
      restartStrategy: QUICK_RESTARTS,
    });
    env
      .source(arraySource({ records: events, batch: 5 }), { uid: 'src', watermarks: strategy })
      .keyBy((e) => e.key)
      .process(
        countingTimers((e) => {
          if (e.id === 2500 && !thrown) {
            thrown = true;
            throw new Error('injected crash');
          }
        }),
        { uid: 'timers' },
      )
      .keyBy((line) => line)
      .process(tagTimestamp, { uid: 'tag' })
      .sink({ kind: 'transactional-file', payload: { dir: join(dir, 'out') } }, { uid: 'out' });
    const result = await new LocalExecutor().run(env, {
      connectors: arrayConnectors(),
      checkpointDir: join(dir, 'chk'),
      batchSize: 8,
      stepBudget: 32,
    });
    expect(thrown).toBe(true);
    expect(result.attempts).toBeGreaterThan(1);
    const lines = (await readCommittedLines(join(dir, 'out'))).lines;
    // the timer counts depend on arrival order, which a replay may change; the set of timers and
    // their bounds may not
    expectTimerOutput(lines, events);
    expectExactlyOnce(
      lines.map((l) => l.split('=')[0]!),
      [...new Set(events.map((e) => `${e.key}@${e.ts + TIMER_DELAY}`))],
    );
  });

  it('connect + keyed co-process joins two streams by key in shared state', async () => {
    interface Auction {
      readonly id: number;
      readonly seller: string;
      readonly ts: number;
    }
    interface Bid {
      readonly auction: number;
      readonly price: number;
      readonly ts: number;
    }
    const auctions: Auction[] = Array.from({ length: 50 }, (_, i) => ({ id: i, seller: `s${i % 7}`, ts: 1000 + i * 10 }));
    const rnd = mulberry32(3);
    const bids: Bid[] = Array.from({ length: 2000 }, (_, i) => ({ auction: Math.floor(rnd() * 60), price: Math.floor(rnd() * 1000), ts: 1000 + i }));
    const join: KeyedCoProcessFunction<number, Auction, Bid, string> & { seller?: ValueState<string>; best?: ValueState<number> } = {
      open(rt) {
        this.seller = rt.getState(valueState('seller', Serializers.string));
        this.best = rt.getState(valueState('best', Serializers.number));
      },
      processElement1(a, ctx) {
        this.seller!.update(a.seller);
        ctx.timerService.registerEventTimeTimer(Number.MAX_SAFE_INTEGER);
      },
      processElement2(b) {
        this.best!.update(Math.max(this.best!.value() ?? -1, b.price));
      },
      onTimer(_ts, ctx, out) {
        out.collect(`${ctx.key}:${this.seller!.value()}:${this.best!.value() ?? 'none'}`);
      },
    };
    const env = new StreamEnvironment({ parallelism: 2, stateBackend: backend });
    const out = new CollectSink<string>();
    const a = env.source(arraySource({ records: auctions }), {
      uid: 'auctions',
      watermarks: WatermarkStrategy.forMonotonousTimestamps<Auction>().withTimestampAssigner((x) => x.ts),
    });
    const b = env.source(arraySource({ records: bids, batch: 10 }), {
      uid: 'bids',
      watermarks: WatermarkStrategy.forMonotonousTimestamps<Bid>().withTimestampAssigner((x) => x.ts),
    });
    a.connect(b)
      .keyBy(
        (x) => x.id,
        (y) => y.auction,
      )
      .process(join, { uid: 'join' })
      .sink(out.spec(), { uid: 'out' });
    await new LocalExecutor().run(env, { connectors: arrayConnectors() });
    const expected = auctions.map((x) => {
      const prices = bids.filter((y) => y.auction === x.id).map((y) => y.price);
      return `${x.id}:${x.seller}:${prices.length === 0 ? 'none' : Math.max(...prices)}`;
    });
    expect([...out.values].sort()).toEqual(expected.sort());
  });
});

describe('watermark strategy validation', () => {
  it('a source without a timestamp assigner is refused at build, naming the source', () => {
    const env = new StreamEnvironment();
    env
      .source(arraySource({ records: [1] }), { uid: 'src', watermarks: WatermarkStrategy.forMonotonousTimestamps<number>() })
      .sink(new CollectSink<number>().spec(), { uid: 'out' });
    expect(() => env.build()).toThrow(/source "Source: array" \(#0\): the watermark strategy has no timestamp assigner/);
  });

  it('bad out-of-orderness and idleness values are refused with the value', () => {
    expect(() => WatermarkStrategy.forBoundedOutOfOrderness(-1)).toThrow(/out-of-orderness must be a finite number of ms >= 0, got -1/);
    expect(() => WatermarkStrategy.forMonotonousTimestamps().withIdleness(0)).toThrow(/withIdleness: the timeout must be .* got 0/);
  });

  it('a timestamp assigner returning a non-number fails the task with a clear error', async () => {
    const env = new StreamEnvironment({ restartStrategy: { type: 'none' } });
    env
      .source(arraySource({ records: [{ ts: 'soon' }] }), {
        uid: 'src',
        watermarks: WatermarkStrategy.forMonotonousTimestamps<{ ts: string }>().withTimestampAssigner((r) => r.ts as unknown as number),
      })
      .sink(new CollectSink<{ ts: string }>().spec(), { uid: 'out' });
    await expect(new LocalExecutor().run(env, { connectors: arrayConnectors() })).rejects.toThrow(/timestamp assigner returned soon, not a finite number of ms/);
  });
});

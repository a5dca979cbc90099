/**
 * Windows end to end through the LocalExecutor, on both backends: generator records get out-of-order
 * event timestamps from a watermark strategy, go through a windowed reduce / aggregate / process, and
 * what reaches the sink is compared with a direct computation over the same records (grouping by
 * brute-force window enumeration, not the operator's code). Also: late records (dropped, side
 * output, allowed lateness re-firing), processing-time windows on an injected clock, and a failure
 * mid-stream with recovery from a checkpoint, which must still give every window exactly once.
 */
import { describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { Collector, OutputTag } from '../src/api/functions.js';
import type { SourceSpec } from '../src/api/specs.js';
import { WatermarkStrategy } from '../src/api/watermark-strategy.js';
import {
  EventTimeSessionWindows,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
} from '../src/api/windows/assigners.js';
import { WindowedStream } from '../src/api/windows/windowed-stream.js';
import { CollectSink } from '../src/connectors/collect-sink.js';
import { GeneratorSource, type GeneratedRecord, type GeneratorOptions } from '../src/connectors/generator-source.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import { Serializers } from '../src/state/serializers.js';
import type { StateBackendKind } from '../src/state/types.js';
import { MemoryCheckpointStorage } from '../src/storage/checkpoint-store.js';
import { BACKEND_KINDS } from './support/backends.js';
import { expectExactlyOnce, QUICK_RESTARTS } from './support/counting-job.js';
import { gatedConnectors, gatedGeneratorSpec, holdFrom } from './support/gated-generator.js';
import { RunEvents } from './support/run-events.js';

/** Out-of-orderness of the event timestamps below, and the watermark strategy's bound. */
const BOUND = 200;

/** Record i's event time: 10 ms apart, up to 190 ms early, so never behind a bounded watermark. */
function eventTime(r: GeneratedRecord): number {
  return r.id * 10 - (r.value % 20) * 10;
}

const strategy = WatermarkStrategy.forBoundedOutOfOrderness<GeneratedRecord>(BOUND).withTimestampAssigner(eventTime);

function generated(source: GeneratorOptions): GeneratedRecord[] {
  const gen = new GeneratorSource(source);
  return Array.from({ length: source.count }, (_, i) => gen.record(i));
}

/** Windows `[s, s + size)` (s a multiple of slide) containing `ts`, by enumeration. */
function windowsOf(ts: number, size: number, slide: number): number[] {
  const starts: number[] = [];
  for (let s = (Math.floor(ts / slide) - Math.ceil(size / slide)) * slide; s <= ts; s += slide) if (ts < s + size) starts.push(s);
  return starts;
}

/** `key|start|end|sum|count` per key and window, over the records that fall into it. */
function expectedAligned(records: readonly GeneratedRecord[], size: number, slide: number): string[] {
  const groups = new Map<string, [number, number]>();
  for (const r of records) {
    for (const s of windowsOf(eventTime(r), size, slide)) {
      const id = `${r.key}|${s}|${s + size}`;
      const [sum, n] = groups.get(id) ?? [0, 0];
      groups.set(id, [sum + r.value, n + 1]);
    }
  }
  return [...groups].map(([id, [sum, n]]) => `${id}|${sum}|${n}`).sort();
}

/** Sessions per key: sort by time and cut where a record starts after the session's end (last + gap). */
function expectedSessions(records: readonly GeneratedRecord[], gap: number): string[] {
  const byKey = new Map<number, number[][]>();
  for (const r of records) {
    const list = byKey.get(r.key) ?? [];
    list.push([eventTime(r), r.value]);
    byKey.set(r.key, list);
  }
  const out: string[] = [];
  for (const [key, list] of byKey) {
    list.sort((a, b) => a[0]! - b[0]!);
    let start = 0;
    let end = -Infinity;
    let sum = 0;
    let n = 0;
    for (const [ts, v] of list as Array<[number, number]>) {
      if (ts > end) {
        if (n > 0) out.push(`${key}|${start}|${end}|${sum}|${n}`);
        start = ts;
        sum = 0;
        n = 0;
      }
      end = Math.max(end, ts + gap);
      sum += v;
      n++;
    }
    out.push(`${key}|${start}|${end}|${sum}|${n}`);
  }
  return out.sort();
}

type Summary = string;
const summaryOf = (key: number, start: number, end: number, sum: number, n: number): Summary => `${key}|${start}|${end}|${sum}|${n}`;

const sumCount = {
  createAccumulator: (): [number, number] => [0, 0],
  add: (r: GeneratedRecord, acc: [number, number]): [number, number] => [acc[0] + r.value, acc[1] + 1],
  getResult: (acc: [number, number]) => acc,
  merge: (a: [number, number], b: [number, number]): [number, number] => [a[0] + b[0], a[1] + b[1]],
};

const SOURCE: GeneratorOptions = { count: 3_000, keys: 13, seed: 21 };

function environment(kind: StateBackendKind, parallelism = 2): StreamEnvironment {
  return new StreamEnvironment({ parallelism, stateBackend: kind });
}

function spec(source: GeneratorOptions): SourceSpec<GeneratedRecord> {
  return { kind: 'generator', payload: source };
}

describe.each(BACKEND_KINDS)('event-time windows through the LocalExecutor on the %s backend', (kind: StateBackendKind) => {
  it('tumbling aggregate, sliding reduce and session process give exactly the windows computed directly', async () => {
    const env = environment(kind);
    const records = env.source(spec(SOURCE), { uid: 'gen', watermarks: strategy });
    const keyed = records.keyBy((r) => r.key);
    const tumbling = new CollectSink<Summary>();
    new WindowedStream(keyed, TumblingEventTimeWindows.of(1_000))
      .aggregate(sumCount, { uid: 'tumbling' }, (key, ctx, [acc], out: Collector<Summary>) => out.collect(summaryOf(key, ctx.window.start, ctx.window.end, acc![0], acc![1])))
      .sink(tumbling.spec(), { uid: 'tumbling-out' });

    // sliding: a count (numeric fast path) and a sum (reduce over [value, count] pairs)
    const counts = new CollectSink<Summary>();
    new WindowedStream(keyed, SlidingEventTimeWindows.of(2_000, 500))
      .aggregate({ createAccumulator: () => 0, add: (_r: GeneratedRecord, n: number) => n + 1, getResult: (n: number) => n }, { uid: 'sliding-count', accumulatorSerializer: Serializers.number }, (key, ctx, [n], out: Collector<Summary>) =>
        out.collect(`${key}|${ctx.window.start}|${ctx.window.end}|${n}`),
      )
      .sink(counts.spec(), { uid: 'sliding-count-out' });
    const sums = new CollectSink<Summary>();
    new WindowedStream(
      records.map((r): [number, number, number] => [r.key, r.value, 1]).keyBy((t) => t[0]),
      SlidingEventTimeWindows.of(2_000, 500),
    )
      .reduce((a, b) => [a[0], a[1] + b[1], a[2] + b[2]], { uid: 'sliding-sum' }, (key, ctx, [t], out: Collector<Summary>) => out.collect(summaryOf(key, ctx.window.start, ctx.window.end, t![1], t![2])))
      .sink(sums.spec(), { uid: 'sliding-sum-out' });

    const sessions = new CollectSink<Summary>();
    new WindowedStream(keyed, EventTimeSessionWindows.withGap(120))
      .process(
        (key, ctx, rs, out: Collector<Summary>) => {
          let sum = 0;
          let n = 0;
          for (const r of rs) {
            sum += r.value;
            n++;
          }
          out.collect(summaryOf(key, ctx.window.start, ctx.window.end, sum, n));
        },
        { uid: 'sessions' },
      )
      .sink(sessions.spec(), { uid: 'sessions-out' });

    await new LocalExecutor().run(env, { batchSize: 16, stepBudget: 64 });

    const all = generated(SOURCE);
    expect(tumbling.values.sort()).toEqual(expectedAligned(all, 1_000, 1_000));
    const sliding = expectedAligned(all, 2_000, 500);
    expect(sums.values.sort()).toEqual(sliding);
    expect(counts.values.sort()).toEqual(sliding.map((s) => s.split('|').filter((_, i) => i !== 3).join('|')).sort());
    const expectedSess = expectedSessions(all, 120);
    expect(expectedSess.length).toBeGreaterThan(100);
    expect(sessions.values.sort()).toEqual(expectedSess);
  });

  describe('late records', () => {
    // One source split, so records arrive in id order and the watermark is that split's. Every 37th
    // record (from id 400) is a straggler 5 s behind: its 1 s window ended 4 s before it arrives, far
    // more than the watermark's lag (the 200 ms bound plus one source step of 16 records), so it is late
    // for sure; all other records are never behind the watermark.
    const LATE_SOURCE: GeneratorOptions = { count: 2_000, keys: 7, seed: 33 };
    const isStraggler = (r: GeneratedRecord): boolean => r.id >= 400 && r.id % 37 === 0;
    const lateTime = (r: GeneratedRecord): number => (isStraggler(r) ? r.id * 10 - 5_000 : eventTime(r));
    const lateStrategy = WatermarkStrategy.forBoundedOutOfOrderness<GeneratedRecord>(BOUND).withTimestampAssigner(lateTime);
    const all = generated(LATE_SOURCE);
    const lateTag: OutputTag<GeneratedRecord> = { id: 'late-records' };

    function job(lateness: number, withTag: boolean) {
      const env = environment(kind);
      const windowed = new WindowedStream(
        env.source(spec(LATE_SOURCE), { uid: 'gen', parallelism: 1, watermarks: lateStrategy }).keyBy((r) => r.key),
        TumblingEventTimeWindows.of(1_000),
      ).allowedLateness(lateness);
      if (withTag) windowed.sideOutputLateData(lateTag);
      const out = new CollectSink<Summary>();
      const late = new CollectSink<GeneratedRecord>();
      const result = windowed.aggregate(sumCount, { uid: 'windows' }, (key, ctx, [acc], o: Collector<Summary>) => o.collect(summaryOf(key, ctx.window.start, ctx.window.end, acc![0], acc![1])));
      result.sink(out.spec(), { uid: 'out' });
      if (withTag) result.sideOutput(lateTag).sink(late.spec(), { uid: 'late-out' });
      return { env, out, late };
    }

    function onTimeWindows(): string[] {
      const groups = new Map<string, [number, number]>();
      for (const r of all) {
        if (isStraggler(r)) continue;
        const s = Math.floor(lateTime(r) / 1_000) * 1_000;
        const id = `${r.key}|${s}|${s + 1_000}`;
        const [sum, n] = groups.get(id) ?? [0, 0];
        groups.set(id, [sum + r.value, n + 1]);
      }
      return [...groups].map(([id, [sum, n]]) => `${id}|${sum}|${n}`);
    }

    it('are dropped without a late-data output, and go to it when set', async () => {
      const dropped = job(0, false);
      await new LocalExecutor().run(dropped.env, { batchSize: 16, stepBudget: 16 });
      expect(dropped.out.values.sort()).toEqual(onTimeWindows().sort());

      const tagged = job(0, true);
      await new LocalExecutor().run(tagged.env, { batchSize: 16, stepBudget: 16 });
      expect(tagged.out.values.sort()).toEqual(onTimeWindows().sort());
      const stragglers = all.filter(isStraggler);
      expect(stragglers.length).toBeGreaterThan(30);
      expect(tagged.late.values.map((r) => r.id).sort((a, b) => a - b)).toEqual(stragglers.map((r) => r.id));
    });

    it('within the allowed lateness re-fire their window with the updated result each', async () => {
      const { env, out, late } = job(10_000, true);
      await new LocalExecutor().run(env, { batchSize: 16, stepBudget: 16 });
      // every on-time window once, then per straggler (in arrival order) its window with all it holds so far
      const expected = onTimeWindows();
      const held = new Map<string, [number, number]>();
      for (const line of expected) {
        const [k, s, e, sum, n] = line.split('|');
        held.set(`${k}|${s}|${e}`, [Number(sum), Number(n)]);
      }
      for (const r of all.filter(isStraggler)) {
        const s = Math.floor(lateTime(r) / 1_000) * 1_000;
        const id = `${r.key}|${s}|${s + 1_000}`;
        const [sum, n] = held.get(id) ?? [0, 0];
        held.set(id, [sum + r.value, n + 1]);
        expected.push(`${id}|${sum + r.value}|${n + 1}`);
      }
      expect(out.values.sort()).toEqual(expected.sort());
      expect(late.values).toEqual([]);
    });
  });

  it('processing-time tumbling windows follow the injected clock and count every record once', async () => {
    // The clock ticks on every read, so windows close while records flow. Records of key -1 pad the
    // input so many steps run after the last real record: every real window fires before the end.
    const REAL = 600;
    const PAD = 600;
    let ticks = 0;
    const clock = (): number => ++ticks;
    const env = environment(kind);
    const out = new CollectSink<[number, number, number, number]>();
    new WindowedStream(
      env.source(spec({ count: REAL + PAD, keys: 5, seed: 4 }), { uid: 'gen', parallelism: 1 }).map((r) => (r.id < REAL ? r : { ...r, key: -1 })).keyBy((r) => r.key),
      TumblingProcessingTimeWindows.of(25),
    )
      .aggregate(sumCount, { uid: 'proc-windows' }, (key, ctx, [acc], o: Collector<[number, number, number, number]>) => o.collect([key, ctx.window.start, acc![0], acc![1]]))
      .sink(out.spec(), { uid: 'out' });
    await new LocalExecutor().run(env, { clock, batchSize: 2, stepBudget: 4, channelCapacity: 8 });

    const real = generated({ count: REAL, keys: 5, seed: 4 });
    const fired = out.values.filter(([key]) => key >= 0);
    for (const [, start] of fired) expect(start % 25).toBe(0);
    for (let key = 0; key < 5; key++) {
      const mine = fired.filter(([k]) => k === key);
      expect(mine.length).toBeGreaterThan(3);
      expect(mine.reduce((s, [, , sum]) => s + sum, 0)).toBe(real.filter((r) => r.key === key).reduce((s, r) => s + r.value, 0));
      expect(mine.reduce((s, [, , , n]) => s + n, 0)).toBe(real.filter((r) => r.key === key).length);
    }
  });

  it('a failure mid-stream restores windows, timers and watermark-driven firing from the checkpoint: every window exactly once', async () => {
    const source: GeneratorOptions = { count: 6_000, keys: 11, seed: 55, ratePerSecond: 60_000 };
    const events = new RunEvents();
    let failed = false;
    const env = new StreamEnvironment({ parallelism: 2, stateBackend: kind, checkpoint: { intervalMs: 5 }, restartStrategy: QUICK_RESTARTS });
    const out = new CollectSink<Summary>();
    const sessionsOut = new CollectSink<Summary>();
    const records = env
      .source(gatedGeneratorSpec(source, holdFrom(3_000, () => events.completed.length > 1)), { uid: 'gen', watermarks: strategy })
      .map((r) => {
        if (r.id === 3_001 && !failed) {
          failed = true;
          throw new Error('injected failure at record 3001');
        }
        return r;
      });
    const keyed = records.keyBy((r) => r.key);
    new WindowedStream(keyed, TumblingEventTimeWindows.of(500))
      .aggregate(sumCount, { uid: 'tumbling' }, (key, ctx, [acc], o: Collector<Summary>) => o.collect(summaryOf(key, ctx.window.start, ctx.window.end, acc![0], acc![1])))
      .sink(out.spec(), { uid: 'out' });
    new WindowedStream(keyed, EventTimeSessionWindows.withGap(120))
      .process(
        (key, ctx, rs, o: Collector<Summary>) => {
          let sum = 0;
          let n = 0;
          for (const r of rs) {
            sum += r.value;
            n++;
          }
          o.collect(`session:${summaryOf(key, ctx.window.start, ctx.window.end, sum, n)}`);
        },
        { uid: 'sessions' },
      )
      .sink(sessionsOut.spec(), { uid: 'sessions-out' });

    const stats = await new LocalExecutor({ connectors: gatedConnectors() }).run(env, { checkpointStorage: new MemoryCheckpointStorage(), listener: events });
    expect(failed).toBe(true);
    expect(stats.attempts).toBe(2);
    expect(events.restored[1]?.checkpointId).toBeGreaterThan(0);
    const all = generated(source);
    expectExactlyOnce(out.values, expectedAligned(all, 500, 500));
    expectExactlyOnce(sessionsOut.values, expectedSessions(all, 120).map((s) => `session:${s}`));
  });
});

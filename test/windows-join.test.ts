/**
 * Windowed join and co-group end to end, on both backends: two generator streams with out-of-order
 * event times, joined on key within tumbling and session windows; the output is compared with a
 * nested-loop join (and a grouping) computed directly over the same records.
 */
import { describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { Collector } from '../src/api/functions.js';
import type { SourceSpec } from '../src/api/specs.js';
import { WatermarkStrategy } from '../src/api/watermark-strategy.js';
import { EventTimeSessionWindows, TumblingEventTimeWindows } from '../src/api/windows/assigners.js';
import { coGroupStreams, joinStreams } from '../src/api/windows/join.js';
import { CollectSink } from '../src/connectors/collect-sink.js';
import { GeneratorSource, type GeneratedRecord, type GeneratorOptions } from '../src/connectors/generator-source.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import type { StateBackendKind } from '../src/state/types.js';
import { BACKEND_KINDS } from './support/backends.js';

const LEFT: GeneratorOptions = { count: 800, keys: 15, seed: 1 };
const RIGHT: GeneratorOptions = { count: 500, keys: 15, seed: 2 };

/** Left records 10 ms apart, right ones 16 ms apart; both up to 190 ms early (never behind the 200 ms bound). */
const leftTime = (r: GeneratedRecord): number => r.id * 10 - (r.value % 20) * 10;
const rightTime = (r: GeneratedRecord): number => r.id * 16 - (r.value % 20) * 10;

function records(o: GeneratorOptions): GeneratedRecord[] {
  const gen = new GeneratorSource(o);
  return Array.from({ length: o.count }, (_, i) => gen.record(i));
}

function spec(o: GeneratorOptions): SourceSpec<GeneratedRecord> {
  return { kind: 'generator', payload: o };
}

function streams(kind: StateBackendKind) {
  const env = new StreamEnvironment({ parallelism: 2, stateBackend: kind });
  const left = env.source(spec(LEFT), { uid: 'left', watermarks: WatermarkStrategy.forBoundedOutOfOrderness<GeneratedRecord>(200).withTimestampAssigner(leftTime) });
  const right = env.source(spec(RIGHT), { uid: 'right', watermarks: WatermarkStrategy.forBoundedOutOfOrderness<GeneratedRecord>(200).withTimestampAssigner(rightTime) });
  return { env, left, right };
}

describe.each(BACKEND_KINDS)('windowed join on the %s backend', (kind: StateBackendKind) => {
  it('tumbling: every pair with equal keys in the same window, once, as a nested-loop join finds them', async () => {
    const { env, left, right } = streams(kind);
    const out = new CollectSink<string>();
    joinStreams(left, right)
      .where((l) => l.key)
      .equalTo((r) => r.key)
      .window(TumblingEventTimeWindows.of(1_000))
      .apply((l, r) => `${l.id}-${r.id}`, { uid: 'join' })
      .sink(out.spec(), { uid: 'out' });
    await new LocalExecutor().run(env, { batchSize: 16, stepBudget: 64 });

    const expected: string[] = [];
    for (const l of records(LEFT)) {
      for (const r of records(RIGHT)) {
        if (l.key === r.key && Math.floor(leftTime(l) / 1_000) === Math.floor(rightTime(r) / 1_000)) expected.push(`${l.id}-${r.id}`);
      }
    }
    expect(expected.length).toBeGreaterThan(500);
    expect(out.values.sort()).toEqual(expected.sort());
  });

  it('session windows: sessions formed by both sides together, joined within each', async () => {
    const { env, left, right } = streams(kind);
    const out = new CollectSink<string>();
    const GAP = 150;
    joinStreams(left, right)
      .where((l) => l.key % 5)
      .equalTo((r) => r.key % 5)
      .window(EventTimeSessionWindows.withGap(GAP))
      .apply((l, r) => `${l.id}-${r.id}`, { uid: 'session-join' })
      .sink(out.spec(), { uid: 'out' });
    await new LocalExecutor().run(env, { batchSize: 16, stepBudget: 64 });

    // sessions per key over both sides' timestamps, then all left × right pairs within each
    const expected: string[] = [];
    const all = [...records(LEFT).map((r) => ({ side: 0, id: r.id, key: r.key % 5, ts: leftTime(r) })), ...records(RIGHT).map((r) => ({ side: 1, id: r.id, key: r.key % 5, ts: rightTime(r) }))];
    for (let key = 0; key < 5; key++) {
      const mine = all.filter((x) => x.key === key).sort((a, b) => a.ts - b.ts);
      let session: typeof mine = [];
      let end = -Infinity;
      const flush = () => {
        for (const l of session) if (l.side === 0) for (const r of session) if (r.side === 1) expected.push(`${l.id}-${r.id}`);
      };
      for (const x of mine) {
        if (x.ts > end) {
          flush();
          session = [];
        }
        session.push(x);
        end = Math.max(end, x.ts + GAP);
      }
      flush();
    }
    expect(expected.length).toBeGreaterThan(500);
    expect(out.values.sort()).toEqual(expected.sort());
  });

  it('coGroup: each key and window with records on either side, with both sides complete', async () => {
    const { env, left, right } = streams(kind);
    const out = new CollectSink<string>();
    coGroupStreams(left, right)
      .where((l) => l.key)
      .equalTo((r) => r.key)
      .window(TumblingEventTimeWindows.of(500))
      .apply(
        (ls, rs, o: Collector<string>) => {
          const key = (ls[0] ?? rs[0])!.key;
          const window = Math.floor(((ls[0] && leftTime(ls[0])) ?? rightTime(rs[0]!)) / 500);
          o.collect(`${key}|${window}|${ls.map((l) => l.id).sort((a, b) => a - b).join(',')}|${rs.map((r) => r.id).sort((a, b) => a - b).join(',')}`);
        },
        { uid: 'cogroup' },
      )
      .sink(out.spec(), { uid: 'out' });
    await new LocalExecutor().run(env, { batchSize: 16, stepBudget: 64 });

    const groups = new Map<string, [number[], number[]]>();
    const group = (key: number, ts: number) => {
      const id = `${key}|${Math.floor(ts / 500)}`;
      if (!groups.has(id)) groups.set(id, [[], []]);
      return groups.get(id)!;
    };
    for (const l of records(LEFT)) group(l.key, leftTime(l))[0].push(l.id);
    for (const r of records(RIGHT)) group(r.key, rightTime(r))[1].push(r.id);
    const expected = [...groups].map(([id, [ls, rs]]) => `${id}|${ls.sort((a, b) => a - b).join(',')}|${rs.sort((a, b) => a - b).join(',')}`);
    expect(expected.some((e) => e.endsWith('|'))).toBe(true); // some windows have no right-side records
    expect(out.values.sort()).toEqual(expected.sort());
  });
});

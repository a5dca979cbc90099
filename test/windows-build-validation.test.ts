/** Mistakes in a windowed pipeline fail while the job is assembled, with a message that says what to do. */
import { describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { SourceSpec } from '../src/api/specs.js';
import { EventTimeSessionWindows, ProcessingTimeSessionWindows, TumblingEventTimeWindows } from '../src/api/windows/assigners.js';
import { joinStreams } from '../src/api/windows/join.js';
import { WindowedStream } from '../src/api/windows/windowed-stream.js';
import type { WindowAssigner } from '../src/api/windows/assigners.js';
import { CollectSink } from '../src/connectors/collect-sink.js';

const numbers: SourceSpec<number> = { kind: 'generator', payload: { count: 10, keys: 1, seed: 1 } };
const count = { createAccumulator: () => 0, add: (_v: number, n: number) => n + 1, getResult: (n: number) => n };

function keyed() {
  const env = new StreamEnvironment();
  return { env, keyed: env.source(numbers, { uid: 'src' }).keyBy((n) => n % 3) };
}

describe('windowed stream validation', () => {
  it('aggregate on session windows needs merge', () => {
    for (const assigner of [EventTimeSessionWindows.withGap(10), ProcessingTimeSessionWindows.withGap(10)]) {
      expect(() => new WindowedStream(keyed().keyed, assigner).aggregate(count, { uid: 'w' })).toThrow(/session windows merge, so the aggregate function needs a merge\(a, b\) method/);
      expect(() => new WindowedStream(keyed().keyed, assigner).aggregate({ ...count, merge: (a: number, b: number) => a + b }, { uid: 'w' })).not.toThrow();
    }
  });

  it('rejects a foreign assigner, negative lateness, a tag without id and non-function arguments', () => {
    const { keyed: k } = keyed();
    expect(() => new WindowedStream(k, { kind: 'aligned', size: 5 } as unknown as WindowAssigner)).toThrow(/must be one of TumblingEventTimeWindows/);
    const w = new WindowedStream(k, TumblingEventTimeWindows.of(5));
    expect(() => w.allowedLateness(-1)).toThrow(RangeError);
    expect(() => w.allowedLateness(0.5)).toThrow(RangeError);
    expect(() => w.sideOutputLateData({ id: '' })).toThrow(TypeError);
    expect(() => w.reduce(undefined as never, { uid: 'r' })).toThrow(TypeError);
    expect(() => w.aggregate({ createAccumulator: () => 0 } as never, { uid: 'a' })).toThrow(/needs a add method/);
    expect(() => w.process(undefined as never, { uid: 'p' })).toThrow(TypeError);
  });

  it('adds one keyed process operator with the uid and a descriptive default name', () => {
    const { env, keyed: k } = keyed();
    new WindowedStream(k, TumblingEventTimeWindows.of(1_000)).aggregate(count, { uid: 'counts' }).sink(new CollectSink<number>().spec(), { uid: 'out' });
    new WindowedStream(k, TumblingEventTimeWindows.of(1_000)).process<number>(() => {}, { uid: 'named', name: 'my windows', parallelism: 3 }).sink(new CollectSink<number>().spec(), { uid: 'out2' });
    const nodes = env.build().nodes;
    const counts = nodes.find((n) => n.uid === 'counts')!;
    expect(counts.kind).toBe('keyedProcess');
    expect(counts.name).toBe('Window(TumblingEventTimeWindows(1000), aggregate)');
    const named = nodes.find((n) => n.uid === 'named')!;
    expect([named.name, named.parallelism]).toEqual(['my windows', 3]);
  });

  it('a join of streams from two environments fails at once', () => {
    const a = new StreamEnvironment().source(numbers, { uid: 'a' });
    const b = new StreamEnvironment().source(numbers, { uid: 'b' });
    expect(() =>
      joinStreams(a, b)
        .where((x) => x)
        .equalTo((y) => y)
        .window(TumblingEventTimeWindows.of(10))
        .apply((x, y) => x + y, { uid: 'j' }),
    ).toThrow(/different environments/);
  });
});

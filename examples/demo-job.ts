/**
 * The `npm start` job: generated events → keyBy(key) → count and sum per key in keyed state →
 * `key,count,sum` lines in a transactional file sink at ctx.outputDir (committed at each checkpoint).
 *
 *   weir run examples/demo-job.ts [--backend heap|wasm] [--parallelism N]
 *     [--arg events=N]      bounded: N events in all (default: unbounded)
 *     [--arg keys=N]        distinct keys (default 100000)
 *     [--arg rate=R]        events per second over the whole source (default: as fast as it goes)
 *     [--arg emit-every=N]  write a key's line on every Nth event of that key (default 1: every event)
 *     [--arg seed=S]        generator seed (default 42)
 *
 * Output is a deterministic function of the arguments, which `weir chaos` relies on: each line is
 * a key's running count and sum after one of its events. The source runs as one subtask so every
 * keyed subtask sees a key's events in one order (with several source subtasks their interleaving,
 * and so the running sums, would vary from run to run; the running counts would not).
 */
import {
  Serializers,
  valueState,
  type GeneratedRecord,
  type JobContext,
  type KeyedProcessFunction,
  type SourceSpec,
  type StreamEnvironment,
  type ValueState,
} from '../src/index.js';

/** Count and sum of the values per key; emits `key,count,sum` on every `emitEvery`th event of a key. */
function countAndSum(emitEvery: number): KeyedProcessFunction<number, GeneratedRecord, string> {
  type Handles = { count?: ValueState<number>; sum?: ValueState<number> };
  return {
    open(rt) {
      const self = this as Handles;
      self.count = rt.getState(valueState('count', Serializers.number));
      self.sum = rt.getState(valueState('sum', Serializers.number));
    },
    processElement(event, ctx, out) {
      const { count, sum } = this as Handles;
      const n = (count!.value() ?? 0) + 1;
      const s = (sum!.value() ?? 0) + event.value;
      count!.update(n);
      sum!.update(s);
      if (n % emitEvery === 0) out.collect(`${ctx.key},${n},${s}`);
    },
  };
}

export default function build(ctx: JobContext): StreamEnvironment {
  const events = ctx.numberArg('events', Infinity);
  const keys = ctx.numberArg('keys', 100_000);
  const rate = ctx.numberArg('rate', 0);
  const emitEvery = ctx.numberArg('emit-every', 1);
  if (!Number.isInteger(emitEvery) || emitEvery < 1) throw new RangeError(`--arg emit-every must be an integer >= 1, got ${emitEvery}`);
  const source: SourceSpec<GeneratedRecord> = {
    kind: 'generator',
    payload: { count: events, keys, seed: ctx.numberArg('seed', 42), ...(rate > 0 ? { ratePerSecond: rate } : {}) },
  };

  const env = ctx.env({ jobName: 'demo' });
  env
    .source(source, { uid: 'events', parallelism: 1 })
    .keyBy((e) => e.key)
    .process(countAndSum(emitEvery), { uid: 'count-and-sum' })
    .sink({ kind: 'transactional-file', payload: { dir: ctx.outputDir } }, { uid: 'out' });
  return env;
}

/**
 * Exactly-once vs at-least-once barrier handling at a keyed operator with two inputs of different
 * speeds (two sources unioned). Exactly-once blocks the channel that delivered the barrier until the
 * other one delivers it too, so the snapshot holds exactly the records before the barrier on every
 * channel and a restore + replay reproduces the failure-free output. At-least-once does not block:
 * records behind the barrier on the fast channel are processed before the snapshot, then replayed
 * after a restore, so output can repeat but never loses anything.
 */
import { describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { KeyedProcessFunction } from '../src/api/functions.js';
import type { SourceSpec } from '../src/api/specs.js';
import type { CheckpointingMode } from '../src/checkpoint/checkpoint-settings.js';
import { diffLineMultisets } from '../src/cli/output-diff.js';
import { CollectSink } from '../src/connectors/collect-sink.js';
import { GeneratorSource, type GeneratedRecord, type GeneratorOptions } from '../src/connectors/generator-source.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import { valueState } from '../src/state/descriptors.js';
import { Serializers } from '../src/state/serializers.js';
import type { StateBackendKind, ValueState } from '../src/state/types.js';
import { MemoryCheckpointStorage } from '../src/storage/checkpoint-store.js';
import { BACKEND_KINDS } from './support/backends.js';
import { expectExactlyOnce, generatorSpec } from './support/counting-job.js';
import { FaultPlan } from './support/fault-plan.js';
import { gatedConnectors, gatedGeneratorSpec, holdFrom } from './support/gated-generator.js';
import { inspectJobDirectory } from './support/job-directory.js';
import { RunEvents } from './support/run-events.js';

/** A record tagged with the source it came from, so output can be traced back to one input record. */
interface Tagged {
  readonly tag: string;
  readonly key: number;
}

const connectors = gatedConnectors();

/** Counts per key and emits `${tag}|${key}:${n}`; `beforeElement` may throw (the injected user failure). */
function taggedCounter(beforeElement: (r: Tagged) => void): KeyedProcessFunction<number, Tagged, string> & { count?: ValueState<number> } {
  return {
    open(rt) {
      this.count = rt.getState(valueState('count', Serializers.number));
    },
    processElement(r, ctx, out) {
      beforeElement(r);
      const n = (this.count!.value() ?? 0) + 1;
      this.count!.update(n);
      out.collect(`${r.tag}|${ctx.key}:${n}`);
    },
  };
}

/** a (fast) ∪ b → keyBy(key) → tagged counter → sink. */
function twoInputJob(o: {
  backend: StateBackendKind;
  mode: CheckpointingMode;
  parallelism: number;
  a: SourceSpec<GeneratedRecord>;
  b: SourceSpec<GeneratedRecord>;
  out: CollectSink<string>;
  beforeElement: (r: Tagged) => void;
  intervalMs?: number;
}): StreamEnvironment {
  const env = new StreamEnvironment({
    jobName: 'two-inputs',
    parallelism: o.parallelism,
    stateBackend: o.backend,
    checkpoint: { intervalMs: o.intervalMs ?? 5, mode: o.mode },
    restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 0 },
  });
  const a = env.source(o.a, { uid: 'a' }).map((r): Tagged => ({ tag: `a${r.id}`, key: r.key }));
  const b = env.source(o.b, { uid: 'b' }).map((r): Tagged => ({ tag: `b${r.id}`, key: r.key }));
  a.union(b)
    .keyBy((r) => r.key)
    .process(taggedCounter(o.beforeElement), { uid: 'count' })
    .sink(o.out.spec(), { uid: 'out' });
  return env;
}

/** Every tag of both generators, and the `${key}:${n}` counts over both. */
function expectedOf(a: GeneratorOptions, b: GeneratorOptions): { tags: string[]; counts: string[] } {
  const tags: string[] = [];
  const perKey = new Map<number, number>();
  for (const [prefix, o] of [['a', a], ['b', b]] as const) {
    const g = new GeneratorSource(o);
    for (let i = 0; i < o.count; i++) {
      tags.push(`${prefix}${i}`);
      const k = g.record(i).key;
      perKey.set(k, (perKey.get(k) ?? 0) + 1);
    }
  }
  const counts: string[] = [];
  for (const [k, n] of perKey) for (let i = 1; i <= n; i++) counts.push(`${k}:${i}`);
  return { tags, counts };
}

const tagsOf = (values: readonly string[]): string[] => values.map((v) => v.slice(0, v.indexOf('|')));
const countsOf = (values: readonly string[]): string[] => values.map((v) => v.slice(v.indexOf('|') + 1));

/**
 * A deterministic skew: source b emits nothing until checkpoint 1's barrier has left both sources,
 * then its 50 records at once, right behind its barrier; source a is fast and its channel is full
 * (the keyed subtask takes 8 records per step), so a's barrier 1 arrives ~256 records later. The
 * keyed function fails once, right after checkpoint 1 completed; the job restarts from checkpoint 1,
 * where b's position is 0, so b's 50 records are replayed.
 */
async function runSkewedRestart(mode: CheckpointingMode, backend: StateBackendKind) {
  // Long enough (2000 steps of 8 records) that a is still running when checkpoint 1 is triggered.
  const A: GeneratorOptions = { count: 16_000, keys: 10, seed: 1 };
  const B: GeneratorOptions = { count: 50, keys: 10, seed: 2 };
  let bOpen = false;
  let failedOnce = false;
  let checkpoint1Done = false;
  // The first two snapshots of checkpoint 1 are the two sources' (taken when it is triggered).
  const gate = new FaultPlan({ point: 'before-sync-snapshot', checkpointId: 1, occurrence: 2 }, () => (bOpen = true));
  const out = new CollectSink<string>({ maxRecordsPerStep: 8 });
  const events = new RunEvents({ completed: (c) => (checkpoint1Done ||= c.checkpointId === 1) });
  const job = twoInputJob({
    backend,
    mode,
    parallelism: 1,
    a: generatorSpec(A),
    b: gatedGeneratorSpec(B, () => bOpen),
    out,
    intervalMs: 2,
    beforeElement: () => {
      if (checkpoint1Done && !failedOnce) {
        failedOnce = true;
        throw new Error('user function fails after checkpoint 1');
      }
    },
  });
  const storage = new MemoryCheckpointStorage();
  const stats = await new LocalExecutor({ connectors }).run(job, {
    checkpointStorage: storage,
    faults: gate.inject,
    listener: events,
    channelCapacity: 256,
  });
  expect(gate.fired).toBe(true);
  expect(stats.attempts, events.log.join('\n')).toBe(2);
  expect(events.restored[1]?.checkpointId).toBe(1);
  return { out, events, expected: expectedOf(A, B), storage };
}

describe('exactly-once alignment with skewed inputs', () => {
  it.each(BACKEND_KINDS)('%s: records behind the barrier on the fast channel wait for the snapshot, so the replay after a restore repeats nothing', async (backend) => {
    const { out, events, expected, storage } = await runSkewedRestart('exactly-once', backend);
    expectExactlyOnce(tagsOf(out.values), expected.tags);
    // The keyed state agrees too: every key counted 1..n once over both inputs.
    expectExactlyOnce(countsOf(out.values), expected.counts);
    // Checkpoint 1 had to wait for a's barrier behind its full channel.
    expect(events.completed.find((c) => c.checkpointId === 1)!.maxAlignmentMs).toBeGreaterThan(0);
    expect((await inspectJobDirectory(storage, 1)).problems).toEqual([]);
  });

  it.each(BACKEND_KINDS)('%s: a rate-limited source unioned with a fast one, a user failure mid-way: exactly-once output', async (backend) => {
    const A: GeneratorOptions = { count: 8000, keys: 30, seed: 5 };
    const B: GeneratorOptions = { count: 1500, keys: 30, seed: 6, ratePerSecond: 15_000 };
    let failed = false;
    const out = new CollectSink<string>();
    const events = new RunEvents();
    const job = twoInputJob({
      backend,
      mode: 'exactly-once',
      parallelism: 2,
      a: generatorSpec(A),
      // b's tail waits for a few checkpoints, so there are some whatever the machine's speed.
      b: gatedGeneratorSpec(B, holdFrom(1400, () => events.completed.length >= 3)),
      out,
      beforeElement: (r) => {
        if (r.tag === 'b900' && !failed) {
          failed = true;
          throw new Error('fails once at b900');
        }
      },
    });
    const stats = await new LocalExecutor({ connectors }).run(job, { checkpointStorage: new MemoryCheckpointStorage(), listener: events });
    expect(stats.attempts).toBe(2);
    expect(events.restored[1]?.checkpointId).toBeGreaterThan(0);
    const expected = expectedOf(A, B);
    expectExactlyOnce(tagsOf(out.values), expected.tags);
    expectExactlyOnce(countsOf(out.values), expected.counts);
    // Alignment durations are reported per checkpoint (0 when one input had ended or both barriers came together).
    expect(events.completed.length).toBeGreaterThan(2);
    for (const c of events.completed) expect(c.maxAlignmentMs).toBeGreaterThanOrEqual(0);
    expect(Math.max(...events.completed.map((c) => c.maxAlignmentMs))).toBeGreaterThan(0);
  });
});

describe('at-least-once with skewed inputs', () => {
  it.each(BACKEND_KINDS)('%s: records behind the barrier on the fast channel are processed before the snapshot and replayed: duplicates, but no loss', async (backend) => {
    const { out, events, expected } = await runSkewedRestart('at-least-once', backend);
    const diff = diffLineMultisets(expected.tags, tagsOf(out.values), Infinity);
    expect(diff.lost).toBe(0); // no loss
    expect(diff.unexpected).toBe(0);
    // Duplicates: only b's records, which were counted into checkpoint 1 and replayed from b's position 0.
    expect(diff.duplicated).toBeGreaterThan(0);
    expect(diff.examples.duplicated.filter((d) => !d.line.startsWith('b'))).toEqual([]);
    // And the keyed state double-counted them, which exactly-once never does.
    expect(diffLineMultisets(expected.counts, countsOf(out.values)).unexpected).toBeGreaterThan(0);
    // Alignment time is still measured (first barrier to last), though nothing was blocked.
    expect(events.completed.find((c) => c.checkpointId === 1)!.maxAlignmentMs).toBeGreaterThan(0);
  });

  it('a rate-limited source unioned with a fast one, a user failure mid-way: every record reaches the sink at least once', async () => {
    const A: GeneratorOptions = { count: 8000, keys: 30, seed: 5 };
    const B: GeneratorOptions = { count: 1500, keys: 30, seed: 6, ratePerSecond: 15_000 };
    let failed = false;
    const out = new CollectSink<string>();
    const job = twoInputJob({
      backend: 'wasm',
      mode: 'at-least-once',
      parallelism: 2,
      a: generatorSpec(A),
      b: generatorSpec(B),
      out,
      beforeElement: (r) => {
        if (r.tag === 'b900' && !failed) {
          failed = true;
          throw new Error('fails once at b900');
        }
      },
    });
    const stats = await new LocalExecutor().run(job, { checkpointStorage: new MemoryCheckpointStorage() });
    expect(stats.attempts).toBe(2);
    const diff = diffLineMultisets(expectedOf(A, B).tags, tagsOf(out.values));
    expect(diff.lost).toBe(0);
    expect(diff.unexpected).toBe(0);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { DeadLetter, KeyedProcessFunction } from '../src/api/functions.js';
import { JobBuildError } from '../src/api/job-build-error.js';
import type { SourceSpec } from '../src/api/specs.js';
import { CollectSink } from '../src/connectors/collect-sink.js';
import type { GeneratedRecord } from '../src/connectors/generator-source.js';
import { JobExecutionError, LocalExecutor } from '../src/runtime/local-executor.js';
import { valueState } from '../src/state/descriptors.js';
import { Serializers } from '../src/state/serializers.js';
import type { ValueState } from '../src/state/types.js';

const gen = (count: number): SourceSpec<GeneratedRecord> => ({ kind: 'generator', payload: { count, keys: 20, seed: 5 } });
const cursed = (id: number): boolean => id % 97 === 13;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('dead letters', () => {
  it('a throwing map sends the record and its error to the dead-letter stream; the rest flows on', async () => {
    const env = new StreamEnvironment({ parallelism: 2 });
    const good = new CollectSink<number>();
    const bad = new CollectSink<DeadLetter<unknown>>();
    const mapped = env.source(gen(2000), { uid: 'src' }).map(
      (r) => {
        if (cursed(r.id)) throw new TypeError(`record ${r.id} is cursed`);
        return r.id;
      },
      { name: 'parse' },
    );
    mapped.sink(good.spec(), { uid: 'good' });
    mapped.deadLetters().sink(bad.spec(), { uid: 'bad' });
    await new LocalExecutor().run(env);
    const badIds = bad.values.map((l) => (l.record as GeneratedRecord).id).sort((a, b) => a - b);
    const expectedBad = Array.from({ length: 2000 }, (_, i) => i).filter(cursed);
    expect(badIds).toEqual(expectedBad);
    expect(good.values.length + badIds.length).toBe(2000);
    const letter = bad.values[0]!;
    expect(letter.operator).toBe('parse');
    expect(letter.error.name).toBe('TypeError');
    expect(letter.error.message).toMatch(/is cursed/);
    expect(letter.error.stack).toContain('runtime-dead-letters.test.ts');
  });

  it('a keyed process function can dead-letter too, and its state keeps what it did before throwing', async () => {
    const env = new StreamEnvironment({ parallelism: 2 });
    const counts = new CollectSink<[number, number]>();
    const bad = new CollectSink<DeadLetter<unknown>>();
    const fn: KeyedProcessFunction<number, GeneratedRecord, [number, number]> & { n?: ValueState<number> } = {
      open(rt) {
        this.n = rt.getState(valueState('n', Serializers.number));
      },
      processElement(r, ctx, out) {
        const n = (this.n!.value() ?? 0) + 1;
        this.n!.update(n);
        if (cursed(r.id)) throw new Error('no');
        out.collect([ctx.key, n]);
      },
    };
    const processed = env
      .source(gen(1000), { uid: 'src' })
      .keyBy((r) => r.key)
      .process(fn, { uid: 'count' });
    processed.sink(counts.spec(), { uid: 'counts' });
    processed.deadLetters().sink(bad.spec(), { uid: 'bad' });
    await new LocalExecutor().run(env);
    expect(bad.values.length).toBe(Array.from({ length: 1000 }, (_, i) => i).filter(cursed).length);
    // Per key, counts are 1..total with the dead-lettered positions missing: the update stuck.
    const maxPerKey = new Map<number, number>();
    for (const [k, n] of counts.values) maxPerKey.set(k, Math.max(maxPerKey.get(k) ?? 0, n));
    const total = [...maxPerKey.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(1000);
    expect(counts.values.length + bad.values.length).toBe(1000);
  });

  it('an error downstream of the dead-lettering operator still fails the job', async () => {
    const env = new StreamEnvironment();
    const bad = new CollectSink<DeadLetter<unknown>>();
    // The key selector runs in the upstream task, after the map: not the map's failure.
    const upstream = env.source(gen(100), { uid: 'src2' }).map((r) => r.id, { name: 'ids' });
    upstream.deadLetters().sink(bad.spec(), { uid: 'bad' });
    upstream
      .keyBy(() => {
        throw new Error('selector broke');
      })
      .process({ processElement() {} }, { uid: 'p' })
      .sink(new CollectSink().spec(), { uid: 'out' });
    await expect(new LocalExecutor().run(env)).rejects.toBeInstanceOf(JobExecutionError);
    expect(bad.values).toEqual([]);
  });

  it('dead letters are committed exactly once with checkpoints and a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-dl-'));
    dirs.push(dir);
    let crashed = false;
    const env = new StreamEnvironment({
      parallelism: 2,
      checkpoint: { intervalMs: 5 },
      restartStrategy: { type: 'fixed-delay', attempts: 1, delayMs: 0 },
    });
    const good = new CollectSink<number>();
    const bad = new CollectSink<DeadLetter<unknown>>();
    const source: SourceSpec<GeneratedRecord> = { kind: 'generator', payload: { count: 20_000, keys: 20, seed: 5 } };
    const mapped = env.source(source, { uid: 'src' }).map((r) => {
      if (cursed(r.id)) throw new Error('cursed');
      return r.id;
    });
    mapped
      .rebalance()
      .map((id) => {
        if (id === 15_000 && !crashed) {
          crashed = true;
          throw new Error('crash once');
        }
        return id;
      })
      .sink(good.spec(), { uid: 'good' });
    mapped.deadLetters().sink(bad.spec(), { uid: 'bad' });
    const stats = await new LocalExecutor().run(env, { checkpointDir: dir });
    expect(stats.attempts).toBe(2);
    const badIds = bad.values.map((l) => (l.record as GeneratedRecord).id);
    expect(new Set(badIds).size).toBe(badIds.length);
    expect(badIds.length).toBe(Array.from({ length: 20_000 }, (_, i) => i).filter(cursed).length);
    expect(new Set(good.values).size).toBe(good.values.length);
    expect(good.values.length + badIds.length).toBe(20_000);
  });

  it('build rejects dead letters nobody reads, and dead letters of a source', () => {
    const env = new StreamEnvironment();
    const s = env.source(gen(10), { uid: 'src' });
    s.map((x) => x).deadLetters();
    s.sink(new CollectSink().spec(), { uid: 'out' });
    expect(() => env.build()).toThrow(/deadLetters\(\) was called but nothing reads that stream/);

    const env2 = new StreamEnvironment();
    const src = env2.source(gen(10), { uid: 'src' });
    src.deadLetters().sink(new CollectSink().spec(), { uid: 'bad' });
    src.sink(new CollectSink().spec(), { uid: 'out' });
    let err: unknown;
    try {
      env2.build();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JobBuildError);
    expect((err as JobBuildError).reason).toBe('invalid-dead-letters');
  });
});

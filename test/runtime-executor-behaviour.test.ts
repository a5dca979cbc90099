import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { SourceSpec } from '../src/api/specs.js';
import { CollectSink } from '../src/connectors/collect-sink.js';
import type { GeneratedRecord } from '../src/connectors/generator-source.js';
import { ConnectorConfigError } from '../src/runtime/connector-registry.js';
import { JobExecutionError, LocalExecutor } from '../src/runtime/local-executor.js';
import { keyGroupOf } from '../src/state/key-codec.js';
import { keyGroupRangeForSubtask, rangeContains } from '../src/state/key-groups.js';

const gen = (count: number, keys = 50): SourceSpec<GeneratedRecord> => ({ kind: 'generator', payload: { count, keys, seed: 3 } });

describe('LocalExecutor', () => {
  it('runs map/filter chained in the source task and counts every operator', async () => {
    const env = new StreamEnvironment({ parallelism: 2 });
    const out = new CollectSink<number>();
    env
      .source(gen(1000), { uid: 'gen' })
      .map((r) => r.value)
      .filter((v) => v % 2 === 0)
      .rebalance()
      .map((v) => v + 1)
      .sink(out.spec(), { uid: 'out' });
    const stats = await new LocalExecutor().run(env);
    const [src, map, filter, map2, sink] = stats.operators;
    // One vertex for source → map → filter: they ran by direct calls, no channel in between.
    expect(new Set([src?.vertexId, map?.vertexId, filter?.vertexId]).size).toBe(1);
    expect(map2?.vertexId).not.toBe(src?.vertexId);
    expect(sink?.vertexId).toBe(map2?.vertexId);
    expect(stats.channels).toBe(4); // only the rebalance edge, 2 × 2
    expect([src?.records, map?.records, filter?.records]).toEqual([1000, 1000, 1000]);
    expect(map2?.records).toBe(out.values.length);
    expect(out.values.every((v) => v % 2 === 1)).toBe(true);
  });

  it('a keyed operator sees only keys of its key-group range', async () => {
    const maxParallelism = 16;
    const seen: Array<{ subtask: number; key: string }> = [];
    const env = new StreamEnvironment({ parallelism: 3, maxParallelism, stateBackend: 'heap' });
    env
      .source(gen(2000, 200), { uid: 'gen' })
      .keyBy((r) => `k${r.key}`)
      .process(
        {
          open(rt) {
            (this as { subtask?: number }).subtask = rt.subtaskIndex;
          },
          processElement(_r, ctx) {
            seen.push({ subtask: (this as { subtask?: number }).subtask!, key: ctx.key });
          },
        },
        { uid: 'p' },
      )
      .sink(new CollectSink<unknown>().spec(), { uid: 'out' });
    await new LocalExecutor().run(env);
    expect(seen).toHaveLength(2000);
    expect(new Set(seen.map((s) => s.subtask))).toEqual(new Set([0, 1, 2]));
    for (const { subtask, key } of seen) {
      expect(rangeContains(keyGroupRangeForSubtask(maxParallelism, 3, subtask), keyGroupOf(key, maxParallelism))).toBe(true);
    }
  });

  it('backpressure: a slow sink keeps channel queues bounded by their capacities', async () => {
    const capacity = 40;
    const batchSize = 8;
    const env = new StreamEnvironment({ parallelism: 2 });
    const slow = new CollectSink<number>({ maxRecordsPerStep: 3 });
    env
      .source(gen(20_000), { uid: 'gen' })
      .flatMap((r) => [r.id, r.id]) // fan-out doubles the pressure
      .rebalance()
      .map((v) => v)
      .sink(slow.spec(), { uid: 'out' });
    const stats = await new LocalExecutor().run(env, { channelCapacity: capacity, batchSize, stepBudget: 256 });
    expect(slow.values).toHaveLength(40_000);
    // A channel accepts a batch while below capacity, so it holds at most capacity - 1 + batchSize.
    expect(stats.maxQueuedRecordsPerChannel).toBeLessThanOrEqual(capacity - 1 + batchSize);
    expect(stats.maxQueuedRecords).toBeLessThanOrEqual(stats.channels * (capacity - 1 + batchSize));
    // The queues did fill: the source was held back, not merely slow.
    expect(stats.maxQueuedRecordsPerChannel).toBeGreaterThanOrEqual(capacity);
  });

  it('an unknown source kind fails with an error naming it and the known kinds', async () => {
    const env = new StreamEnvironment();
    env.source({ kind: 'kafka' } as SourceSpec<number>, { uid: 's' }).sink(new CollectSink<number>().spec(), { uid: 'o' });
    const run = new LocalExecutor().run(env);
    await expect(run).rejects.toBeInstanceOf(ConnectorConfigError);
    await expect(run).rejects.toThrow("unknown source kind 'kafka' (known source kinds: file-lines, generator, nexmark)");
  });

  it('an unknown sink kind fails with an error naming it', async () => {
    const env = new StreamEnvironment();
    env.source(gen(10), { uid: 's' }).sink({ kind: 'postgres' }, { uid: 'o' });
    await expect(new LocalExecutor().run(env)).rejects.toThrow(/unknown sink kind 'postgres' \(known sink kinds: collect, discard, transactional-file\)/);
  });

  it("a throwing user function rejects the run with the user's error and stack", async () => {
    const env = new StreamEnvironment({ parallelism: 2 });
    function explodeOn500(r: GeneratedRecord): number {
      if (r.id === 500) throw new RangeError('record 500 is cursed');
      return r.id;
    }
    env.source(gen(1000), { uid: 's' }).map(explodeOn500).sink(new CollectSink<number>().spec(), { uid: 'o' });
    const err = await new LocalExecutor().run(env).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JobExecutionError);
    const cause = (err as JobExecutionError).cause;
    expect(cause).toBeInstanceOf(RangeError);
    expect((cause as Error).message).toBe('record 500 is cursed');
    expect((cause as Error).stack).toContain('explodeOn500');
    expect((err as JobExecutionError).message).toContain('record 500 is cursed');
    expect((err as JobExecutionError).subtaskId).toBe('0.0'); // id 500 is even: split 0 of 2
  });

  it('transactional-file sink writes and commits at end of input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-txsink-'));
    try {
      const env = new StreamEnvironment({ parallelism: 2 });
      env.source(gen(100), { uid: 's' }).map((r) => r.id).sink({ kind: 'transactional-file', payload: { dir } }, { uid: 'o' });
      await new LocalExecutor().run(env);
      const parts = readdirSync(dir).filter((n) => n.startsWith('part-'));
      const ids = parts.flatMap((n) => readFileSync(join(dir, n), 'utf8').split('\n').filter((l) => l !== '')).map(Number);
      expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(readdirSync(join(dir, '.inprogress'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an aborted signal rejects the run', async () => {
    const env = new StreamEnvironment();
    env.source(gen(Infinity), { uid: 's' }).sink(new CollectSink<GeneratedRecord>().spec(), { uid: 'o' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop')), 20);
    await expect(new LocalExecutor().run(env, { signal: ac.signal })).rejects.toThrow('stop');
  });
});

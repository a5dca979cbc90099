import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { KeyedProcessFunction } from '../src/api/functions.js';
import type { SourceSpec } from '../src/api/specs.js';
import { CollectSink } from '../src/connectors/collect-sink.js';
import { GeneratorSource, type GeneratedRecord } from '../src/connectors/generator-source.js';
import { mulberry32 } from '../src/random/mulberry32.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import { valueState } from '../src/state/descriptors.js';
import { Serializers } from '../src/state/serializers.js';
import type { StateBackendKind, ValueState } from '../src/state/types.js';

const dir = mkdtempSync(join(tmpdir(), 'weir-wordcount-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic text: skewed word choice so some words are hot and some appear once. */
function makeText(lines: number, seed: number): string {
  const rnd = mulberry32(seed);
  const vocab = Array.from({ length: 300 }, (_, i) => `w${i}`);
  const out: string[] = [];
  for (let l = 0; l < lines; l++) {
    const n = Math.floor(rnd() * 12);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(vocab[Math.floor(rnd() * rnd() * vocab.length)]!);
    out.push(words.join(' '));
  }
  return out.join('\n') + '\n';
}

/** The independent computation: a plain loop over the same text. */
function expectedCounts(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) for (const w of line.split(' ')) if (w !== '') m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

/** A fresh counter per job: `open` runs once per subtask, so the handle lives in a per-subtask closure. */
function counter(): KeyedProcessFunction<string, string, [string, number]> {
  return {
    open(rt) {
      (this as { count?: ValueState<number> }).count = rt.getState(valueState('count', Serializers.number));
    },
    processElement(_word, ctx, out) {
      const count = (this as { count?: ValueState<number> }).count!;
      const n = (count.value() ?? 0) + 1;
      count.update(n);
      out.collect([ctx.key, n]);
    },
  };
}

/** Final count per word = the largest running count the counter emitted for it. */
function finalCounts(values: readonly [string, number][]): Map<string, number> {
  const m = new Map<string, number>();
  for (const [w, n] of values) m.set(w, Math.max(m.get(w) ?? 0, n));
  return m;
}

const sorted = (m: Map<string, number>): [string, number][] => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

describe('LocalExecutor word count', () => {
  const text = makeText(2000, 7);
  const path = join(dir, 'words.txt');
  writeFileSync(path, text);
  const expected = expectedCounts(text);

  for (const backend of ['heap', 'wasm'] as const satisfies readonly StateBackendKind[]) {
    for (const parallelism of [1, 2, 3]) {
      it(`file-lines → flatMap → keyBy → count matches a plain loop (p=${parallelism}, ${backend})`, async () => {
        const env = new StreamEnvironment({ parallelism, stateBackend: backend, maxParallelism: 128 });
        const out = new CollectSink<[string, number]>();
        const lines: SourceSpec<string> = { kind: 'file-lines', payload: { path, chunkSize: 512 } };
        env
          .source(lines, { uid: 'lines' })
          .flatMap((l) => l.split(' ').filter((w) => w !== ''))
          .keyBy((w) => w)
          .process(counter(), { uid: 'count' })
          .sink(out.spec(), { uid: 'out' });
        const stats = await new LocalExecutor().run(env, { channelCapacity: 256, batchSize: 32, stepBudget: 128 });

        expect(sorted(finalCounts(out.values))).toEqual(sorted(expected));
        const total = [...expected.values()].reduce((a, b) => a + b, 0);
        // Exactly one emitted update per word occurrence: nothing lost, nothing duplicated.
        expect(out.values).toHaveLength(total);
        expect(out.finishedSubtasks.size).toBe(parallelism);
        const byName = new Map(stats.operators.map((o) => [o.kind, o]));
        expect(byName.get('keyedProcess')?.records).toBe(total);
        expect(byName.get('sink')?.records).toBe(total);
      });
    }
  }

  it('generator source: per-key counts equal the generator records counted directly', async () => {
    const options = { count: 5000, keys: 37, seed: 11 };
    const direct = new GeneratorSource(options);
    direct.open(0, 1);
    const expectedByKey = new Map<string, number>();
    for (let b = direct.pollBatch(1000); b !== 'end'; b = direct.pollBatch(1000)) {
      for (const r of b) expectedByKey.set(`k${r.key}`, (expectedByKey.get(`k${r.key}`) ?? 0) + 1);
    }

    const env = new StreamEnvironment({ parallelism: 3, stateBackend: 'wasm' });
    const out = new CollectSink<[string, number]>();
    const gen: SourceSpec<GeneratedRecord> = { kind: 'generator', payload: options };
    env
      .source(gen, { uid: 'gen' })
      .flatMap((r) => [`k${r.key}`])
      .keyBy((w) => w)
      .process(counter(), { uid: 'count' })
      .sink(out.spec(), { uid: 'out' });
    await new LocalExecutor().run(env);
    expect(sorted(finalCounts(out.values))).toEqual(sorted(expectedByKey));
  });
});

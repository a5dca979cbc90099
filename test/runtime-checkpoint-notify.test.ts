import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { KeyedProcessFunction } from '../src/api/functions.js';
import type { SourceSpec } from '../src/api/specs.js';
import { CollectSink } from '../src/connectors/collect-sink.js';
import type { GeneratedRecord } from '../src/connectors/generator-source.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('notifyCheckpointComplete', () => {
  it.each(['heap', 'wasm'] as const)('reaches every keyed subtask (%s) only after _metadata is durable, in id order', async (backend) => {
    const dir = mkdtempSync(join(tmpdir(), 'weir-notify-'));
    dirs.push(dir);
    const seen = new Map<number, number[]>();
    const missingMetadata: number[] = [];
    const fn: KeyedProcessFunction<number, GeneratedRecord, number> & { index?: number } = {
      open(rt) {
        this.index = rt.subtaskIndex;
      },
      processElement(r, _ctx, out) {
        out.collect(r.id);
      },
      notifyCheckpointComplete(id) {
        if (!existsSync(join(dir, 'notify-job', `chk-${id}`, '_metadata'))) missingMetadata.push(id);
        const list = seen.get(this.index!) ?? [];
        list.push(id);
        seen.set(this.index!, list);
      },
    };
    const source: SourceSpec<GeneratedRecord> = { kind: 'generator', payload: { count: 40_000, keys: 100, seed: 1, ratePerSecond: 100_000 } };
    const env = new StreamEnvironment({ jobName: 'notify-job', parallelism: 2, stateBackend: backend, checkpoint: { intervalMs: 10, retainedCheckpoints: 100 } });
    env.source(source, { uid: 'src' }).keyBy((r) => r.key).process(fn, { uid: 'p' }).sink(new CollectSink<number>().spec(), { uid: 'out' });
    const stats = await new LocalExecutor().run(env, { checkpointDir: dir });
    expect(stats.completedCheckpoints).toBeGreaterThan(2);
    expect(missingMetadata).toEqual([]);
    expect([...seen.keys()].sort()).toEqual([0, 1]);
    for (const ids of seen.values()) {
      expect(ids.length).toBe(stats.completedCheckpoints);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    }
  });
});

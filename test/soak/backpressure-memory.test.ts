/**
 * Soak: a sink 100× slower than its source. Backpressure must hold memory flat (bounded channels, no
 * buffering anywhere else) while checkpoints keep completing; the alignment they need is reported.
 * Runs under `npm run test:chaos` (bounded time), not in the unit suite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../../src/api/environment.js';
import type { KeyedProcessFunction } from '../../src/api/functions.js';
import type { SourceSpec } from '../../src/api/specs.js';
import type { GeneratedRecord } from '../../src/connectors/generator-source.js';
import { defaultConnectorRegistry } from '../../src/runtime/connector-registry.js';
import type { CheckpointSummary } from '../../src/runtime/job-listener.js';
import { LocalExecutor } from '../../src/runtime/local-executor.js';
import { valueState } from '../../src/state/descriptors.js';
import { Serializers } from '../../src/state/serializers.js';
import type { ValueState } from '../../src/state/types.js';

const RUN_MS = Number(process.env.WEIR_SOAK_MS ?? 20_000);
/**
 * The sink's rate. The same job with a discarding sink runs at well over 1M records/s on a 2-core VM,
 * so this is more than 100x slower than the source can go.
 */
const SINK_RECORDS_PER_SECOND = 10_000; // per sink subtask
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const dir = mkdtempSync(join(tmpdir(), 'weir-soak-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('backpressure soak', () => {
  it.each(['heap', 'wasm'] as const)('a 100x slower sink keeps RSS flat and checkpoints completing (%s)', async (backend) => {
    const connectors = defaultConnectorRegistry().registerSink('slow', () => ({
      write: (batch) => sleep((batch.length * 1000) / SINK_RECORDS_PER_SECOND),
    }));
    const counter: KeyedProcessFunction<number, GeneratedRecord, number> & { n?: ValueState<number> } = {
      open(rt) {
        this.n = rt.getState(valueState('n', Serializers.number));
      },
      processElement(r, _ctx, out) {
        const n = (this.n!.value() ?? 0) + 1;
        this.n!.update(n);
        out.collect(n);
      },
    };
    const env = new StreamEnvironment({ jobName: `soak-${backend}`, parallelism: 2, stateBackend: backend, checkpoint: { intervalMs: 250 } });
    const source: SourceSpec<GeneratedRecord> = { kind: 'generator', payload: { count: Infinity, keys: 10_000, seed: 3 } };
    env.source(source, { uid: 'src' }).keyBy((r) => r.key).process(counter, { uid: 'count' }).sink({ kind: 'slow' }, { uid: 'slow' });

    const checkpoints: CheckpointSummary[] = [];
    const rss: number[] = [];
    const controller = new AbortController();
    const sampler = setInterval(() => rss.push(process.memoryUsage().rss), 500);
    setTimeout(() => controller.abort(new Error('soak over')), RUN_MS);
    let sourceRecords = 0;
    let sinkRecords = 0;
    let maxQueued = 0;
    await expect(
      new LocalExecutor().run(env, {
        checkpointDir: dir,
        connectors,
        signal: controller.signal,
        progressIntervalMs: 200,
        listener: {
          onCheckpointCompleted: (c) => checkpoints.push(c),
          onProgress: (p) => {
            sourceRecords = p.sourceRecords;
            sinkRecords = p.sinkRecords;
            maxQueued = Math.max(maxQueued, p.queuedRecords);
          },
        },
      }),
    ).rejects.toThrow('soak over');
    clearInterval(sampler);

    // After a warm-up third, memory must not trend upwards: compare the middle and the last third.
    const third = Math.floor(rss.length / 3);
    const mid = Math.max(...rss.slice(third, 2 * third));
    const last = Math.max(...rss.slice(2 * third));
    const mb = (b: number): string => (b / 2 ** 20).toFixed(1);
    const align = checkpoints.map((c) => c.maxAlignmentMs).sort((a, b) => a - b);
    const p50 = align[Math.floor(align.length / 2)] ?? 0;
    console.log(
      `[soak ${backend}] ${RUN_MS} ms: source ${sourceRecords} records, sink ${sinkRecords} (ratio ${(sourceRecords / Math.max(1, sinkRecords)).toFixed(2)}), ` +
        `max queued ${maxQueued}; RSS mid-third max ${mb(mid)} MB, last-third max ${mb(last)} MB; ` +
        `${checkpoints.length} checkpoints, alignment p50 ${p50.toFixed(1)} ms, max ${(align[align.length - 1] ?? 0).toFixed(1)} ms, ` +
        `duration max ${Math.max(0, ...checkpoints.map((c) => c.durationMs)).toFixed(1)} ms`,
    );
    expect(checkpoints.length).toBeGreaterThan(RUN_MS / 250 / 4);
    expect(sinkRecords).toBeLessThan((2 * SINK_RECORDS_PER_SECOND * RUN_MS) / 1000 + 1); // 2 sink subtasks
    // Bounded channels: 2 x 2 channels of 1024 records plus one batch each.
    expect(maxQueued).toBeLessThan(4 * (1024 + 64) + 1);
    expect(last - mid).toBeLessThan(48 * 2 ** 20);
  });
});

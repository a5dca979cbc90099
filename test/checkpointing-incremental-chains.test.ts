/**
 * Incremental checkpoints over many checkpoints of a running job: keyed state is a base plus deltas
 * in shared/, each segment referenced by several checkpoints; a chain that reaches MAX_CHAIN_LENGTH is
 * compacted into a new base; a restore continues the restored chain; retention deletes a segment only
 * when no retained checkpoint references it. Non-incremental checkpoints write full keyed state inside
 * chk-<n>/ and nothing in shared/.
 */
import { describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { KeyedProcessFunction } from '../src/api/functions.js';
import { CollectSink } from '../src/connectors/collect-sink.js';
import type { GeneratedRecord, GeneratorOptions } from '../src/connectors/generator-source.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import { MAX_CHAIN_LENGTH } from '../src/runtime/subtask-snapshotter.js';
import { valueState } from '../src/state/descriptors.js';
import { Serializers } from '../src/state/serializers.js';
import type { StateBackendKind, ValueState } from '../src/state/types.js';
import type { CheckpointMetadata, FileRef } from '../src/storage/checkpoint-metadata.js';
import { MemoryCheckpointStorage } from '../src/storage/checkpoint-store.js';
import { BACKEND_KINDS } from './support/backends.js';
import { expectExactlyOnce, expectedCounts } from './support/counting-job.js';
import { gatedConnectors, gatedGeneratorSpec, holdFrom, type Gate } from './support/gated-generator.js';
import { GuardedStorage, inspectJobDirectory, parseSegmentName } from './support/job-directory.js';
import { RunEvents } from './support/run-events.js';

/** ~300 ms at the rate: a few dozen checkpoints at a 5 ms interval. */
const SOURCE: GeneratorOptions = { count: 12_000, keys: 50, seed: 31, ratePerSecond: 40_000 };
const EXPECTED = expectedCounts(SOURCE);
const RETAINED = 2;

/**
 * The keyed counter plus a 400-byte ballast value per key, written once: the base is large and a delta
 * (changed counters only) small, so chains grow to MAX_CHAIN_LENGTH before the deltas outweigh the base.
 */
function counterWithBallast(failAt: ReadonlySet<number>): KeyedProcessFunction<number, GeneratedRecord, string> & {
  count?: ValueState<number>;
  ballast?: ValueState<string>;
} {
  const failed = new Set<number>();
  return {
    open(rt) {
      this.count = rt.getState(valueState('count', Serializers.number));
      this.ballast = rt.getState(valueState('ballast', Serializers.string));
    },
    processElement(r, ctx, out) {
      if (failAt.has(r.id) && !failed.has(r.id)) {
        failed.add(r.id);
        throw new Error(`injected failure at record ${r.id}`);
      }
      const n = (this.count!.value() ?? 0) + 1;
      this.count!.update(n);
      if (n === 1) this.ballast!.update(`${ctx.key}:`.padEnd(400, '#'));
      out.collect(`${ctx.key}:${n}`);
    },
  };
}

/**
 * Holds back the last 500 records until `storage` has seen `checkpoints` completed, so a run has that
 * many whatever the machine's speed.
 */
function afterCheckpoints(storage: GuardedStorage, checkpoints: number) {
  return holdFrom(SOURCE.count - 500, () => storage.metadataWritten.length >= checkpoints);
}

function ballastJob(backend: StateBackendKind, incremental: boolean, out: CollectSink<string>, failAt: readonly number[], gate: Gate): StreamEnvironment {
  const env = new StreamEnvironment({
    jobName: 'chains',
    parallelism: 2,
    stateBackend: backend,
    checkpoint: { intervalMs: 5, incremental, retainedCheckpoints: RETAINED },
    restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 },
  });
  env
    .source(gatedGeneratorSpec(SOURCE, gate), { uid: 'src' })
    .keyBy((r) => r.key)
    .process(counterWithBallast(new Set(failAt)), { uid: 'count' })
    .sink(out.spec(), { uid: 'out' });
  return env;
}

/** The keyed handle of operator 'count', subtask `index`, in a checkpoint's metadata. */
function keyedHandle(m: CheckpointMetadata, index: number) {
  const st = m.operators.find((o) => o.uid === 'count')?.subtasks.find((s) => s.subtaskIndex === index);
  const keyed = st?.handles.filter((h) => h.kind !== 'operator') ?? [];
  expect(keyed, `checkpoint ${m.checkpointId} subtask ${index}`).toHaveLength(1);
  return keyed[0]!;
}

function chainOf(m: CheckpointMetadata, index: number): readonly FileRef[] {
  const h = keyedHandle(m, index);
  if (h.kind !== 'keyed-incremental') throw new Error(`checkpoint ${m.checkpointId}: expected an incremental handle, got ${h.kind}`);
  return h.chain;
}

const paths = (chain: readonly FileRef[]): string[] => chain.map((f) => f.path);

describe('incremental checkpoints', () => {
  it.each(BACKEND_KINDS)('%s: chains grow to MAX_CHAIN_LENGTH, are compacted into a new base, share segments, and survive two restores', async (backend) => {
    const storage = new GuardedStorage(new MemoryCheckpointStorage(), RETAINED);
    const out = new CollectSink<string>();
    const events = new RunEvents();
    // Two user failures: the second restore reads a chain extended after the first restore.
    const job = ballastJob(backend, true, out, [4000, 8000], afterCheckpoints(storage, 2 * MAX_CHAIN_LENGTH + 5));
    const stats = await new LocalExecutor({ connectors: gatedConnectors() }).run(job, { checkpointStorage: storage, listener: events });
    expect(stats.attempts, events.log.join('\n')).toBe(3);
    expectExactlyOnce(out.values, EXPECTED);

    const written = storage.metadataWritten;
    expect(written.length).toBeGreaterThan(MAX_CHAIN_LENGTH + 2);
    const restoredIds = new Set(events.restored.map((r) => r.checkpointId).filter((id): id is number => id !== undefined));
    expect(restoredIds.size).toBe(2);
    const byId = new Map(written.map((m) => [m.checkpointId, m]));
    for (const index of [0, 1]) {
      let previous: readonly FileRef[] | undefined;
      let reachedBound = false;
      let compacted = false;
      for (const m of written) {
        const chain = chainOf(m, index);
        const names = chain.map((f) => parseSegmentName(f.path));
        // A base then deltas, all in shared/, never longer than the bound.
        expect(chain.length).toBeGreaterThanOrEqual(1);
        expect(chain.length).toBeLessThanOrEqual(MAX_CHAIN_LENGTH);
        expect(names.every((n) => n !== undefined && n.subtask === index)).toBe(true);
        expect(names.map((n) => n!.base)).toEqual(chain.map((_, i) => i === 0));
        // The newest file is this checkpoint's own.
        expect(names.at(-1)!.checkpointId).toBe(m.checkpointId);
        if (previous !== undefined) {
          const extends_ = chain.length === previous.length + 1 && paths(previous).every((p, i) => p === chain[i]!.path);
          const newBase = chain.length === 1;
          expect(extends_ || newBase, `checkpoint ${m.checkpointId} subtask ${index}: ${paths(previous).join(',')} → ${paths(chain).join(',')}`).toBe(true);
          if (newBase && previous.length === MAX_CHAIN_LENGTH) compacted = true;
        }
        if (chain.length === MAX_CHAIN_LENGTH) reachedBound = true;
        previous = chain;
      }
      expect(reachedBound, `subtask ${index} never reached ${MAX_CHAIN_LENGTH} files`).toBe(true);
      expect(compacted, `subtask ${index} never compacted a full chain`).toBe(true);
    }
    // After each restore, the first checkpoint extends the restored chain with a delta (unless it was full).
    for (const r of restoredIds) {
      const restored = byId.get(r)!;
      const next = written.find((m) => m.checkpointId > r)!;
      for (const index of [0, 1]) {
        const before = chainOf(restored, index);
        const after = chainOf(next, index);
        if (before.length < MAX_CHAIN_LENGTH) expect(paths(after.slice(0, -1))).toEqual(paths(before));
      }
    }
    // Segments are shared: a base is referenced by several checkpoints.
    const referencing = new Map<string, number>();
    for (const m of written) for (const index of [0, 1]) for (const f of chainOf(m, index)) referencing.set(f.path, (referencing.get(f.path) ?? 0) + 1);
    expect(Math.max(...referencing.values())).toBeGreaterThanOrEqual(MAX_CHAIN_LENGTH);

    // Retention never deleted a file a retained checkpoint uses, and left only what the retained ones use.
    expect(storage.violations).toEqual([]);
    const dir = await inspectJobDirectory(storage, RETAINED);
    expect(dir.problems).toEqual([]);
    expect(dir.completed).toHaveLength(RETAINED);
    const needed = new Set(dir.completed.flatMap((m) => [0, 1].flatMap((i) => paths(chainOf(m, i)))));
    expect(dir.segments).toEqual([...needed].sort());
  });
});

describe('non-incremental checkpoints', () => {
  it.each(BACKEND_KINDS)('%s: write full keyed state inside chk-<n>/, nothing in shared/, and restore exactly-once', async (backend) => {
    const storage = new GuardedStorage(new MemoryCheckpointStorage(), RETAINED);
    const out = new CollectSink<string>();
    const job = ballastJob(backend, false, out, [6000], afterCheckpoints(storage, 5));
    const stats = await new LocalExecutor({ connectors: gatedConnectors() }).run(job, { checkpointStorage: storage });
    expect(stats.attempts).toBe(2);
    expectExactlyOnce(out.values, EXPECTED);
    expect(storage.metadataWritten.length).toBeGreaterThan(3);
    for (const m of storage.metadataWritten) {
      expect(m.settings.incremental).toBe(false);
      for (const index of [0, 1]) {
        const h = keyedHandle(m, index);
        expect(h.kind).toBe('keyed-full');
        if (h.kind !== 'keyed-full') continue;
        expect(h.files).toHaveLength(1);
        expect(h.files[0]!.path.startsWith(`chk-${m.checkpointId}/`)).toBe(true);
      }
    }
    expect(storage.violations).toEqual([]);
    const dir = await inspectJobDirectory(storage, RETAINED);
    expect(dir.problems).toEqual([]);
    expect(dir.segments).toEqual([]);
    expect(dir.completed).toHaveLength(RETAINED);
  });
});

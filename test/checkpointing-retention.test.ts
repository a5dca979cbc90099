/**
 * Retention while a job runs: after each completed checkpoint the coordinator keeps the
 * `retainedCheckpoints` newest and deletes the rest, and a shared segment only once no retained
 * checkpoint references it. Checked at every deletion (GuardedStorage) and on the directory at the end.
 */
import { describe, expect, it } from 'vitest';
import { CollectSink } from '../src/connectors/collect-sink.js';
import type { GeneratorOptions } from '../src/connectors/generator-source.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import { jobDirectory } from '../src/storage/checkpoint-layout.js';
import { FsCheckpointStorage, MemoryCheckpointStorage, type CheckpointStorage, type StorageEntry } from '../src/storage/checkpoint-store.js';
import { BACKEND_KINDS } from './support/backends.js';
import { countingJob, expectExactlyOnce, expectedCounts } from './support/counting-job.js';
import { GuardedStorage, inspectJobDirectory } from './support/job-directory.js';
import { RunEvents } from './support/run-events.js';
import { tempDirs } from './support/temp-dirs.js';

const SOURCE: GeneratorOptions = { count: 8000, keys: 40, seed: 61, ratePerSecond: 40_000 };
const EXPECTED = expectedCounts(SOURCE);

/** A memory storage whose deletions take `ms` each: a retention pass spans several checkpoints. */
function slowDeletes(ms: number): CheckpointStorage {
  const memory = new MemoryCheckpointStorage();
  return {
    list: (dir: string): Promise<StorageEntry[]> => memory.list(dir),
    read: (p) => memory.read(p),
    writeAtomically: (p, b) => memory.writeAtomically(p, b),
    delete: async (p) => {
      await new Promise((r) => setTimeout(r, ms));
      await memory.delete(p);
    },
  };
}

describe('retention during a run', () => {
  const tmp = tempDirs();

  it.each([1, 3])('retainedCheckpoints = %i: keeps that many, never deletes what they use, leaves no unreferenced segment (memory)', async (retained) => {
    const storage = new GuardedStorage(new MemoryCheckpointStorage(), retained);
    const out = new CollectSink<string>();
    const events = new RunEvents();
    const job = countingJob({ backend: 'wasm', source: SOURCE, sink: out.spec(), checkpoint: { retainedCheckpoints: retained } });
    await new LocalExecutor().run(job, { checkpointStorage: storage, listener: events });
    expectExactlyOnce(out.values, EXPECTED);
    expect(storage.violations).toEqual([]);
    const dir = await inspectJobDirectory(storage, retained);
    expect(dir.problems).toEqual([]);
    expect(dir.completed.map((m) => m.checkpointId)).toEqual(events.completedIds.slice(-retained));
  });

  // Regression (fixed in 964261a): each retention pass ended with
  // `this.retained = this.retained.filter((m) => kept.has(m.checkpointId))`, `kept` planned before the
  // pass's deletions, so a checkpoint completing during a pass was dropped from `retained`: later
  // passes deleted it as 'incomplete' while keeping an older one, or left it beyond the count, and
  // never freed its segments (they leaked in shared/). On disk this showed in most runs.
  it.each(BACKEND_KINDS)('regression: %s: a checkpoint completing while a retention pass runs is not forgotten (slow deletes)', async (backend) => {
    const storage = new GuardedStorage(slowDeletes(4), 2);
    const out = new CollectSink<string>();
    const events = new RunEvents();
    const job = countingJob({ backend, source: SOURCE, sink: out.spec(), checkpoint: { retainedCheckpoints: 2 } });
    await new LocalExecutor().run(job, { checkpointStorage: storage, listener: events });
    expectExactlyOnce(out.values, EXPECTED);
    const dir = await inspectJobDirectory(storage, 2);
    expect({ violations: storage.violations, problems: dir.problems }).toEqual({ violations: [], problems: [] });
  });

  it('on disk: keeps exactly retainedCheckpoints, never deletes what they use, leaves no unreferenced segment', async () => {
    const checkpointDir = tmp('retention');
    const storage = new GuardedStorage(new FsCheckpointStorage(jobDirectory(checkpointDir, 'ret')), 2);
    const out = new CollectSink<string>();
    const source: GeneratorOptions = { ...SOURCE, count: 16_000 };
    const events = new RunEvents();
    const job = countingJob({ backend: 'heap', source, sink: out.spec(), checkpoint: { retainedCheckpoints: 2 } });
    await new LocalExecutor().run(job, { checkpointStorage: storage, listener: events });
    expectExactlyOnce(out.values, expectedCounts(source));
    const dir = await inspectJobDirectory(storage, 2);
    expect({ violations: storage.violations, problems: dir.problems }).toEqual({ violations: [], problems: [] });
    expect(dir.completed.map((m) => m.checkpointId)).toEqual(events.completedIds.slice(-2));
  });
});

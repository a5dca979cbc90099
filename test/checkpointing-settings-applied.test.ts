/**
 * The checkpoint settings as a running job applies them: the interval between triggers, the pause
 * after a completed checkpoint, how many checkpoints may be pending at once, and the compression codec
 * of every file (a restore through each codec stays exactly-once). Timeouts, tolerable failures,
 * retention and incremental mode have their own files; mode is checkpointing-alignment-modes.
 */
import { describe, expect, it } from 'vitest';
import { CollectSink } from '../src/connectors/collect-sink.js';
import type { GeneratorOptions } from '../src/connectors/generator-source.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import type { FaultInjector } from '../src/runtime/subtask-snapshotter.js';
import { MemoryCheckpointStorage } from '../src/storage/checkpoint-store.js';
import { createCodec } from '../src/storage/codec.js';
import { readContainerHeader } from '../src/storage/file-container.js';
import { countingJob, expectExactlyOnce, expectedCounts } from './support/counting-job.js';
import { GuardedStorage, inspectJobDirectory } from './support/job-directory.js';
import { RunEvents } from './support/run-events.js';
import { STALLING_SINK, Stalls, stallingConnectors } from './support/stalling-sink.js';

/** ~250 ms at the rate. */
const SOURCE: GeneratorOptions = { count: 10_000, keys: 40, seed: 91, ratePerSecond: 40_000 };
const EXPECTED = expectedCounts(SOURCE);

/** Wall-clock slack between the coordinator's monotonic decisions and the epoch times in `_metadata`. */
const SLACK_MS = 2;

describe('interval and min pause', () => {
  it('checkpoints are triggered no closer than intervalMs (the final one excepted: it is due when the input ends)', async () => {
    const storage = new GuardedStorage(new MemoryCheckpointStorage(), 1);
    const out = new CollectSink<string>();
    const events = new RunEvents();
    await new LocalExecutor().run(countingJob({ backend: 'heap', source: SOURCE, sink: out.spec(), checkpoint: { intervalMs: 30 } }), { checkpointStorage: storage, listener: events });
    expectExactlyOnce(out.values, EXPECTED);
    const final = new Set(events.completed.filter((c) => c.final).map((c) => c.checkpointId));
    const periodic = storage.metadataWritten.filter((m) => !final.has(m.checkpointId));
    expect(periodic.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < periodic.length; i++) {
      expect(periodic[i]!.triggerTimestamp - periodic[i - 1]!.triggerTimestamp).toBeGreaterThanOrEqual(30 - SLACK_MS);
    }
  });

  it('minPauseBetweenCheckpointsMs: the next checkpoint waits that long after the previous one completed', async () => {
    const storage = new GuardedStorage(new MemoryCheckpointStorage(), 1);
    const out = new CollectSink<string>();
    const events = new RunEvents();
    const job = countingJob({ backend: 'wasm', source: SOURCE, sink: out.spec(), checkpoint: { intervalMs: 1, minPauseBetweenCheckpointsMs: 40 } });
    await new LocalExecutor().run(job, { checkpointStorage: storage, listener: events });
    expectExactlyOnce(out.values, EXPECTED);
    const final = new Set(events.completed.filter((c) => c.final).map((c) => c.checkpointId));
    const written = storage.metadataWritten;
    expect(written.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < written.length; i++) {
      if (final.has(written[i]!.checkpointId)) continue;
      expect(written[i]!.triggerTimestamp - written[i - 1]!.completionTimestamp).toBeGreaterThanOrEqual(40 - SLACK_MS);
    }
  });
});

describe('maxConcurrentCheckpoints', () => {
  /**
   * Stalls checkpoint 2's pre-commit at sink subtask 0 for 80 ms (16 intervals) and records, at each
   * trigger, how many other checkpoints were pending (triggered, not yet completed or failed).
   */
  async function pendingAtTriggers(maxConcurrent: number) {
    const out = new CollectSink<string>();
    const stalls = new Stalls(new Set([2]), (id) => setTimeout(() => stalls.release(id), 80));
    const triggered = new Set<number>();
    const done = new Set<number>();
    const events = new RunEvents({
      completed: (c) => done.add(c.checkpointId),
      failed: (f) => done.add(f.checkpointId),
    });
    const others: number[] = [];
    // The first snapshot of a checkpoint is a source subtask's, at the moment it is triggered.
    const faults: FaultInjector = (point, id) => {
      if (point !== 'before-sync-snapshot' || triggered.has(id)) return;
      others.push([...triggered].filter((t) => !done.has(t)).length);
      triggered.add(id);
    };
    const job = countingJob({ backend: 'heap', source: SOURCE, sink: STALLING_SINK, checkpoint: { maxConcurrentCheckpoints: maxConcurrent } });
    const stats = await new LocalExecutor({ connectors: stallingConnectors(out, stalls) }).run(job, { checkpointStorage: new MemoryCheckpointStorage(), faults, listener: events });
    expect(stalls.stalled).toEqual([2]);
    expect(stats.attempts).toBe(1);
    expect(events.countedFailures).toEqual([]);
    expectExactlyOnce(out.values, EXPECTED);
    return others;
  }

  it('1: a checkpoint is never triggered while another is pending', async () => {
    const others = await pendingAtTriggers(1);
    expect(Math.max(...others)).toBe(0);
  });

  it('3: later checkpoints are triggered while a stalled one is pending, never more than 3 at once', async () => {
    const others = await pendingAtTriggers(3);
    expect(Math.max(...others)).toBe(2);
  });
});

describe('compression', () => {
  it.each([
    ['none', undefined],
    ['deflate', 1],
    ['brotli', 1],
    ['fflate', 6],
  ] as const)('%s: every checkpoint file names the codec, and a restore through it is exactly-once', async (codec, level) => {
    const storage = new MemoryCheckpointStorage();
    const out = new CollectSink<string>();
    let failed = false;
    const job = countingJob({
      backend: 'wasm',
      source: SOURCE,
      sink: out.spec(),
      // Every checkpoint is kept, so every file written can be inspected afterwards.
      checkpoint: { compression: { codec, ...(level === undefined ? {} : { level }) }, retainedCheckpoints: 1000 },
      onElement: (r) => {
        if (r.id === 6000 && !failed) {
          failed = true;
          throw new Error('fail once to restore through the codec');
        }
      },
    });
    const stats = await new LocalExecutor().run(job, { checkpointStorage: storage });
    expect(stats.attempts).toBe(2);
    expectExactlyOnce(out.values, EXPECTED);
    const dir = await inspectJobDirectory(storage, 1000);
    expect(dir.problems).toEqual([]);
    expect(dir.completed.length).toBeGreaterThan(2);
    expect(dir.completed.every((m) => m.settings.codec === codec)).toBe(true);
    const id = createCodec(codec).id;
    const codecIds = new Set<number>();
    // State files; `_metadata` is the coordinator's own small file, with its own codec.
    for (const path of dir.listing.files.keys()) {
      if (!path.endsWith('/_metadata')) codecIds.add(readContainerHeader(await storage.read(path)).codecId);
    }
    expect([...codecIds]).toEqual([id]);
  });
});

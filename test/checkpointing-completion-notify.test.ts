/**
 * notifyCheckpointComplete at the sinks (two-phase commit): every sink subtask is notified of every
 * completed checkpoint, only after the checkpoint's `_metadata` is durable and after its own pre-commit
 * of that checkpoint, and of the final checkpoint before it is finished; a checkpoint whose `_metadata`
 * could not be written is never notified. (Keyed functions' notifications: runtime-checkpoint-notify.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { CollectSink } from '../src/connectors/collect-sink.js';
import { defaultConnectorRegistry } from '../src/runtime/connector-registry.js';
import type { CheckpointSummary, JobListener } from '../src/runtime/job-listener.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import { jobDirectory } from '../src/storage/checkpoint-layout.js';
import { FsCheckpointStorage, MemoryCheckpointStorage } from '../src/storage/checkpoint-store.js';
import { countingJob, expectExactlyOnce, expectedCounts } from './support/counting-job.js';
import { GuardedStorage } from './support/job-directory.js';
import { RunEvents } from './support/run-events.js';
import { tempDirs } from './support/temp-dirs.js';

const SOURCE = { count: 8000, keys: 30, seed: 41, ratePerSecond: 40_000 };
const PARALLELISM = 3;

describe('notifyCheckpointComplete', () => {
  const tmp = tempDirs();

  it('reaches every sink subtask for every completed checkpoint, after _metadata is durable and after its pre-commit', async () => {
    const checkpointDir = tmp('notify');
    const storage = new GuardedStorage(new FsCheckpointStorage(jobDirectory(checkpointDir, 'notify')), 1);
    const out = new CollectSink<string>();
    /** Per sink subtask, what it saw in order: `pre:<id>`, `notify:<id>`, `finish`. */
    const seen = new Map<number, string[]>();
    const notDurable: string[] = [];
    const connectors = defaultConnectorRegistry().registerSink('observed', (_p, ctx) => {
      const inner = out.writer(ctx.subtaskIndex, ctx.checkpointing);
      const log: string[] = [];
      seen.set(ctx.subtaskIndex, log);
      return {
        ...inner,
        snapshotState: (id: number) => {
          log.push(`pre:${id}`);
          return inner.snapshotState!(id);
        },
        notifyCheckpointComplete: (id: number) => {
          log.push(`notify:${id}`);
          if (!storage.isCompleted(id)) notDurable.push(`subtask ${ctx.subtaskIndex} notified of ${id} before its _metadata was written`);
          return inner.notifyCheckpointComplete!(id);
        },
        finish: () => {
          log.push('finish');
          return inner.finish!();
        },
      };
    });
    const events = new RunEvents();
    const job = countingJob({ backend: 'wasm', parallelism: PARALLELISM, source: SOURCE, sink: { kind: 'observed' } });
    await new LocalExecutor({ connectors }).run(job, { checkpointStorage: storage, listener: events });

    expectExactlyOnce(out.values, expectedCounts(SOURCE));
    expect(notDurable).toEqual([]);
    const completed = events.completedIds;
    // Checkpoints on disk take tens of ms (fsync): at least one periodic one and the final one.
    expect(completed.length).toBeGreaterThanOrEqual(2);
    expect([...seen.keys()].sort()).toEqual([0, 1, 2]);
    for (const [index, log] of seen) {
      const notified = log.filter((e) => e.startsWith('notify:')).map((e) => Number(e.slice('notify:'.length)));
      expect(notified, `sink subtask ${index}`).toEqual(completed);
      for (const id of notified) expect(log.indexOf(`pre:${id}`), `subtask ${index}: pre-commit of ${id}`).toBeLessThan(log.indexOf(`notify:${id}`));
      // The final checkpoint commits the last output before the sink is finished.
      expect(log.at(-1)).toBe('finish');
      expect(log.at(-2)).toBe(`notify:${completed.at(-1)}`);
    }
    expect(events.completed.at(-1)!.final).toBe(true);
  });

  it('is not sent for a checkpoint whose _metadata could not be written (io-error), and that checkpoint is counted', async () => {
    const memory = new MemoryCheckpointStorage();
    let failNext = true;
    const storage = {
      list: (d: string) => memory.list(d),
      read: (p: string) => memory.read(p),
      delete: (p: string) => memory.delete(p),
      writeAtomically: async (p: string, b: Uint8Array) => {
        if (p === 'chk-2/_metadata' && failNext) {
          failNext = false;
          throw new Error('EIO: metadata write failed');
        }
        await memory.writeAtomically(p, b);
      },
    };
    const notified: number[] = [];
    const out = new CollectSink<string>();
    const connectors = defaultConnectorRegistry().registerSink('observed', (_p, ctx) => {
      const inner = out.writer(ctx.subtaskIndex, ctx.checkpointing);
      return {
        ...inner,
        notifyCheckpointComplete: (id: number) => {
          notified.push(id);
          return inner.notifyCheckpointComplete!(id);
        },
      };
    });
    const events = new RunEvents();
    const job = countingJob({ backend: 'heap', source: SOURCE, sink: { kind: 'observed' }, checkpoint: { tolerableFailedCheckpoints: 1 } });
    const stats = await new LocalExecutor({ connectors }).run(job, { checkpointStorage: storage, listener: events });
    expect(stats.attempts).toBe(1);
    expect(events.countedFailures).toEqual([expect.objectContaining({ checkpointId: 2, reason: 'io-error', consecutiveFailures: 1 })]);
    expect(events.countedFailures[0]!.message).toContain('EIO');
    expect(notified).not.toContain(2);
    expect(events.completedIds).not.toContain(2);
    expectExactlyOnce(out.values, expectedCounts(SOURCE));
  });

  // Regression (fixed in 964261a): the executor called listener callbacks detached, so a class-based
  // listener whose methods use `this` threw on every report, was logged and ignored, and got nothing.
  it('regression: a class-based JobListener receives its reports with `this` bound', async () => {
    class CountingListener implements JobListener {
      readonly completed: CheckpointSummary[] = [];
      onCheckpointCompleted(info: CheckpointSummary): void {
        this.completed.push(info);
      }
    }
    const listener = new CountingListener();
    const job = countingJob({ backend: 'heap', source: SOURCE, sink: new CollectSink<string>().spec() });
    const stats = await new LocalExecutor().run(job, { checkpointStorage: new MemoryCheckpointStorage(), listener });
    expect(listener.completed.length).toBe(stats.completedCheckpoints);
  });
});

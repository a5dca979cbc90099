/**
 * Process-level recovery from disk: a run stopped through its AbortSignal at some point of a
 * checkpoint, then a new run (a new executor, new connector objects) with the same checkpoint
 * directory, resumes from the newest completed checkpoint; with the transactional file sink the
 * committed output of both runs together is exactly-once. Snapshots are canonical, so the second run
 * may use the other state backend.
 */
import { describe, expect, it } from 'vitest';
import { readCommittedLines } from '../src/cli/committed-output.js';
import type { GeneratorOptions } from '../src/connectors/generator-source.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import type { FaultPoint } from '../src/runtime/subtask-snapshotter.js';
import type { StateBackendKind } from '../src/state/types.js';
import { jobDirectory } from '../src/storage/checkpoint-layout.js';
import { FsCheckpointStorage } from '../src/storage/checkpoint-store.js';
import { countingJob, expectExactlyOnce, expectedCounts } from './support/counting-job.js';
import { FaultPlan } from './support/fault-plan.js';
import { gatedConnectors, holdFrom } from './support/gated-generator.js';
import { inspectJobDirectory } from './support/job-directory.js';
import { RunEvents } from './support/run-events.js';
import { tempDirs } from './support/temp-dirs.js';
import { uncommittedFiles } from './support/transactional-output.js';

/** ~500 ms at the rate: a run stopped at checkpoint 2 has not reached the end of its input. */
const SOURCE: GeneratorOptions = { count: 20_000, keys: 40, seed: 51, ratePerSecond: 40_000 };
const EXPECTED = expectedCounts(SOURCE);
const JOB_ID = 'resumable';

interface StopCase {
  readonly name: string;
  /** Stop at this fault point of checkpoint 2 (the fault also throws, so the point is not passed), or after it completed. */
  readonly point: FaultPoint | 'completed';
  readonly subtask?: number;
  readonly occurrence?: number;
  readonly first: StateBackendKind;
  readonly second: StateBackendKind;
}

const STOPS: readonly StopCase[] = [
  { name: 'after checkpoint 2 completed', point: 'completed', first: 'heap', second: 'heap' },
  { name: 'in the synchronous part at a source', point: 'before-sync-snapshot', subtask: 0, occurrence: 1, first: 'wasm', second: 'wasm' },
  { name: 'in the synchronous part at a keyed subtask', point: 'after-sync-snapshot', subtask: 1, occurrence: 2, first: 'heap', second: 'wasm' },
  { name: 'during the async write', point: 'async-write', subtask: 0, first: 'wasm', second: 'heap' },
  { name: 'during the sink pre-commit', point: 'sink-pre-commit', subtask: 1, first: 'heap', second: 'wasm' },
  { name: 'after _metadata, before notify', point: 'after-metadata-before-notify', first: 'wasm', second: 'heap' },
  { name: 'during the sink commit', point: 'sink-commit', subtask: 0, first: 'heap', second: 'wasm' },
];

describe('stop, then resume from the same checkpoint directory', () => {
  const tmp = tempDirs();

  it.each(STOPS)('stopped $name ($first → $second): committed output of both runs is exactly-once', async (c) => {
    const checkpointDir = tmp('chk');
    const outDir = tmp('out');
    const sink = { kind: 'transactional-file', payload: { dir: outDir } };
    const ac = new AbortController();
    const stop = new Error('operator stopped the job');
    const plan =
      c.point === 'completed'
        ? undefined
        : new FaultPlan({ point: c.point, checkpointId: 2, ...(c.subtask === undefined ? {} : { subtask: c.subtask }), ...(c.occurrence === undefined ? {} : { occurrence: c.occurrence }) }, () => {
            ac.abort(stop);
            throw new Error(`crash at ${c.point}`);
          });
    const first = new RunEvents({
      completed: (info) => {
        if (c.point === 'completed' && info.checkpointId === 2) ac.abort(stop);
      },
    });
    // The end of the input waits for the stop, so checkpoint 2 comes first on any machine.
    const gate = holdFrom(SOURCE.count - 500, () => ac.signal.aborted);
    const run1 = new LocalExecutor({ connectors: gatedConnectors() }).run(countingJob({ backend: c.first, source: SOURCE, sink, jobName: 'first', gate }), {
      checkpointDir,
      jobId: JOB_ID,
      signal: ac.signal,
      listener: first,
      ...(plan === undefined ? {} : { faults: plan.inject }),
    });
    await expect(run1).rejects.toBe(stop);
    expect(first.restarts).toEqual([]); // a stop is not a failure to restart from
    const committedByFirst = (await readCommittedLines(outDir)).lines;
    expect(committedByFirst.length).toBeLessThan(EXPECTED.length);

    const storage = new FsCheckpointStorage(jobDirectory(checkpointDir, JOB_ID));
    const atStop = await inspectJobDirectory(storage, 1);
    const newest = Math.max(...atStop.completed.map((m) => m.checkpointId));
    expect(newest).toBeGreaterThanOrEqual(1);

    const second = new RunEvents();
    const stats = await new LocalExecutor().run(countingJob({ backend: c.second, source: SOURCE, sink, jobName: 'second' }), {
      checkpointDir,
      jobId: JOB_ID,
      listener: second,
    });
    expect(stats.attempts).toBe(1);
    expect(stats.restoredCheckpointId).toBe(newest);
    expect(second.restored[0]!.checkpointId).toBe(newest);
    // A damaged newer checkpoint would be listed here; a stop only ever leaves incomplete ones.
    expect(second.restored[0]!.rejected.every((r) => r.reasons.every((why) => why.kind === 'incomplete'))).toBe(true);
    // New checkpoint ids continue above everything on disk.
    expect(Math.min(...second.completedIds)).toBeGreaterThan(newest);

    expectExactlyOnce((await readCommittedLines(outDir)).lines, EXPECTED);
    expect(uncommittedFiles(outDir)).toEqual([]);
    const dir = await inspectJobDirectory(storage, 1);
    expect(dir.problems).toEqual([]);
    expect(dir.completed.map((m) => m.checkpointId)).toEqual([second.completedIds.at(-1)]);
  });

  it('a finished job run again resumes from its final checkpoint and commits nothing more', async () => {
    const checkpointDir = tmp('chk');
    const outDir = tmp('out');
    const sink = { kind: 'transactional-file', payload: { dir: outDir } };
    const small: GeneratorOptions = { count: 2000, keys: 20, seed: 3 };
    const first = await new LocalExecutor().run(countingJob({ backend: 'wasm', source: small, sink }), { checkpointDir, jobId: JOB_ID });
    expect(first.restoredCheckpointId).toBeUndefined();
    const again = new RunEvents();
    const second = await new LocalExecutor().run(countingJob({ backend: 'wasm', source: small, sink }), { checkpointDir, jobId: JOB_ID, listener: again });
    expect(second.restoredCheckpointId).toBeGreaterThanOrEqual(first.completedCheckpoints);
    expectExactlyOnce((await readCommittedLines(outDir)).lines, expectedCounts(small));
  });
});

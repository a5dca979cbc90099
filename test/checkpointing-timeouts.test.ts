/**
 * Checkpoint timeouts and tolerable failures, with a sink whose pre-commit (snapshotState) stalls: the
 * stalled checkpoint is aborted with reason 'timeout' and counted; its files are removed; within
 * `tolerableFailedCheckpoints` the job carries on, beyond it the job fails and restarts per its
 * strategy (or fails for good with 'none'), keeping the last completed checkpoint.
 */
import { describe, expect, it } from 'vitest';
import type { RestartStrategyConfig } from '../src/checkpoint/restart-config.js';
import { CheckpointError } from '../src/checkpoint/checkpoint-failure.js';
import { CollectSink } from '../src/connectors/collect-sink.js';
import type { GeneratorOptions } from '../src/connectors/generator-source.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import type { StateBackendKind } from '../src/state/types.js';
import { MemoryCheckpointStorage } from '../src/storage/checkpoint-store.js';
import { BACKEND_KINDS } from './support/backends.js';
import { countingJob, expectExactlyOnce, expectedCounts } from './support/counting-job.js';
import { GuardedStorage, inspectJobDirectory, parseSegmentName } from './support/job-directory.js';
import { RunEvents } from './support/run-events.js';
import { STALLING_SINK, Stalls, stallingConnectors } from './support/stalling-sink.js';

const SOURCE: GeneratorOptions = { count: 6000, keys: 40, seed: 21, ratePerSecond: 40_000 };
const EXPECTED = expectedCounts(SOURCE);
/** Never ends: for runs that end by failing or being stopped, so no final checkpoint interferes. */
const ENDLESS_SOURCE: GeneratorOptions = { ...SOURCE, count: Infinity };
/** Far above a normal checkpoint's duration (a few ms to ~25 ms, ~100 ms on a loaded machine), so only stalled ones time out. */
const TIMEOUT_MS = 250;

interface TimeoutRun {
  readonly backend: StateBackendKind;
  readonly stallIds: readonly number[];
  readonly tolerable: number;
  readonly restartStrategy?: RestartStrategyConfig;
  /** Release a stalled pre-commit when its checkpoint is reported failed (default true). */
  readonly releaseOnFailure?: boolean;
  readonly signal?: AbortSignal;
  /** Default 5 ms. Above TIMEOUT_MS, no checkpoint is due in the tick that expires one. */
  readonly intervalMs?: number;
  readonly source?: GeneratorOptions;
  /** Called when a checkpoint is reported failed, after the stall is released. */
  readonly onFailed?: (checkpointId: number) => void;
}

function startTimeoutRun(o: TimeoutRun) {
  const storage = new GuardedStorage(new MemoryCheckpointStorage(), 1);
  const out = new CollectSink<string>();
  const stalls = new Stalls(new Set(o.stallIds));
  const events = new RunEvents({
    failed: (f) => {
      if (o.releaseOnFailure !== false) stalls.release(f.checkpointId);
      o.onFailed?.(f.checkpointId);
    },
  });
  const job = countingJob({
    backend: o.backend,
    source: o.source ?? SOURCE,
    sink: STALLING_SINK,
    checkpoint: { intervalMs: o.intervalMs ?? 5, timeoutMs: TIMEOUT_MS, tolerableFailedCheckpoints: o.tolerable },
    ...(o.restartStrategy === undefined ? {} : { restartStrategy: o.restartStrategy }),
  });
  const run = new LocalExecutor({ connectors: stallingConnectors(out, stalls) }).run(job, {
    checkpointStorage: storage,
    listener: events,
    ...(o.signal === undefined ? {} : { signal: o.signal }),
  });
  return { run, storage, out, stalls, events };
}

/** Files on disk that checkpoint `id` wrote: its directory's and its segments. */
async function filesOfCheckpoint(storage: GuardedStorage, id: number): Promise<string[]> {
  const dir = await inspectJobDirectory(storage, Infinity);
  return [...dir.listing.directories, ...dir.listing.files.keys()].filter(
    (p) => p === `chk-${id}` || p.startsWith(`chk-${id}/`) || parseSegmentName(p)?.checkpointId === id,
  );
}

describe('a checkpoint that times out', () => {
  it.each(BACKEND_KINDS)('%s: is aborted as timeout, counted, its files removed; within tolerance the job continues', async (backend) => {
    const { run, storage, out, stalls, events } = startTimeoutRun({ backend, stallIds: [2], tolerable: 1 });
    const stats = await run;
    expect(stalls.stalled).toEqual([2]);
    expect(stats.attempts).toBe(1);
    expect(events.countedFailures).toEqual([expect.objectContaining({ checkpointId: 2, reason: 'timeout', consecutiveFailures: 1 })]);
    expect(events.countedFailures[0]!.message).toContain(`not acknowledged within ${TIMEOUT_MS} ms`);
    expect(events.countedFailures[0]!.message).toContain('out#0'); // names the straggler
    expect(events.completedIds).not.toContain(2);
    expect(events.completedIds.some((id) => id > 2)).toBe(true);
    // The coordinator deleted its directory when aborting it, and nothing of it is left at the end.
    expect(storage.deleted).toContain('chk-2');
    expect(await filesOfCheckpoint(storage, 2)).toEqual([]);
    expect(storage.violations).toEqual([]);
    expect((await inspectJobDirectory(storage, 1)).problems).toEqual([]);
    expectExactlyOnce(out.values, EXPECTED);
  });

  it('with tolerableFailedCheckpoints = 0 the job fails and restarts from the last completed checkpoint', async () => {
    const { run, storage, out, events } = startTimeoutRun({ backend: 'wasm', stallIds: [2], tolerable: 0 });
    const stats = await run;
    expect(stats.attempts).toBe(2);
    const error = events.restarts[0]!.error;
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).reason).toBe('timeout');
    expect((error as CheckpointError).checkpointId).toBe(2);
    expect((error as Error).message).toContain('tolerableFailedCheckpoints=0');
    expect(events.restored[1]!.checkpointId).toBe(1);
    expectExactlyOnce(out.values, EXPECTED);
    expect((await inspectJobDirectory(storage, 1)).problems).toEqual([]);
  });

  it('two timeouts in a row exceed tolerableFailedCheckpoints = 1; with restart strategy none the job fails and checkpoint 1 stays restorable', async () => {
    const { run, storage, events } = startTimeoutRun({ backend: 'heap', stallIds: [2, 3], tolerable: 1, restartStrategy: { type: 'none' }, source: ENDLESS_SOURCE });
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(events.countedFailures.map((f) => [f.checkpointId, f.reason, f.consecutiveFailures])).toEqual([
      [2, 'timeout', 1],
      [3, 'timeout', 2],
    ]);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).reason).toBe('timeout');
    expect((error as Error).message).toContain('2 checkpoint failure(s) in a row exceed tolerableFailedCheckpoints=1');
    expect((error as Error).message).toContain('restart strategy is none');
    const dir = await inspectJobDirectory(storage, 1);
    expect(dir.completed.map((m) => m.checkpointId)).toEqual([1]);
    expect(dir.problems).toEqual([]);
    expect(await filesOfCheckpoint(storage, 2)).toEqual([]);
    expect(await filesOfCheckpoint(storage, 3)).toEqual([]);
  });

  // Regression (fixed in 964261a): CheckpointCoordinator.tick expired checkpoints (setting `fatal`) and
  // then still asked the trigger, so the next checkpoint was triggered in the same tick; it was aborted
  // as the attempt ended, or even completed (committing the sinks) after the job was declared failed.
  it('regression: no checkpoint is triggered once the tolerance is exceeded', async () => {
    const { run, events } = startTimeoutRun({ backend: 'heap', stallIds: [2, 3], tolerable: 1, restartStrategy: { type: 'none' }, source: ENDLESS_SOURCE });
    await expect(run).rejects.toBeInstanceOf(CheckpointError);
    const ids = [...events.completedIds, ...events.failed.map((f) => f.checkpointId)];
    expect(Math.max(...ids)).toBe(3);
  });

  // Regression (fixed in 964261a): the coordinator deleted chk-<n> when aborting n, but the stalled
  // subtask's late write of chk-<n>/…op recreated the directory and the late acknowledgement deleted
  // only the file, leaving an empty chk-<n> (forever, when the job then stopped or failed for good).
  it('regression: a timed-out checkpoint leaves no empty chk-<n> behind when its stalled subtask finishes after the abort', async () => {
    const ac = new AbortController();
    const stop = new Error('stop');
    // Interval > timeout, and the job stops as soon as checkpoint 2 timed out: nothing completes
    // after it that could clean up.
    const { run, storage } = startTimeoutRun({
      backend: 'heap',
      stallIds: [2],
      tolerable: 1,
      intervalMs: TIMEOUT_MS + 20,
      source: ENDLESS_SOURCE,
      signal: ac.signal,
      onFailed: (id) => id === 2 && ac.abort(stop),
    });
    await expect(run).rejects.toBe(stop);
    const dir = await inspectJobDirectory(storage, 1);
    expect(dir.completed.map((m) => m.checkpointId)).toEqual([1]);
    expect([...dir.listing.directories].filter((d) => /^chk-\d+$/.test(d))).toEqual(['chk-1']);
  });

  // Regression (fixed in 964261a, teardown now waits at most 1 s for them): runAttempt's finally awaited
  // every queued sink call, so a sink call that never settled kept the attempt from ending; neither the
  // restart the exceeded tolerance asks for nor a stop through the signal ever happened.
  it('regression: a pre-commit that never returns does not hang the job: the exceeded tolerance fails it', async () => {
    const { run, stalls } = startTimeoutRun({ backend: 'heap', stallIds: [2], tolerable: 0, restartStrategy: { type: 'none' }, releaseOnFailure: false, source: ENDLESS_SOURCE });
    const outcome = await Promise.race([
      run.then(
        () => 'finished',
        (e: unknown) => (e instanceof CheckpointError ? 'failed with the timeout' : `failed: ${String(e)}`),
      ),
      new Promise<string>((r) => setTimeout(() => r('still running 3 s after the start'), 30 * TIMEOUT_MS)),
    ]);
    stalls.releaseAll();
    await run.catch(() => undefined);
    expect(outcome).toBe('failed with the timeout');
  });

  it('regression: a pre-commit that never returns does not keep an abort signal from stopping the job', async () => {
    const ac = new AbortController();
    const { run, stalls } = startTimeoutRun({ backend: 'heap', stallIds: [2], tolerable: 5, releaseOnFailure: false, signal: ac.signal, source: ENDLESS_SOURCE });
    const reason = new Error('stop');
    setTimeout(() => ac.abort(reason), 3 * TIMEOUT_MS);
    const outcome = await Promise.race([
      run.then(
        () => 'finished',
        (e: unknown) => (e === reason ? 'stopped' : `failed: ${String(e)}`),
      ),
      new Promise<string>((r) => setTimeout(() => r('still running 3 s after the abort'), 33 * TIMEOUT_MS)),
    ]);
    stalls.releaseAll();
    await run.catch(() => undefined);
    expect(outcome).toBe('stopped');
  });
});

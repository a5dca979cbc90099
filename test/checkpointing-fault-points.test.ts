/**
 * A failure at every named point of a checkpoint (FaultPoint) is survived with exactly-once output:
 * the job restarts once from the newest durable checkpoint, the sink commits every count exactly
 * once, and the checkpoint directory ends consistent (no orphan chk-<n>, no unreferenced segment, no
 * file of a retained checkpoint ever deleted).
 */
import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../src/checkpoint/checkpoint-failure.js';
import { readCommittedLines } from '../src/cli/committed-output.js';
import { CollectSink } from '../src/connectors/collect-sink.js';
import type { GeneratorOptions } from '../src/connectors/generator-source.js';
import { JobExecutionError, LocalExecutor } from '../src/runtime/local-executor.js';
import type { FaultInjector } from '../src/runtime/subtask-snapshotter.js';
import { jobDirectory } from '../src/storage/checkpoint-layout.js';
import { FsCheckpointStorage, MemoryCheckpointStorage, type CheckpointStorage } from '../src/storage/checkpoint-store.js';
import { BACKEND_KINDS } from './support/backends.js';
import { countingJob, expectExactlyOnce, expectedCounts } from './support/counting-job.js';
import { throwOnceAt, type FaultTarget } from './support/fault-plan.js';
import { gatedConnectors, holdFrom } from './support/gated-generator.js';
import { GuardedStorage, inspectJobDirectory } from './support/job-directory.js';
import { RunEvents } from './support/run-events.js';
import { tempDirs } from './support/temp-dirs.js';
import { uncommittedFiles } from './support/transactional-output.js';

/** Rate-limited so a run lasts at least 100 ms: a dozen or more checkpoints at a 5 ms interval. */
const SOURCE: GeneratorOptions = { count: 6000, keys: 40, seed: 11, ratePerSecond: 60_000 };
const EXPECTED = expectedCounts(SOURCE);
const connectors = gatedConnectors();

/** Holds back the last 500 records until `done()`: the checkpoint a test targets comes before the end, however slow the machine. */
const untilDone = (done: () => boolean) => holdFrom(SOURCE.count - 500, done);

/** The error and every `cause` below it. */
function causeChain(error: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = error; e !== undefined && out.length < 10; e = (e as { cause?: unknown }).cause) out.push(e);
  return out;
}

interface FaultCase {
  readonly name: string;
  readonly target: FaultTarget;
}

// Parallelism 2: at a snapshot point, occurrence 1 of a subtask index is the source subtask (sources
// snapshot when the checkpoint is triggered), occurrence 2 the keyed + sink subtask with that index.
const FAULT_CASES: readonly FaultCase[] = [
  { name: 'before the synchronous part, at a source', target: { point: 'before-sync-snapshot', checkpointId: 3, subtask: 0, occurrence: 1 } },
  { name: 'before the synchronous part, at a keyed subtask', target: { point: 'before-sync-snapshot', checkpointId: 3, subtask: 1, occurrence: 2 } },
  { name: 'after the synchronous part, at a source', target: { point: 'after-sync-snapshot', checkpointId: 3, subtask: 1, occurrence: 1 } },
  { name: 'after the synchronous part, at a keyed subtask', target: { point: 'after-sync-snapshot', checkpointId: 3, subtask: 0, occurrence: 2 } },
  { name: 'during the async write (declined; tolerable 0)', target: { point: 'async-write', checkpointId: 3, subtask: 0 } },
  { name: 'after _metadata, before notify', target: { point: 'after-metadata-before-notify', checkpointId: 3 } },
  { name: 'during the sink pre-commit', target: { point: 'sink-pre-commit', checkpointId: 3, subtask: 1 } },
  { name: 'during the sink commit', target: { point: 'sink-commit', checkpointId: 3, subtask: 0 } },
];

describe('a failure at each checkpoint fault point', () => {
  const cases = BACKEND_KINDS.flatMap((backend) => FAULT_CASES.map((c) => ({ backend, ...c })));

  it.each(cases)('$backend: $name → one restart, exactly-once output, consistent directory', async ({ backend, target }) => {
    const storage = new GuardedStorage(new MemoryCheckpointStorage(), 1);
    const out = new CollectSink<string>();
    const fault = throwOnceAt(target);
    let durableAtRestart: number | undefined;
    const events = new RunEvents({
      restart: () => {
        durableAtRestart = Math.max(...storage.metadataWritten.map((m) => m.checkpointId));
      },
    });
    const job = countingJob({ backend, source: SOURCE, sink: out.spec(), gate: untilDone(() => fault.fired) });
    const stats = await new LocalExecutor({ connectors }).run(job, {
      checkpointStorage: storage,
      faults: fault.inject,
      listener: events,
    });

    expect(fault.fired, `fault never reached; calls: ${fault.calls.slice(0, 20).join(' ')}`).toBe(true);
    expect(stats.attempts, events.log.join('\n')).toBe(2);
    expect(events.restarts).toHaveLength(1);
    // The restart carries the injected error (as the task's error, or as the cause of the checkpoint failure).
    expect(causeChain(events.restarts[0]!.error)).toContain(fault.error);
    // The second attempt resumed from the newest checkpoint whose _metadata was durable, not an older one.
    expect(durableAtRestart).toBeGreaterThanOrEqual(2);
    expect(events.restored.map((r) => r.checkpointId)).toEqual([undefined, durableAtRestart]);

    expectExactlyOnce(out.values, EXPECTED);
    expect(storage.violations).toEqual([]);
    const dir = await inspectJobDirectory(storage, 1);
    expect(dir.problems).toEqual([]);
    expect(dir.completed.map((m) => m.checkpointId)).toEqual([events.completedIds.at(-1)]);
    expect(events.completed.at(-1)?.final).toBe(true);
  });

  it('after _metadata but before notify: the checkpoint counts as completed, and its pending output is committed by the restore', async () => {
    const storage = new GuardedStorage(new MemoryCheckpointStorage(), 1);
    const out = new CollectSink<string>();
    const fault = throwOnceAt({ point: 'after-metadata-before-notify', checkpointId: 2 });
    let committedAtFailure = -1;
    const events = new RunEvents({ restart: () => (committedAtFailure = out.values.length) });
    const job = countingJob({ backend: 'heap', source: SOURCE, sink: out.spec(), gate: untilDone(() => fault.fired) });
    const stats = await new LocalExecutor({ connectors }).run(job, {
      checkpointStorage: storage,
      faults: fault.inject,
      listener: events,
    });
    expect(stats.attempts).toBe(2);
    expect(events.restarts[0]!.error).toBe(fault.error);
    // Checkpoint 2 was never announced nor notified, yet it is what the restart restored.
    expect(events.completedIds).not.toContain(2);
    expect(events.restored[1]!.checkpointId).toBe(2);
    // Only checkpoint 1's output had been committed when the job failed.
    expect(committedAtFailure).toBeLessThan(EXPECTED.length);
    expectExactlyOnce(out.values, EXPECTED);
  });
});

describe('a declined checkpoint (failure during the async write)', () => {
  it.each(BACKEND_KINDS)('%s: within tolerableFailedCheckpoints the job continues without a restart, and the failure is counted', async (backend) => {
    const storage = new GuardedStorage(new MemoryCheckpointStorage(), 1);
    const out = new CollectSink<string>();
    const fault = throwOnceAt({ point: 'async-write', checkpointId: 3, subtask: 1 });
    const events = new RunEvents();
    const job = countingJob({ backend, source: SOURCE, sink: out.spec(), checkpoint: { tolerableFailedCheckpoints: 1 }, gate: untilDone(() => fault.fired) });
    const stats = await new LocalExecutor({ connectors }).run(job, { checkpointStorage: storage, faults: fault.inject, listener: events });

    expect(fault.fired).toBe(true);
    expect(stats.attempts).toBe(1);
    expect(events.restarts).toEqual([]);
    expect(events.countedFailures).toEqual([
      expect.objectContaining({ checkpointId: 3, reason: 'declined', consecutiveFailures: 1 }),
    ]);
    expect(events.countedFailures[0]!.message).toContain(fault.error.message);
    // Later checkpoints complete (and reset the count): the declined one only cost its own id.
    expect(events.completedIds.filter((id) => id > 3).length).toBeGreaterThan(0);
    expect(events.completedIds).not.toContain(3);
    expectExactlyOnce(out.values, EXPECTED);
    expect(storage.violations).toEqual([]);
    const dir = await inspectJobDirectory(storage, 1);
    expect(dir.problems).toEqual([]);
  });

  // Regression (fixed in 964261a): SubtaskSnapshotter.writeAndAck wrote a segment, then advanceChain
  // threw because the coordinator's abort had invalidated the chain meanwhile; the decline did not
  // carry the written segment, so nothing deleted it and it stayed unreferenced in shared/.
  it('regression: a checkpoint declined by one subtask while another is still writing leaves no orphan segment in shared/', async () => {
    const memory = new MemoryCheckpointStorage();
    // Segment writes take 50 ms, so the first keyed subtask to snapshot checkpoint 3 is still writing
    // it when the second one declines it (whichever index comes second: occurrence 2, any subtask).
    const slowSegments: CheckpointStorage = {
      list: (d) => memory.list(d),
      read: (p) => memory.read(p),
      delete: (p) => memory.delete(p),
      writeAtomically: async (p, b) => {
        if (p.startsWith('shared/')) await new Promise((r) => setTimeout(r, 50));
        await memory.writeAtomically(p, b);
      },
    };
    const fault = throwOnceAt({ point: 'async-write', checkpointId: 3, occurrence: 2 });
    const events = new RunEvents();
    const job = countingJob({
      backend: 'heap',
      source: SOURCE,
      sink: new CollectSink<string>().spec(),
      checkpoint: { tolerableFailedCheckpoints: 1 },
      gate: untilDone(() => fault.fired),
    });
    const stats = await new LocalExecutor({ connectors }).run(job, { checkpointStorage: slowSegments, faults: fault.inject, listener: events });
    expect(stats.attempts).toBe(1);
    expect(events.countedFailures.map((f) => f.checkpointId)).toEqual([3]);
    const dir = await inspectJobDirectory(memory, 1);
    expect(dir.problems).toEqual([]);
  });

  it('two declined checkpoints in a row exceed tolerableFailedCheckpoints = 1: the job restarts, with consecutive counts 1 then 2', async () => {
    const storage = new GuardedStorage(new MemoryCheckpointStorage(), 1);
    const out = new CollectSink<string>();
    const declined = new Set<number>();
    const error = new Error('disk full');
    // Declines checkpoints 3 and 4 (once each) at keyed subtask 0.
    const faults: FaultInjector = (point, id, subtask) => {
      if (point === 'async-write' && (id === 3 || id === 4) && subtask === 0 && !declined.has(id)) {
        declined.add(id);
        throw error;
      }
    };
    const events = new RunEvents();
    const job = countingJob({ backend: 'wasm', source: SOURCE, sink: out.spec(), checkpoint: { tolerableFailedCheckpoints: 1 }, gate: untilDone(() => declined.size === 2) });
    const stats = await new LocalExecutor({ connectors }).run(job, { checkpointStorage: storage, faults, listener: events });

    expect([...declined]).toEqual([3, 4]);
    expect(events.countedFailures.map((f) => [f.checkpointId, f.reason, f.consecutiveFailures])).toEqual([
      [3, 'declined', 1],
      [4, 'declined', 2],
    ]);
    expect(stats.attempts).toBe(2);
    const restartError = events.restarts[0]!.error;
    expect(restartError).toBeInstanceOf(CheckpointError);
    expect((restartError as CheckpointError).reason).toBe('declined');
    expect((restartError as Error).message).toContain('tolerableFailedCheckpoints=1');
    expect(causeChain(restartError)).toContain(error);
    expectExactlyOnce(out.values, EXPECTED);
    expect((await inspectJobDirectory(storage, 1)).problems).toEqual([]);
  });
});

describe('fault points with the transactional file sink and checkpoints on disk', () => {
  const tmp = tempDirs();
  const points: readonly FaultCase[] = [
    { name: 'after _metadata, before notify', target: { point: 'after-metadata-before-notify', checkpointId: 3 } },
    { name: 'during the sink commit', target: { point: 'sink-commit', checkpointId: 3, subtask: 1 } },
    { name: 'during the sink pre-commit', target: { point: 'sink-pre-commit', checkpointId: 3, subtask: 0 } },
    { name: 'during the async write', target: { point: 'async-write', checkpointId: 3, subtask: 1 } },
  ];

  it.each(points)('$name: committed part files hold every count once, nothing left pending', async ({ target }) => {
    const checkpointDir = tmp('chk');
    const outDir = tmp('out');
    const fault = throwOnceAt(target);
    const events = new RunEvents();
    const job = countingJob({
      backend: 'wasm',
      source: SOURCE,
      sink: { kind: 'transactional-file', payload: { dir: outDir } },
      checkpoint: { retainedCheckpoints: 2 },
      gate: untilDone(() => fault.fired),
    });
    const stats = await new LocalExecutor({ connectors }).run(job, { checkpointDir, jobId: 'fp', faults: fault.inject, listener: events });

    expect(fault.fired).toBe(true);
    expect(stats.attempts).toBe(2);
    expectExactlyOnce((await readCommittedLines(outDir)).lines, EXPECTED);
    expect(uncommittedFiles(outDir)).toEqual([]);
    const dir = await inspectJobDirectory(new FsCheckpointStorage(jobDirectory(checkpointDir, 'fp')), 2);
    expect(dir.problems).toEqual([]);
    expect(dir.completed).toHaveLength(2);
  });

  it('a failure raised by the job is a JobExecutionError naming the subtask when it comes from a task', async () => {
    const fault = throwOnceAt({ point: 'sink-commit', checkpointId: 2, subtask: 1 });
    const events = new RunEvents();
    const job = countingJob({ backend: 'heap', source: SOURCE, sink: new CollectSink<string>().spec(), gate: untilDone(() => fault.fired) });
    await new LocalExecutor({ connectors }).run(job, { checkpointStorage: new MemoryCheckpointStorage(), faults: fault.inject, listener: events });
    const error = events.restarts[0]?.error;
    expect(error).toBeInstanceOf(JobExecutionError);
    expect((error as JobExecutionError).cause).toBe(fault.error);
    expect((error as JobExecutionError).subtaskId).toMatch(/\.1$/);
  });
});

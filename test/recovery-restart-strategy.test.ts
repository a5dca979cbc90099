/**
 * A user function that throws fails its task and the job restarts per its restart strategy, from the
 * latest completed checkpoint; once the strategy gives up the run rejects with a JobExecutionError
 * whose cause is the user's own error (same object, stack intact) and the last completed checkpoint
 * stays on disk for the next run. The strategies' delays and windows as the executor applies them,
 * with a fake clock where time matters.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RestartStrategyConfig } from '../src/checkpoint/restart-config.js';
import { createRestartStrategy } from '../src/checkpoint/restart-strategy.js';
import { CollectSink } from '../src/connectors/collect-sink.js';
import type { GeneratedRecord, GeneratorOptions } from '../src/connectors/generator-source.js';
import { mulberry32 } from '../src/random/mulberry32.js';
import { JobExecutionError, LocalExecutor } from '../src/runtime/local-executor.js';
import { MemoryCheckpointStorage } from '../src/storage/checkpoint-store.js';
import { BACKEND_KINDS } from './support/backends.js';
import { countingJob, expectExactlyOnce, expectedCounts } from './support/counting-job.js';
import { gatedConnectors, holdFrom } from './support/gated-generator.js';
import { inspectJobDirectory } from './support/job-directory.js';
import { RunEvents } from './support/run-events.js';

/** ~100 ms at the rate; record 1500 comes after a few checkpoints. */
const SOURCE: GeneratorOptions = { count: 6000, keys: 40, seed: 81, ratePerSecond: 60_000 };
const EXPECTED = expectedCounts(SOURCE);
/** Unthrottled and short: for runs that fail many times and are about the strategy only. */
const QUICK: GeneratorOptions = { count: 1500, keys: 20, seed: 82 };

/** A user function failing at record `id`, `times` times (Infinity: always); keeps every error it threw. */
function cursedRecord(id: number, times: number) {
  const thrown: Error[] = [];
  function rejectCursedRecord(r: GeneratedRecord): void {
    if (r.id === id && thrown.length < times) {
      const e = new RangeError(`record ${id} is cursed (#${thrown.length + 1})`);
      thrown.push(e);
      throw e;
    }
  }
  return { thrown, onElement: rejectCursedRecord };
}

async function runFailing(o: {
  source?: GeneratorOptions;
  restartStrategy: RestartStrategyConfig;
  failAt: number;
  times: number;
  storage?: MemoryCheckpointStorage;
  out?: CollectSink<string>;
  random?: () => number;
  /** Hold the failing record back until a checkpoint completed. */
  checkpointFirst?: boolean;
}) {
  const curse = cursedRecord(o.failAt, o.times);
  const events = new RunEvents();
  const gate = o.checkpointFirst === true ? holdFrom(o.failAt, () => events.completed.length > 0) : undefined;
  const out = o.out ?? new CollectSink<string>();
  const storage = o.storage ?? new MemoryCheckpointStorage();
  const job = countingJob({
    backend: 'heap',
    source: o.source ?? QUICK,
    sink: out.spec(),
    restartStrategy: o.restartStrategy,
    onElement: curse.onElement,
    // A fake clock may jump by hours: no checkpoint may expire because of it.
    checkpoint: { timeoutMs: 24 * 3_600_000 },
    ...(gate === undefined ? {} : { gate }),
  });
  const result = await new LocalExecutor({ connectors: gatedConnectors() }).run(job, { checkpointStorage: storage, listener: events, ...(o.random === undefined ? {} : { random: o.random }) }).then(
    (stats) => ({ stats, error: undefined }),
    (error: unknown) => ({ stats: undefined, error }),
  );
  return { ...result, events, out, storage, thrown: curse.thrown };
}

describe('a user function that throws', () => {
  it.each(BACKEND_KINDS)('%s: fails the task; the job restarts from the latest completed checkpoint and the output stays exactly-once', async (backend) => {
    const curse = cursedRecord(3000, 1);
    const out = new CollectSink<string>();
    let latestBeforeFailure: number | undefined;
    const events = new RunEvents({ restart: (_r, ev) => (latestBeforeFailure = ev.completedIds.at(-1)) });
    // Record 3000 waits for a completed checkpoint, so there is one to restart from on any machine.
    const gate = holdFrom(3000, () => events.completed.length > 0);
    const job = countingJob({ backend, source: SOURCE, sink: out.spec(), onElement: curse.onElement, gate });
    const stats = await new LocalExecutor({ connectors: gatedConnectors() }).run(job, { checkpointStorage: new MemoryCheckpointStorage(), listener: events });
    expect(stats.attempts).toBe(2);
    const error = events.restarts[0]!.error as JobExecutionError;
    expect(error).toBeInstanceOf(JobExecutionError);
    expect(error.cause).toBe(curse.thrown[0]);
    expect(error.taskName).toContain('KeyedProcess');
    expect(latestBeforeFailure).toBeGreaterThan(0);
    expect(events.restored[1]!.checkpointId).toBe(latestBeforeFailure);
    expectExactlyOnce(out.values, EXPECTED);
  });

  it("once the strategy is exhausted: rejects with the user's error (same object, stack intact), and the last completed checkpoint stays on disk and resumes", async () => {
    const storage = new MemoryCheckpointStorage();
    const out = new CollectSink<string>();
    const { error, events, thrown } = await runFailing({
      source: SOURCE,
      restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 0 },
      failAt: 1500,
      times: Infinity,
      storage,
      out,
      checkpointFirst: true,
    });
    expect(thrown).toHaveLength(3); // the first attempt and two restarts
    expect(error).toBeInstanceOf(JobExecutionError);
    const e = error as JobExecutionError;
    expect(e.cause).toBe(thrown[2]);
    expect((e.cause as Error).stack).toContain('rejectCursedRecord');
    expect(e.message).toContain('record 1500 is cursed (#3)');
    expect(e.notRestartedBecause).toBe('fixed-delay restart strategy exhausted its attempts (2)');
    expect(e.message).toContain('(fixed-delay restart strategy exhausted its attempts (2))');
    expect(events.restarts.map((r) => (r.error as JobExecutionError).cause)).toEqual([thrown[0], thrown[1]]);

    const latest = Math.max(...events.completedIds);
    const dir = await inspectJobDirectory(storage, 1);
    expect(dir.problems).toEqual([]);
    expect(dir.completed.map((m) => m.checkpointId)).toEqual([latest]);
    // Every restart restored the newest checkpoint completed before it, and so does a new run, which
    // then finishes exactly-once.
    expect(events.restored.slice(1).map((r) => r.checkpointId)).toEqual(events.latestCompletedAtEachRestart());
    const resumed = await new LocalExecutor().run(countingJob({ backend: 'wasm', source: SOURCE, sink: out.spec() }), { checkpointStorage: storage });
    expect(resumed.restoredCheckpointId).toBe(latest);
    expectExactlyOnce(out.values, EXPECTED);
  });

  it("with restart strategy none the first failure rejects with the user's error", async () => {
    const { error, events, thrown } = await runFailing({ restartStrategy: { type: 'none' }, failAt: 700, times: Infinity });
    expect(events.restarts).toEqual([]);
    expect((error as JobExecutionError).cause).toBe(thrown[0]);
    expect((error as JobExecutionError).notRestartedBecause).toBe('restart strategy is none: the job is not restarted');
  });
});

describe('restart strategies as the executor applies them', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('exponential-delay: the delays grow by the multiplier up to the cap', async () => {
    const { stats, events } = await runFailing({
      restartStrategy: { type: 'exponential-delay', initialBackoffMs: 1, backoffMultiplier: 2, maxBackoffMs: 8, jitterFactor: 0 },
      failAt: 900,
      times: 5,
    });
    expect(stats?.attempts).toBe(6);
    expect(events.restarts.map((r) => r.delayMs)).toEqual([1, 2, 4, 8, 8]);
    expect(events.restarts.map((r) => r.attempt)).toEqual([2, 3, 4, 5, 6]);
  });

  it('exponential-delay: the jitter comes from the executor’s `random` option', async () => {
    const config: RestartStrategyConfig = { type: 'exponential-delay', initialBackoffMs: 4, backoffMultiplier: 2, maxBackoffMs: 40, jitterFactor: 0.5 };
    const { events } = await runFailing({ restartStrategy: config, failAt: 900, times: 4, random: mulberry32(7) });
    const reference = createRestartStrategy(config, { random: mulberry32(7) });
    const expected = [0, 1, 2, 3].map(() => {
      const d = reference.onFailure(0);
      return d.restart ? d.delayMs : -1;
    });
    expect(events.restarts.map((r) => r.delayMs)).toEqual(expected);
    expect(new Set(expected).size).toBeGreaterThan(1);
  });

  it('fixed-delay: the next attempt starts no earlier than delayMs after the failure', async () => {
    let restartAt = 0;
    let restoredAt = 0;
    const curse = cursedRecord(900, 1);
    const events = new RunEvents({ restart: () => (restartAt = performance.now()) });
    const listener = {
      ...events,
      onRestored: (info: Parameters<RunEvents['onRestored']>[0]) => {
        if (info.attempt === 2) restoredAt = performance.now();
        events.onRestored(info);
      },
    };
    const job = countingJob({ backend: 'heap', source: QUICK, sink: new CollectSink<string>().spec(), onElement: curse.onElement, restartStrategy: { type: 'fixed-delay', attempts: 1, delayMs: 60 } });
    const stats = await new LocalExecutor().run(job, { checkpointStorage: new MemoryCheckpointStorage(), listener });
    expect(stats.attempts).toBe(2);
    expect(events.restarts[0]!.delayMs).toBe(60);
    // Timers may fire up to a millisecond early against performance.now().
    expect(restoredAt - restartAt).toBeGreaterThanOrEqual(59);
  });

  it('an abort during the restart delay stops the run at once', async () => {
    const ac = new AbortController();
    const stop = new Error('stop while waiting to restart');
    const curse = cursedRecord(900, Infinity);
    const events = new RunEvents({ restart: () => setTimeout(() => ac.abort(stop), 5) });
    const job = countingJob({ backend: 'heap', source: QUICK, sink: new CollectSink<string>().spec(), onElement: curse.onElement, restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 60_000 } });
    const started = performance.now();
    await expect(new LocalExecutor().run(job, { checkpointStorage: new MemoryCheckpointStorage(), listener: events, signal: ac.signal })).rejects.toBe(stop);
    expect(events.restarts).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  describe('with a fake clock (performance.now moved forward by hours)', () => {
    /** Real time plus `offset`, so the scheduler keeps working while the strategies see hours pass. */
    function fakeClock(): { advance(ms: number): void } {
      const real = performance.now.bind(performance);
      let offset = 0;
      vi.spyOn(performance, 'now').mockImplementation(() => real() + offset);
      return { advance: (ms) => (offset += ms) };
    }
    const HOUR = 3_600_000;

    it('exponential-delay: a job that ran longer than resetBackoffThresholdMs before failing starts again from initialBackoffMs', async () => {
      const clock = fakeClock();
      let failures = 0;
      const events = new RunEvents();
      const job = countingJob({
        backend: 'heap',
        source: QUICK,
        sink: new CollectSink<string>().spec(),
        restartStrategy: { type: 'exponential-delay', initialBackoffMs: 1, backoffMultiplier: 4, maxBackoffMs: 1000, jitterFactor: 0, resetBackoffThresholdMs: HOUR },
        checkpoint: { timeoutMs: 24 * HOUR },
        onElement: (r) => {
          if (r.id !== 900 || failures >= 4) return;
          failures++;
          // The third attempt runs "two hours" before it fails.
          if (failures === 3) clock.advance(2 * HOUR);
          throw new Error(`failure ${failures}`);
        },
      });
      const stats = await new LocalExecutor().run(job, { checkpointStorage: new MemoryCheckpointStorage(), listener: events });
      expect(stats.attempts).toBe(5);
      // Without the reset: 1, 4, 16, 64.
      expect(events.restarts.map((r) => r.delayMs)).toEqual([1, 4, 1, 4]);
    });

    it('failure-rate: failures further apart than failureRateIntervalMs keep restarting; two within it fail the job', async () => {
      const clock = fakeClock();
      let failures = 0;
      const thrown: Error[] = [];
      const events = new RunEvents();
      const job = countingJob({
        backend: 'heap',
        source: QUICK,
        sink: new CollectSink<string>().spec(),
        restartStrategy: { type: 'failure-rate', maxFailuresPerInterval: 1, failureRateIntervalMs: HOUR, delayMs: 0 },
        checkpoint: { timeoutMs: 24 * HOUR },
        onElement: (r) => {
          if (r.id !== 900) return;
          failures++;
          // Failures 2 and 3 come two hours after the previous one; failure 4 right after failure 3.
          if (failures === 2 || failures === 3) clock.advance(2 * HOUR);
          const e = new Error(`failure ${failures}`);
          thrown.push(e);
          throw e;
        },
      });
      const error = await new LocalExecutor().run(job, { checkpointStorage: new MemoryCheckpointStorage(), listener: events }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(events.restarts).toHaveLength(3);
      expect(error).toBeInstanceOf(JobExecutionError);
      expect((error as JobExecutionError).cause).toBe(thrown[3]);
      expect((error as JobExecutionError).notRestartedBecause).toContain('failure-rate restart strategy exceeded maxFailuresPerInterval (1)');
    });
  });
});

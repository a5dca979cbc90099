/**
 * The `keyed-count` job and its hand-written ceiling, each run once and timed.
 *
 * Job: generator → keyBy(key) → counter (a ValueState<number> per key, emits the new count) →
 * discarding sink, parallelism 1, on the local executor; checkpoints every `checkpointIntervalMs`
 * into a fresh temporary directory when checkpointing is on.
 *
 * Baseline: the same records from the same GeneratorSource (`pollBatch`), counted in a JS
 * `Map<number, number>`, the new count summed into a black hole: everything the job does minus the
 * framework (channels, routing, key groups, the state backend, checkpoints).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StreamEnvironment } from '../../src/api/environment.js';
import type { KeyedProcessFunction } from '../../src/api/functions.js';
import type { SourceSpec } from '../../src/api/specs.js';
import { GeneratorSource, type GeneratedRecord, type GeneratorOptions } from '../../src/connectors/generator-source.js';
import type { ReplayableSource } from '../../src/connectors/source.js';
import { defaultConnectorRegistry, DISCARD_SINK_KIND } from '../../src/runtime/connector-registry.js';
import type { CheckpointFailureSummary, CheckpointSummary } from '../../src/runtime/job-listener.js';
import { LocalExecutor, type RunStats } from '../../src/runtime/local-executor.js';
import { valueState } from '../../src/state/descriptors.js';
import { Serializers } from '../../src/state/serializers.js';
import type { ValueState } from '../../src/state/types.js';
import { BASELINE_POLL_BATCH, type Checkpointing, type JobBenchBackend, type JobPlan } from './plan.js';

/** One timed run of one (backend, checkpointing) cell. */
export interface RunMeasurement {
  readonly backend: JobBenchBackend;
  readonly checkpointing: Checkpointing;
  readonly events: number;
  /** Wall time of the whole run: job build, deployment, every record, the final checkpoint, close. */
  readonly ms: number;
  /** `events` over `ms`: warm-up and the populating of the keys included. */
  readonly eventsPerSec: number;
  /** Events of the second half over its time, measured at the source: state populated, JIT warm. */
  readonly steadyEventsPerSec: number;
  /**
   * From the source's end of input to the end of the run (jobs only): draining, the final
   * checkpoint when checkpointing, close. A fixed cost inside `ms`, not a rate.
   */
  readonly finishMs?: number;
  /**
   * The machine's 1-minute load average when the run started: other processes competing for the
   * cores (checkpoint compression runs on a second thread) show here.
   */
  readonly loadAverage: number;
  /** Distinct keys counted (baseline only; every run sees the same records). */
  readonly distinctKeys?: number;
  /** Completed checkpoints, the final one at end of input included (checkpointing on). */
  readonly checkpoints?: number;
  readonly failedCheckpoints?: number;
  /** Bytes the last completed checkpoint wrote itself. */
  readonly checkpointBytes?: number;
  /** Bytes the last completed checkpoint references (what a restore reads). */
  readonly checkpointFullBytes?: number;
  /** Bytes all completed checkpoints wrote together. */
  readonly checkpointBytesTotal?: number;
  /** Longest synchronous snapshot part of any checkpoint (records stood still), ms. */
  readonly maxCheckpointSyncMs?: number;
  /** Longest trigger-to-durable time of any checkpoint, ms. */
  readonly maxCheckpointMs?: number;
}

/** Counts records per key; the count is emitted so records cross the whole chain to the sink. */
interface KeyedCounter extends KeyedProcessFunction<number, GeneratedRecord, number> {
  /** Set in `open`, on the per-subtask instance. */
  count?: ValueState<number>;
}

const COUNT_STATE = valueState('count', Serializers.number);

const keyedCounter: KeyedCounter = {
  open(rt) {
    this.count = rt.getState(COUNT_STATE);
  },
  processElement(_record, _ctx, out) {
    const count = this.count!;
    const n = (count.value() ?? 0) + 1;
    count.update(n);
    out.collect(n);
  },
};

function generatorOptions(plan: JobPlan): GeneratorOptions {
  return { count: plan.events, keys: plan.keys, seed: plan.seed };
}

/**
 * A GeneratorSource that notes when half of its events have been polled and when it ended: the
 * steady-state window. Polling runs at most a channel (1024 records) ahead of the counter.
 */
class TimedGeneratorSource implements ReplayableSource<GeneratedRecord> {
  private polled = 0;
  halfAt: number | undefined;
  endAt: number | undefined;

  constructor(
    private readonly inner: GeneratorSource,
    private readonly half: number,
  ) {}

  open(subtaskIndex: number, parallelism: number, restoredPosition?: Uint8Array): void {
    this.inner.open(subtaskIndex, parallelism, restoredPosition);
  }

  pollBatch(max: number): GeneratedRecord[] | 'end' {
    const batch = this.inner.pollBatch(max);
    if (batch === 'end') {
      this.endAt ??= performance.now();
      return batch;
    }
    this.polled += batch.length;
    if (this.halfAt === undefined && this.polled >= this.half) this.halfAt = performance.now();
    return batch;
  }

  snapshotPosition(): Uint8Array {
    return this.inner.snapshotPosition();
  }

  close(): void {
    this.inner.close();
  }
}

function buildJob(backend: Exclude<JobBenchBackend, 'baseline'>, plan: JobPlan): StreamEnvironment {
  const env = new StreamEnvironment({
    jobName: 'bench-keyed-count',
    parallelism: 1,
    stateBackend: backend,
    checkpoint: { intervalMs: plan.checkpointIntervalMs },
  });
  const events: SourceSpec<GeneratedRecord> = { kind: 'generator', payload: generatorOptions(plan) };
  env
    .source(events, { uid: 'events' })
    .keyBy((r) => r.key)
    .process(keyedCounter, { uid: 'count' })
    .sink({ kind: DISCARD_SINK_KIND }, { uid: 'discard' });
  return env;
}

/** Every record must have reached the counter and the sink, or the run measured something else. */
function checkRecords(stats: RunStats, events: number): void {
  for (const kind of ['keyedProcess', 'sink'] as const) {
    const op = stats.operators.find((o) => o.kind === kind);
    if (op?.records !== events) throw new Error(`${kind} received ${op?.records ?? 'no'} records, expected ${events}`);
  }
}

/** Runs the job once in this process and measures it. */
export async function runJob(
  backend: Exclude<JobBenchBackend, 'baseline'>,
  checkpointing: Checkpointing,
  plan: JobPlan,
): Promise<RunMeasurement> {
  const completed: CheckpointSummary[] = [];
  const failed: CheckpointFailureSummary[] = [];
  let source: TimedGeneratorSource | undefined;
  const connectors = defaultConnectorRegistry().registerSource('generator', (p) => {
    source = new TimedGeneratorSource(new GeneratorSource(p as GeneratorOptions), plan.events / 2);
    return source;
  });
  const loadAverage = os.loadavg()[0]!;
  const checkpointDir = checkpointing === 'off' ? undefined : await mkdtemp(path.join(os.tmpdir(), 'weir-bench-job-'));
  try {
    const env = buildJob(backend, plan);
    const t0 = performance.now();
    const stats = await new LocalExecutor().run(env, {
      connectors,
      ...(checkpointDir === undefined ? {} : { checkpointDir }),
      listener: {
        onCheckpointCompleted: (c) => completed.push(c),
        onCheckpointFailed: (f) => failed.push(f),
      },
    });
    const ms = performance.now() - t0;
    checkRecords(stats, plan.events);
    if (stats.attempts !== 1) throw new Error(`the job ran ${stats.attempts} attempts: a benchmark run must not fail`);
    if (stats.completedCheckpoints !== completed.length) {
      throw new Error(`the listener saw ${completed.length} checkpoints, the run reports ${stats.completedCheckpoints}`);
    }
    const { halfAt, endAt } = source!;
    if (halfAt === undefined || endAt === undefined) throw new Error('internal: the source never reached half or end');
    const last = completed[completed.length - 1];
    return {
      backend,
      checkpointing,
      events: plan.events,
      ms,
      eventsPerSec: (plan.events * 1000) / ms,
      steadyEventsPerSec: ((plan.events / 2) * 1000) / (endAt - halfAt),
      finishMs: t0 + ms - endAt,
      loadAverage,
      ...(checkpointing === 'off'
        ? {}
        : {
            checkpoints: completed.length,
            failedCheckpoints: failed.length,
            ...(last === undefined
              ? {}
              : {
                  checkpointBytes: last.writtenBytes,
                  checkpointFullBytes: last.fullSizeBytes,
                  checkpointBytesTotal: completed.reduce((sum, c) => sum + c.writtenBytes, 0),
                  maxCheckpointSyncMs: Math.max(...completed.map((c) => c.maxSyncMs)),
                  maxCheckpointMs: Math.max(...completed.map((c) => c.durationMs)),
                }),
          }),
    };
  } finally {
    if (checkpointDir !== undefined) await rm(checkpointDir, { recursive: true, force: true });
  }
}

/** Sums of emitted counts land here so the JIT cannot drop the baseline's work. */
export let blackhole = 0;

/** The hand-written ceiling: the same records counted in a `Map`, no framework. */
export function runBaseline(plan: JobPlan): RunMeasurement {
  const loadAverage = os.loadavg()[0]!;
  const t0 = performance.now();
  const source = new GeneratorSource(generatorOptions(plan));
  source.open(0, 1);
  const counts = new Map<number, number>();
  const half = plan.events / 2;
  let polled = 0;
  let halfAt: number | undefined;
  let sum = 0;
  for (;;) {
    const batch = source.pollBatch(BASELINE_POLL_BATCH);
    if (batch === 'end') break;
    for (const r of batch) {
      const n = (counts.get(r.key) ?? 0) + 1;
      counts.set(r.key, n);
      sum += n;
    }
    polled += batch.length;
    if (halfAt === undefined && polled >= half) halfAt = performance.now();
  }
  const ms = performance.now() - t0;
  source.close();
  blackhole += sum;
  if (polled !== plan.events || halfAt === undefined) throw new Error(`baseline polled ${polled} records, expected ${plan.events}`);
  return {
    backend: 'baseline',
    checkpointing: 'off',
    events: plan.events,
    ms,
    eventsPerSec: (plan.events * 1000) / ms,
    steadyEventsPerSec: (half * 1000) / (t0 + ms - halfAt),
    loadAverage,
    distinctKeys: counts.size,
  };
}

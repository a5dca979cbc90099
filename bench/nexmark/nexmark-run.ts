/**
 * One run of one Nexmark cell in this process: the query over the generated events, exactly-once
 * checkpoints into a fresh directory, results into a discarding sink. Three modes:
 * - `throughput`: the whole run, timed; CPU time (user + system, every thread of the process: the
 *   compression workers and the GC included) gives events per second per core;
 * - `kill`: the same job, killed with SIGKILL once half the events were read and a checkpoint completed;
 * - `recover`: started on the killed run's checkpoint directory, timed from the start of the run to
 *   the first record read after the restore, and then to the end.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StreamEnvironment } from '../../src/api/environment.js';
import { NexmarkSource, type NexmarkEvent, type NexmarkOptions } from '../../src/connectors/nexmark/index.js';
import type { ReplayableSource } from '../../src/connectors/source.js';
import { NEXMARK_QUERIES } from '../../src/nexmark/queries/index.js';
import { defaultConnectorRegistry, DISCARD_SINK_KIND } from '../../src/runtime/connector-registry.js';
import type { CheckpointSummary } from '../../src/runtime/job-listener.js';
import { LocalExecutor } from '../../src/runtime/local-executor.js';
import type { NexmarkBackend, NexmarkCase } from './plan.js';

export type NexmarkRunMode = 'throughput' | 'kill' | 'recover';

export interface NexmarkRunInput {
  readonly case: NexmarkCase;
  readonly backend: NexmarkBackend;
  readonly checkpointIntervalMs: number;
  readonly mode: NexmarkRunMode;
  /** `kill` and `recover` share it; `throughput` makes its own. */
  readonly checkpointDir?: string;
}

/** What one run measured. */
export interface NexmarkRunMeasurement {
  readonly events: number;
  readonly ms: number;
  readonly eventsPerSec: number;
  /** Events over the process's CPU seconds during the run. */
  readonly eventsPerSecPerCore: number;
  /** CPU seconds over wall seconds: how many cores the run kept busy. */
  readonly coresBusy: number;
  readonly checkpoints: number;
  readonly failedCheckpoints: number;
  /** Full size of the last completed checkpoint (what a restore reads), bytes. */
  readonly checkpointFullBytes: number;
  /** Largest full size of any completed checkpoint, bytes (the last one is taken after the windows emptied). */
  readonly checkpointMaxFullBytes: number;
  /** Bytes the last completed checkpoint wrote itself (its delta). */
  readonly checkpointBytes: number;
  /** Median and longest trigger-to-durable time, ms. */
  readonly checkpointMedianMs: number;
  readonly checkpointMaxMs: number;
  /** Longest synchronous part of a checkpoint, ms. */
  readonly checkpointMaxSyncMs: number;
  /** `recover` only: run start → first record read after the restore, ms. */
  readonly recoveryMs?: number;
  readonly peakRssBytes: number;
}

/** A NexmarkSource that reports its first record and how far it got, and can kill the process midway. */
class ObservedSource implements ReplayableSource<NexmarkEvent> {
  private readonly inner: NexmarkSource;
  firstRecordAt: number | undefined;
  polled = 0;

  constructor(
    options: NexmarkOptions,
    private readonly killAt: (() => boolean) | undefined,
  ) {
    this.inner = new NexmarkSource(options);
  }

  open(subtaskIndex: number, parallelism: number, restoredPosition?: Uint8Array): void {
    this.inner.open(subtaskIndex, parallelism, restoredPosition);
  }

  pollBatch(max: number): NexmarkEvent[] | 'end' {
    if (this.killAt?.() === true) process.kill(process.pid, 'SIGKILL');
    const batch = this.inner.pollBatch(max);
    if (batch !== 'end' && batch.length > 0) {
      this.firstRecordAt ??= performance.now();
      this.polled += batch.length;
    }
    return batch;
  }

  snapshotPosition(): Uint8Array {
    return this.inner.snapshotPosition();
  }

  close(): void {
    this.inner.close();
  }
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** Builds the case's job: parallelism 1 (one core does the processing), the chosen backend and interval. */
function buildJob(input: NexmarkRunInput): StreamEnvironment {
  const query = NEXMARK_QUERIES[input.case.query];
  if (query === undefined) throw new Error(`unknown Nexmark query '${input.case.query}'`);
  const env = new StreamEnvironment({
    jobName: `nexmark-${input.case.name}`,
    parallelism: 1,
    stateBackend: input.backend,
    checkpoint: { intervalMs: input.checkpointIntervalMs, mode: 'exactly-once' },
    restartStrategy: { type: 'none' },
  });
  query.build(env, { source: input.case.generator }).sink({ kind: DISCARD_SINK_KIND }, { uid: 'discard' });
  return env;
}

export async function runNexmark(input: NexmarkRunInput): Promise<NexmarkRunMeasurement> {
  const events = input.case.generator.events;
  const completed: CheckpointSummary[] = [];
  let failed = 0;
  let source: ObservedSource | undefined;
  const killAt = input.mode === 'kill' ? () => source!.polled >= events / 2 && completed.length > 0 : undefined;
  const connectors = defaultConnectorRegistry().registerSource('nexmark', (p) => (source = new ObservedSource(p as NexmarkOptions, killAt)));
  const ownDir = input.checkpointDir === undefined;
  const checkpointDir = input.checkpointDir ?? (await mkdtemp(path.join(os.tmpdir(), 'weir-bench-nexmark-')));
  let peakRss = 0;
  const rssProbe = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 200);
  try {
    const env = buildJob(input);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const stats = await new LocalExecutor().run(env, {
      connectors,
      checkpointDir,
      jobId: `nexmark-${input.case.name}`,
      listener: {
        onCheckpointCompleted: (c) => completed.push(c),
        onCheckpointFailed: () => failed++,
      },
    });
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    if (stats.attempts !== 1) throw new Error(`the job ran ${stats.attempts} attempts: a benchmark run must not fail`);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const last = completed[completed.length - 1];
    // a recovered run reads only the events after the restored position
    const read = input.mode === 'recover' ? source!.polled : events;
    return {
      events: read,
      ms,
      eventsPerSec: (read * 1000) / ms,
      eventsPerSecPerCore: read / cpuSeconds,
      coresBusy: cpuSeconds / (ms / 1000),
      checkpoints: completed.length,
      failedCheckpoints: failed,
      checkpointFullBytes: last?.fullSizeBytes ?? 0,
      checkpointMaxFullBytes: Math.max(0, ...completed.map((c) => c.fullSizeBytes)),
      checkpointBytes: last?.writtenBytes ?? 0,
      checkpointMedianMs: median(completed.map((c) => c.durationMs)),
      checkpointMaxMs: Math.max(0, ...completed.map((c) => c.durationMs)),
      checkpointMaxSyncMs: Math.max(0, ...completed.map((c) => c.maxSyncMs)),
      ...(input.mode === 'recover' ? { recoveryMs: source!.firstRecordAt! - t0 } : {}),
      peakRssBytes: peakRss,
    };
  } finally {
    clearInterval(rssProbe);
    if (ownDir || input.mode === 'recover') await rm(checkpointDir, { recursive: true, force: true });
  }
}

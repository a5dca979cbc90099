/**
 * The savepoint job and its two timed runs, each called in its own child process (savepoint-worker.ts).
 *
 * Job: keys source (keys-source.ts) → keyBy(key) → counter (a `ValueState<number>` per key, emits
 * the new count) → discarding sink, parallelism 1, checkpointing on with a long interval.
 *
 * - {@link runSavepoints}: writes every key once, then — the source idling, the job still running —
 *   takes an intermediate savepoint, then stops the job with a savepoint.
 * - {@link runRestore}: a new executor started from the stop savepoint; timed from `start()` to the
 *   first record the counter processes, then checked on `probes` records (each key must come back
 *   with its count of 1) and aborted.
 */
import os from 'node:os';
import { StreamEnvironment } from '../../src/api/environment.js';
import type { KeyedProcessFunction } from '../../src/api/functions.js';
import type { SourceSpec } from '../../src/api/specs.js';
import { defaultConnectorRegistry, DISCARD_SINK_KIND, type ConnectorRegistry } from '../../src/runtime/connector-registry.js';
import type { JobClient, SavepointInfo } from '../../src/runtime/job-client.js';
import type { RestoreSummary } from '../../src/runtime/job-listener.js';
import { LocalExecutor, type RunStats } from '../../src/runtime/local-executor.js';
import { valueState } from '../../src/state/descriptors.js';
import { Serializers } from '../../src/state/serializers.js';
import type { StateBackendKind, ValueState } from '../../src/state/types.js';
import { KEYS_SOURCE_KIND, KeysSource, type KeysSourceOptions } from './keys-source.js';
import type { SavepointPlan } from './plan.js';

/** One savepoint as the bench reports it. */
export interface SavepointFigures {
  /** The coordinator's trigger-to-durable-`_metadata` time (`SavepointInfo.durationMs`). */
  readonly ms: number;
  /** From the client call to its promise resolving: adds the wait for the scheduler's next tick. */
  readonly wallMs: number;
  readonly bytes: number;
  readonly checkpointId: number;
}

export interface SavepointRunMeasurement {
  readonly backend: StateBackendKind;
  readonly keys: number;
  /** From `start()` until the counter processed every key: deployment plus writing the state. */
  readonly loadMs: number;
  readonly savepoint: SavepointFigures;
  readonly stop: SavepointFigures;
  /** The stop savepoint's directory, which the restore run starts from. */
  readonly stopPath: string;
  /** The process's peak resident set size (`resourceUsage().maxRSS`). */
  readonly peakRssBytes: number;
  /** 1-minute load average at the start: other processes competing for the cores. */
  readonly loadAverage: number;
}

export interface RestoreMeasurement {
  readonly backend: StateBackendKind;
  readonly keys: number;
  /** `start({ fromSavepoint })` to the first record processed by the restored counter. */
  readonly ms: number;
  /** `start()` to `onRestored`: the savepoint's files read, checked, decompressed and assigned. */
  readonly readMs: number;
  readonly probes: number;
  readonly peakRssBytes: number;
  readonly loadAverage: number;
}

/** Counts the counter's records and notes the first; `reached` resolves at `target` records. */
class Progress {
  processed = 0;
  firstAt: number | undefined;
  /** Records whose new count was not `expectedCount` (state lost, or a key written twice). */
  unexpected = 0;
  readonly reached: Promise<void>;
  private resolve!: () => void;

  constructor(
    readonly target: number,
    private readonly expectedCount: number,
  ) {
    this.reached = new Promise((r) => (this.resolve = r));
  }

  record(count: number): void {
    if (this.processed++ === 0) this.firstAt = performance.now();
    if (count !== this.expectedCount) this.unexpected++;
    if (this.processed === this.target) this.resolve();
  }
}

interface Counter extends KeyedProcessFunction<number, number, number> {
  /** Set in `open`, on the per-subtask instance. */
  count?: ValueState<number>;
}

const COUNT_STATE = valueState('count', Serializers.number);

function counter(progress: Progress): Counter {
  return {
    open(rt) {
      this.count = rt.getState(COUNT_STATE);
    },
    processElement(_key, _ctx, out) {
      const count = this.count!;
      const n = (count.value() ?? 0) + 1;
      count.update(n);
      progress.record(n);
      out.collect(n);
    },
  };
}

function buildJob(backend: StateBackendKind, plan: SavepointPlan, progress: Progress): StreamEnvironment {
  const env = new StreamEnvironment({
    jobName: 'bench-savepoint',
    parallelism: 1,
    stateBackend: backend,
    // incremental and compression stay at their defaults: savepoints as a user's job takes them
    checkpoint: { intervalMs: plan.checkpointIntervalMs },
    // a benchmark run must not fail; a restart would hide it and time something else
    restartStrategy: { type: 'none' },
  });
  const keys: SourceSpec<number> = { kind: KEYS_SOURCE_KIND };
  env
    .source(keys, { uid: 'keys' })
    .keyBy((k) => k)
    .process(counter(progress), { uid: 'count' })
    .sink({ kind: DISCARD_SINK_KIND }, { uid: 'discard' });
  return env;
}

function connectors(options: KeysSourceOptions): ConnectorRegistry {
  return defaultConnectorRegistry().registerSource(KEYS_SOURCE_KIND, () => new KeysSource(options));
}

/** Resolves once the counter processed `progress.target` records; fails if the job ends first. */
async function untilProcessed(progress: Progress, client: JobClient, what: string): Promise<void> {
  const ended = client.result.then(
    () => Promise.reject(new Error(`the job finished before ${what}`)),
    (e: unknown) => Promise.reject(new Error(`the job failed before ${what}: ${(e as Error).message ?? String(e)}`, { cause: e })),
  );
  await Promise.race([progress.reached, ended]);
  ended.catch(() => undefined); // the job goes on; its end is awaited (and checked) later
}

async function timed(take: () => Promise<SavepointInfo>): Promise<{ info: SavepointInfo; figures: SavepointFigures }> {
  const t0 = performance.now();
  const info = await take();
  const wallMs = performance.now() - t0;
  return { info, figures: { ms: info.durationMs, wallMs, bytes: info.sizeBytes, checkpointId: info.checkpointId } };
}

function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024; // reported in KiB
}

function checkRecords(stats: RunStats, kind: 'keyedProcess' | 'sink', expected: number): void {
  const op = stats.operators.find((o) => o.kind === kind);
  if (op?.records !== expected) throw new Error(`${kind} received ${op?.records ?? 'no'} records, expected ${expected}`);
}

/** Writes every key, then takes the intermediate savepoint and stops the job with a savepoint. */
export async function runSavepoints(
  backend: StateBackendKind,
  plan: SavepointPlan,
  dirs: { readonly checkpointDir: string; readonly savepointDir: string },
): Promise<SavepointRunMeasurement> {
  const loadAverage = os.loadavg()[0]!;
  const progress = new Progress(plan.keys, 1);
  const env = buildJob(backend, plan, progress);
  let periodic = 0;
  const t0 = performance.now();
  const client = new LocalExecutor().start(env, {
    connectors: connectors({ keys: plan.keys, probes: 0 }),
    checkpointDir: dirs.checkpointDir,
    savepointDir: dirs.savepointDir,
    listener: { onCheckpointCompleted: () => periodic++ },
  });
  await untilProcessed(progress, client, `every key was written`);
  const loadMs = performance.now() - t0;
  const savepoint = await timed(() => client.triggerSavepoint());
  const stop = await timed(() => client.stopWithSavepoint());
  const stats = await client.result;
  // with a periodic checkpoint in between, the savepoints would have shared the time with it
  if (periodic !== 0) throw new Error(`${periodic} periodic checkpoints completed during the run: raise checkpointIntervalMs`);
  if (stats.attempts !== 1) throw new Error(`the job ran ${stats.attempts} attempts`);
  checkRecords(stats, 'keyedProcess', plan.keys);
  if (progress.unexpected !== 0) throw new Error(`${progress.unexpected} keys were written more than once`);
  return {
    backend,
    keys: plan.keys,
    loadMs,
    savepoint: savepoint.figures,
    stop: stop.figures,
    stopPath: stop.info.path,
    peakRssBytes: peakRssBytes(),
    loadAverage,
  };
}

/** Thrown into the restored job to end it once the probes are through: it never ends by itself. */
class ProbesDone extends Error {}

/**
 * Starts the job from `savepointPath` with a fresh `checkpointDir` (nothing to supersede there) and
 * times it to the first record processed; the probes then check that the state came back.
 */
export async function runRestore(
  backend: StateBackendKind,
  plan: SavepointPlan,
  run: { readonly checkpointDir: string; readonly savepointPath: string; readonly savepointId: number },
): Promise<RestoreMeasurement> {
  const loadAverage = os.loadavg()[0]!;
  // every probe key was written once before the savepoint: restored, its count becomes 2
  const progress = new Progress(plan.probes, 2);
  const env = buildJob(backend, plan, progress);
  const abort = new AbortController();
  // a holder, not `let`s: written from the listener, read after the run
  const seen: { restoredAt?: number; restored?: RestoreSummary } = {};
  const t0 = performance.now();
  const client = new LocalExecutor().start(env, {
    connectors: connectors({ keys: plan.keys, probes: plan.probes }),
    checkpointDir: run.checkpointDir,
    fromSavepoint: run.savepointPath,
    signal: abort.signal,
    listener: {
      onRestored: (info) => {
        seen.restoredAt ??= performance.now();
        seen.restored ??= info;
      },
    },
  });
  await untilProcessed(progress, client, `the probes were processed`);
  const done = new ProbesDone('probes processed');
  abort.abort(done);
  await client.result.then(
    () => {
      throw new Error('the restored job finished by itself: its source never ends');
    },
    (e: unknown) => {
      if (e !== done) throw e;
    },
  );
  const { restored, restoredAt } = seen;
  if (restored?.checkpointId !== run.savepointId || restored.savepointPath === undefined || restoredAt === undefined) {
    throw new Error(`the job did not start from savepoint ${run.savepointId}: onRestored reported ${JSON.stringify(restored)}`);
  }
  if (progress.unexpected !== 0) throw new Error(`${progress.unexpected} of ${plan.probes} probe keys did not come back from the savepoint`);
  return {
    backend,
    keys: plan.keys,
    ms: progress.firstAt! - t0,
    readMs: restoredAt - t0,
    probes: plan.probes,
    peakRssBytes: peakRssBytes(),
    loadAverage,
  };
}

/**
 * Runs a job in this process on one thread (see execution-attempt.ts for the scheduling), with
 * Flink's fault tolerance around it: when checkpointing is enabled (a checkpoint directory or
 * storage), a {@link CheckpointCoordinator} takes periodic checkpoints, every attempt starts from the
 * latest completed checkpoint, and a failed attempt is restarted per the job's restart strategy.
 */
import { StreamEnvironment } from '../api/environment.js';
import { KEYED_OPERATOR_KINDS, STATEFUL_OPERATOR_KINDS, type LogicalGraph, type LogicalNode, type LogicalOperatorKind } from '../api/logical-graph.js';
import { CheckpointCoordinator } from '../checkpoint/checkpoint-coordinator.js';
import { createRestartStrategy } from '../checkpoint/restart-strategy.js';
import { jobDirectory } from '../storage/checkpoint-layout.js';
import { FsCheckpointStorage, type CheckpointStorage } from '../storage/checkpoint-store.js';
import { createCodec, type Codec } from '../storage/codec.js';
import { describeRejections } from '../storage/checkpoint-restore.js';
import { recoverLatestCheckpoint, restoreFromPoint, type RecoveredCheckpoint, type RestoringOperator } from './checkpoint-recovery.js';
import type { JobClient } from './job-client.js';
import { JobControl } from './job-control.js';
import { startingPoint, withNextId, writeStopMarker } from './starting-point.js';
import { defaultConnectorRegistry, type ConnectorRegistry } from './connector-registry.js';
import { JobExecutionError, runAttempt, type AttemptCheckpointing, type DeployedChain } from './execution-attempt.js';
import { notifyListener, type JobListener } from './job-listener.js';
import type { FaultInjector } from './subtask-snapshotter.js';

export { JobExecutionError } from './execution-attempt.js';

/** Tuning and wiring of one run; every field has a default. */
export interface LocalExecutorOptions {
  /** Connector factories. Default {@link defaultConnectorRegistry}. */
  readonly connectors?: ConnectorRegistry;
  /** Records per channel before its producer is backpressured. Default 1024. */
  readonly channelCapacity?: number;
  /** Records per batch sent through a channel (and per source poll). Default 64. */
  readonly batchSize?: number;
  /** Records a subtask may process per step; bounds one round's latency and keeps rounds fair. Default 512. */
  readonly stepBudget?: number;
  /** Processing-time clock for keyed functions and state TTL. Default `Date.now`. */
  readonly clock?: () => number;
  /** Aborting rejects the run with the signal's reason (the only way to stop an unbounded job). */
  readonly signal?: AbortSignal;
  /**
   * Enables checkpointing (with the job's checkpoint settings) into `<checkpointDir>/<jobId>/`, and
   * resumes from the latest completed checkpoint found there. Without it (and without
   * `checkpointStorage`) the job runs without checkpoints and a restart starts from empty state.
   */
  readonly checkpointDir?: string;
  /** A job directory to checkpoint into instead of `checkpointDir` (tests pass a memory storage). */
  readonly checkpointStorage?: CheckpointStorage;
  /** Names the job's checkpoint directory. Default: the job name. Keep it stable to resume. */
  readonly jobId?: string;
  /**
   * When checkpoints exist but none can be restored (all corrupt or incomplete), start with empty
   * state instead of failing. Default false: weir never silently drops state it was asked to keep.
   */
  readonly allowEmptyRestore?: boolean;
  /** Receives checkpoint, restart and progress reports. */
  readonly listener?: JobListener;
  /** How often `listener.onProgress` is called, ms. Default 1000. */
  readonly progressIntervalMs?: number;
  /** Uniform [0, 1) for the restart strategy's jitter. Default Math.random. */
  readonly random?: () => number;
  /** Test hook: throws at named points of a checkpoint to simulate failures there. */
  readonly faults?: FaultInjector;
  /**
   * Starts from this savepoint (or retained checkpoint `chk-<n>` directory) instead of the job's
   * latest checkpoint. Completed checkpoints of an earlier run in the job's directory are superseded
   * and deleted (a checkpoint the path points into keeps itself and older ones). Until the first new
   * checkpoint completes, a restart starts from the savepoint again.
   */
  readonly fromSavepoint?: string;
  /** Start even when the savepoint holds state of a uid this job no longer has (that state is dropped). */
  readonly allowNonRestoredState?: boolean;
  /** Default directory for savepoints triggered without a `targetDirectory`. */
  readonly savepointDir?: string;
}

/** Statistics of one operator, summed over its subtasks (of the last attempt). */
export interface OperatorRunStats {
  readonly id: number;
  readonly name: string;
  readonly kind: LogicalOperatorKind;
  /** The task vertex (chain) it ran in: operators sharing it were called directly, without a channel. */
  readonly vertexId: number;
  /** Records it received (a source: records it emitted). */
  readonly records: number;
  /** `records` per subtask index. */
  readonly recordsPerSubtask: readonly number[];
}

/** What {@link LocalExecutor.run} reports. */
export interface RunStats {
  readonly jobName: string;
  readonly durationMs: number;
  /** Execution attempts: 1 plus the restarts. */
  readonly attempts: number;
  /** Checkpoint restored by the first attempt, if any. */
  readonly restoredCheckpointId: number | undefined;
  /** Checkpoints completed during the run. */
  readonly completedCheckpoints: number;
  /** Scheduler rounds of the last attempt (one step offered to every unfinished subtask). */
  readonly rounds: number;
  readonly subtasks: number;
  readonly channels: number;
  /** Peak of the records queued in all channels together, sampled after every step (last attempt). */
  readonly maxQueuedRecords: number;
  /** Peak of the records queued in any single channel (last attempt). */
  readonly maxQueuedRecordsPerChannel: number;
  /** In logical node id order. */
  readonly operators: readonly OperatorRunStats[];
}

const DEFAULTS = { channelCapacity: 1024, batchSize: 64, stepBudget: 512, progressIntervalMs: 1000 };

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

/** Sleeps `ms`, or rejects with the signal's reason as soon as it aborts. */
function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The single-threaded executor.
 *
 * @example
 * const out = new CollectSink<[string, number]>();
 * env.source({ kind: 'file-lines', payload: { path } }, { uid: 'in' })
 *   .flatMap((l) => l.split(' ')).keyBy((w) => w).process(counter, { uid: 'count' })
 *   .sink(out.spec(), { uid: 'out' });
 * const stats = await new LocalExecutor().run(env, { checkpointDir: './checkpoints' });
 */
export class LocalExecutor {
  constructor(private readonly defaults: LocalExecutorOptions = {}) {}

  /**
   * Builds, deploys and runs the job to the end of its (bounded) input; resolves with statistics.
   * With checkpointing, a failure restarts the job from the latest completed checkpoint per its
   * restart strategy; once the strategy gives up, rejects with a {@link JobExecutionError} carrying
   * the user's error. Without checkpointing a failure rejects at once (a restart would replay from
   * empty state).
   */
  async run(job: StreamEnvironment | LogicalGraph, options: LocalExecutorOptions = {}): Promise<RunStats> {
    return this.start(job, options).result;
  }

  /**
   * Starts the job as {@link run} does and returns at once with its {@link JobClient}: take
   * savepoints, stop it with one, await its `result`. An invalid job throws here, synchronously.
   *
   * @example
   * const job = new LocalExecutor().start(env, { checkpointDir: './checkpoints' });
   * const sp = await job.stopWithSavepoint({ targetDirectory: './savepoints' });
   * await job.result;
   * await new LocalExecutor().run(env, { checkpointDir: './checkpoints', fromSavepoint: sp.path });
   */
  start(job: StreamEnvironment | LogicalGraph, options: LocalExecutorOptions = {}): JobClient {
    const o = { ...this.defaults, ...options };
    const graph = job instanceof StreamEnvironment ? job.build() : job;
    const control = new JobControl(o.jobId ?? graph.settings.jobName, o.savepointDir);
    control.track(
      this.execute(graph, o, control).finally(() => {
        // whatever happened, nobody may wait for a coordinator any more
        control.coordinatorReady(undefined);
      }),
    );
    return control;
  }

  private async execute(graph: LogicalGraph, o: LocalExecutorOptions, control: JobControl): Promise<RunStats> {
    const channelCapacity = positiveInt('channelCapacity', o.channelCapacity ?? DEFAULTS.channelCapacity);
    const batchSize = positiveInt('batchSize', o.batchSize ?? DEFAULTS.batchSize);
    const stepBudget = positiveInt('stepBudget', o.stepBudget ?? DEFAULTS.stepBudget);
    const progressIntervalMs = positiveInt('progressIntervalMs', o.progressIntervalMs ?? DEFAULTS.progressIntervalMs);
    const connectors = o.connectors ?? defaultConnectorRegistry();
    const clock = o.clock ?? Date.now;
    const signal = o.signal;
    signal?.throwIfAborted();
    const settings = graph.settings;
    const jobId = control.jobId;
    const storage = o.checkpointStorage ?? (o.checkpointDir === undefined ? undefined : new FsCheckpointStorage(jobDirectory(o.checkpointDir, jobId)));
    let codec: Codec | undefined;
    if (storage !== undefined) {
      try {
        codec = createCodec(settings.checkpoint.compression.codec, settings.checkpoint.compression.level);
      } catch (e) {
        throw new RangeError(`checkpoint.compression: ${(e as Error).message}`, { cause: e });
      }
      await checkWritable(storage, o.checkpointDir ?? 'checkpointStorage');
    }
    const matching = {
      operators: statefulOperators(graph),
      maxParallelism: settings.maxParallelism,
      allowNonRestoredState: o.allowNonRestoredState === true,
    };
    if (o.fromSavepoint !== undefined && storage === undefined) {
      throw new RangeError('fromSavepoint: restoring a savepoint needs checkpointing (checkpointDir or checkpointStorage)');
    }
    // Opened and fully read before anything is superseded or deployed: a bad savepoint fails here.
    const start = storage === undefined ? undefined : await startingPoint(storage, o.fromSavepoint, matching, o.listener);
    const restart = createRestartStrategy(settings.restartStrategy, o.random === undefined ? {} : { random: o.random });
    const runStartedAt = performance.now();
    let coordinator: CheckpointCoordinator | undefined;
    let firstRestored: number | undefined;
    let fromPoint = start?.restored;
    try {
      for (let attempt = 1; ; attempt++) {
        let checkpointing: AttemptCheckpointing | undefined;
        if (storage !== undefined && codec !== undefined) {
          let restored = await recoverLatestCheckpoint(storage, {
            ...matching,
            jobId,
            allowEmpty: o.allowEmptyRestore === true,
            cleanUp: { retainCount: settings.checkpoint.retainedCheckpoints },
          });
          const point = start?.point;
          if (restored.checkpointId === undefined && point !== undefined) {
            // nothing newer than the savepoint completed yet: it is still where the job starts
            restored = withNextId((fromPoint ??= await restoreFromPoint(point, matching)), restored.nextCheckpointId);
          }
          fromPoint = undefined; // a later attempt reads it again rather than keeping all state in memory
          if (attempt === 1) firstRestored = restored.checkpointId;
          if (o.listener?.onRestored === undefined) warnAboutDamage(restored, jobId);
          notifyListener(o.listener, 'onRestored', {
            attempt,
            checkpointId: restored.checkpointId,
            rejected: restored.rejected,
            ...(point !== undefined && restored.checkpointId === point.metadata.checkpointId ? { savepointPath: point.path } : {}),
          });
          coordinator ??= newCoordinator(graph, matching.operators, storage, jobId, restored, o);
          control.coordinatorReady(coordinator);
          checkpointing = { coordinator, storage, codec, restored, faults: o.faults };
        }
        try {
          const stats = await runAttempt(graph, {
            channelCapacity,
            batchSize,
            stepBudget,
            connectors,
            clock,
            signal,
            checkpointing,
            listener: o.listener,
            progressIntervalMs,
            runStartedAt,
            onRunning: () => restart.onRunning(performance.now()),
          });
          // after the attempt, when nothing else writes the job directory (its final cleanup included)
        const stopped = control.stoppedWith;
        if (stopped !== undefined && storage !== undefined) await writeStopMarker(storage, stopped.path, stopped.checkpointId);
          return {
            jobName: settings.jobName,
            durationMs: performance.now() - runStartedAt,
            attempts: attempt,
            restoredCheckpointId: firstRestored,
            completedCheckpoints: coordinator?.numCompleted ?? 0,
            rounds: stats.rounds,
            subtasks: stats.subtasks,
            channels: stats.channels,
            maxQueuedRecords: stats.maxQueuedRecords,
            maxQueuedRecordsPerChannel: stats.maxQueuedRecordsPerChannel,
            operators: graph.nodes.map((node) => operatorStats(node, stats.chains)),
          };
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          if (storage === undefined) throw error;
          const decision = restart.onFailure(performance.now());
          if (!decision.restart) throw withoutRestart(error, decision.reason);
          notifyListener(o.listener, 'onRestart', { attempt: attempt + 1, delayMs: decision.delayMs, error });
          await abortableSleep(decision.delayMs, signal);
        }
      }
    } finally {
      coordinator?.close();
    }
  }
}

/**
 * Says loudly (stderr) that damaged checkpoints were passed over; an interrupted, incomplete one is
 * routine after a crash and not worth a warning. Used when no listener takes `onRestored` (the CLI
 * has one and prints every rejection itself).
 */
function warnAboutDamage(restored: RecoveredCheckpoint, jobId: string): void {
  const damaged = restored.rejected.filter((r) => r.reasons.some((why) => why.kind !== 'incomplete'));
  if (damaged.length === 0) return;
  const to = restored.checkpointId === undefined ? 'empty state' : `checkpoint ${restored.checkpointId}`;
  console.warn(`weir: job '${jobId}': passed over ${damaged.length} damaged checkpoint(s), restoring ${to}:\n${describeRejections(damaged)}`);
}

/** The final error once the restart strategy gave up: the task's error, saying why it stays failed. */
function withoutRestart(error: unknown, reason: string): unknown {
  if (error instanceof JobExecutionError) return new JobExecutionError(error.subtaskId, error.taskName, error.cause, reason);
  if (error instanceof Error) {
    error.message += ` (${reason})`;
    return error;
  }
  return new Error(`${String(error)} (${reason})`, { cause: error });
}

/** Every operator with state and its parallelism: what each checkpoint waits for and restores. */
function statefulOperators(graph: LogicalGraph): RestoringOperator[] {
  const out: RestoringOperator[] = [];
  for (const n of graph.nodes) {
    if (STATEFUL_OPERATOR_KINDS.includes(n.kind) && n.uid !== undefined) {
      out.push({ uid: n.uid, parallelism: n.parallelism, keyed: KEYED_OPERATOR_KINDS.includes(n.kind) });
    }
  }
  return out;
}

function newCoordinator(
  graph: LogicalGraph,
  stateful: readonly RestoringOperator[],
  storage: CheckpointStorage,
  jobId: string,
  restored: RecoveredCheckpoint,
  o: LocalExecutorOptions,
): CheckpointCoordinator {
  return new CheckpointCoordinator({
    storage,
    settings: graph.settings.checkpoint,
    jobId,
    stateBackend: graph.settings.stateBackend,
    maxParallelism: graph.settings.maxParallelism,
    operators: stateful,
    firstCheckpointId: restored.nextCheckpointId,
    retained: restored.retained,
    clock: () => performance.now(),
    onCompleted: (info) => notifyListener(o.listener, 'onCheckpointCompleted', info),
    onFailed: (info) =>
      notifyListener(o.listener, 'onCheckpointFailed', {
        checkpointId: info.checkpointId,
        reason: info.error.reason,
        message: info.error.message,
        consecutiveFailures: info.consecutiveFailures,
      }),
    ...(o.faults === undefined ? {} : { faults: o.faults }),
  });
}

/**
 * Fails before the job starts when the checkpoint location cannot be written, naming the setting,
 * rather than at the first checkpoint a second later.
 */
async function checkWritable(storage: CheckpointStorage, where: string): Promise<void> {
  const probe = `.weir-write-probe-${process.pid}`;
  try {
    await storage.writeAtomically(`${probe}/probe`, new Uint8Array([1]));
    await storage.delete(probe);
  } catch (e) {
    throw new Error(`checkpointDir: cannot write checkpoints to ${where}: ${(e as Error).message}`, { cause: e });
  }
}

function operatorStats(node: LogicalNode, chains: readonly DeployedChain[]): OperatorRunStats {
  let vertexId = -1;
  const perSubtask: number[] = [];
  for (const c of chains) {
    const counter = c.chain.counters.find((k) => k.node.id === node.id);
    if (counter === undefined) continue;
    vertexId = c.vertexId;
    perSubtask[c.index] = counter.records;
  }
  const recordsPerSubtask = Array.from(perSubtask, (n) => n ?? 0);
  return {
    id: node.id,
    name: node.name,
    kind: node.kind,
    vertexId,
    records: recordsPerSubtask.reduce((a, b) => a + b, 0),
    recordsPerSubtask,
  };
}

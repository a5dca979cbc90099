/**
 * One execution attempt of a job: every subtask deployed (from empty state or a restored checkpoint),
 * then the cooperative scheduling loop until the job finishes, fails, or is aborted. A restart is a
 * new attempt; the executor owns the restart loop, the coordinator outlives attempts.
 *
 * The loop gives each runnable subtask a bounded step per round and yields to the event loop
 * (setImmediate) between rounds, so timers, file I/O and the asynchronous halves of checkpoints run
 * while records flow. No per-record Promise anywhere.
 */
import type { LogicalGraph } from '../api/logical-graph.js';
import type { CheckpointCoordinator } from '../checkpoint/checkpoint-coordinator.js';
import { CheckpointFailureReason } from '../checkpoint/checkpoint-failure.js';
import type { CheckpointStorage } from '../storage/checkpoint-store.js';
import type { Codec } from '../storage/codec.js';
import type { RecoveredCheckpoint } from './checkpoint-recovery.js';
import type { ConnectorRegistry } from './connector-registry.js';
import { deploy, type Deployment } from './deployment.js';
import { notifyListener, type JobListener } from './job-listener.js';
import type { OperatorChain } from './operator-chain.js';
import type { FaultInjector } from './subtask-snapshotter.js';
import type { SubtaskRunner } from './subtask-runner.js';

/** A subtask failed; `cause` is the original error (with the user's stack), `subtaskId` says where. */
export class JobExecutionError extends Error {
  constructor(
    readonly subtaskId: string,
    readonly taskName: string,
    cause: unknown,
    /** Why the job was not restarted, once the restart strategy gave up. */
    readonly notRestartedBecause?: string,
  ) {
    const what = cause instanceof Error ? cause.message : String(cause);
    super(`task '${taskName}' (subtask ${subtaskId}) failed: ${what}${notRestartedBecause === undefined ? '' : ` (${notRestartedBecause})`}`, {
      cause,
    });
    this.name = 'JobExecutionError';
  }
}

/** The checkpoint machinery of an attempt; absent when the job runs without checkpoints. */
export interface AttemptCheckpointing {
  readonly coordinator: CheckpointCoordinator;
  readonly storage: CheckpointStorage;
  readonly codec: Codec;
  readonly restored: RecoveredCheckpoint;
  readonly faults: FaultInjector | undefined;
}

/** Everything one attempt runs with. */
export interface AttemptOptions {
  readonly channelCapacity: number;
  readonly batchSize: number;
  readonly stepBudget: number;
  readonly connectors: ConnectorRegistry;
  readonly clock: () => number;
  readonly signal: AbortSignal | undefined;
  readonly checkpointing: AttemptCheckpointing | undefined;
  readonly listener: JobListener | undefined;
  readonly progressIntervalMs: number;
  /** Start of the whole run, for uptime in progress reports. */
  readonly runStartedAt: number;
  /** Called once every subtask is deployed and opened (restart strategies count from here). */
  readonly onRunning: () => void;
}

/** What an attempt that finished reports. */
export interface AttemptStats {
  readonly rounds: number;
  readonly subtasks: number;
  readonly channels: number;
  readonly maxQueuedRecords: number;
  readonly maxQueuedRecordsPerChannel: number;
  readonly chains: readonly DeployedChain[];
}

/** A chain and where it ran. */
export interface DeployedChain {
  readonly vertexId: number;
  readonly index: number;
  readonly chain: OperatorChain;
}

/** How long to sleep when nothing can move (idle sources, I/O in flight), so an idle job does not spin. */
const IDLE_SLEEP_MS = 1;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Deploys and runs one attempt to the end of its input; rejects with the failure. */
export async function runAttempt(graph: LogicalGraph, o: AttemptOptions): Promise<AttemptStats> {
  const deployment = deploy(graph, o);
  const { runners, channels } = deployment;
  const sourceRunners = runners.filter((r) => r.parts.source !== undefined);
  const cp = o.checkpointing;
  const coordinator = cp?.coordinator;
  let rounds = 0;
  let maxQueued = 0;
  let maxPerChannel = 0;
  let failed = true;
  let nextProgressAt = performance.now() + o.progressIntervalMs;
  const failWith = (r: SubtaskRunner, error: unknown): never => {
    throw new JobExecutionError(r.id, r.parts.name, error);
  };
  try {
    await deployment.open();
    o.onRunning();
    coordinator?.attach({
      injectBarriers: (id, isSavepoint) => {
        for (const r of sourceRunners) {
          try {
            r.triggerCheckpoint(id, isSavepoint);
          } catch (e) {
            r.failure ??= { error: e };
          }
        }
      },
      notifyComplete: (id) => {
        const final = coordinator.isFinal(id);
        for (const r of runners) r.notifyCheckpointComplete(id, final);
      },
      abort: (id) => {
        for (const r of runners) r.abortCheckpoint(id);
      },
    });
    for (;;) {
      o.signal?.throwIfAborted();
      rounds++;
      let progressed = false;
      let unfinished = 0;
      for (const r of runners) {
        if (r.finished) continue;
        try {
          progressed = r.step(o.stepBudget) || progressed;
        } catch (e) {
          failWith(r, e);
        }
        if (!r.finished) unfinished++;
        let total = 0;
        for (const ch of channels) {
          const q = ch.queuedRecords;
          total += q;
          if (q > maxPerChannel) maxPerChannel = q;
        }
        if (total > maxQueued) maxQueued = total;
      }
      for (const r of runners) if (r.failure !== undefined) failWith(r, r.failure.error);
      if (coordinator !== undefined) {
        const fatal = coordinator.failure;
        if (fatal !== undefined) throw fatal.error;
        if (coordinator.stopRequested) for (const r of sourceRunners) r.stopSource();
        if (sourceRunners.every((r) => r.state === 'awaiting-final')) coordinator.requestFinalCheckpoint();
        coordinator.tick(performance.now());
        for (const r of runners) if (r.failure !== undefined) failWith(r, r.failure.error);
      }
      if (unfinished === 0) break;
      const now = performance.now();
      if (o.listener?.onProgress !== undefined && now >= nextProgressAt) {
        nextProgressAt = now + o.progressIntervalMs;
        reportProgress(o, deployment, now);
      }
      if (progressed) {
        await yieldToEventLoop();
        continue;
      }
      const pending = runners.flatMap((r) => (r.pending === undefined ? [] : [r.pending]));
      if (pending.length > 0) await Promise.race([...pending, sleep(IDLE_SLEEP_MS)]);
      else if (coordinator !== undefined || runners.some((r) => r.idle || r.parts.chain.nextTimerAt() !== undefined)) await sleep(IDLE_SLEEP_MS);
      else throw new Error(`internal: no subtask can make progress (${unfinished} unfinished)`);
    }
    failed = false;
  } finally {
    await deployment.settle(failed);
    if (coordinator !== undefined) {
      await coordinator.detach(failed ? CheckpointFailureReason.TASK_FAILURE : CheckpointFailureReason.COORDINATOR_SHUTDOWN);
    }
    await deployment.close(failed);
  }
  return {
    rounds,
    subtasks: runners.length,
    channels: channels.length,
    maxQueuedRecords: maxQueued,
    maxQueuedRecordsPerChannel: maxPerChannel,
    chains: deployment.chains,
  };
}

function reportProgress(o: AttemptOptions, d: Deployment, now: number): void {
  let sourceRecords = 0;
  let sinkRecords = 0;
  for (const { chain } of d.chains) {
    for (const c of chain.counters) {
      if (c.node.kind === 'source') sourceRecords += c.records;
      else if (c.node.kind === 'sink') sinkRecords += c.records;
    }
  }
  let queuedRecords = 0;
  for (const ch of d.channels) queuedRecords += ch.queuedRecords;
  const last = o.checkpointing?.coordinator.latestCompleted;
  notifyListener(o.listener, 'onProgress', {
    uptimeMs: now - o.runStartedAt,
    sourceRecords,
    sinkRecords,
    queuedRecords,
    lastCheckpoint: last,
  });
}


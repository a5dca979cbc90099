/**
 * Runs a job in this process on one thread: every subtask of the execution plan becomes a
 * {@link SubtaskRunner}, channels between them are bounded {@link Channel}s, and a cooperative
 * scheduler gives each runnable subtask a bounded step per round, yielding to the event loop
 * (setImmediate) between rounds so timers and I/O still run. No per-record Promise anywhere.
 *
 * No checkpoints yet: a failure rejects the run (restart strategies come with recovery).
 */
import { StreamEnvironment } from '../api/environment.js';
import type { LogicalGraph, LogicalNode, LogicalOperatorKind } from '../api/logical-graph.js';
import { toJobGraph } from '../graph/job-graph.js';
import { createRouter } from '../graph/partitioners.js';
import { expandSubtasks, type ExecutionEdge } from '../graph/subtasks.js';
import type { Key } from '../state/types.js';
import type { ReplayableSource } from '../connectors/source.js';
import type { CheckpointStorage } from '../storage/checkpoint-store.js';
import { Channel } from './channel.js';
import type { JobListener } from './job-listener.js';
import { defaultConnectorRegistry, type ConnectorRegistry, type SinkWriter } from './connector-registry.js';
import { buildOperatorChain, type OperatorChain } from './operator-chain.js';
import { OutputGate } from './output-gate.js';
import { SubtaskRunner, type SubtaskInput } from './subtask-runner.js';

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
}

/** Statistics of one operator, summed over its subtasks. */
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
  /** Scheduler rounds (one step offered to every unfinished subtask). */
  readonly rounds: number;
  readonly subtasks: number;
  readonly channels: number;
  /** Peak of the records queued in all channels together, sampled after every step. */
  readonly maxQueuedRecords: number;
  /** Peak of the records queued in any single channel. */
  readonly maxQueuedRecordsPerChannel: number;
  /** In logical node id order. */
  readonly operators: readonly OperatorRunStats[];
}

/**
 * A subtask failed; `cause` is the original error (with the user's stack), `subtaskId` says where.
 * Restart strategies will catch this to decide on a restart.
 */
export class JobExecutionError extends Error {
  constructor(
    readonly subtaskId: string,
    readonly taskName: string,
    cause: unknown,
  ) {
    super(`task '${taskName}' (subtask ${subtaskId}) failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'JobExecutionError';
  }
}

const DEFAULTS = { channelCapacity: 1024, batchSize: 64, stepBudget: 512 };
/** How long to sleep when only idle sources (nothing to poll) are left, so an idle job does not spin. */
const IDLE_SLEEP_MS = 1;

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The single-threaded executor.
 *
 * @example
 * const out = new CollectSink<[string, number]>();
 * env.source({ kind: 'file-lines', payload: { path } }, { uid: 'in' })
 *   .flatMap((l) => l.split(' ')).keyBy((w) => w).process(counter, { uid: 'count' })
 *   .sink(out.spec(), { uid: 'out' });
 * const stats = await new LocalExecutor().run(env);
 */
export class LocalExecutor {
  constructor(private readonly defaults: LocalExecutorOptions = {}) {}

  /** Builds, deploys and runs the job to the end of its (bounded) input; resolves with statistics. */
  async run(job: StreamEnvironment | LogicalGraph, options: LocalExecutorOptions = {}): Promise<RunStats> {
    const o = { ...this.defaults, ...options };
    const graph = job instanceof StreamEnvironment ? job.build() : job;
    const channelCapacity = positiveInt('channelCapacity', o.channelCapacity ?? DEFAULTS.channelCapacity);
    const batchSize = positiveInt('batchSize', o.batchSize ?? DEFAULTS.batchSize);
    const stepBudget = positiveInt('stepBudget', o.stepBudget ?? DEFAULTS.stepBudget);
    const connectors = o.connectors ?? defaultConnectorRegistry();
    const clock = o.clock ?? Date.now;
    const signal = o.signal;
    signal?.throwIfAborted();

    const deployment = deploy(graph, { channelCapacity, batchSize, connectors, clock });
    const { runners, channels } = deployment;
    const start = performance.now();
    let rounds = 0;
    let maxQueued = 0;
    let maxPerChannel = 0;
    let failed = true;
    try {
      await deployment.open();
      for (;;) {
        signal?.throwIfAborted();
        rounds++;
        let progressed = false;
        let unfinished = 0;
        for (const r of runners) {
          if (r.finished) continue;
          try {
            progressed = r.step(stepBudget) || progressed;
          } catch (e) {
            throw new JobExecutionError(r.id, r.parts.name, e);
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
        for (const r of runners) {
          if (r.failure !== undefined) throw new JobExecutionError(r.id, r.parts.name, r.failure.error);
        }
        if (unfinished === 0) break;
        if (progressed) {
          await yieldToEventLoop();
          continue;
        }
        const pending = runners.flatMap((r) => (r.pending === undefined ? [] : [r.pending]));
        if (pending.length > 0) await Promise.race(pending);
        else if (runners.some((r) => r.idle && r.state === 'running')) await sleep(IDLE_SLEEP_MS);
        else throw new Error(`internal: no subtask can make progress (${unfinished} unfinished)`);
      }
      failed = false;
    } finally {
      await deployment.close(failed);
    }

    return {
      jobName: graph.settings.jobName,
      durationMs: performance.now() - start,
      rounds,
      subtasks: runners.length,
      channels: channels.length,
      maxQueuedRecords: maxQueued,
      maxQueuedRecordsPerChannel: maxPerChannel,
      operators: graph.nodes.map((node) => operatorStats(node, deployment.chains)),
    };
  }
}

function operatorStats(node: LogicalNode, chains: readonly { vertexId: number; index: number; chain: OperatorChain }[]): OperatorRunStats {
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

interface DeployOptions {
  readonly channelCapacity: number;
  readonly batchSize: number;
  readonly connectors: ConnectorRegistry;
  readonly clock: () => number;
}

interface Deployment {
  readonly runners: readonly SubtaskRunner[];
  readonly channels: readonly Channel<unknown>[];
  readonly chains: readonly { vertexId: number; index: number; chain: OperatorChain }[];
  /** Opens sources and sinks (sinks may do I/O). */
  open(): Promise<void>;
  /** Releases every connector and chain; on failure, errors while closing are dropped (the run already failed). */
  close(failed: boolean): Promise<void>;
}

/**
 * Instantiates every subtask: channels per execution edge, then per subtask its inputs, output gates,
 * chain and connectors. Everything is created before anything runs, so a bad spec fails the run
 * before any record moves.
 */
function deploy(graph: LogicalGraph, opts: DeployOptions): Deployment {
  const jobGraph = toJobGraph(graph);
  const plan = expandSubtasks(jobGraph);
  const { maxParallelism } = plan;
  const nodeById = (id: number): LogicalNode => {
    const n = graph.nodes[id];
    if (n === undefined) throw new Error(`internal: logical graph has no node #${id}`);
    return n;
  };
  const keySelectorOf = (edge: ExecutionEdge): ((r: unknown) => Key) | undefined => {
    if (edge.partitioner !== 'hash') return undefined;
    const jobEdge = jobGraph.edges[edge.jobEdgeId];
    const sel = jobEdge === undefined ? undefined : graph.edges[jobEdge.logicalEdgeId]?.keySelector;
    if (sel === undefined) throw new Error(`internal: hash edge ${edge.jobEdgeId} has no key selector`);
    return sel;
  };

  /** edge id → `from` → channels by `to` (sparse for forward edges). */
  const channelsByEdge = new Map<number, Map<number, Channel<unknown>[]>>();
  const allChannels: Channel<unknown>[] = [];
  for (const edge of plan.edges) {
    const byFrom = new Map<number, Channel<unknown>[]>();
    for (const c of edge.channels) {
      const ch = new Channel<unknown>(opts.channelCapacity);
      allChannels.push(ch);
      let list = byFrom.get(c.from);
      if (list === undefined) byFrom.set(c.from, (list = []));
      list[c.to] = ch;
    }
    channelsByEdge.set(edge.jobEdgeId, byFrom);
  }

  const runners: SubtaskRunner[] = [];
  const chains: { vertexId: number; index: number; chain: OperatorChain }[] = [];
  const sources: ReplayableSource<unknown>[] = [];
  const sinks: SinkWriter<unknown>[] = [];
  const opens: Array<() => void | Promise<void>> = [];
  try {
    for (const desc of plan.subtasks) {
      const vertex = jobGraph.vertices[desc.vertexId];
      if (vertex === undefined) throw new Error(`internal: no vertex ${desc.vertexId}`);
      const nodes = vertex.operatorIds.map(nodeById);
      const headNode = nodes[0]!;
      const tailNode = nodes[nodes.length - 1]!;

      const gates: OutputGate[] = [];
      for (const edge of plan.edges) {
        if (edge.sourceVertex !== desc.vertexId) continue;
        const downstream = jobGraph.vertices[edge.targetVertex]?.parallelism ?? 0;
        const list = channelsByEdge.get(edge.jobEdgeId)?.get(desc.index) ?? [];
        const sel = keySelectorOf(edge);
        const router = createRouter({
          partitioner: edge.partitioner,
          upstreamIndex: desc.index,
          downstreamParallelism: downstream,
          maxParallelism,
          ...(sel === undefined ? {} : { keySelector: sel }),
        });
        gates.push(new OutputGate(Array.from({ length: downstream }, (_, i) => list[i]), router, opts.batchSize));
      }

      const inputs: SubtaskInput[] = [];
      for (const edge of plan.edges) {
        if (edge.targetVertex !== desc.vertexId) continue;
        const keySelector = keySelectorOf(edge);
        for (const [, list] of channelsByEdge.get(edge.jobEdgeId) ?? []) {
          const ch = list[desc.index];
          if (ch !== undefined) inputs.push({ channel: ch, keySelector });
        }
      }

      const sinkBuffer = { records: [] as unknown[] };
      const tail =
        tailNode.kind === 'sink'
          ? (r: unknown) => {
              sinkBuffer.records.push(r);
            }
          : gates.length === 1
            ? (r: unknown) => gates[0]!.emit(r)
            : (r: unknown) => {
                for (const g of gates) g.emit(r);
              };
      const chain = buildOperatorChain(nodes, tail, {
        subtaskIndex: desc.index,
        parallelism: desc.parallelism,
        maxParallelism,
        stateBackend: graph.settings.stateBackend,
        keyGroupRange: desc.keyGroupRange,
        clock: opts.clock,
        incremental: graph.settings.checkpoint.incremental,
      });
      chains.push({ vertexId: desc.vertexId, index: desc.index, chain });

      let source: ReplayableSource<unknown> | undefined;
      if (headNode.kind === 'source') {
        const s = opts.connectors.createSource(headNode.source);
        sources.push(s);
        source = s;
        opens.push(() => s.open(desc.index, desc.parallelism));
      }
      let sink: SinkWriter<unknown> | undefined;
      if (tailNode.kind === 'sink') {
        const w = opts.connectors.createSink(tailNode.sink, { subtaskIndex: desc.index, parallelism: desc.parallelism });
        sinks.push(w);
        sink = w;
        opens.push(() => w.open?.());
      }
      runners.push(
        new SubtaskRunner({ descriptor: desc, name: vertex.name, chain, gates, inputs, source, sink, sinkBuffer, sourceBatchSize: opts.batchSize }),
      );
    }
  } catch (e) {
    for (const c of chains) {
      try {
        c.chain.close();
      } catch {
        // The deployment error is the one to report.
      }
    }
    throw e;
  }

  return {
    runners,
    channels: allChannels,
    chains,
    async open() {
      for (const open of opens) await open();
    },
    async close(failed) {
      let first: { error: unknown } | undefined;
      const attempt = async (f: () => unknown): Promise<void> => {
        try {
          await f();
        } catch (error) {
          first ??= { error };
        }
      };
      for (const s of sources) await attempt(() => s.close());
      for (const w of sinks) await attempt(() => w.close?.());
      for (const c of chains) await attempt(() => c.chain.close());
      if (first !== undefined && !failed) throw first.error;
    },
  };
}

/**
 * Turns a logical graph into the live objects of one execution attempt: channels per execution edge,
 * and per subtask its inputs, output gates (main and dead-letter), operator chain with restored keyed
 * state, connectors with restored operator state, and checkpoint snapshotter. Everything is created
 * before anything runs, so a bad spec fails the attempt before any record moves.
 */
import { KEYED_OPERATOR_KINDS, STATEFUL_OPERATOR_KINDS, type LogicalGraph, type LogicalNode } from '../api/logical-graph.js';
import type { ReplayableSource } from '../connectors/source.js';
import { toJobGraph } from '../graph/job-graph.js';
import { createRouter } from '../graph/partitioners.js';
import { expandSubtasks, type ExecutionEdge } from '../graph/subtasks.js';
import type { Key } from '../state/types.js';
import type { FileRef } from '../storage/checkpoint-metadata.js';
import { AlignmentAbortReason } from './barrier-aligner.js';
import { Channel } from './channel.js';
import type { SinkWriter } from './connector-registry.js';
import type { AttemptOptions, DeployedChain } from './execution-attempt.js';
import { buildOperatorChain } from './operator-chain.js';
import { OutputGate } from './output-gate.js';
import { decodeSplitEntry, SourceSplits, type SourceSplit } from './source-splits.js';
import { SubtaskSnapshotter } from './subtask-snapshotter.js';
import type { SourceWatermarks } from './source-event-time.js';
import { SubtaskRunner, type SubtaskInput } from './subtask-runner.js';
import { recordTimestamp, TIMESTAMP_STRIDE } from './record-timestamp.js';

/** After a failure, how long teardown waits for sink calls and snapshot writes still in flight. */
const FAILURE_GRACE_MS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The deployed subtasks of one attempt. */
export interface Deployment {
  readonly runners: readonly SubtaskRunner[];
  readonly channels: readonly Channel<unknown>[];
  readonly chains: readonly DeployedChain[];
  /** Opens sources and sinks (sinks may do I/O, e.g. commit restored transactions). */
  open(): Promise<void>;
  /**
   * Waits for queued sink calls and in-flight snapshot writes (before the coordinator detaches). After
   * a failure it waits at most {@link FAILURE_GRACE_MS}: a hung sink call must not keep the job from
   * restarting or stopping.
   */
  settle(failed: boolean): Promise<void>;
  /** Releases every connector and chain; on failure, errors while closing are dropped (the run already failed). */
  close(failed: boolean): Promise<void>;
}

/** The uid of a node that has state, or undefined for stateless ones. */
function stateUid(node: LogicalNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  return STATEFUL_OPERATOR_KINDS.includes(node.kind) ? node.uid : undefined;
}

/**
 * Instantiates every subtask: channels per execution edge, then per subtask its inputs, output gates,
 * chain (with restored keyed state) and connectors. Everything is created before anything runs, so a
 * bad spec fails the attempt before any record moves.
 */
export function deploy(graph: LogicalGraph, opts: AttemptOptions): Deployment {
  const jobGraph = toJobGraph(graph);
  const plan = expandSubtasks(jobGraph);
  // Records carry timestamps between subtasks only in jobs that assign them, so other jobs pay nothing.
  const timestamped = graph.nodes.some((n) => n.kind === 'source' && n.watermarks !== undefined);
  const slotsPerRecord = timestamped ? TIMESTAMP_STRIDE : 1;
  const { maxParallelism } = plan;
  const cp = opts.checkpointing;
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
      const ch = new Channel<unknown>(opts.channelCapacity, slotsPerRecord);
      allChannels.push(ch);
      let list = byFrom.get(c.from);
      if (list === undefined) byFrom.set(c.from, (list = []));
      list[c.to] = ch;
    }
    channelsByEdge.set(edge.jobEdgeId, byFrom);
  }

  const runners: SubtaskRunner[] = [];
  const chains: DeployedChain[] = [];
  const snapshotters: SubtaskSnapshotter[] = [];
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

      const time = recordTimestamp();
      const gates: OutputGate[] = [];
      /** Gates of side-output edges, by side-output id. */
      const sideGates = new Map<string, OutputGate[]>();
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
        const gate = new OutputGate(Array.from({ length: downstream }, (_, i) => list[i]), router, opts.batchSize, timestamped ? time : undefined);
        const side = jobGraph.edges[edge.jobEdgeId]?.sideOutput;
        if (side === undefined) gates.push(gate);
        else {
          let list = sideGates.get(side);
          if (list === undefined) sideGates.set(side, (list = []));
          list.push(gate);
        }
      }

      const inputChannels: Array<Omit<SubtaskInput, 'push'> & { readonly side: 0 | 1 }> = [];
      for (const edge of plan.edges) {
        if (edge.targetVertex !== desc.vertexId) continue;
        const keySelector = keySelectorOf(edge);
        const side = jobGraph.edges[edge.jobEdgeId]?.inputSide ?? 0;
        for (const [, list] of channelsByEdge.get(edge.jobEdgeId) ?? []) {
          const ch = list[desc.index];
          if (ch !== undefined) inputChannels.push({ channel: ch, keySelector, side });
        }
      }

      const restoredOf = (node: LogicalNode | undefined) => {
        const uid = stateUid(node);
        return uid === undefined ? undefined : cp?.restored.stateOf(uid, desc.index);
      };
      const restoredKeyedState = new Map<string, readonly Uint8Array[]>();
      const restoredChains = new Map<string, readonly FileRef[]>();
      for (const node of nodes) {
        const st = KEYED_OPERATOR_KINDS.includes(node.kind) ? restoredOf(node) : undefined;
        if (st === undefined || node.uid === undefined) continue;
        restoredKeyedState.set(node.uid, st.keyedChain);
        restoredChains.set(node.uid, st.sharedChain);
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
        incremental: cp !== undefined && graph.settings.checkpoint.incremental,
        restoredKeyedState,
        sideOutputs: new Map(
          [...sideGates].map(([id, list]) => [
            id,
            (value: unknown) => {
              for (const g of list) g.emit(value);
            },
          ]),
        ),
        time,
      });
      chains.push({ vertexId: desc.vertexId, index: desc.index, chain });
      const inputs: SubtaskInput[] = inputChannels.map(({ channel, keySelector, side }) => {
        const push = chain.heads[side];
        if (push === undefined) throw new Error(`internal: vertex ${desc.vertexId} has no input ${side + 1}`);
        return { channel, keySelector, push };
      });
      let sourceWatermarks: SourceWatermarks | undefined;
      if (headNode.kind === 'source' && headNode.watermarks !== undefined) {
        const strategy = headNode.watermarks;
        sourceWatermarks = {
          assigner: strategy.timestampAssigner!,
          generator: strategy.createGenerator(),
          idleTimeoutMs: strategy.idleTimeoutMs,
        };
      }

      let source: ReplayableSource<unknown> | undefined;
      if (headNode.kind === 'source') {
        const restored = restoredOf(headNode);
        const uid = headNode.uid ?? headNode.name;
        const splits: SourceSplit[] =
          restored === undefined
            ? [{ index: desc.index, parallelism: desc.parallelism }]
            : restored.operatorState.map((entry) => decodeSplitEntry(entry, uid));
        const s = new SourceSplits(splits, () => opts.connectors.createSource(headNode.source));
        sources.push(s);
        source = s;
        opens.push(() => s.open());
      }
      let sink: SinkWriter<unknown> | undefined;
      if (tailNode.kind === 'sink') {
        const w = opts.connectors.createSink(tailNode.sink, {
          subtaskIndex: desc.index,
          parallelism: desc.parallelism,
          checkpointing: cp !== undefined,
        });
        sinks.push(w);
        sink = w;
        const restored = restoredOf(tailNode)?.operatorState ?? [];
        opens.push(() => w.open?.(restored));
      }

      let checkpoints: SubtaskRunner['parts']['checkpoints'];
      if (cp !== undefined) {
        const coordinator = cp.coordinator;
        const snapshotter = new SubtaskSnapshotter({
          subtaskIndex: desc.index,
          keyed: chain.keyed,
          keyGroupRange: desc.keyGroupRange,
          storage: cp.storage,
          codec: cp.codec,
          incremental: graph.settings.checkpoint.incremental,
          restoredChains,
          target: coordinator,
          ...(cp.faults === undefined ? {} : { faults: cp.faults }),
        });
        snapshotters.push(snapshotter);
        checkpoints = {
          mode: graph.settings.checkpoint.mode,
          snapshotter,
          sourceUid: headNode.kind === 'source' ? headNode.uid : undefined,
          sinkUid: tailNode.kind === 'sink' ? tailNode.uid : undefined,
          now: () => performance.now(),
          onAlignmentAborted: (id, reason) => {
            if (reason === AlignmentAbortReason.SUBSUMED) coordinator.subsumedAtSubtask(id);
            else if (reason === AlignmentAbortReason.TOO_MANY_PENDING) coordinator.decline(id, desc.index, new Error('too many checkpoints pending alignment'));
          },
          faults: cp.faults,
        };
      }
      runners.push(
        new SubtaskRunner({
          descriptor: desc,
          name: vertex.name,
          chain,
          gates: [...gates, ...[...sideGates.values()].flat()],
          inputs,
          source,
          sink,
          sinkBuffer,
          sourceBatchSize: opts.batchSize,
          clock: opts.clock,
          time,
          timestamped,
          sourceWatermarks,
          checkpoints,
        }),
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
    async settle(failed) {
      const all = (async () => {
        for (const r of runners) while (r.pending !== undefined) await r.pending;
        for (const s of snapshotters) await s.settle();
      })();
      if (!failed) return all;
      const timedOut = await Promise.race([all.then(() => false), sleep(FAILURE_GRACE_MS).then(() => true)]);
      if (timedOut) console.error(`weir: sink calls or snapshot writes still running ${FAILURE_GRACE_MS} ms after the failure; going on without them`);
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

/**
 * Turns the operators of one task vertex into direct calls for one subtask: each operator's output is
 * the next operator's input function, so a record crosses a whole chain without a queue (Flink's
 * operator chaining). The chain's tail hands records to the output gates or to a sink buffer.
 */
import type { DeadLetter } from '../api/functions.js';
import { DEAD_LETTERS_OUTPUT, type LogicalNode } from '../api/logical-graph.js';
import type { KeyGroupRange } from '../state/key-groups.js';
import type { Key, KeyedStateBackend, StateBackendKind } from '../state/types.js';
import { instantiateKeyed } from './keyed-operator.js';
import type { KeyedTimerService } from './keyed-timer-service.js';
import type { RecordTimestamp } from './record-timestamp.js';

/**
 * Feeds one record into an operator. `key` is set only for the head of a keyed chain (extracted from
 * the input edge's key selector); operators inside a chain never need it.
 */
export type PushFn = (record: unknown, key: Key | undefined) => void;

/** Records an operator handled in one subtask; the executor sums these into run statistics. */
export interface OperatorCounter {
  readonly node: LogicalNode;
  records: number;
}

/** What a chain needs to know about the subtask it runs in. */
export interface ChainContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly stateBackend: StateBackendKind;
  /** Present for keyed vertices: the key groups this subtask's state and records belong to. */
  readonly keyGroupRange: KeyGroupRange | undefined;
  readonly clock: () => number;
  /** Track changes for incremental snapshots (the job's checkpoint setting). */
  readonly incremental: boolean;
  /**
   * The side outputs of the chain's tail operator that some stream reads, by tag id (dead letters
   * under {@link DEAD_LETTERS_OUTPUT}). An operator with a side output is always a chain's tail.
   */
  readonly sideOutputs: ReadonlyMap<string, (value: unknown) => void>;
  /** The subtask's timestamp cell: the event timestamp of the record being pushed. */
  readonly time: RecordTimestamp;
  /**
   * Restored keyed state by operator uid: a full snapshot then incrementals, as the backend's `restore`
   * takes them. Restored before the user function's `open`, as Flink does, so `open` sees the state.
   */
  readonly restoredKeyedState?: ReadonlyMap<string, readonly Uint8Array[]>;
}

/** A keyed operator of this subtask: its uid (what checkpoints key its state by) and its backend. */
export interface KeyedOperatorInstance {
  readonly uid: string;
  readonly backend: KeyedStateBackend;
}

/** An error thrown downstream of a dead-lettering operator: it is not the operator's failure, so it passes through. */
class DownstreamFailure {
  constructor(readonly error: unknown) {}
}

/** Wraps what follows a dead-lettering operator so its failures are told apart from the operator's own. */
function markDownstreamFailures(downstream: PushFn): PushFn {
  return (r, k) => {
    try {
      downstream(r, k);
    } catch (e) {
      throw e instanceof DownstreamFailure ? e : new DownstreamFailure(e);
    }
  };
}

/**
 * Runs `operator` so that a record its function throws on goes to `output` as a {@link DeadLetter}
 * instead of failing the task; errors from further downstream still fail it.
 */
function routeFailuresToDeadLetters(operator: PushFn, node: LogicalNode, output: ((letter: DeadLetter<unknown>) => void) | undefined): PushFn {
  if (output === undefined) throw new Error(`internal: operator '${node.name}' has dead letters but nowhere to send them`);
  return (r, k) => {
    try {
      operator(r, k);
    } catch (e) {
      if (e instanceof DownstreamFailure) throw e.error;
      const error = e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : { name: 'Error', message: String(e), stack: undefined };
      output({ record: r, operator: node.name, error });
    }
  };
}

/** One subtask's instantiated chain (without its source or sink connector, which the task owns). */
export interface OperatorChain {
  /** Entry point: the first non-source operator (for a source task, records go here after counting). */
  readonly head: PushFn;
  /** One entry point per input of the head operator: `[head]`, or both inputs of a two-input operator. */
  readonly heads: readonly PushFn[];
  /** One per logical node of the vertex, head first (the source node included). */
  readonly counters: readonly OperatorCounter[];
  /** This subtask's keyed operators, head first; checkpoints snapshot their backends. */
  readonly keyed: readonly KeyedOperatorInstance[];
  /**
   * Fires every processing-time timer due at `now` (timestamp <= now), oldest first, each with its key
   * set; returns how many fired. The subtask calls it at the start of each step. Timers registered
   * while firing fire at the next call even when already due (so a self-renewing timer cannot loop).
   * When a bounded input ends, pending timers are not fired (Flink's default).
   */
  fireTimers(now: number): number;
  /** The earliest registered processing-time timer's timestamp, or undefined: when an idle job must wake up. */
  nextTimerAt(): number | undefined;
  /**
   * The subtask's watermark advanced: fires the keyed operators' event-time timers at or below it
   * (their output goes downstream before the watermark does); returns how many fired.
   */
  advanceWatermark(watermark: number): number;
  /** Checkpoint `checkpointId` is durable: tells every keyed function that has the hook. */
  notifyCheckpointComplete(checkpointId: number): void;
  /** Calls the user functions' `close` and releases the backends; safe to call once, after success or failure. */
  close(): void;
}

/**
 * Builds the direct-call chain for `nodes` (one vertex, head first). `tail` receives the last
 * operator's output (output gates or the sink buffer). A leading source or trailing sink node only
 * counts records: its connector is driven by the task.
 */
export function buildOperatorChain(nodes: readonly LogicalNode[], tail: PushFn, ctx: ChainContext): OperatorChain {
  const counters: OperatorCounter[] = nodes.map((node) => ({ node, records: 0 }));
  const keyedOps: KeyedOperatorInstance[] = [];
  const timerServices: KeyedTimerService[] = [];
  const closers: Array<() => void> = [];
  const checkpointListeners: Array<(checkpointId: number) => void> = [];
  let next: PushFn = tail;
  let heads: PushFn[] | undefined;
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    const counter = counters[i]!;
    const downstream = node.deadLetters ? markDownstreamFailures(next) : next;
    switch (node.kind) {
      case 'source':
      case 'sink':
        next = (r, k) => {
          counter.records++;
          downstream(r, k);
        };
        break;
      case 'map': {
        const fn = node.fn;
        next = (r) => {
          counter.records++;
          downstream(fn(r), undefined);
        };
        break;
      }
      case 'filter': {
        const fn = node.fn;
        next = (r) => {
          counter.records++;
          if (fn(r)) downstream(r, undefined);
        };
        break;
      }
      case 'flatMap': {
        const fn = node.fn;
        next = (r) => {
          counter.records++;
          for (const out of fn(r)) downstream(out, undefined);
        };
        break;
      }
      case 'keyedProcess':
      case 'keyedCoProcess': {
        // A keyed operator's input is a hash edge, never forward, so it always heads its chain.
        if (i !== 0) throw new Error(`internal: keyed operator '${node.name}' is not the head of its chain`);
        const uid = node.uid ?? `node-${node.id}`;
        const methods = node.kind === 'keyedProcess' ? (['processElement'] as const) : (['processElement1', 'processElement2'] as const);
        const keyed = instantiateKeyed(node.fn, methods, uid, downstream, ctx);
        keyedOps.push({ uid, backend: keyed.backend });
        timerServices.push(keyed.timers);
        closers.push(keyed.close);
        const f = node.fn;
        if (f.notifyCheckpointComplete !== undefined) checkpointListeners.push((id) => f.notifyCheckpointComplete!.call(keyed.instance, id));
        heads = keyed.inputs.map((process) => {
          const push: PushFn = (r, k) => {
            counter.records++;
            process(r, k);
          };
          return node.deadLetters ? routeFailuresToDeadLetters(push, node, ctx.sideOutputs.get(DEAD_LETTERS_OUTPUT)) : push;
        });
        next = heads[0]!;
        continue;
      }
    }
    if (node.deadLetters) next = routeFailuresToDeadLetters(next, node, ctx.sideOutputs.get(DEAD_LETTERS_OUTPUT));
  }
  let closed = false;
  return {
    head: next,
    heads: heads ?? [next],
    counters,
    keyed: keyedOps,
    notifyCheckpointComplete(checkpointId) {
      if (closed) return;
      for (const l of checkpointListeners) l(checkpointId);
    },
    fireTimers(now) {
      if (closed) return 0;
      let fired = 0;
      for (const t of timerServices) fired += t.fireProcessingTimers(now);
      return fired;
    },
    advanceWatermark(watermark) {
      if (closed) return 0;
      let fired = 0;
      for (const t of timerServices) fired += t.advanceWatermark(watermark);
      return fired;
    },
    nextTimerAt() {
      if (closed) return undefined;
      let earliest: number | undefined;
      for (const t of timerServices) {
        const at = t.nextProcessingTimerAt();
        if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
      }
      return earliest;
    },
    close() {
      if (closed) return;
      closed = true;
      let first: unknown;
      for (const c of closers) {
        try {
          c();
        } catch (e) {
          first ??= e;
        }
      }
      if (first !== undefined) throw first;
    },
  };
}

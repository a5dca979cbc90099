/**
 * Turns the operators of one task vertex into direct calls for one subtask: each operator's output is
 * the next operator's input function, so a record crosses a whole chain without a queue (Flink's
 * operator chaining). The chain's tail hands records to the output gates or to a sink buffer.
 */
import type { Collector, DeadLetter, KeyedProcessFunction, KeyedRuntimeContext, TimerService } from '../api/functions.js';
import type { LogicalNode } from '../api/logical-graph.js';
import { createKeyedStateBackend } from '../state/backend-factory.js';
import type { KeyGroupRange } from '../state/key-groups.js';
import type { Key, KeyedStateBackend, StateBackendKind, StateDescriptor } from '../state/types.js';
import { ProcessingTimeTimerService, RESERVED_STATE_PREFIX, type FireTimerFn } from './processing-time-timers.js';

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
  /** Where the chain's tail operator sends its dead letters, when a stream reads them. */
  readonly deadLetterOutput?: (letter: DeadLetter<unknown>) => void;
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
  /** The earliest registered timer's timestamp, or undefined: when an idle job must wake up. */
  nextTimerAt(): number | undefined;
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
  const timerServices: ProcessingTimeTimerService[] = [];
  const closers: Array<() => void> = [];
  const checkpointListeners: Array<(checkpointId: number) => void> = [];
  let next: PushFn = tail;
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
      case 'keyedProcess': {
        // A keyed operator's input is a hash edge, never forward, so it always heads its chain.
        if (i !== 0) throw new Error(`internal: keyed operator '${node.name}' is not the head of its chain`);
        const uid = node.uid ?? `node-${node.id}`;
        const keyed = instantiateKeyed(node.fn, uid, downstream, ctx);
        keyedOps.push({ uid, backend: keyed.backend });
        timerServices.push(keyed.timers);
        closers.push(keyed.close);
        const f = node.fn;
        if (f.notifyCheckpointComplete !== undefined) checkpointListeners.push((id) => f.notifyCheckpointComplete!.call(keyed.instance, id));
        const process = keyed.process;
        next = (r, k) => {
          counter.records++;
          process(r, k);
        };
        break;
      }
    }
    if (node.deadLetters) next = routeFailuresToDeadLetters(next, node, ctx.deadLetterOutput);
  }
  let closed = false;
  return {
    head: next,
    counters,
    keyed: keyedOps,
    notifyCheckpointComplete(checkpointId) {
      if (closed) return;
      for (const l of checkpointListeners) l(checkpointId);
    },
    fireTimers(now) {
      if (closed) return 0;
      let fired = 0;
      for (const t of timerServices) fired += t.fireDue(now);
      return fired;
    },
    nextTimerAt() {
      if (closed) return undefined;
      let earliest: number | undefined;
      for (const t of timerServices) {
        const at = t.nextTimerAt();
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

interface KeyedInstance {
  /** The per-subtask object the user's methods run on. */
  readonly instance: KeyedProcessFunction<Key, unknown, unknown>;
  readonly backend: KeyedStateBackend;
  readonly timers: ProcessingTimeTimerService;
  readonly process: PushFn;
  readonly close: () => void;
}

/** Lets a user state through unless its name is one weir keeps for its own keyed state (timers). */
function userState<D extends StateDescriptor>(operatorUid: string, d: D): D {
  if (d.name.startsWith(RESERVED_STATE_PREFIX)) {
    throw new Error(
      `operator '${operatorUid}': state name '${d.name}' is reserved (names starting with '${RESERVED_STATE_PREFIX}' hold weir's own keyed state, such as timers)`,
    );
  }
  return d;
}

function instantiateKeyed(
  shared: KeyedProcessFunction<Key, unknown, unknown>,
  operatorUid: string,
  downstream: PushFn,
  ctx: ChainContext,
): KeyedInstance {
  // All subtasks share the user's object in one process; a per-subtask instance inheriting from it
  // keeps what `open` stores on `this` (state handles) apart, as Flink's per-subtask copy does.
  const fn = Object.create(shared) as KeyedProcessFunction<Key, unknown, unknown>;
  const range = ctx.keyGroupRange;
  if (range === undefined) throw new Error(`internal: keyed operator '${operatorUid}' runs in a subtask without a key-group range`);
  const backend = createKeyedStateBackend(ctx.stateBackend, {
    maxParallelism: ctx.maxParallelism,
    keyGroupRange: range,
    clock: ctx.clock,
    incremental: ctx.incremental,
  });
  const out: Collector<unknown> = { collect: (v) => downstream(v, undefined) };
  const onTimer = fn.onTimer;
  const fire: FireTimerFn | undefined = onTimer && ((timestampMs, timerCtx) => onTimer.call(fn, timestampMs, timerCtx, out));
  const timers = new ProcessingTimeTimerService(backend, ctx.clock, operatorUid, fire);
  // One context object reused for every element (the timer service reuses one per timer), as Flink
  // does: no allocation per record.
  const elementCtx: { key: Key; readonly timerService: TimerService } = { key: '', timerService: timers };
  const runtime: KeyedRuntimeContext = {
    operatorUid,
    subtaskIndex: ctx.subtaskIndex,
    parallelism: ctx.parallelism,
    maxParallelism: ctx.maxParallelism,
    getState: (d) => backend.getState(userState(operatorUid, d)),
    getListState: (d) => backend.getListState(userState(operatorUid, d)),
    getMapState: (d) => backend.getMapState(userState(operatorUid, d)),
    getReducingState: (d) => backend.getReducingState(userState(operatorUid, d)),
    getAggregatingState: (d) => backend.getAggregatingState(userState(operatorUid, d)),
  };
  try {
    const restored = ctx.restoredKeyedState?.get(operatorUid);
    if (restored !== undefined && restored.length > 0) backend.restore(restored);
    fn.open?.(runtime);
  } catch (e) {
    backend.dispose();
    throw e;
  }
  try {
    // after open: rebuilding sets the backend's current key, and open must not run with a stray key set
    timers.restore();
  } catch (e) {
    try {
      fn.close?.();
    } catch {
      // the restore error is the one to report
    }
    backend.dispose();
    throw e;
  }
  return {
    instance: fn,
    backend,
    timers,
    process: (record, key) => {
      if (key === undefined) throw new Error(`internal: keyed operator '${operatorUid}' got a record without a key`);
      // the backend owns exactly this subtask's key-group range and throws for a key outside it, so a
      // routing bug fails here instead of writing state a restore would lose
      backend.setCurrentKey(key);
      elementCtx.key = key;
      fn.processElement(record, elementCtx, out);
    },
    close: () => {
      try {
        fn.close?.();
      } finally {
        backend.dispose();
      }
    },
  };
}

/**
 * One subtask's instance of a keyed operator (a keyed process function, or a keyed co-process function
 * over two inputs): its own copy of the user's object, its state backend with restored state, its
 * timers, and the contexts its callbacks get. Contexts are single objects reused for every element and
 * timer, as Flink does: no allocation per record.
 */
import type {
  Collector,
  KeyedCoProcessFunction,
  KeyedProcessContext,
  KeyedProcessFunction,
  KeyedRuntimeContext,
  OnTimerContext,
  OutputTag,
  TimeDomain,
} from '../api/functions.js';
import { createKeyedStateBackend } from '../state/backend-factory.js';
import type { Key, KeyedStateBackend, StateDescriptor } from '../state/types.js';
import { KeyedTimerService } from './keyed-timer-service.js';
import type { ChainContext, PushFn } from './operator-chain.js';
import { NO_TIMESTAMP, timestampOf } from './record-timestamp.js';
import { RESERVED_STATE_PREFIX } from './timer-queue.js';

/** The user object of a one- or two-input keyed operator; methods are looked up by name. */
type KeyedFunction = KeyedProcessFunction<Key, unknown, unknown> | KeyedCoProcessFunction<Key, unknown, unknown, unknown>;

/** A keyed operator running in one subtask. */
export interface KeyedOperatorRuntime {
  /** The per-subtask object the user's methods run on. */
  readonly instance: KeyedFunction;
  readonly backend: KeyedStateBackend;
  readonly timers: KeyedTimerService;
  /** One push function per input: `processElement`, or `processElement1` and `processElement2`. */
  readonly inputs: readonly PushFn[];
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

/**
 * Instantiates `shared` for this subtask: backend (restored before `open`, as Flink does, so `open`
 * sees the state), then `open`, then the timers rebuilt from state. `inputs` names the method each
 * input calls. `downstream` takes the operator's main output.
 */
export function instantiateKeyed(
  shared: KeyedFunction,
  inputMethods: readonly ('processElement' | 'processElement1' | 'processElement2')[],
  operatorUid: string,
  downstream: PushFn,
  ctx: ChainContext,
): KeyedOperatorRuntime {
  // All subtasks share the user's object in one process; a per-subtask instance inheriting from it
  // keeps what `open` stores on `this` (state handles) apart, as Flink's per-subtask copy does.
  const fn = Object.create(shared) as KeyedFunction & Record<string, unknown>;
  const range = ctx.keyGroupRange;
  if (range === undefined) throw new Error(`internal: keyed operator '${operatorUid}' runs in a subtask without a key-group range`);
  const backend = createKeyedStateBackend(ctx.stateBackend, {
    maxParallelism: ctx.maxParallelism,
    keyGroupRange: range,
    clock: ctx.clock,
    incremental: ctx.incremental,
  });
  const time = ctx.time;
  const out: Collector<unknown> = { collect: (v) => downstream(v, undefined) };
  const sideOutputs = ctx.sideOutputs;
  const output = <X>(tag: OutputTag<X>, value: X): void => {
    // as in Flink, a side output nobody reads is dropped
    sideOutputs.get(tag.id)?.(value);
  };

  const onTimer = fn.onTimer;
  const timerCtx = {
    key: 0 as Key,
    timestampMs: 0,
    timeDomain: 'event-time' as TimeDomain,
    get timestamp(): number | undefined {
      return timestampOf(time);
    },
    timerService: undefined as unknown as KeyedTimerService,
    output,
  };
  const fire =
    onTimer &&
    ((timestampMs: number, key: Key, domain: TimeDomain): void => {
      // an event-time timer's output carries the timer's time; a processing-time one's carries none
      time.ts = domain === 'event-time' ? timestampMs : NO_TIMESTAMP;
      timerCtx.key = key;
      timerCtx.timestampMs = timestampMs;
      timerCtx.timeDomain = domain;
      try {
        onTimer.call(fn, timestampMs, timerCtx as OnTimerContext<Key>, out);
      } finally {
        // records that follow without a timestamp of their own must not inherit the timer's
        time.ts = NO_TIMESTAMP;
      }
    });
  const timers = new KeyedTimerService(backend, ctx.clock, operatorUid, fire);
  timerCtx.timerService = timers;
  const elementCtx = {
    key: '' as Key,
    get timestamp(): number | undefined {
      return timestampOf(time);
    },
    timerService: timers,
    output,
  };
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
  const inputs = inputMethods.map((method): PushFn => {
    const process = fn[method] as ((value: unknown, c: KeyedProcessContext<Key>, o: Collector<unknown>) => void) | undefined;
    if (typeof process !== 'function') throw new Error(`operator '${operatorUid}': the function has no ${method} method`);
    return (record, key) => {
      if (key === undefined) throw new Error(`internal: keyed operator '${operatorUid}' got a record without a key`);
      // the backend owns exactly this subtask's key-group range and throws for a key outside it, so a
      // routing bug fails here instead of writing state a restore would lose
      backend.setCurrentKey(key);
      elementCtx.key = key;
      process.call(fn, record, elementCtx, out);
    };
  });
  return {
    instance: fn,
    backend,
    timers,
    inputs,
    close: () => {
      try {
        fn.close?.();
      } finally {
        backend.dispose();
      }
    },
  };
}

/**
 * The stream types user code chains calls on. They only record: every call adds a node to the
 * environment's draft graph, and nothing is checked until `env.build()`, so a job can be assembled in
 * any order and all problems are reported in one place.
 */
import type { Key } from '../state/types.js';
import type {
  DeadLetter,
  FilterFunction,
  FlatMapFunction,
  KeyedCoProcessFunction,
  KeyedProcessFunction,
  KeySelector,
  MapFunction,
  OutputTag,
} from './functions.js';
import { JobBuildError } from './job-build-error.js';
import { DEAD_LETTERS_OUTPUT, type EdgePartitioning, type LogicalNode } from './logical-graph.js';
import type { SinkSpec } from './specs.js';
import type { WatermarkStrategy } from './watermark-strategy.js';
import type { WindowAssigner } from './windows/assigners.js';
import { coGroupStreams, joinStreams, type CoGroupedStreams, type JoinedStreams } from './windows/join.js';
import { WindowedStream } from './windows/windowed-stream.js';

/** Per-operator options of stateless operators (map, filter, flatMap). */
export interface OperatorOptions {
  /** Stable id for state matching; optional for stateless operators (they have no state to match). */
  readonly uid?: string;
  readonly name?: string;
  /** Overrides the environment's parallelism for this operator. */
  readonly parallelism?: number;
  /** Same as calling `disableChaining()`. */
  readonly disableChaining?: boolean;
}

/** Options of stateful operators (source, keyed process, sink): the uid is required, so a savepoint can find their state after a job change. */
export interface StatefulOperatorOptions extends OperatorOptions {
  readonly uid: string;
}

/** Options of a source: a uid, and how its records get event timestamps and watermarks. */
export interface SourceOptions<T> extends StatefulOperatorOptions {
  /** Absent: records carry no timestamp and the source emits no watermark until it ends. */
  readonly watermarks?: WatermarkStrategy<T>;
}

/** The part of a node the kind decides: its kind and user payload. */
export type NodeBody = LogicalNode extends infer N
  ? N extends LogicalNode
    ? Pick<N, Exclude<keyof N, 'id' | 'name' | 'uid' | 'parallelism' | 'chainable' | 'deadLetters'>>
    : never
  : never;

/** A node as recorded before `build()`: settings may still change and are unresolved. */
export interface OperatorDraft {
  readonly id: number;
  readonly body: NodeBody;
  name: string | undefined;
  uid: string | undefined;
  parallelism: number | undefined;
  chainable: boolean;
  deadLetters: boolean;
}

/** One input of a node as recorded before `build()`. */
export interface InputDraft {
  readonly source: number;
  readonly partitioning: EdgePartitioning;
  readonly keySelector?: KeySelector<any, Key>;
  /** Reads this side output of the source (dead letters among them) rather than its main output. */
  readonly sideOutput?: string;
  /** The second input of a two-input operator. */
  readonly inputSide?: 1;
}

/**
 * What streams record into. The environment implements it; streams hold it rather than the
 * environment class so the two modules do not import each other, and identity of the recorder is what
 * tells streams of different environments apart.
 */
export interface JobRecorder {
  addOperator(body: NodeBody, inputs: readonly InputDraft[], options: OperatorOptions | undefined): OperatorDraft;
}

/** One producer feeding a stream, with how it is asked to partition towards the next operator. */
export interface StreamInput {
  readonly nodeId: number;
  readonly partitioning: Exclude<EdgePartitioning, 'hash'>;
  /** This side output of the producer rather than its main output. */
  readonly sideOutput?: string;
}

/** A stream of `T`: the output of one operator, or the union of several. */
export class DataStream<T> {
  /** Use `env.source(...)` and the transformations; the constructor is for this module and the environment. */
  constructor(
    /** The environment's recorder; the same object for every stream of one environment. */
    readonly recorder: JobRecorder,
    /** Never empty; more than one after `union`. */
    readonly inputs: readonly StreamInput[],
  ) {}

  /** One output per element. */
  map<R>(fn: MapFunction<T, R>, options?: OperatorOptions): OperatorStream<R> {
    return this.append({ kind: 'map', fn }, options);
  }

  /** Keeps the elements `fn` accepts. */
  filter(fn: FilterFunction<T>, options?: OperatorOptions): OperatorStream<T> {
    return this.append({ kind: 'filter', fn }, options);
  }

  /** Zero or more outputs per element. */
  flatMap<R>(fn: FlatMapFunction<T, R>, options?: OperatorOptions): OperatorStream<R> {
    return this.append({ kind: 'flatMap', fn }, options);
  }

  /** Partitions by key: the next (keyed) operator sees all elements of a key in one subtask. */
  keyBy<K extends Key>(selector: KeySelector<T, K>): KeyedStream<K, T> {
    return new KeyedStream<K, T>(this.recorder, this.inputs, selector);
  }

  /**
   * Merges streams of the same type; the next operator reads all of them. Throws `foreign-stream`
   * at once (not at build) because the other environment's operators cannot be part of this job.
   */
  union(...others: DataStream<T>[]): DataStream<T> {
    for (const other of others) {
      if (other.recorder !== this.recorder) {
        throw new JobBuildError(
          'foreign-stream',
          'union',
          'union: cannot union streams of different environments; build each job from one environment',
        );
      }
    }
    return new DataStream<T>(this.recorder, [this, ...others].flatMap((s) => s.inputs));
  }

  /** Round-robin distribution to the next operator, e.g. to spread a skewed source. */
  rebalance(): DataStream<T> {
    return this.repartition('rebalance');
  }

  /** Every element to every subtask of the next operator. */
  broadcast(): DataStream<T> {
    return this.repartition('broadcast');
  }

  /**
   * Connects two streams (of possibly different types) for a two-input operator; key both sides with
   * `keyBy(keyA, keyB)` and `process` them with a {@link KeyedCoProcessFunction}.
   */
  connect<R>(other: DataStream<R>): ConnectedStreams<T, R> {
    if (other.recorder !== this.recorder) {
      throw new JobBuildError('foreign-stream', 'connect', 'connect: cannot connect streams of different environments; build each job from one environment');
    }
    return new ConnectedStreams<T, R>(this, other);
  }

  /**
   * Joins with `other` on equal keys within windows (Flink's window join):
   * `a.join(b).where(ka).equalTo(kb).window(assigner).apply((x, y) => r, { uid })`.
   */
  join<B>(other: DataStream<B>): JoinedStreams<T, B> {
    return joinStreams(this, other);
  }

  /** Like {@link join}, but the function gets both sides' records of a key and window at once (also when one side is empty). */
  coGroup<B>(other: DataStream<B>): CoGroupedStreams<T, B> {
    return coGroupStreams(this, other);
  }

  /** Writes the stream to a sink. */
  sink(sink: SinkSpec<T>, options: StatefulOperatorOptions): SinkOperator {
    const draft = this.recorder.addOperator({ kind: 'sink', sink }, this.inputDrafts(), options);
    return new SinkOperator(draft);
  }

  private append<R>(body: NodeBody, options: OperatorOptions | undefined): OperatorStream<R> {
    const draft = this.recorder.addOperator(body, this.inputDrafts(), options);
    return new OperatorStream<R>(this.recorder, draft);
  }

  private inputDrafts(): InputDraft[] {
    return this.inputs.map((i) => ({ source: i.nodeId, partitioning: i.partitioning, ...(i.sideOutput === undefined ? {} : { sideOutput: i.sideOutput }) }));
  }

  private repartition(partitioning: StreamInput['partitioning']): DataStream<T> {
    return new DataStream<T>(
      this.recorder,
      this.inputs.map((i) => ({ ...i, partitioning })),
    );
  }
}

/** Settings of the operator that produced a stream or of a sink; shared so both expose the same setters. */
class OperatorSettings {
  constructor(protected readonly draft: OperatorDraft) {}

  /** The operator's id in the logical graph. */
  get nodeId(): number {
    return this.draft.id;
  }

  /** Checked at build: an integer in [1, maxParallelism]. */
  setParallelism(parallelism: number): this {
    this.draft.parallelism = parallelism;
    return this;
  }

  /** Stable id for state matching across job versions (DESIGN.md point 7). */
  uid(uid: string): this {
    this.draft.uid = uid;
    return this;
  }

  /** Display name in the job graph, logs and metrics. */
  name(name: string): this {
    this.draft.name = name;
    return this;
  }

  /** Runs the operator in its own task, e.g. to isolate an expensive function or see its metrics. */
  disableChaining(): this {
    this.draft.chainable = false;
    return this;
  }

  /** Routes failing records to the dead-letter output (see {@link OperatorStream.deadLetters}). */
  enableDeadLetters(): this {
    this.draft.deadLetters = true;
    return this;
  }
}

/** The output of a single operator: a stream whose producing operator can still be configured. */
export class OperatorStream<T> extends DataStream<T> {
  private readonly settings: OperatorSettings;

  constructor(recorder: JobRecorder, draft: OperatorDraft) {
    super(recorder, [{ nodeId: draft.id, partitioning: 'default' }]);
    this.settings = new OperatorSettings(draft);
  }

  /** The producing operator's id in the logical graph. */
  get nodeId(): number {
    return this.settings.nodeId;
  }

  /** See {@link OperatorSettings.setParallelism}. */
  setParallelism(parallelism: number): this {
    this.settings.setParallelism(parallelism);
    return this;
  }

  /** See {@link OperatorSettings.uid}. */
  uid(uid: string): this {
    this.settings.uid(uid);
    return this;
  }

  /** See {@link OperatorSettings.name}. */
  name(name: string): this {
    this.settings.name(name);
    return this;
  }

  /** See {@link OperatorSettings.disableChaining}. */
  disableChaining(): this {
    this.settings.disableChaining();
    return this;
  }

  /**
   * The records this operator's function threw on, each with the error, as a stream of its own
   * (Flink's side output). Once called, a throwing record no longer fails the task: it goes here and is
   * never silently dropped. State the function changed before throwing stays changed. Only for
   * map, filter, flatMap and keyed process operators (checked at build).
   *
   * @example
   * const parsed = lines.map(JSON.parse, { name: 'parse' });
   * parsed.deadLetters().sink(badLinesSink, { uid: 'bad-lines' });
   */
  deadLetters(): DataStream<DeadLetter<unknown>> {
    this.settings.enableDeadLetters();
    return new DataStream<DeadLetter<unknown>>(this.recorder, [{ nodeId: this.nodeId, partitioning: 'default', sideOutput: DEAD_LETTERS_OUTPUT }]);
  }

  /**
   * What the operator's function emitted with `ctx.output(tag, value)`, as a stream of its own
   * (Flink's `getSideOutput`). Side outputs nobody reads are dropped.
   */
  sideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    if (typeof tag?.id !== 'string' || tag.id.length === 0 || tag.id.startsWith('__weir.')) {
      throw new TypeError(`sideOutput: a tag needs a non-empty id not starting with '__weir.' (use outputTag('name')), got ${JSON.stringify(tag?.id)}`);
    }
    return new DataStream<X>(this.recorder, [{ nodeId: this.nodeId, partitioning: 'default', sideOutput: tag.id }]);
  }
}

/** A sink in the job: the end of a pipeline, configurable like any operator. */
export class SinkOperator extends OperatorSettings {}

/** A stream partitioned by key; only keyed operations apply to it. */
export class KeyedStream<K extends Key, T> {
  constructor(
    private readonly recorder: JobRecorder,
    private readonly producers: readonly StreamInput[],
    /** Applied to each element by the upstream subtask to pick the downstream one. */
    readonly keySelector: KeySelector<T, K>,
  ) {}

  /** Groups each key's elements into windows (Flink's `window`); aggregate, reduce or process them next. */
  window(assigner: WindowAssigner): WindowedStream<K, T> {
    return new WindowedStream<K, T>(this, assigner);
  }

  /** Per-key processing with state and timers. */
  process<R>(fn: KeyedProcessFunction<K, T, R>, options: StatefulOperatorOptions): OperatorStream<R> {
    const draft = this.recorder.addOperator({ kind: 'keyedProcess', fn }, hashInputs(this.producers, this.keySelector), options);
    return new OperatorStream<R>(this.recorder, draft);
  }
}

/** Hash-partitioned input drafts of a keyed operator: every producer, keyed by `selector`. */
function hashInputs(producers: readonly StreamInput[], selector: KeySelector<any, Key>, inputSide?: 1): InputDraft[] {
  return producers.map((p) => ({
    source: p.nodeId,
    ...(p.sideOutput === undefined ? {} : { sideOutput: p.sideOutput }),
    partitioning: 'hash' as const,
    keySelector: selector,
    ...(inputSide === 1 ? { inputSide } : {}),
  }));
}

/** Two streams connected for a two-input operator (Flink's `ConnectedStreams`). */
export class ConnectedStreams<A, B> {
  constructor(
    readonly first: DataStream<A>,
    readonly second: DataStream<B>,
  ) {}

  /** Keys both inputs; records of either input with equal keys meet in one subtask and one key's state. */
  keyBy<K extends Key>(keyFirst: KeySelector<A, K>, keySecond: KeySelector<B, K>): ConnectedKeyedStreams<K, A, B> {
    return new ConnectedKeyedStreams<K, A, B>(this.first, this.second, keyFirst, keySecond);
  }
}

/** Two connected streams keyed on one key type; `process` adds the two-input operator. */
export class ConnectedKeyedStreams<K extends Key, A, B> {
  constructor(
    private readonly first: DataStream<A>,
    private readonly second: DataStream<B>,
    private readonly keyFirst: KeySelector<A, K>,
    private readonly keySecond: KeySelector<B, K>,
  ) {}

  /** Per-key processing of both inputs with shared state and timers. */
  process<R>(fn: KeyedCoProcessFunction<K, A, B, R>, options: StatefulOperatorOptions): OperatorStream<R> {
    const inputs = [
      ...hashInputs(this.first.inputs, this.keyFirst as KeySelector<any, Key>),
      ...hashInputs(this.second.inputs, this.keySecond as KeySelector<any, Key>, 1),
    ];
    const recorder = this.first.recorder;
    const draft = recorder.addOperator({ kind: 'keyedCoProcess', fn }, inputs, options);
    return new OperatorStream<R>(recorder, draft);
  }
}

/**
 * The job builder: holds job-wide settings and records operators. `build()` validates everything and
 * returns the logical graph; nothing runs here (the runtime takes the graph).
 *
 * @example
 * const env = new StreamEnvironment({ parallelism: 4, stateBackend: 'wasm' });
 * env.source(clicks, { uid: 'clicks' })
 *   .filter((c) => c.valid)
 *   .keyBy((c) => c.userId)
 *   .process(counter, { uid: 'count-per-user' })
 *   .sink(printSink, { uid: 'out' });
 * const graph = env.build();
 */
import {
  resolveCheckpointSettings,
  type CheckpointSettings,
  type CheckpointSettingsInput,
} from '../checkpoint/checkpoint-settings.js';
import {
  resolveRestartConfig,
  type ResolvedRestartConfig,
  type RestartStrategyConfig,
} from '../checkpoint/restart-config.js';
import { STATE_BACKEND_KINDS } from '../state/backend-factory.js';
import { DEFAULT_MAX_PARALLELISM, validateMaxParallelism } from '../state/key-groups.js';
import type { StateBackendKind } from '../state/types.js';
import {
  OperatorStream,
  type InputDraft,
  type JobRecorder,
  type NodeBody,
  type OperatorDraft,
  type OperatorOptions,
  type SourceOptions,
} from './data-stream.js';
import { JobBuildError } from './job-build-error.js';
import {
  DEAD_LETTERS_OUTPUT,
  STATEFUL_OPERATOR_KINDS,
  type JobSettings,
  type LogicalEdge,
  type LogicalGraph,
  type LogicalNode,
  type LogicalOperatorKind,
} from './logical-graph.js';
import type { SourceSpec } from './specs.js';
import { WatermarkStrategy } from './watermark-strategy.js';

/** Job-wide options; every one has a default. */
export interface StreamEnvironmentOptions {
  /** Shown in logs and the REST API. Default 'weir-job'. */
  readonly jobName?: string;
  /** Default operator parallelism. Default 1. */
  readonly parallelism?: number;
  /** Key groups (Flink's maxParallelism). Default 128. Changing it later makes old keyed state unreadable. */
  readonly maxParallelism?: number;
  /** Keyed-state backend. Default 'wasm' (compact, no GC pressure; see DESIGN.md "Keyed state"). */
  readonly stateBackend?: StateBackendKind;
  /** Checkpoint settings; omitted ones take {@link DEFAULT_CHECKPOINT_SETTINGS}. */
  readonly checkpoint?: CheckpointSettingsInput;
  /**
   * Restart strategy. Default exponential-delay, Flink's default (since 1.19) when checkpointing is
   * on, which it always is in weir.
   */
  readonly restartStrategy?: RestartStrategyConfig;
}

/** Restart strategy used when none is given; see {@link StreamEnvironmentOptions.restartStrategy}. */
export const DEFAULT_RESTART_STRATEGY: RestartStrategyConfig = Object.freeze({ type: 'exponential-delay' });

const DEFAULT_NAMES: Readonly<Record<LogicalOperatorKind, string>> = {
  source: 'Source',
  map: 'Map',
  filter: 'Filter',
  flatMap: 'FlatMap',
  keyedProcess: 'KeyedProcess',
  keyedCoProcess: 'KeyedCoProcess',
  sink: 'Sink',
};

/** Records a job's operators and settings; `build()` turns them into a validated {@link LogicalGraph}. */
export class StreamEnvironment {
  /** Invariant: `drafts[i].id === i`. */
  private readonly drafts: OperatorDraft[] = [];
  /** Invariant: every `source` is a smaller id than its target's. */
  private readonly inputs: Array<{ readonly target: number; readonly input: InputDraft }> = [];
  private readonly recorder: JobRecorder;

  constructor(private readonly options: StreamEnvironmentOptions = {}) {
    this.recorder = { addOperator: (body, inputs, opts) => this.addOperator(body, inputs, opts) };
  }

  /**
   * Adds a source; the returned stream's operator can still be configured. With `watermarks`, its
   * records carry event timestamps and it emits watermarks (see {@link WatermarkStrategy}).
   */
  source<T>(spec: SourceSpec<T>, options: SourceOptions<T>): OperatorStream<T> {
    const draft = this.addOperator({ kind: 'source', source: spec, watermarks: options.watermarks }, [], options);
    return new OperatorStream<T>(this.recorder, draft);
  }

  /**
   * Validates settings and operators and returns the logical graph. Throws {@link JobBuildError} for
   * the first problem found, naming the setting or operator. May be called again after a fix.
   */
  build(): LogicalGraph {
    const settings = this.resolveSettings();
    const nodes = this.drafts.map((d) => this.resolveNode(d, settings));
    checkUids(nodes);
    if (!nodes.some((n) => n.kind === 'sink')) {
      throw new JobBuildError('no-sink', 'job', `job "${settings.jobName}" has no sink: add one with stream.sink(...)`);
    }
    const edges: LogicalEdge[] = this.inputs.map(({ target, input }, id) =>
      Object.freeze({ id, source: input.source, target, ...partitioningOf(input) }),
    );
    for (const n of nodes) {
      if (n.deadLetters && !edges.some((e) => e.source === n.id && e.sideOutput === DEAD_LETTERS_OUTPUT)) {
        throw new JobBuildError(
          'invalid-dead-letters',
          `${n.name}#${n.id}`,
          `operator "${n.name}" (#${n.id}): deadLetters() was called but nothing reads that stream; add a sink to it, or failing records would be lost`,
        );
      }
    }
    return Object.freeze({ settings, nodes: Object.freeze(nodes), edges: Object.freeze(edges) });
  }

  private addOperator(body: NodeBody, inputs: readonly InputDraft[], options: OperatorOptions | undefined): OperatorDraft {
    const draft: OperatorDraft = {
      id: this.drafts.length,
      body,
      name: options?.name,
      uid: options?.uid,
      parallelism: options?.parallelism,
      chainable: options?.disableChaining !== true,
      deadLetters: false,
    };
    this.drafts.push(draft);
    for (const input of inputs) this.inputs.push({ target: draft.id, input });
    return draft;
  }

  private resolveSettings(): JobSettings {
    const o = this.options;
    const maxParallelism = o.maxParallelism ?? DEFAULT_MAX_PARALLELISM;
    try {
      validateMaxParallelism(maxParallelism);
    } catch (err) {
      throw new JobBuildError('invalid-max-parallelism', 'maxParallelism', (err as Error).message, { cause: err });
    }
    const parallelism = o.parallelism ?? 1;
    checkParallelism(parallelism, maxParallelism, 'parallelism', 'parallelism');
    const stateBackend = o.stateBackend ?? 'wasm';
    if (!STATE_BACKEND_KINDS.includes(stateBackend)) {
      throw new JobBuildError(
        'unknown-backend',
        'stateBackend',
        `stateBackend: unknown state backend ${JSON.stringify(stateBackend)} (valid: ${STATE_BACKEND_KINDS.join(', ')})`,
      );
    }
    let checkpoint: CheckpointSettings;
    try {
      checkpoint = resolveCheckpointSettings(o.checkpoint);
    } catch (err) {
      throw new JobBuildError('invalid-checkpoint-settings', 'checkpoint', `checkpoint: ${(err as Error).message}`, {
        cause: err,
      });
    }
    let restartStrategy: ResolvedRestartConfig;
    try {
      restartStrategy = resolveRestartConfig(o.restartStrategy ?? DEFAULT_RESTART_STRATEGY);
    } catch (err) {
      throw new JobBuildError('invalid-restart-strategy', 'restartStrategy', `restartStrategy: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const jobName = o.jobName ?? 'weir-job';
    return Object.freeze({ jobName, parallelism, maxParallelism, stateBackend, checkpoint, restartStrategy });
  }

  private resolveNode(draft: OperatorDraft, settings: JobSettings): LogicalNode {
    const kind = draft.body.kind;
    const name = draft.name ?? defaultName(draft.body);
    const subject = `${name}#${draft.id}`;
    if (typeof name !== 'string' || name.length === 0) {
      throw new JobBuildError('invalid-name', subject, `operator #${draft.id}: name must be a non-empty string`);
    }
    const parallelism = draft.parallelism ?? settings.parallelism;
    checkParallelism(parallelism, settings.maxParallelism, subject, `operator "${name}" (#${draft.id}) parallelism`);
    const uid = draft.uid;
    if (uid !== undefined && (typeof uid !== 'string' || uid.length === 0)) {
      throw new JobBuildError('invalid-uid', subject, `operator "${name}" (#${draft.id}): uid must be a non-empty string`);
    }
    if (uid === undefined && STATEFUL_OPERATOR_KINDS.includes(kind)) {
      throw new JobBuildError(
        'missing-uid',
        subject,
        `operator "${name}" (#${draft.id}) is stateful (${kind}) and needs a uid, so its state can be matched when restoring a savepoint`,
      );
    }
    if (draft.body.kind === 'source' && draft.body.watermarks !== undefined) checkWatermarks(draft.body.watermarks, subject, name, draft.id);
    if (draft.deadLetters && !DEAD_LETTER_KINDS.includes(kind)) {
      throw new JobBuildError(
        'invalid-dead-letters',
        subject,
        `operator "${name}" (#${draft.id}) is a ${kind}: only map, filter, flatMap and process operators have dead letters`,
      );
    }
    return Object.freeze({
      id: draft.id,
      name,
      uid,
      parallelism,
      chainable: draft.chainable,
      deadLetters: draft.deadLetters,
      ...draft.body,
    }) as LogicalNode;
  }
}

function defaultName(body: NodeBody): string {
  const base = DEFAULT_NAMES[body.kind];
  if (body.kind === 'source') return `${base}: ${body.source.kind}`;
  if (body.kind === 'sink') return `${base}: ${body.sink.kind}`;
  return base;
}

/** Operators that run a user function per record, so a record can fail on its own. */
const DEAD_LETTER_KINDS: readonly LogicalOperatorKind[] = ['map', 'filter', 'flatMap', 'keyedProcess', 'keyedCoProcess'];

function partitioningOf(input: InputDraft): Pick<LogicalEdge, 'partitioning' | 'keySelector' | 'sideOutput' | 'inputSide'> {
  return {
    partitioning: input.partitioning,
    ...(input.keySelector === undefined ? {} : { keySelector: input.keySelector }),
    ...(input.sideOutput === undefined ? {} : { sideOutput: input.sideOutput }),
    ...(input.inputSide === 1 ? { inputSide: 1 as const } : {}),
  };
}

function checkWatermarks(strategy: unknown, subject: string, name: string, id: number): void {
  if (!(strategy instanceof WatermarkStrategy)) {
    throw new JobBuildError(
      'invalid-watermarks',
      subject,
      `source "${name}" (#${id}): watermarks must be a WatermarkStrategy (e.g. WatermarkStrategy.forBoundedOutOfOrderness(ms).withTimestampAssigner(fn))`,
    );
  }
  if (strategy.timestampAssigner === undefined) {
    throw new JobBuildError(
      'invalid-watermarks',
      subject,
      `source "${name}" (#${id}): the watermark strategy has no timestamp assigner; add .withTimestampAssigner((record) => epochMs)`,
    );
  }
}

function checkParallelism(value: number, maxParallelism: number, subject: string, label: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maxParallelism) {
    throw new JobBuildError(
      'invalid-parallelism',
      subject,
      `${label} must be an integer in [1, maxParallelism=${maxParallelism}], got ${String(value)}`,
    );
  }
}

function checkUids(nodes: readonly LogicalNode[]): void {
  const seen = new Map<string, LogicalNode>();
  for (const node of nodes) {
    if (node.uid === undefined) continue;
    const first = seen.get(node.uid);
    if (first !== undefined) {
      throw new JobBuildError(
        'duplicate-uid',
        `${node.name}#${node.id}`,
        `uid ${JSON.stringify(node.uid)} is used by operator "${first.name}" (#${first.id}) and operator "${node.name}" (#${node.id}); uids must be unique`,
      );
    }
    seen.set(node.uid, node);
  }
}

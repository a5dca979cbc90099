/**
 * Maps the `kind` of a {@link SourceSpec} / {@link SinkSpec} to the connector that implements it. The
 * job graph only carries `{ kind, payload }` (it must stay plain data for the REST API), so this is the
 * one place where a spec turns into a live object, once per subtask.
 */
import type { SinkSpec, SourceSpec } from '../api/specs.js';
import { CollectSink, COLLECT_SINK_KIND } from '../connectors/collect-sink.js';
import { FileLineSource, type FileSourceOptions } from '../connectors/file-source.js';
import { GeneratorSource, type GeneratorOptions } from '../connectors/generator-source.js';
import { NexmarkSource, type NexmarkOptions } from '../connectors/nexmark/index.js';
import type { ReplayableSource } from '../connectors/source.js';
import {
  decodePendingTransactions,
  encodePendingTransactions,
  TransactionalFileSink,
  type TransactionalFileSinkOptions,
} from '../connectors/transactional-file-sink.js';

/** Which sink subtask a writer is created for. */
export interface SinkContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /**
   * The job checkpoints: output becomes visible on `notifyCheckpointComplete` (the final checkpoint,
   * taken when every source ended, commits the last of it). Without checkpoints a transactional sink
   * commits everything in `finish`.
   */
  readonly checkpointing: boolean;
}

/**
 * A sink as the executor drives it. Methods may return a Promise (file I/O): the subtask then takes no
 * input until it settles, so a slow sink backpressures its upstream instead of buffering. Calls never
 * overlap and come in order: `open`, then `write`s interleaved with `snapshotState` (at each barrier,
 * after the records before it) and `notifyCheckpointComplete`, then `finish`, then `close`.
 */
export interface SinkWriter<T> {
  /**
   * Called once before the first write, with this subtask's state from the restored checkpoint (empty
   * on a fresh start): a transactional sink commits the transactions recorded there and aborts others.
   */
  open?(restoredState: readonly Uint8Array[]): void | Promise<void>;
  /** One batch of records, in input order. */
  write(batch: readonly T[]): void | Promise<void>;
  /**
   * At barrier `checkpointId` (two-phase commit's pre-commit): make what was written so far durable and
   * pending, and return the state to keep in the checkpoint (undefined: nothing to keep).
   */
  snapshotState?(checkpointId: number): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** Checkpoint `checkpointId` is durable: commit what was pre-committed up to it. */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  /** The sink's input ended and every record was written: make the output final. */
  finish?(): void | Promise<void>;
  /** Releases resources; called after `finish` and also after a failure (then without `finish`). */
  close?(): void | Promise<void>;
  /** Caps the records this sink subtask takes per scheduler step (a slow sink); unset = the step budget. */
  readonly maxRecordsPerStep?: number;
}

/** Creates the (not yet opened) source of one subtask; the executor calls `open(index, parallelism)`. */
export type SourceFactory = (payload: unknown) => ReplayableSource<unknown>;
/** Creates the writer of one sink subtask. */
export type SinkFactory = (payload: unknown, ctx: SinkContext) => SinkWriter<unknown>;

/** A spec's kind that no factory is registered for, or a payload the factory cannot use. */
export class ConnectorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectorConfigError';
  }
}

/**
 * Connector factories by kind. Start from {@link defaultConnectorRegistry} and `register*` more; a
 * registry is per executor, so tests can add fakes without touching a global.
 *
 * @example
 * const connectors = defaultConnectorRegistry().registerSource('numbers', () => new NumbersSource());
 * await new LocalExecutor({ connectors }).run(env);
 */
export class ConnectorRegistry {
  private readonly sources = new Map<string, SourceFactory>();
  private readonly sinks = new Map<string, SinkFactory>();

  /** Adds or replaces the factory of a source kind. */
  registerSource(kind: string, factory: SourceFactory): this {
    this.sources.set(kind, factory);
    return this;
  }

  /** Adds or replaces the factory of a sink kind. */
  registerSink(kind: string, factory: SinkFactory): this {
    this.sinks.set(kind, factory);
    return this;
  }

  /** Source kinds with a factory, sorted (for error messages). */
  sourceKinds(): string[] {
    return [...this.sources.keys()].sort();
  }

  /** Sink kinds with a factory, sorted (for error messages). */
  sinkKinds(): string[] {
    return [...this.sinks.keys()].sort();
  }

  /** A fresh source for one subtask. Throws {@link ConnectorConfigError} for an unknown kind. */
  createSource(spec: SourceSpec<unknown>): ReplayableSource<unknown> {
    const factory = this.sources.get(spec.kind);
    if (factory === undefined) {
      throw new ConnectorConfigError(
        `unknown source kind '${spec.kind}' (known source kinds: ${this.sourceKinds().join(', ') || 'none'})`,
      );
    }
    return factory(spec.payload);
  }

  /** A fresh writer for one sink subtask. Throws {@link ConnectorConfigError} for an unknown kind. */
  createSink(spec: SinkSpec<unknown>, ctx: SinkContext): SinkWriter<unknown> {
    const factory = this.sinks.get(spec.kind);
    if (factory === undefined) {
      throw new ConnectorConfigError(
        `unknown sink kind '${spec.kind}' (known sink kinds: ${this.sinkKinds().join(', ') || 'none'})`,
      );
    }
    return factory(spec.payload, ctx);
  }
}

/**
 * The transaction id under which {@link transactionalFileSinkWriter} commits at end of input when the
 * job runs without checkpoints. Real checkpoint ids start at 1, so 0 cannot collide with one.
 */
export const END_OF_INPUT_TRANSACTION_ID = 0;

/**
 * Drives a {@link TransactionalFileSink}: pre-commit at each barrier (the pending descriptors are the
 * checkpointed state), commit on completion, recover from the restored descriptors. Without
 * checkpoints everything is one transaction committed when the input ends, so output appears only
 * for a completed run.
 */
export function transactionalFileSinkWriter<T>(options: TransactionalFileSinkOptions<T>, checkpointing: boolean): SinkWriter<T> {
  const sink = new TransactionalFileSink<T>(options);
  return {
    open: (restored) => sink.recover(restored.flatMap((bytes) => decodePendingTransactions(bytes))),
    write: (batch) => sink.write(batch),
    snapshotState: async (checkpointId) => {
      await sink.preCommit(checkpointId);
      return encodePendingTransactions(sink.pending());
    },
    notifyCheckpointComplete: (checkpointId) => sink.notifyCheckpointComplete(checkpointId),
    finish: async () => {
      if (!checkpointing) await sink.commit(await sink.preCommit(END_OF_INPUT_TRANSACTION_ID));
    },
    close: () => sink.close(),
  };
}

function objectPayload(kind: string, payload: unknown, expected: string): Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null) {
    throw new ConnectorConfigError(`${kind} payload must be ${expected}, got ${payload === null ? 'null' : typeof payload}`);
  }
  return payload as Record<string, unknown>;
}

/** A sink that drops every record (benchmarks, jobs run only for their state); no payload. */
export const DISCARD_SINK_KIND = 'discard';

/**
 * A registry with the built-in connectors: sources `generator` (payload: GeneratorOptions) and
 * `file-lines` (payload: FileSourceOptions); sinks `collect` (payload: a CollectSink),
 * `transactional-file` (payload: `{ dir, encode? }`) and `discard` (no payload).
 */
export function defaultConnectorRegistry(): ConnectorRegistry {
  return new ConnectorRegistry()
    .registerSource('generator', (p) => new GeneratorSource(objectPayload('generator', p, 'GeneratorOptions') as unknown as GeneratorOptions))
    .registerSource('nexmark', (p) => new NexmarkSource(objectPayload('nexmark', p, 'NexmarkOptions') as unknown as NexmarkOptions))
    .registerSource('file-lines', (p) => {
      const o = objectPayload('file-lines', p, '{ path }');
      if (typeof o.path !== 'string') throw new ConnectorConfigError(`file-lines payload needs a string 'path'`);
      return new FileLineSource(o as unknown as FileSourceOptions);
    })
    .registerSink(DISCARD_SINK_KIND, () => ({ write: () => {} }))
    .registerSink(COLLECT_SINK_KIND, (p, ctx) => {
      if (!(p instanceof CollectSink)) {
        throw new ConnectorConfigError(`${COLLECT_SINK_KIND} payload must be a CollectSink (use collectSink.spec())`);
      }
      return (p as CollectSink<unknown>).writer(ctx.subtaskIndex, ctx.checkpointing);
    })
    .registerSink('transactional-file', (p, ctx) => {
      const o = objectPayload('transactional-file', p, '{ dir, encode? }');
      if (typeof o.dir !== 'string') throw new ConnectorConfigError(`transactional-file payload needs a string 'dir'`);
      const encode = o.encode;
      if (encode !== undefined && typeof encode !== 'function') {
        throw new ConnectorConfigError(`transactional-file payload 'encode' must be a function`);
      }
      return transactionalFileSinkWriter<unknown>(
        {
          dir: o.dir,
          subtaskIndex: ctx.subtaskIndex,
          parallelism: ctx.parallelism,
          ...(encode === undefined ? {} : { encode: encode as (r: unknown) => string }),
        },
        ctx.checkpointing,
      );
    });
}

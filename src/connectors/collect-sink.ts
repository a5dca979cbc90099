/**
 * An in-memory sink for tests and examples: the caller keeps the {@link CollectSink} object, passes
 * its {@link CollectSink.spec} to `stream.sink(...)`, and reads what arrived after the run. It lives
 * outside the job graph's data (the spec's payload is the object itself), so it only works with the
 * in-process executor, which is exactly where tests need it.
 */
import type { SinkSpec } from '../api/specs.js';
import type { SinkWriter } from '../runtime/connector-registry.js';
import { ByteReader } from '../state/byte-reader.js';
import { ByteWriter } from '../state/byte-writer.js';

/** Options of {@link CollectSink}. */
export interface CollectSinkOptions {
  /**
   * Records accepted per scheduler step of each sink subtask; unset means as many as the step's
   * budget. A small value makes a deliberately slow sink, to exercise backpressure.
   */
  readonly maxRecordsPerStep?: number;
}

/** The `kind` a collecting sink's spec carries; the executor's connector registry maps it back here. */
export const COLLECT_SINK_KIND = 'collect';

/**
 * Collects every record written by any subtask of the sink. Arrival order across subtasks is the
 * scheduler's interleaving, so tests should compare contents (sorted or counted), not order.
 *
 * In a checkpointed job it is an in-memory two-phase-commit sink: records become visible in
 * {@link values} only when the checkpoint after them completes, and a restart discards what was not
 * committed, so `values` shows exactly what an exactly-once sink would have published. (The
 * transactions live in this object, so this works only within one process, which is what tests need.)
 *
 * @example
 * const out = new CollectSink<[string, number]>();
 * env.source(words, { uid: 'w' }).map((w) => [w, 1] as [string, number]).sink(out.spec(), { uid: 'out' });
 * await new LocalExecutor().run(env);
 * out.values; // every record
 */
export class CollectSink<T> {
  /** Every record, in the order the sink subtasks wrote them. */
  readonly values: T[] = [];
  /** subtask index → the records that subtask wrote, in its order. */
  readonly bySubtask = new Map<number, T[]>();
  /** Subtask indices whose input ended; a subtask appears once its whole input was written. */
  readonly finishedSubtasks = new Set<number>();
  readonly maxRecordsPerStep: number | undefined;

  constructor(options: CollectSinkOptions = {}) {
    const n = options.maxRecordsPerStep;
    if (n !== undefined && (!Number.isSafeInteger(n) || n < 1)) {
      throw new RangeError(`maxRecordsPerStep must be a positive integer, got ${n}`);
    }
    this.maxRecordsPerStep = n;
  }

  /** The spec to hand to `stream.sink(...)`; the payload is this object, so results land here. */
  spec(): SinkSpec<T> {
    return { kind: COLLECT_SINK_KIND, payload: this };
  }

  /** subtask → records written since its last pre-commit (checkpointed jobs only). */
  private readonly open = new Map<number, T[]>();
  /** subtask → checkpoint id → records pre-committed at that barrier, awaiting completion. */
  private readonly pendingTxns = new Map<number, Map<number, T[]>>();

  /** The writer the runtime drives for one subtask; see the class comment for `checkpointing`. */
  writer(subtaskIndex: number, checkpointing: boolean): SinkWriter<T> {
    const base = this.maxRecordsPerStep === undefined ? {} : { maxRecordsPerStep: this.maxRecordsPerStep };
    if (!checkpointing) {
      return { ...base, write: (batch) => this.write(subtaskIndex, batch), finish: () => this.finish(subtaskIndex) };
    }
    return {
      ...base,
      open: (restored) => this.recover(subtaskIndex, restored),
      write: (batch) => {
        let buf = this.open.get(subtaskIndex);
        if (buf === undefined) this.open.set(subtaskIndex, (buf = []));
        for (const r of batch) buf.push(r);
      },
      snapshotState: (checkpointId) => this.preCommit(subtaskIndex, checkpointId),
      notifyCheckpointComplete: (checkpointId) => this.commitUpTo(subtaskIndex, checkpointId),
      finish: () => this.finish(subtaskIndex),
    };
  }

  private preCommit(subtaskIndex: number, checkpointId: number): Uint8Array {
    let txns = this.pendingTxns.get(subtaskIndex);
    if (txns === undefined) this.pendingTxns.set(subtaskIndex, (txns = new Map()));
    txns.set(checkpointId, this.open.get(subtaskIndex) ?? []);
    this.open.delete(subtaskIndex);
    const w = new ByteWriter(16);
    w.varint(txns.size);
    for (const id of txns.keys()) w.varint(id);
    return w.bytes().slice();
  }

  private commitUpTo(subtaskIndex: number, checkpointId: number): void {
    const txns = this.pendingTxns.get(subtaskIndex);
    if (txns === undefined) return;
    for (const id of [...txns.keys()].sort((a, b) => a - b)) {
      if (id > checkpointId) break;
      this.write(subtaskIndex, txns.get(id)!);
      txns.delete(id);
    }
  }

  /** Commits the transactions the restored state names (idempotently) and drops every other one. */
  private recover(subtaskIndex: number, restored: readonly Uint8Array[]): void {
    const keep = new Set<number>();
    for (const bytes of restored) {
      const r = new ByteReader(bytes, 0, bytes.length, 'collect sink state');
      const n = r.varint();
      for (let i = 0; i < n; i++) keep.add(r.varint());
    }
    const txns = this.pendingTxns.get(subtaskIndex);
    for (const id of [...(txns?.keys() ?? [])].sort((a, b) => a - b)) {
      if (keep.has(id)) this.commitUpTo(subtaskIndex, id);
    }
    this.pendingTxns.delete(subtaskIndex);
    this.open.delete(subtaskIndex);
  }

  /** Called by the runtime for one subtask's batch; kept synchronous so collecting never waits. */
  write(subtaskIndex: number, batch: readonly T[]): void {
    let own = this.bySubtask.get(subtaskIndex);
    if (own === undefined) {
      own = [];
      this.bySubtask.set(subtaskIndex, own);
    }
    for (const r of batch) {
      this.values.push(r);
      own.push(r);
    }
  }

  /** Called by the runtime when a subtask's input ended. */
  finish(subtaskIndex: number): void {
    this.finishedSubtasks.add(subtaskIndex);
  }
}

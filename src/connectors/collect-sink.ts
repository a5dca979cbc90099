/**
 * An in-memory sink for tests and examples: the caller keeps the {@link CollectSink} object, passes
 * its {@link CollectSink.spec} to `stream.sink(...)`, and reads what arrived after the run. It lives
 * outside the job graph's data (the spec's payload is the object itself), so it only works with the
 * in-process executor, which is exactly where tests need it.
 */
import type { SinkSpec } from '../api/specs.js';

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

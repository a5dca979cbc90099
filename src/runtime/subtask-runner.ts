/**
 * One subtask as the scheduler sees it: a `step(budget)` that does a bounded amount of work
 * synchronously and reports whether it moved anything. Sources poll their connector; other tasks
 * poll their input channels round-robin. Nothing here awaits; async sink I/O parks the subtask
 * (`pending`) until it settles, which backpressures its inputs like a full channel would.
 *
 * Checkpoints plug in at two marked places: a source task emits a barrier between two `pollBatch`
 * calls, and an input task meets barriers in {@link SubtaskRunner.pollNextInput}, where a barrier
 * aligner decides which channels stay blocked.
 */
import type { SubtaskDescriptor } from '../graph/subtasks.js';
import type { Key } from '../state/types.js';
import type { ReplayableSource } from '../connectors/source.js';
import { isRecordBatch, type Channel } from './channel.js';
import type { SinkWriter } from './connector-registry.js';
import type { OperatorChain } from './operator-chain.js';
import type { OutputGate } from './output-gate.js';

/** One input channel of a subtask, with the key selector of its edge when that edge is hash-partitioned. */
export interface SubtaskInput {
  readonly channel: Channel<unknown>;
  readonly keySelector: ((record: unknown) => Key) | undefined;
}

/** Lifecycle: `running` takes records; `ending` drains outputs and finishes the sink; `finished` sent end-of-stream. */
export type SubtaskState = 'running' | 'ending' | 'finished';

/** Everything a runner drives; built by the executor. */
export interface SubtaskParts {
  readonly descriptor: SubtaskDescriptor;
  readonly name: string;
  readonly chain: OperatorChain;
  readonly gates: readonly OutputGate[];
  readonly inputs: readonly SubtaskInput[];
  /** Present exactly for source tasks (whose `inputs` are empty). */
  readonly source: ReplayableSource<unknown> | undefined;
  /** Present when the chain ends in a sink; `sinkBuffer` collects its records during a step. */
  readonly sink: SinkWriter<unknown> | undefined;
  readonly sinkBuffer: { records: unknown[] };
  /** Largest batch requested from a source per `pollBatch`. */
  readonly sourceBatchSize: number;
}

function isPromise(v: unknown): v is Promise<void> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

/** Drives one subtask; see the module comment. */
export class SubtaskRunner {
  state: SubtaskState = 'running';
  /** Last step found the source with nothing to give (an unbounded source between records). */
  idle = false;
  /** An in-flight async sink call; while set the runner takes no step. */
  pending: Promise<void> | undefined;
  /** Error of an async sink call, rethrown by the scheduler (sync errors propagate from `step`). */
  failure: { error: unknown } | undefined;
  steps = 0;
  /** Input channels that have not delivered end-of-stream yet. */
  private liveInputs: number;
  /** Next input index to poll from: round-robin keeps one busy channel from starving the others. */
  private nextInput = 0;
  /** Batch being consumed and how far; kept across steps so a step budget can stop mid-batch. */
  private current: { batch: unknown[]; pos: number; input: SubtaskInput } | undefined;
  private sinkFinished = false;

  constructor(readonly parts: SubtaskParts) {
    this.liveInputs = parts.inputs.length;
  }

  /** Sent end-of-stream on every output: nothing left to do. A getter so callers re-read it after `step`. */
  get finished(): boolean {
    return this.state === 'finished';
  }

  /** `<vertex>.<index>`, the subtask id used in errors and statistics. */
  get id(): string {
    return this.parts.descriptor.id;
  }

  /**
   * Does at most `budget` records of work; returns whether anything moved (records, batches into
   * channels, a state change), which the scheduler uses to tell idle from stuck.
   */
  step(budget: number): boolean {
    if (this.pending !== undefined || this.state === 'finished') return false;
    this.steps++;
    let progressed = false;
    for (const g of this.parts.gates) progressed = g.retry() || progressed;
    if (this.state === 'ending') return this.finishStep() || progressed;
    if (this.outputBlocked()) return progressed;

    const cap = Math.min(budget, this.parts.sink?.maxRecordsPerStep ?? budget);
    const done = this.parts.source !== undefined ? this.runSource(this.parts.source, cap) : this.runInputs(cap);
    progressed = done.records > 0 || progressed;
    for (const g of this.parts.gates) g.flush();
    this.writeSinkBuffer();
    if (done.ended) {
      this.state = 'ending';
      this.finishStep();
      return true;
    }
    return progressed;
  }

  private outputBlocked(): boolean {
    for (const g of this.parts.gates) if (g.blocked) return true;
    return false;
  }

  private runSource(source: ReplayableSource<unknown>, budget: number): { records: number; ended: boolean } {
    const head = this.parts.chain.head;
    let n = 0;
    this.idle = false;
    // Between two pollBatch calls is where a source will snapshot its position and emit a barrier.
    while (n < budget && !this.outputBlocked()) {
      const batch = source.pollBatch(Math.min(budget - n, this.parts.sourceBatchSize));
      if (batch === 'end') return { records: n, ended: true };
      if (batch.length === 0) {
        this.idle = true;
        break;
      }
      for (const r of batch) head(r, undefined);
      n += batch.length;
    }
    return { records: n, ended: false };
  }

  private runInputs(budget: number): { records: number; ended: boolean } {
    const head = this.parts.chain.head;
    let n = 0;
    while (n < budget && !this.outputBlocked()) {
      let cur = this.current;
      if (cur === undefined) {
        cur = this.pollNextInput();
        if (cur === undefined) break;
        this.current = cur;
      }
      const { batch, input } = cur;
      const sel = input.keySelector;
      while (cur.pos < batch.length && n < budget && !this.outputBlocked()) {
        const r = batch[cur.pos++];
        head(r, sel === undefined ? undefined : sel(r));
        n++;
      }
      if (cur.pos === batch.length) {
        input.channel.recycle(batch);
        this.current = undefined;
      }
    }
    return { records: n, ended: this.liveInputs === 0 && this.current === undefined };
  }

  /** The next record batch, round-robin over inputs; consumes control events on the way. */
  private pollNextInput(): { batch: unknown[]; pos: number; input: SubtaskInput } | undefined {
    const inputs = this.parts.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const idx = (this.nextInput + i) % inputs.length;
      const input = inputs[idx]!;
      for (;;) {
        if (input.channel.isFinished) break;
        const item = input.channel.poll();
        if (item === undefined) break;
        if (isRecordBatch(item)) {
          this.nextInput = (idx + 1) % inputs.length;
          return { batch: item, pos: 0, input };
        }
        switch (item.kind) {
          case 'end-of-stream':
            this.liveInputs--;
            break;
          case 'barrier':
            // Checkpoints: hand the barrier to a BarrierAligner here and stop polling blocked channels.
            throw new Error('checkpoint barriers are not supported by the local executor yet');
        }
      }
    }
    return undefined;
  }

  private writeSinkBuffer(): void {
    const sink = this.parts.sink;
    const buf = this.parts.sinkBuffer;
    if (sink === undefined || buf.records.length === 0) return;
    const batch = buf.records;
    buf.records = [];
    this.track(sink.write(batch));
  }

  /** The `ending` phase: outputs drained, sink finished (maybe async), then end-of-stream downstream. */
  private finishStep(): boolean {
    for (const g of this.parts.gates) if (!g.drained) return false;
    if (this.pending !== undefined) return false;
    if (!this.sinkFinished) {
      this.sinkFinished = true;
      const r = this.parts.sink?.finish?.();
      if (isPromise(r)) {
        this.track(r);
        return true;
      }
    }
    for (const g of this.parts.gates) g.endOfStream();
    this.state = 'finished';
    return true;
  }

  private track(result: void | Promise<void>): void {
    if (!isPromise(result)) return;
    this.pending = result.then(
      () => {
        this.pending = undefined;
      },
      (error: unknown) => {
        this.pending = undefined;
        this.failure = { error };
      },
    );
  }
}

/**
 * One subtask as the scheduler sees it: a `step(budget)` that does a bounded amount of work
 * synchronously and reports whether it moved anything. Sources poll their connector; other tasks
 * poll their input channels round-robin. Nothing here awaits; async sink I/O parks the subtask
 * (`pending`) until it settles, which backpressures its inputs like a full channel would.
 *
 * Checkpoints: a source task takes its snapshot and emits the barrier when the scheduler calls
 * {@link SubtaskRunner.triggerCheckpoint}, which is always between two `pollBatch` calls; an input task
 * meets barriers in its input channels and a {@link BarrierAligner} decides which channels stay blocked
 * (exactly-once) and when every channel delivered the barrier. At that moment the subtask snapshots
 * (keyed state synchronously, the rest asynchronously), asks its sink to pre-commit, and forwards the
 * barrier behind every record emitted before it.
 *
 * Event time: a source task with a watermark strategy stamps each record (the subtask's timestamp
 * cell) and, after each step, emits its generator's watermark when it advanced; it reports idle after
 * its idle timeout without records, and active again before its next record; when its input ends it
 * emits the final watermark (`Infinity`). An input task combines its channels' watermarks in a
 * {@link WatermarkValve}; when its watermark advances, the chain fires event-time timers first and
 * the watermark follows their output downstream.
 *
 * Sink calls go through one queue (`pending` is its tail), so a write, a pre-commit, a commit and the
 * final `finish` never overlap and always run in the order the records and barriers arrived.
 */
import type { SubtaskDescriptor } from '../graph/subtasks.js';
import type { Key } from '../state/types.js';
import type { ReplayableSource } from '../connectors/source.js';
import type { CheckpointingMode } from '../checkpoint/checkpoint-settings.js';
import { BarrierAligner, AlignmentAbortReason, type AlignerEvent } from './barrier-aligner.js';
import { barrier as makeBarrier, watermark as makeWatermark, WATERMARK_ACTIVE, WATERMARK_IDLE, type BarrierEvent } from './channel-events.js';
import { isRecordBatch, type Channel } from './channel.js';
import type { SinkWriter } from './connector-registry.js';
import type { OperatorChain, PushFn } from './operator-chain.js';
import { NO_TIMESTAMP, TIMESTAMP_STRIDE, type RecordTimestamp } from './record-timestamp.js';
import { WatermarkValve, type ValveOutput } from './watermark-valve.js';
import { SourceEventTime, type SourceWatermarks } from './source-event-time.js';
import { encodeStateList } from '../storage/operator-state-list.js';
import type { OutputGate } from './output-gate.js';
import type { FaultInjector, OperatorStateCapture, SubtaskSnapshotter } from './subtask-snapshotter.js';

/** One input channel of a subtask, with the key selector of its edge when that edge is hash-partitioned. */
export interface SubtaskInput {
  readonly channel: Channel<unknown>;
  readonly keySelector: ((record: unknown) => Key) | undefined;
  /** The chain entry this channel feeds: the head, or a two-input head operator's first or second input. */
  readonly push: PushFn;
}

/**
 * Lifecycle: `running` takes records; `awaiting-final` is a source whose split ended in a checkpointed
 * job, waiting for the final checkpoint to complete (so the sinks commit the last output before
 * end-of-stream); `ending` drains outputs and finishes the sink; `finished` sent end-of-stream.
 */
export type SubtaskState = 'running' | 'awaiting-final' | 'ending' | 'finished';

/** How a subtask takes part in checkpoints; absent when the job runs without them. */
export interface SubtaskCheckpointing {
  readonly mode: CheckpointingMode;
  readonly snapshotter: SubtaskSnapshotter;
  /** Uid of the chain's source operator (its position is operator state), if it has one. */
  readonly sourceUid: string | undefined;
  /** Uid of the chain's sink operator, if it has one. */
  readonly sinkUid: string | undefined;
  /** Monotonic clock for alignment durations. */
  readonly now: () => number;
  /** An alignment learned that a checkpoint can never complete here (a newer barrier overtook it). */
  readonly onAlignmentAborted: (checkpointId: number, reason: AlignmentAbortReason) => void;
  readonly faults: FaultInjector | undefined;
}

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
  /** Processing time, for the chain's timers. */
  readonly clock: () => number;
  /** The subtask's timestamp cell, shared with its chain and output gates. */
  readonly time: RecordTimestamp;
  /** Records carry timestamps between subtasks (two batch slots per record). */
  readonly timestamped: boolean;
  /** Present for source tasks whose source has a watermark strategy. */
  readonly sourceWatermarks: SourceWatermarks | undefined;
  readonly checkpoints: SubtaskCheckpointing | undefined;
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
  /** Present for input tasks of a checkpointed job. */
  private readonly aligner: BarrierAligner | undefined;
  /** Whether the chain has keyed operators (only those can have timers). */
  private readonly hasTimers: boolean;
  /** Input tasks: combines the input channels' watermarks. */
  private readonly valve: WatermarkValve | undefined;
  /** The last watermark this subtask emitted. */
  private emittedWatermark = Number.NEGATIVE_INFINITY;
  /** Source tasks with a watermark strategy. */
  private readonly sourceTime: SourceEventTime | undefined;

  constructor(readonly parts: SubtaskParts) {
    this.liveInputs = parts.inputs.length;
    const cp = parts.checkpoints;
    this.aligner = cp !== undefined && parts.inputs.length > 0 ? new BarrierAligner(parts.inputs.length, cp.mode) : undefined;
    this.hasTimers = parts.chain.keyed.length > 0;
    this.valve = parts.inputs.length > 0 ? new WatermarkValve(parts.inputs.length) : undefined;
    const sw = parts.sourceWatermarks;
    this.sourceTime =
      sw === undefined ? undefined : new SourceEventTime(sw, parts.time, parts.clock, (idle) => this.emitToGates(idle ? WATERMARK_IDLE : WATERMARK_ACTIVE), parts.descriptor.id);
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
    if (this.state === 'awaiting-final') {
      this.idle = true;
      return progressed;
    }
    if (this.hasTimers && this.parts.chain.fireTimers(this.parts.clock()) > 0) {
      progressed = true;
      for (const g of this.parts.gates) g.flush();
      this.writeSinkBuffer();
    }
    if (this.outputBlocked()) return progressed;

    const cap = Math.min(budget, this.parts.sink?.maxRecordsPerStep ?? budget);
    const done = this.parts.source !== undefined ? this.runSource(this.parts.source, cap) : this.runInputs(cap);
    progressed = done.records > 0 || progressed;
    if (this.sourceTime !== undefined && !done.ended) {
      const wm = this.sourceTime.afterStep(done.records, this.idle);
      if (wm !== undefined) this.advanceWatermark(wm);
    }
    for (const g of this.parts.gates) g.flush();
    this.writeSinkBuffer();
    if (done.ended) {
      // a bounded input ended: event time is complete, so every event-time timer downstream fires
      // (before the final checkpoint, whose completion commits what they emit)
      if (this.parts.source !== undefined) this.advanceWatermark(Number.POSITIVE_INFINITY);
      if (this.parts.source !== undefined && this.parts.checkpoints !== undefined) {
        // The sinks commit on checkpoint completion: the last records need one more checkpoint.
        this.state = 'awaiting-final';
        this.idle = true;
        return true;
      }
      this.state = 'ending';
      this.finishStep();
      return true;
    }
    return progressed;
  }

  /**
   * Source tasks: takes this subtask's snapshot for `checkpointId` and emits the barrier. Called by the
   * scheduler between steps, so between two `pollBatch` calls by construction.
   */
  triggerCheckpoint(checkpointId: number, isSavepoint: boolean): void {
    if (this.state !== 'running' && this.state !== 'awaiting-final') return;
    this.checkpoint(makeBarrier(checkpointId, isSavepoint), 0);
  }

  /**
   * Stop-with-savepoint: a source stops reading now (between two batches) and waits, like an ended
   * one, for the final checkpoint, whose completion lets it end.
   */
  stopSource(): void {
    if (this.parts.source === undefined || this.parts.checkpoints === undefined || this.state !== 'running') return;
    this.state = 'awaiting-final';
    this.idle = true;
  }

  /** The checkpoint is durable: sinks commit, and a source waiting for the final checkpoint may end. */
  notifyCheckpointComplete(checkpointId: number, final: boolean): void {
    try {
      this.parts.chain.notifyCheckpointComplete(checkpointId);
    } catch (error) {
      this.failure ??= { error };
    }
    const sink = this.parts.sink;
    if (sink?.notifyCheckpointComplete !== undefined) {
      const faults = this.parts.checkpoints?.faults;
      this.enqueueSinkCall(() => {
        faults?.('sink-commit', checkpointId, this.parts.descriptor.index);
        return sink.notifyCheckpointComplete!(checkpointId);
      });
    }
    if (final && this.state === 'awaiting-final') {
      this.state = 'ending';
      this.idle = false;
    }
  }

  /** The coordinator aborted `checkpointId`: stop aligning it and forget chains built on it. */
  abortCheckpoint(checkpointId: number): void {
    this.aligner?.onCancel(checkpointId);
    this.parts.checkpoints?.snapshotter.onAborted(checkpointId);
  }

  /**
   * The snapshot at a barrier: flush what belongs before it into the sink queue, ask the sink to
   * pre-commit, snapshot keyed state and the source position synchronously, then forward the barrier.
   */
  private checkpoint(barrier: BarrierEvent, alignmentMs: number): void {
    const cp = this.parts.checkpoints;
    if (cp === undefined) throw new Error('internal: a barrier reached a subtask of a job without checkpoints');
    const id = barrier.checkpointId;
    const captures: OperatorStateCapture[] = [];
    const source = this.parts.source;
    if (source !== undefined && cp.sourceUid !== undefined) captures.push({ uid: cp.sourceUid, bytes: source.snapshotPosition() });
    const sink = this.parts.sink;
    if (sink !== undefined && cp.sinkUid !== undefined) {
      this.writeSinkBuffer();
      const index = this.parts.descriptor.index;
      const state = this.enqueueSinkCall(async () => {
        cp.faults?.('sink-pre-commit', id, index);
        const bytes = await sink.snapshotState?.(id);
        return bytes === undefined ? undefined : encodeStateList([bytes]);
      });
      captures.push({ uid: cp.sinkUid, bytes: state });
    }
    cp.snapshotter.snapshot(id, captures, alignmentMs, barrier.isSavepoint);
    this.emitToGates(barrier);
  }

  private onAlignerEvents(events: readonly AlignerEvent[]): void {
    for (const ev of events) {
      if (ev.kind === 'snapshot-and-forward') this.checkpoint(ev.barrier, ev.alignmentDurationMs);
      else this.parts.checkpoints?.onAlignmentAborted(ev.checkpointId, ev.reason);
    }
  }

  private outputBlocked(): boolean {
    for (const g of this.parts.gates) if (g.blocked) return true;
    return false;
  }

  private runSource(source: ReplayableSource<unknown>, budget: number): { records: number; ended: boolean } {
    const head = this.parts.chain.head;
    const sourceTime = this.sourceTime;
    let n = 0;
    this.idle = false;
    if (sourceTime === undefined) this.parts.time.ts = NO_TIMESTAMP;
    // Between two pollBatch calls is where a source will snapshot its position and emit a barrier.
    while (n < budget && !this.outputBlocked()) {
      const batch = source.pollBatch(Math.min(budget - n, this.parts.sourceBatchSize));
      if (batch === 'end') return { records: n, ended: true };
      if (batch.length === 0) {
        this.idle = true;
        break;
      }
      if (sourceTime !== undefined) sourceTime.push(batch, head);
      else for (let i = 0; i < batch.length; i++) head(batch[i], undefined);
      n += batch.length;
    }
    return { records: n, ended: false };
  }

  private emitToGates(event: Parameters<OutputGate['emitEvent']>[0]): void {
    for (const g of this.parts.gates) g.emitEvent(event);
  }

  /**
   * The subtask's watermark moved to `wm`: event-time timers fire (their output enters the gates and
   * the sink buffer first), then the watermark goes downstream behind that output.
   */
  private advanceWatermark(wm: number): void {
    if (!(wm > this.emittedWatermark)) return;
    this.emittedWatermark = wm;
    if (this.hasTimers) this.parts.chain.advanceWatermark(wm);
    this.writeSinkBuffer();
    if (this.parts.gates.length > 0) this.emitToGates(makeWatermark(wm));
  }

  private onValveOutput(out: ValveOutput): void {
    if (out.watermark !== undefined) this.advanceWatermark(out.watermark);
    if (out.idle !== undefined) this.emitToGates(out.idle ? WATERMARK_IDLE : WATERMARK_ACTIVE);
  }

  /**
   * Records from the input channels, round-robin. In a job whose records carry timestamps each
   * record takes two batch slots and sets the timestamp cell first.
   */
  private runInputs(budget: number): { records: number; ended: boolean } {
    const stamped = this.parts.timestamped;
    const stride = stamped ? TIMESTAMP_STRIDE : 1;
    const time = this.parts.time;
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
      const push = input.push;
      while (cur.pos < batch.length && n < budget && !this.outputBlocked()) {
        const r = batch[cur.pos];
        if (stamped) time.ts = batch[cur.pos + 1] as number;
        cur.pos += stride;
        push(r, sel === undefined ? undefined : sel(r));
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
    const aligner = this.aligner;
    for (let i = 0; i < inputs.length; i++) {
      const idx = (this.nextInput + i) % inputs.length;
      const input = inputs[idx]!;
      for (;;) {
        if (input.channel.isFinished) break;
        // Exactly-once alignment: records after barrier n on this channel wait until n arrived everywhere.
        if (aligner !== undefined && aligner.isBlocked(idx)) break;
        const item = input.channel.poll();
        if (item === undefined) break;
        if (isRecordBatch(item)) {
          this.nextInput = (idx + 1) % inputs.length;
          return { batch: item, pos: 0, input };
        }
        switch (item.kind) {
          case 'end-of-stream':
            this.liveInputs--;
            this.onValveOutput(this.valve!.onEndOfStream(idx));
            if (aligner !== undefined) this.onAlignerEvents(aligner.onEndOfStream(idx, this.parts.checkpoints!.now()));
            break;
          case 'watermark':
            this.onValveOutput(this.valve!.onWatermark(idx, item.timestamp));
            break;
          case 'watermark-status':
            this.onValveOutput(this.valve!.onStatus(idx, item.idle));
            break;
          case 'barrier':
            if (aligner === undefined) throw new Error('internal: a barrier reached a subtask of a job without checkpoints');
            this.onAlignerEvents(aligner.onBarrier(idx, item, this.parts.checkpoints!.now()));
            break;
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
    // Fast path: nothing queued, so a synchronous sink writes without a Promise.
    if (this.pending === undefined) this.track(sink.write(batch));
    else this.enqueueSinkCall(() => sink.write(batch));
  }

  /**
   * Runs `call` after every sink call queued before it; its result (or failure) is returned, and a
   * failure also fails the subtask. Calls after a failure do not run.
   */
  private enqueueSinkCall<T>(call: () => T | Promise<T>): Promise<T | undefined> {
    const prev = this.pending;
    const result: Promise<T | undefined> =
      prev === undefined
        ? Promise.resolve().then(call)
        : prev.then(() => (this.failure === undefined ? call() : undefined));
    this.track(result.then(() => undefined));
    return result;
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
    const tail: Promise<void> = result.then(
      () => {
        if (this.pending === tail) this.pending = undefined;
      },
      (error: unknown) => {
        if (this.pending === tail) this.pending = undefined;
        this.failure ??= { error };
      },
    );
    this.pending = tail;
  }
}

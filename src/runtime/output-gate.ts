/**
 * The producer side of one job edge for one upstream subtask: routes each record to its downstream
 * channel(s), cuts per-channel batches, and keeps batches a full channel refused. Records move in
 * batches so the per-record cost is an array push; backpressure is a flag the subtask checks, never
 * a Promise. In a job whose records carry timestamps, each record takes two batch slots: the record,
 * then its timestamp from the subtask's timestamp cell.
 */
import type { RecordRouter } from '../graph/partitioners.js';
import { END_OF_STREAM, type ControlEvent } from './channel-events.js';
import { isRecordBatch, OfferResult, type Channel, type ChannelItem } from './channel.js';
import { TIMESTAMP_STRIDE, type RecordTimestamp } from './record-timestamp.js';

/**
 * Batches and routes one subtask's output on one job edge.
 *
 * @example
 * const gate = new OutputGate(channelsByDownstreamIndex, createRouter({ ... }), 64);
 * gate.emit(record);        // buffered, offered when a batch is full
 * gate.flush();             // end of a step: offer partial batches too
 * if (gate.blocked) skip(); // backpressure: a channel refused a batch
 */
export class OutputGate {
  /** Per downstream index: the batch being filled; never longer than `batchSize`. */
  private readonly building: unknown[][];
  /**
   * Per downstream index: batches the channel refused, oldest first, and barriers emitted behind them
   * (a barrier must not overtake the records before it); they go before anything newer.
   */
  private readonly refused: ChannelItem<unknown>[][];
  /** Number of downstream indices whose `refused` queue is non-empty. */
  private blockedChannels = 0;
  /** Batch slots per batch: `batchSize` records, each one or two slots. */
  private readonly slotsPerBatch: number;

  /**
   * @param channels indexed by downstream subtask index (what the router returns); a forward edge's
   *   array is sparse, holding only this subtask's peer.
   * @param time the subtask's timestamp cell when records carry timestamps, else undefined.
   */
  constructor(
    private readonly channels: readonly (Channel<unknown> | undefined)[],
    private readonly router: RecordRouter,
    batchSize: number,
    private readonly time?: RecordTimestamp,
  ) {
    this.building = channels.map(() => []);
    this.refused = channels.map(() => []);
    this.slotsPerBatch = time === undefined ? batchSize : batchSize * TIMESTAMP_STRIDE;
  }

  /** True while some channel holds back a batch: the subtask must stop producing until {@link retry} clears it. */
  get blocked(): boolean {
    return this.blockedChannels > 0;
  }

  /** Everything emitted is in a channel (nothing buffered here). */
  get drained(): boolean {
    return this.blockedChannels === 0 && this.building.every((b) => b.length === 0);
  }

  /** Routes one record; it may be buffered past a full channel (bounded by what one step emits). */
  emit(record: unknown): void {
    const time = this.time;
    for (const t of this.router(record)) {
      const buf = this.building[t];
      if (buf === undefined) throw new Error(`internal: router chose downstream subtask ${t}, which has no channel here`);
      if (time === undefined) buf.push(record);
      else buf.push(record, time.ts);
      if (buf.length >= this.slotsPerBatch) {
        this.building[t] = this.channel(t).acquireBatch();
        this.enqueue(t, buf);
      }
    }
  }

  /** Queues partial batches too, so records do not wait for a full batch across steps (latency). */
  flush(): void {
    for (let t = 0; t < this.building.length; t++) {
      const buf = this.building[t];
      if (buf === undefined || buf.length === 0) continue;
      this.building[t] = this.channel(t).acquireBatch();
      this.enqueue(t, buf);
    }
  }

  /** Offers refused batches again, in order; returns whether any was accepted. */
  retry(): boolean {
    if (this.blockedChannels === 0) return false;
    let moved = false;
    for (let t = 0; t < this.refused.length; t++) {
      const q = this.refused[t];
      if (q === undefined || q.length === 0) continue;
      const ch = this.channel(t);
      while (q.length > 0) {
        const item = q[0]!;
        if (isRecordBatch(item)) {
          if (!ch.writable) break;
          ch.offer(item);
        } else {
          ch.offerEvent(item);
        }
        q.shift();
        moved = true;
      }
      if (q.length === 0) this.blockedChannels -= 1;
    }
    return moved;
  }

  /**
   * Sends a control event (a barrier, a watermark, a watermark status) on every channel, behind every
   * record emitted before it (partial batches are flushed first; behind refused batches it waits in
   * their queue). Never blocks.
   */
  emitEvent(event: Exclude<ControlEvent, { kind: 'end-of-stream' }>): void {
    this.flush();
    for (let t = 0; t < this.channels.length; t++) {
      const ch = this.channels[t];
      if (ch === undefined) continue;
      const q = this.refused[t]!;
      if (q.length === 0) ch.offerEvent(event);
      else q.push(event);
    }
  }

  /** Ends every channel; only once {@link drained}, since the event must follow the last record. */
  endOfStream(): void {
    if (!this.drained) throw new Error('internal: end-of-stream offered before all records left the gate');
    for (const ch of this.channels) ch?.offerEvent(END_OF_STREAM);
  }

  private enqueue(t: number, batch: unknown[]): void {
    const q = this.refused[t]!;
    if (q.length === 0) {
      if (this.channel(t).offer(batch) === OfferResult.ACCEPTED) return;
      this.blockedChannels += 1;
    }
    q.push(batch);
  }

  private channel(t: number): Channel<unknown> {
    const ch = this.channels[t];
    if (ch === undefined) throw new Error(`internal: no channel to downstream subtask ${t}`);
    return ch;
  }
}

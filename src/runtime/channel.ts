/**
 * The bounded FIFO between two subtasks: record batches and in-band control events in one queue, so a
 * barrier can never overtake the records before it nor be overtaken by those after it (DESIGN.md
 * point 1). A pure data structure: it never schedules, waits or allocates a Promise; the runtime polls
 * `writable` / `isEmpty` and may register a listener to learn when a full channel drains.
 *
 * **Capacity is counted in records, not batches**: memory and the latency a queue adds grow with
 * records, while batch sizes vary from 1 (a low-latency flush) to thousands, so a batch count would
 * bound neither. Batches are never split, so a batch is accepted whenever the channel is below capacity;
 * the queue therefore holds fewer than `capacity + largestBatch` records. That keeps the contract simple:
 * `offer` succeeds exactly when `writable` is true.
 *
 * **Worker-thread boundary.** Everything offered must be structured-cloneable (plain data, typed arrays;
 * no functions or class instances relying on their prototype), and `offer` takes ownership of the batch
 * array. A channel backed by a `MessagePort` or a `SharedArrayBuffer` ring could then implement the same
 * producer/consumer surface, each side keeping its own batch pool.
 */
import type { ControlEvent } from './channel-events.js';

/** One queue entry: a batch of records (an array) or a control event (a plain non-array object). */
export type ChannelItem<T> = T[] | ControlEvent;

/**
 * Whether an item is a record batch. Works for any `T`, even arrays, because a control event is never
 * an array.
 */
export function isRecordBatch<T>(item: ChannelItem<T>): item is T[] {
  return Array.isArray(item);
}

/** What {@link Channel.offer} did with a batch. */
export const OfferResult = Object.freeze({
  /** Queued; the channel owns the array now. */
  ACCEPTED: 'accepted',
  /** Refused because the channel is at capacity (backpressure); the caller still owns the array. */
  FULL: 'full',
});

/** One of the {@link OfferResult} values. */
export type OfferResult = (typeof OfferResult)[keyof typeof OfferResult];

/**
 * Recycled batch arrays kept per channel. A handful covers the batches in flight between one producer
 * and one consumer; more would only pin memory after a burst.
 */
const MAX_POOLED_BATCHES = 8;

/**
 * Dead slots at the queue's head tolerated before compacting. Compacting only once they are also at
 * least half the array keeps `poll` amortised O(1) without `Array.shift`'s O(n).
 */
const COMPACT_AFTER = 64;

/**
 * A bounded channel from one producer subtask to one consumer subtask.
 *
 * @example
 * const ch = new Channel<number>(1024);
 * const batch = ch.acquireBatch();
 * batch.push(1, 2, 3);
 * if (ch.offer(batch) === OfferResult.FULL) pending = batch; // retry when ch.writable
 * ch.offerEvent(barrier(1));
 * for (let item = ch.poll(); item !== undefined; item = ch.poll()) {
 *   if (isRecordBatch(item)) { process(item); ch.recycle(item); } else handle(item);
 * }
 */
export class Channel<T> {
  /** FIFO of items; live entries are `queue[head..]`, slots before `head` are dead (cleared to undefined). */
  private queue: (ChannelItem<T> | undefined)[] = [];
  /** Index of the oldest live entry; 0 <= head <= queue.length. */
  private head = 0;
  /** Sum of the lengths of the record batches in the live part of `queue`. */
  private records = 0;
  /** Empty arrays ready for reuse; never more than MAX_POOLED_BATCHES, never one that is also queued. */
  private readonly pool: T[][] = [];
  /** End-of-stream was offered; nothing more may be offered. */
  private closed = false;
  /** End-of-stream was polled; the channel is drained for good. */
  private finished = false;
  /** Called when `poll` turns the channel from not writable to writable; undefined when nobody listens. */
  private writableListener: (() => void) | undefined = undefined;

  /**
   * @param capacity records the queue may hold before refusing batches.
   * @param slotsPerRecord batch slots one record takes: 2 in a job whose records carry timestamps
   *   (record, timestamp), else 1.
   */
  constructor(
    readonly capacity: number,
    private readonly slotsPerRecord = 1,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`channel capacity must be a positive integer (records), got ${capacity}`);
    }
  }

  // ---- producer side ------------------------------------------------------------------------------

  /**
   * Whether {@link offer} would accept a batch now. False while at capacity (the consumer is behind:
   * backpressure) and for good once end-of-stream was offered.
   */
  get writable(): boolean {
    return !this.closed && this.records < this.capacity;
  }

  /**
   * Registers the callback the scheduler uses to resume a backpressured producer; `undefined` removes
   * it. It runs synchronously inside the consumer's `poll`, so it should only mark the producer runnable.
   */
  setWritableListener(listener: (() => void) | undefined): void {
    this.writableListener = listener;
  }

  /**
   * An empty array to fill and offer: a recycled one when available, so steady-state batching does
   * not allocate.
   */
  acquireBatch(): T[] {
    return this.pool.pop() ?? [];
  }

  /**
   * Queues a batch of records. On ACCEPTED the channel owns `batch` (do not touch it again); on FULL
   * nothing changed and the producer keeps the batch until {@link writable} turns true. An empty batch
   * is accepted and recycled without being queued. Throws after end-of-stream (a producer bug).
   */
  offer(batch: T[]): OfferResult {
    this.assertOpen();
    if (this.records >= this.capacity) return OfferResult.FULL;
    if (batch.length === 0) {
      this.recycle(batch);
      return OfferResult.ACCEPTED;
    }
    this.queue.push(batch);
    this.records += batch.length / this.slotsPerRecord;
    return OfferResult.ACCEPTED;
  }

  /**
   * Queues a control event behind everything offered before it. Never refused, even at capacity: events
   * are few (one barrier per checkpoint) and must not be dropped, and refusing them would make every
   * producer buffer them itself. After END_OF_STREAM nothing more may be offered.
   */
  offerEvent(event: ControlEvent): void {
    this.assertOpen();
    this.queue.push(event);
    if (event.kind === 'end-of-stream') this.closed = true;
  }

  // ---- consumer side ------------------------------------------------------------------------------

  /** Nothing to poll right now. */
  get isEmpty(): boolean {
    return this.head === this.queue.length;
  }

  /** End-of-stream was polled: this channel will never yield anything again. */
  get isFinished(): boolean {
    return this.finished;
  }

  /** Records currently queued: the backpressure gauge the UI shows. */
  get queuedRecords(): number {
    return this.records;
  }

  /** Entries (batches and events) currently queued. */
  get queuedItems(): number {
    return this.queue.length - this.head;
  }

  /** The oldest entry without removing it, or `undefined` when empty. */
  peek(): ChannelItem<T> | undefined {
    return this.queue[this.head];
  }

  /**
   * Removes and returns the oldest entry, or `undefined` when empty. A returned batch belongs to the
   * consumer; hand it back with {@link recycle} once processed.
   */
  poll(): ChannelItem<T> | undefined {
    if (this.head === this.queue.length) return undefined;
    const item = this.queue[this.head] as ChannelItem<T>;
    this.queue[this.head] = undefined;
    this.head += 1;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (isRecordBatch(item)) {
      const wasWritable = this.writable;
      this.records -= item.length / this.slotsPerRecord;
      if (!wasWritable && this.writable) this.writableListener?.();
    } else if (item.kind === 'end-of-stream') {
      this.finished = true;
    }
    return item;
  }

  /**
   * Returns a processed batch for reuse by {@link acquireBatch}. Optional (garbage collection covers a
   * batch never returned); the array must not be used afterwards.
   */
  recycle(batch: T[]): void {
    // A batch recycled twice would later be handed to two producers at once.
    if (this.pool.length >= MAX_POOLED_BATCHES || this.pool.includes(batch)) return;
    batch.length = 0;
    this.pool.push(batch);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('channel already received end-of-stream; nothing may follow it');
  }
}

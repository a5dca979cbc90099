import { describe, expect, it } from 'vitest';
import { END_OF_STREAM, barrier } from '../src/runtime/channel-events.js';
import { Channel, OfferResult, isRecordBatch } from '../src/runtime/channel.js';

describe('Channel capacity and backpressure', () => {
  it('refuses a batch once the queued records reach capacity, and accepts again after consumption', () => {
    const ch = new Channel<number>(4);
    expect(ch.offer([1, 2])).toBe(OfferResult.ACCEPTED);
    expect(ch.writable).toBe(true);
    expect(ch.offer([3, 4])).toBe(OfferResult.ACCEPTED);
    expect(ch.queuedRecords).toBe(4);
    expect(ch.writable).toBe(false);
    const refused = [5];
    expect(ch.offer(refused)).toBe(OfferResult.FULL);
    expect(refused).toEqual([5]); // the producer still owns it, untouched
    expect(ch.queuedRecords).toBe(4);
    ch.poll();
    expect(ch.queuedRecords).toBe(2);
    expect(ch.writable).toBe(true);
    expect(ch.offer(refused)).toBe(OfferResult.ACCEPTED);
    expect(ch.queuedRecords).toBe(3);
  });

  it('counts records, not batches: one batch below capacity may overshoot it, then everything waits', () => {
    const ch = new Channel<number>(3);
    expect(ch.offer([1, 2])).toBe(OfferResult.ACCEPTED);
    expect(ch.offer([3, 4, 5, 6])).toBe(OfferResult.ACCEPTED); // 2 < 3 before it: accepted whole
    expect(ch.queuedRecords).toBe(6);
    expect(ch.offer([7])).toBe(OfferResult.FULL);
    ch.poll(); // 4 left, still >= 3
    expect(ch.writable).toBe(false);
    ch.poll();
    expect(ch.writable).toBe(true);
  });

  it('never refuses control events, even when full, and keeps them behind the records', () => {
    const ch = new Channel<number>(1);
    ch.offer([1]);
    expect(ch.offer([2])).toBe(OfferResult.FULL);
    ch.offerEvent(barrier(1));
    ch.offerEvent(END_OF_STREAM);
    expect(ch.queuedItems).toBe(3);
    expect(ch.poll()).toEqual([1]);
    expect(ch.poll()).toEqual(barrier(1));
    expect(ch.poll()).toBe(END_OF_STREAM);
  });

  it('calls the writable listener once when a poll frees space, not on every poll', () => {
    const ch = new Channel<number>(2);
    let calls = 0;
    ch.setWritableListener(() => calls++);
    ch.offer([1]);
    ch.offer([2]);
    ch.offer([3]); // FULL
    ch.offerEvent(barrier(1));
    expect(ch.poll()).toEqual([1]);
    expect(calls).toBe(1);
    expect(ch.poll()).toEqual([2]);
    expect(ch.poll()).toEqual(barrier(1));
    expect(calls).toBe(1); // it was writable already
    ch.offer([4, 5]);
    ch.setWritableListener(undefined);
    ch.poll();
    expect(calls).toBe(1);
  });

  it('does not report writable after end-of-stream even when space frees', () => {
    const ch = new Channel<number>(1);
    let calls = 0;
    ch.setWritableListener(() => calls++);
    ch.offer([1]);
    ch.offerEvent(END_OF_STREAM);
    ch.poll();
    expect(ch.writable).toBe(false);
    expect(calls).toBe(0);
  });

  it('reuses recycled batch arrays', () => {
    const ch = new Channel<number>(10);
    const a = ch.acquireBatch();
    a.push(1, 2);
    ch.offer(a);
    const got = ch.poll();
    expect(got).toBe(a);
    if (got === undefined || !isRecordBatch(got)) throw new Error('expected a batch');
    ch.recycle(got);
    ch.recycle(got); // a second recycle must not hand the same array out twice
    const b = ch.acquireBatch();
    expect(b).toBe(a);
    expect(b).toEqual([]);
    expect(ch.acquireBatch()).not.toBe(a);
  });

  it('bounds memory under a producer that keeps offering while the consumer is slow', () => {
    const ch = new Channel<number>(100);
    let refused = 0;
    for (let i = 0; i < 10_000; i++) {
      if (ch.offer([i, i]) === OfferResult.FULL) refused++;
      if (i % 10 === 0) ch.poll();
    }
    expect(refused).toBeGreaterThan(8_000);
    expect(ch.queuedRecords).toBeLessThan(100 + 2);
  });
});

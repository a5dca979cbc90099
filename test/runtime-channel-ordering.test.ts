import { describe, expect, it } from 'vitest';
import { END_OF_STREAM, barrier } from '../src/runtime/channel-events.js';
import { Channel, OfferResult, isRecordBatch, type ChannelItem } from '../src/runtime/channel.js';

function drain<T>(ch: Channel<T>): ChannelItem<T>[] {
  const out: ChannelItem<T>[] = [];
  for (let item = ch.poll(); item !== undefined; item = ch.poll()) out.push(item);
  return out;
}

describe('Channel ordering', () => {
  it('delivers batches and control events in exactly the order offered', () => {
    const ch = new Channel<string>(100);
    ch.offer(['a', 'b']);
    ch.offerEvent(barrier(1));
    ch.offer(['c']);
    ch.offerEvent(barrier(2, true));
    ch.offer(['d', 'e', 'f']);
    ch.offerEvent(END_OF_STREAM);
    expect(drain(ch)).toEqual([
      ['a', 'b'],
      { kind: 'barrier', checkpointId: 1, isSavepoint: false },
      ['c'],
      { kind: 'barrier', checkpointId: 2, isSavepoint: true },
      ['d', 'e', 'f'],
      { kind: 'end-of-stream' },
    ]);
    expect(ch.isFinished).toBe(true);
    expect(ch.isEmpty).toBe(true);
  });

  it('keeps order across many polls (exercises head compaction)', () => {
    const ch = new Channel<number>(1_000_000);
    const seen: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 37; i++) ch.offer([next++]);
      for (let i = 0; i < 30; i++) {
        const item = ch.poll();
        if (item !== undefined && isRecordBatch(item)) seen.push(...item);
      }
    }
    for (const item of drain(ch)) if (isRecordBatch(item)) seen.push(...item);
    expect(seen).toEqual(Array.from({ length: next }, (_, i) => i));
  });

  it('tells batches from events even when records are themselves arrays', () => {
    const ch = new Channel<number[]>(10);
    ch.offer([[1, 2]]);
    ch.offerEvent(barrier(3));
    const first = ch.poll();
    const second = ch.poll();
    expect(first !== undefined && isRecordBatch(first)).toBe(true);
    expect(first).toEqual([[1, 2]]);
    expect(second !== undefined && isRecordBatch(second)).toBe(false);
  });

  it('peek shows the head without removing it', () => {
    const ch = new Channel<number>(10);
    expect(ch.peek()).toBeUndefined();
    ch.offerEvent(barrier(1));
    expect(ch.peek()).toEqual(barrier(1));
    expect(ch.queuedItems).toBe(1);
    expect(ch.poll()).toEqual(barrier(1));
    expect(ch.queuedItems).toBe(0);
  });

  it('refuses anything after end-of-stream, and is finished only once it is polled', () => {
    const ch = new Channel<number>(10);
    ch.offer([1]);
    ch.offerEvent(END_OF_STREAM);
    expect(ch.writable).toBe(false);
    expect(() => ch.offer([2])).toThrow(/end-of-stream/);
    expect(() => ch.offerEvent(barrier(1))).toThrow(/end-of-stream/);
    expect(ch.isFinished).toBe(false);
    ch.poll();
    expect(ch.isFinished).toBe(false);
    expect(ch.poll()).toBe(END_OF_STREAM);
    expect(ch.isFinished).toBe(true);
  });

  it('validates barrier ids and capacity', () => {
    expect(() => barrier(0)).toThrow(RangeError);
    expect(() => barrier(1.5)).toThrow(RangeError);
    expect(() => new Channel(0)).toThrow(RangeError);
    expect(() => new Channel(Number.NaN)).toThrow(RangeError);
  });

  it('events survive structured cloning unchanged (worker-thread boundary)', () => {
    for (const e of [barrier(5, true), END_OF_STREAM]) expect(structuredClone(e)).toEqual(e);
  });

  it('an accepted empty batch queues nothing', () => {
    const ch = new Channel<number>(10);
    expect(ch.offer([])).toBe(OfferResult.ACCEPTED);
    expect(ch.isEmpty).toBe(true);
  });
});

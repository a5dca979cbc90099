/**
 * The watermark valve: minimum over channels, monotonic output, idle channels left out, all-idle
 * moving to the maximum, re-activated channels counted again only once caught up, and end-of-stream
 * never advancing the watermark by itself.
 */
import { describe, expect, it } from 'vitest';
import { WatermarkValve } from '../src/runtime/watermark-valve.js';

describe('WatermarkValve', () => {
  it('emits the minimum over channels, only when it advances', () => {
    const v = new WatermarkValve(3);
    expect(v.onWatermark(0, 10)).toEqual({});
    expect(v.onWatermark(1, 5)).toEqual({});
    expect(v.onWatermark(2, 7)).toEqual({ watermark: 5 });
    expect(v.onWatermark(1, 6)).toEqual({ watermark: 6 });
    expect(v.onWatermark(1, 20)).toEqual({ watermark: 7 });
    expect(v.onWatermark(2, 3)).toEqual({}); // a channel going back changes nothing
    expect(v.current).toBe(7);
  });

  it('leaves an idle channel out, and reports idle when every live channel is', () => {
    const v = new WatermarkValve(2);
    v.onWatermark(0, 100);
    expect(v.onStatus(1, true)).toEqual({ watermark: 100 });
    expect(v.onWatermark(0, 150)).toEqual({ watermark: 150 });
    expect(v.onStatus(0, true)).toEqual({ idle: true });
    expect(v.onStatus(0, false)).toEqual({ idle: false });
  });

  it('moves to the largest watermark when every channel goes idle', () => {
    const v = new WatermarkValve(2);
    v.onWatermark(0, 100);
    v.onWatermark(1, 40);
    expect(v.current).toBe(40);
    expect(v.onStatus(1, true)).toEqual({ watermark: 100 });
    const w = new WatermarkValve(2);
    w.onWatermark(0, 100);
    w.onWatermark(1, 40);
    expect(w.onStatus(0, true)).toEqual({});
    expect(w.onStatus(1, true)).toEqual({ watermark: 100, idle: true });
  });

  it('a channel active again below the output does not pull it back, and counts once caught up', () => {
    const v = new WatermarkValve(2);
    v.onWatermark(1, 10);
    v.onStatus(1, true);
    v.onWatermark(0, 100);
    expect(v.current).toBe(100);
    expect(v.onStatus(1, false)).toEqual({});
    expect(v.onWatermark(0, 200)).toEqual({ watermark: 200 }); // channel 1 (at 10) is not aligned
    expect(v.onWatermark(1, 250)).toEqual({}); // aligned again: min(200, 250) = 200
    expect(v.onWatermark(0, 300)).toEqual({ watermark: 250 });
  });

  it('end-of-stream stops a channel holding the others back but never advances by itself', () => {
    const v = new WatermarkValve(2);
    v.onWatermark(0, 50);
    v.onWatermark(1, 10);
    expect(v.current).toBe(10);
    expect(v.onEndOfStream(1)).toEqual({ watermark: 50 }); // channel 0's own watermark
    expect(v.onEndOfStream(0)).toEqual({});
    expect(v.current).toBe(50);
  });

  it('a stopped channel (ended without Infinity) does not count when the others go idle; a completed one does', () => {
    const stopped = new WatermarkValve(2);
    stopped.onWatermark(0, 500);
    stopped.onWatermark(1, 20);
    stopped.onEndOfStream(0);
    expect(stopped.onStatus(1, true)).toEqual({ idle: true });
    expect(stopped.current).toBe(20);
    const completed = new WatermarkValve(2);
    completed.onWatermark(0, Number.POSITIVE_INFINITY);
    completed.onWatermark(1, 20);
    completed.onEndOfStream(0);
    expect(completed.onStatus(1, true)).toEqual({ watermark: Number.POSITIVE_INFINITY, idle: true });
  });

  it('a watermark on an idle channel makes it active again', () => {
    const v = new WatermarkValve(1);
    v.onWatermark(0, 5);
    expect(v.onStatus(0, true)).toEqual({ idle: true });
    expect(v.onWatermark(0, 9)).toEqual({ watermark: 9, idle: false });
  });
});

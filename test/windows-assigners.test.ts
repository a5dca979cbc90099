/**
 * Window assigners and session merging as pure logic: which windows a timestamp belongs to (checked
 * against enumerating every aligned window), argument validation, and the merging window set checked
 * against a model that recomputes sessions from all timestamps seen.
 */
import { describe, expect, it } from 'vitest';
import {
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
} from '../src/api/windows/assigners.js';
import { MergingWindowSet } from '../src/api/windows/merging-window-set.js';
import { TimeWindow } from '../src/api/windows/time-window.js';
import { mulberry32 } from '../src/random/mulberry32.js';

/** Every window `[s, s + size)` with `s ≡ offset (mod slide)` containing `ts`, by brute force, latest first. */
function windowsByEnumeration(ts: number, size: number, slide: number, offset: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  // the first aligned start at or below ts - size - slide, found by stepping (no modulo arithmetic)
  let s = offset;
  while (s > ts - size - slide) s -= slide;
  while (s + slide <= ts - size - slide) s += slide;
  for (; s <= ts; s += slide) if (ts < s + size) out.push([s, s + size]);
  return out.reverse();
}

const pairs = (ws: TimeWindow[]): Array<[number, number]> => ws.map((w) => [w.start, w.end]);

describe('TimeWindow', () => {
  it('maxTimestamp is end - 1; windows that touch intersect (Flink), cover spans both', () => {
    const w = new TimeWindow(10, 20);
    expect(w.maxTimestamp()).toBe(19);
    expect(w.intersects(new TimeWindow(20, 30))).toBe(true);
    expect(w.intersects(new TimeWindow(21, 30))).toBe(false);
    expect(w.cover(new TimeWindow(15, 40)).equals(new TimeWindow(10, 40))).toBe(true);
  });

  it('getWindowStartWithOffset floors towards -Infinity, also for negative timestamps and offsets', () => {
    expect(TimeWindow.getWindowStartWithOffset(12_345, 0, 1_000)).toBe(12_000);
    expect(TimeWindow.getWindowStartWithOffset(12_000, 0, 1_000)).toBe(12_000);
    expect(TimeWindow.getWindowStartWithOffset(11_999, 0, 1_000)).toBe(11_000);
    expect(TimeWindow.getWindowStartWithOffset(-1, 0, 1_000)).toBe(-1_000);
    expect(TimeWindow.getWindowStartWithOffset(-1_000, 0, 1_000)).toBe(-1_000);
    expect(TimeWindow.getWindowStartWithOffset(-1_001, 0, 1_000)).toBe(-2_000);
    expect(TimeWindow.getWindowStartWithOffset(5, 7, 10)).toBe(-3);
    expect(TimeWindow.getWindowStartWithOffset(5, -3, 10)).toBe(-3);
    expect(TimeWindow.getWindowStartWithOffset(1_700_000_000_123, 0, 60_000)).toBe(1_699_999_980_000);
  });
});

describe('aligned assigners', () => {
  it('tumbling: exactly one window, aligned to the offset', () => {
    expect(pairs(TumblingEventTimeWindows.of(1_000).assignWindows(12_345))).toEqual([[12_000, 13_000]]);
    expect(pairs(TumblingEventTimeWindows.of(1_000).assignWindows(-1))).toEqual([[-1_000, 0]]);
    expect(pairs(TumblingEventTimeWindows.of(1_000, 250).assignWindows(200))).toEqual([[-750, 250]]);
    expect(pairs(TumblingEventTimeWindows.of(1_000, -250).assignWindows(800))).toEqual([[750, 1_750]]);
    expect(pairs(TumblingProcessingTimeWindows.of(86_400_000, -8 * 3_600_000).assignWindows(0))).toEqual([[-8 * 3_600_000, 16 * 3_600_000]]);
  });

  it('sliding: size/slide windows, latest first, including offsets, negative timestamps and slides larger than the size', () => {
    expect(pairs(SlidingEventTimeWindows.of(10, 3).assignWindows(7))).toEqual([
      [6, 16],
      [3, 13],
      [0, 10],
    ]);
    const random = mulberry32(11);
    const params: Array<[number, number, number]> = [
      [10, 3, 0],
      [10, 5, 2],
      [10, 10, -7],
      [7, 10, 4], // gaps: some timestamps belong to no window
      [60_000, 1_000, 0],
      [1, 1, 0],
    ];
    for (const [size, slide, offset] of params) {
      for (let i = 0; i < 500; i++) {
        const ts = Math.floor((random() - 0.5) * 200_000);
        const expected = windowsByEnumeration(ts, size, slide, offset);
        expect(pairs(SlidingEventTimeWindows.of(size, slide, offset).assignWindows(ts)), `ts=${ts} size=${size} slide=${slide} offset=${offset}`).toEqual(expected);
        expect(pairs(SlidingProcessingTimeWindows.of(size, slide, offset).assignWindows(ts))).toEqual(expected);
      }
    }
  });

  it('tell event time from processing time, and name themselves', () => {
    expect(TumblingEventTimeWindows.of(5).isEventTime).toBe(true);
    expect(SlidingEventTimeWindows.of(5, 1).isEventTime).toBe(true);
    expect(TumblingProcessingTimeWindows.of(5).isEventTime).toBe(false);
    expect(SlidingProcessingTimeWindows.of(5, 1).isEventTime).toBe(false);
    expect(String(SlidingEventTimeWindows.of(5_000, 1_000))).toBe('SlidingEventTimeWindows(5000, 1000)');
  });

  it('reject bad arguments with RangeErrors that name the argument', () => {
    expect(() => TumblingEventTimeWindows.of(0)).toThrow(/size must be an integer number of ms >= 1, got 0/);
    expect(() => TumblingEventTimeWindows.of(-5)).toThrow(RangeError);
    expect(() => TumblingEventTimeWindows.of(1.5)).toThrow(RangeError);
    expect(() => TumblingEventTimeWindows.of(Number.NaN)).toThrow(RangeError);
    expect(() => TumblingEventTimeWindows.of(1_000, 1_000)).toThrow(/\|offset\| < size \(1000\), got 1000/);
    expect(() => TumblingEventTimeWindows.of(1_000, -1_000)).toThrow(RangeError);
    expect(() => TumblingProcessingTimeWindows.of(Infinity)).toThrow(RangeError);
    expect(() => SlidingEventTimeWindows.of(10, 0)).toThrow(/slide must be an integer number of ms >= 1, got 0/);
    expect(() => SlidingEventTimeWindows.of(0, 5)).toThrow(/size must be/);
    expect(() => SlidingEventTimeWindows.of(10, 5, 5)).toThrow(/\|offset\| < slide \(5\), got 5/);
    expect(() => SlidingProcessingTimeWindows.of(10, 2.5)).toThrow(RangeError);
    expect(() => EventTimeSessionWindows.withGap(0)).toThrow(/gap must be an integer number of ms >= 1, got 0/);
    expect(() => ProcessingTimeSessionWindows.withGap(-1)).toThrow(RangeError);
  });
});

describe('session windows', () => {
  it('mergeWindows merges overlapping and touching windows, keeping the replaced ones in start order', () => {
    const merged = EventTimeSessionWindows.withGap(10).mergeWindows([new TimeWindow(20, 30), new TimeWindow(0, 10), new TimeWindow(10, 15), new TimeWindow(31, 41)]);
    expect(merged.map((m) => [m.window.start, m.window.end, pairs(m.merged)])).toEqual([
      [0, 15, [[0, 10], [10, 15]]],
      [20, 30, [[20, 30]]],
      [31, 41, [[31, 41]]],
    ]);
  });

  it('MergingWindowSet reports new, contained and merged windows with the state ids to move', () => {
    const set = new MergingWindowSet();
    expect(set.addWindow(0, 10)).toBe('new');
    expect([set.start, set.end, set.stateId]).toEqual([0, 10, 0]);
    expect(set.addWindow(30, 40)).toBe('new');
    expect(set.addWindow(2, 8)).toBe('contained');
    expect([set.start, set.end, set.stateId]).toEqual([0, 10, 0]);
    expect(set.addWindow(5, 15)).toBe('merged');
    expect([set.start, set.end, set.stateId, set.mergedStateIds, set.removed]).toEqual([0, 15, 0, [], [0, 10]]);
    // bridges both sessions: the earlier one's state id survives, the later one's contents move
    expect(set.addWindow(15, 30)).toBe('merged');
    expect([set.start, set.end, set.stateId, set.mergedStateIds, set.removed]).toEqual([0, 40, 0, [30], [0, 15, 30, 40]]);
    expect(set.windows).toEqual([0, 40, 0]);
    // extends a session backwards: the state id stays the old start, inside the window
    expect(set.addWindow(-20, -5)).toBe('new');
    expect(set.addWindow(-6, 1)).toBe('merged');
    expect([set.start, set.end, set.stateId, set.mergedStateIds]).toEqual([-20, 40, -20, [0]]);
    set.retire(set.indexOf(-20, 40));
    expect(set.size).toBe(0);
  });

  it('MergingWindowSet agrees with recomputing the sessions, and contents moved as it says end up in their session', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = mulberry32(seed);
      const gap = 1 + Math.floor(random() * 20);
      const set = new MergingWindowSet();
      /** state id → timestamps added under it, moved on merges as the set reports */
      const contents = new Map<number, number[]>();
      const seen: number[] = [];
      for (let i = 0; i < 400; i++) {
        const ts = Math.floor(random() * 2_000) - 1_000;
        seen.push(ts);
        const kind = set.addWindow(ts, ts + gap);
        if (kind === 'merged') {
          const target = contents.get(set.stateId)!;
          for (const id of set.mergedStateIds) {
            target.push(...contents.get(id)!);
            contents.delete(id);
          }
        }
        if (kind === 'new') {
          expect(contents.has(set.stateId)).toBe(false);
          contents.set(set.stateId, []);
        }
        contents.get(set.stateId)!.push(ts);
        expect(set.start <= ts && ts + gap <= set.end).toBe(true);
      }
      // the model: sort all timestamps, cut where the next one is more than `gap` after the previous
      const sorted = [...seen].sort((a, b) => a - b);
      const sessions: Array<{ start: number; end: number; members: number[] }> = [];
      for (const ts of sorted) {
        const last = sessions[sessions.length - 1];
        if (last !== undefined && ts <= last.end) {
          last.end = Math.max(last.end, ts + gap);
          last.members.push(ts);
        } else {
          sessions.push({ start: ts, end: ts + gap, members: [ts] });
        }
      }
      const live: Array<[number, number]> = [];
      for (let i = 0; i < set.windows.length; i += 3) {
        const [start, end, stateId] = set.windows.slice(i, i + 3) as [number, number, number];
        live.push([start, end]);
        expect(stateId >= start && stateId < end).toBe(true);
        const session = sessions.find((s) => s.start === start)!;
        expect([...contents.get(stateId)!].sort((a, b) => a - b)).toEqual(session.members);
      }
      expect(live).toEqual(sessions.map((s) => [s.start, s.end]));
      expect(contents.size).toBe(sessions.length);
    }
  });
});

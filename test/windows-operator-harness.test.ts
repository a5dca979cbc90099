/**
 * The window operator driven by hand, on both state backends: records, watermarks and processing
 * time are fed one by one and timers fire as the runtime's contract says (all due timers in
 * timestamp order, each with its key set, then the watermark moves on). Outputs are checked against
 * a brute-force model that enumerates windows and recomputes each result from the records it holds.
 * The model is the spec; the runtime end to end is covered by windows-event-time.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Collector, KeyedProcessFunction, KeyedRuntimeContext, OnTimerContext, OutputTag, TimeDomain } from '../src/api/functions.js';
import {
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  type WindowAssigner,
} from '../src/api/windows/assigners.js';
import type { TimeWindow } from '../src/api/windows/time-window.js';
import { aggregatingContents, listingContents, reducingContents, type WindowContentsSpec } from '../src/api/windows/window-contents.js';
import type { ProcessWindowFunction } from '../src/api/windows/window-functions.js';
import { WindowOperator } from '../src/api/windows/window-operator.js';
import { mulberry32 } from '../src/random/mulberry32.js';
import { Serializers } from '../src/state/serializers.js';
import type { KeyedStateBackend, StateBackendKind } from '../src/state/types.js';
import { backendPool, BACKEND_KINDS } from './support/backends.js';

interface Emitted<OUT> {
  readonly key: number;
  readonly value: OUT;
  readonly ts: number | undefined;
}

/** Runs one operator subtask over one backend, with timers kept the way the runtime keeps them. */
class Harness<T, OUT> {
  wm = -Infinity;
  now = 0;
  readonly out: Emitted<OUT>[] = [];
  readonly late: T[] = [];
  /** `${domain}|${key}|${ts}` → timer; a timer is (domain, key, time), registering twice keeps one. */
  readonly timers = new Map<string, { domain: TimeDomain; key: number; ts: number }>();
  private readonly fn: KeyedProcessFunction<number, T, OUT>;
  private key = 0;
  private timestamp: number | undefined;

  constructor(
    private readonly backend: KeyedStateBackend,
    operator: KeyedProcessFunction<number, T, OUT>,
    private readonly lateTag: OutputTag<T> = { id: 'late' },
  ) {
    this.fn = Object.create(operator) as KeyedProcessFunction<number, T, OUT>;
    const b = backend;
    const rt: KeyedRuntimeContext = {
      operatorUid: 'window',
      subtaskIndex: 0,
      parallelism: 1,
      maxParallelism: b.maxParallelism,
      getState: (d) => b.getState(d),
      getListState: (d) => b.getListState(d),
      getMapState: (d) => b.getMapState(d),
      getReducingState: (d) => b.getReducingState(d),
      getAggregatingState: (d) => b.getAggregatingState(d),
    };
    this.fn.open?.(rt);
  }

  private readonly timerService = {
    currentProcessingTime: (): number => this.now,
    currentWatermark: (): number => this.wm,
    registerProcessingTimeTimer: (ts: number): void => this.register('processing-time', ts),
    deleteProcessingTimeTimer: (ts: number): void => void this.timers.delete(`processing-time|${this.key}|${ts}`),
    registerEventTimeTimer: (ts: number): void => this.register('event-time', ts),
    deleteEventTimeTimer: (ts: number): void => void this.timers.delete(`event-time|${this.key}|${ts}`),
  };

  private register(domain: TimeDomain, ts: number): void {
    this.timers.set(`${domain}|${this.key}|${ts}`, { domain, key: this.key, ts });
  }

  private readonly collector: Collector<OUT> = { collect: (value) => this.out.push({ key: this.key, value, ts: this.timestamp }) };

  private context(domain?: TimeDomain, ts?: number): OnTimerContext<number> {
    const h = this;
    return {
      key: this.key,
      timestamp: this.timestamp,
      timerService: this.timerService,
      output<X>(tag: OutputTag<X>, value: X): void {
        if (tag.id !== h.lateTag.id) throw new Error(`unexpected side output ${tag.id}`);
        h.late.push(value as unknown as T);
      },
      timestampMs: ts ?? 0,
      timeDomain: domain ?? 'event-time',
    };
  }

  element(key: number, value: T, ts: number | undefined): void {
    this.key = key;
    this.timestamp = ts;
    this.backend.setCurrentKey(key);
    this.fn.processElement(value, this.context(), this.collector);
  }

  /** Moves the watermark to `wm` and fires every event-time timer at or below it, in time order. */
  watermark(wm: number): void {
    this.wm = Math.max(this.wm, wm);
    this.fireDue('event-time', this.wm);
  }

  /** Moves the clock to `now` and fires every processing-time timer at or below it. */
  advanceClock(now: number): void {
    this.now = now;
    this.fireDue('processing-time', now);
  }

  private fireDue(domain: TimeDomain, upTo: number): void {
    for (;;) {
      let next: { domain: TimeDomain; key: number; ts: number } | undefined;
      for (const t of this.timers.values()) if (t.domain === domain && t.ts <= upTo && (next === undefined || t.ts < next.ts)) next = t;
      if (next === undefined) return;
      this.timers.delete(`${domain}|${next.key}|${next.ts}`);
      this.key = next.key;
      this.timestamp = domain === 'event-time' ? next.ts : undefined;
      this.backend.setCurrentKey(next.key);
      this.fn.onTimer!(next.ts, this.context(domain, next.ts), this.collector);
    }
  }
}

interface Rec {
  readonly key: number;
  readonly v: number;
  readonly ts: number;
}

type Event = { readonly rec: Rec } | { readonly wm: number };

function operator<R, OUT, T = Rec>(
  assigner: WindowAssigner,
  contents: WindowContentsSpec<T, R>,
  o: { lateness?: number; windowFn?: ProcessWindowFunction<R, OUT, number, TimeWindow> } = {},
): WindowOperator<number, T, R, OUT> {
  return new WindowOperator<number, T, R, OUT>({
    assigner,
    allowedLateness: assigner.isEventTime ? (o.lateness ?? 0) : 0,
    lateTag: { id: 'late' },
    contents,
    windowFn: o.windowFn,
    name: 'test-window',
  });
}

/** Window functions the model can recompute from a window's records: the sum and count of `v`, and the window. */
type Summary = [key: number, start: number, end: number, sum: number, count: number];

const sumCount = {
  createAccumulator: (): [number, number] => [0, 0],
  add: (r: Rec, acc: [number, number]): [number, number] => [acc[0] + r.v, acc[1] + 1],
  getResult: (acc: [number, number]) => acc,
  merge: (a: [number, number], b: [number, number]): [number, number] => [a[0] + b[0], a[1] + b[1]],
};
const withWindow: ProcessWindowFunction<[number, number], Summary, number> = (key, ctx, results, out) => {
  for (const [sum, count] of results) out.collect([key, ctx.window.start, ctx.window.end, sum, count]);
};
const summarizeAll: ProcessWindowFunction<Rec, Summary, number> = (key, ctx, records, out) => {
  let sum = 0;
  let count = 0;
  for (const r of records) {
    sum += r.v;
    count++;
  }
  out.collect([key, ctx.window.start, ctx.window.end, sum, count]);
};

/**
 * The model of aligned event-time windows: windows enumerated by brute force per record, each with
 * the records it accepted; fires when the watermark passes its end - 1, re-fires per accepted late
 * record, disappears at end - 1 + lateness.
 */
function modelAligned(events: readonly Event[], size: number, slide: number, lateness: number) {
  const open = new Map<string, { key: number; start: number; recs: Rec[] }>();
  const fired: Array<{ s: Summary; ts: number }> = [];
  const late: Rec[] = [];
  let wm = -Infinity;
  const summary = (w: { key: number; start: number; recs: Rec[] }): Summary => [w.key, w.start, w.start + size, w.recs.reduce((s, r) => s + r.v, 0), w.recs.length];
  for (const e of events) {
    if ('rec' in e) {
      const r = e.rec;
      let accepted = false;
      for (let start = (Math.floor(r.ts / slide) - Math.ceil(size / slide)) * slide; start <= r.ts; start += slide) {
        if (!(start <= r.ts && r.ts < start + size)) continue;
        const maxTs = start + size - 1;
        if (maxTs + lateness <= wm) continue;
        accepted = true;
        const id = `${r.key}|${start}`;
        if (!open.has(id)) open.set(id, { key: r.key, start, recs: [] });
        const w = open.get(id)!;
        w.recs.push(r);
        if (maxTs <= wm) fired.push({ s: summary(w), ts: r.ts });
      }
      if (!accepted && r.ts + lateness <= wm) late.push(r);
    } else {
      const prev = wm;
      wm = Math.max(wm, e.wm);
      for (const [id, w] of [...open].sort((a, b) => a[1].start - b[1].start)) {
        const maxTs = w.start + size - 1;
        if (maxTs > prev && maxTs <= wm) fired.push({ s: summary(w), ts: maxTs });
        if (maxTs + lateness <= wm) open.delete(id);
      }
    }
  }
  return { fired, late };
}

const bySummary = (a: { s: Summary; ts: number | undefined }, b: { s: Summary; ts: number | undefined }) =>
  JSON.stringify(a).localeCompare(JSON.stringify(b));

/** Out-of-order records over `keys` keys, watermark `maxSeen - bound - 1` after every few; some far-behind stragglers. */
function randomEvents(seed: number, n: number, o: { keys: number; bound: number; stragglers: number }): Event[] {
  const random = mulberry32(seed);
  const events: Event[] = [];
  let clock = 1_000;
  let maxSeen = -Infinity;
  for (let i = 0; i < n; i++) {
    clock += Math.floor(random() * 7);
    const straggler = random() < o.stragglers;
    const ts = straggler ? clock - o.bound - Math.floor(random() * 300) : clock - Math.floor(random() * o.bound);
    const rec = { key: Math.floor(random() * o.keys), v: Math.floor(random() * 100), ts };
    events.push({ rec });
    maxSeen = Math.max(maxSeen, ts);
    if (random() < 0.3) events.push({ wm: maxSeen - o.bound - 1 });
  }
  events.push({ wm: Infinity });
  return events;
}

function run<T, OUT>(h: Harness<T, OUT>, events: readonly Event[], toT: (r: Rec) => T): void {
  for (const e of events) {
    if ('rec' in e) h.element(e.rec.key, toT(e.rec), e.rec.ts);
    else h.watermark(e.wm);
  }
}

describe.each(BACKEND_KINDS)('window operator on the %s backend', (kind: StateBackendKind) => {
  const create = backendPool();

  it.each([
    ['tumbling', 100, 100, 0],
    ['tumbling with allowed lateness', 100, 100, 150],
    ['sliding', 100, 30, 0],
    ['sliding with allowed lateness', 100, 25, 60],
  ] as const)('%s: aggregate, reduce and process fire what the model fires, late records go to the side output, nothing is left behind', (_name, size, slide, lateness) => {
    const events = randomEvents(size + slide + lateness, 1_500, { keys: 7, bound: 40, stragglers: 0.05 });
    const expected = modelAligned(events, size, slide, lateness);
    expect(expected.late.length).toBeGreaterThan(5);
    if (lateness > 0) expect(expected.fired.filter((f) => f.ts !== f.s[1] + size - 1).length).toBeGreaterThan(5);
    const assigner = size === slide ? TumblingEventTimeWindows.of(size) : SlidingEventTimeWindows.of(size, slide);

    const variants = [
      operator(assigner, aggregatingContents(sumCount, Serializers.json), { lateness, windowFn: withWindow }),
      operator(assigner, listingContents<Rec>(Serializers.json), { lateness, windowFn: summarizeAll }),
    ];
    for (const op of variants) {
      const backend = create(kind);
      const h = new Harness<Rec, Summary>(backend, op as KeyedProcessFunction<number, Rec, Summary>);
      run(h, events, (r) => r);
      expect(h.out.map((o) => ({ s: o.value, ts: o.ts })).sort(bySummary)).toEqual([...expected.fired].sort(bySummary));
      expect(h.late).toEqual(expected.late);
      expect(backend.entryCount()).toBe(0);
      expect(h.timers.size).toBe(0);
    }

    // reduce, with the numeric fast path: the max v per window
    const backend = create(kind);
    const h = new Harness<number, number>(backend, operator(assigner, reducingContents<number>(Math.max, Serializers.number), { lateness }) as never);
    run(h, events, (r) => r.v);
    // the max can be recomputed only from records, so ask the model for windows and recompute here
    const maxOf = modelMax(events, size, slide, lateness);
    expect(h.out.map((o) => `${o.key}|${o.ts}|${o.value}`).sort()).toEqual(maxOf.sort());
    expect(backend.entryCount()).toBe(0);
  });

  it('session windows: aggregate and process merge sessions as recomputing them from all records says', () => {
    const gap = 50;
    const random = mulberry32(5);
    const events: Event[] = [];
    let base = 0;
    for (let i = 0; i < 1_200; i++) {
      base += Math.floor(random() * 15);
      // bursts and silences; jitter < 30 keeps records ahead of the watermark base - gap - 1
      if (random() < 0.03) base += 200;
      events.push({ rec: { key: Math.floor(random() * 5), v: Math.floor(random() * 100), ts: base + Math.floor(random() * 30) } });
      if (random() < 0.3) events.push({ wm: base - gap - 1 });
    }
    events.push({ wm: Infinity });
    // model: per key, sort the timestamps and cut where the next is more than `gap` after the session end
    const expected: Array<{ s: Summary; ts: number }> = [];
    for (let key = 0; key < 5; key++) {
      const recs = events.flatMap((e) => ('rec' in e && e.rec.key === key ? [e.rec] : [])).sort((a, b) => a.ts - b.ts);
      let cur: { start: number; end: number; sum: number; n: number } | undefined;
      const flush = () => cur && expected.push({ s: [key, cur.start, cur.end, cur.sum, cur.n], ts: cur.end - 1 });
      for (const r of recs) {
        if (cur !== undefined && r.ts <= cur.end) {
          cur.end = Math.max(cur.end, r.ts + gap);
          cur.sum += r.v;
          cur.n++;
        } else {
          flush();
          cur = { start: r.ts, end: r.ts + gap, sum: r.v, n: 1 };
        }
      }
      flush();
    }
    expect(expected.length).toBeGreaterThan(20);
    const assigner = EventTimeSessionWindows.withGap(gap);
    for (const op of [
      operator(assigner, aggregatingContents(sumCount, Serializers.json), { windowFn: withWindow }),
      operator(assigner, listingContents<Rec>(Serializers.json), { windowFn: summarizeAll }),
    ]) {
      const backend = create(kind);
      const h = new Harness<Rec, Summary>(backend, op as KeyedProcessFunction<number, Rec, Summary>);
      run(h, events, (r) => r);
      expect(h.out.map((o) => ({ s: o.value, ts: o.ts })).sort(bySummary)).toEqual(expected.sort(bySummary));
      expect(backend.entryCount()).toBe(0);
      expect(h.timers.size).toBe(0);
    }
  });

  it('session windows with allowed lateness: a late record re-fires its session, bridges two sessions, or is dropped once they are purged', () => {
    const backend = create(kind);
    const op = operator(EventTimeSessionWindows.withGap(10), listingContents<Rec>(Serializers.json), { lateness: 100, windowFn: summarizeAll });
    const h = new Harness<Rec, Summary>(backend, op as KeyedProcessFunction<number, Rec, Summary>);
    const rec = (v: number, ts: number): Rec => ({ key: 1, v, ts });
    h.element(1, rec(1, 0), 0); // [0, 10)
    h.element(1, rec(2, 30), 30); // [30, 40)
    h.watermark(45);
    expect(h.out.map((o) => o.value)).toEqual([
      [1, 0, 10, 1, 1],
      [1, 30, 40, 2, 1],
    ]);
    expect(h.out.map((o) => o.ts)).toEqual([9, 39]);
    h.element(1, rec(4, 5), 5); // late but allowed: [0, 15) re-fires at once
    h.element(1, rec(8, 18), 18); // bridges [0, 15) and [30, 40)? no: [18, 28) touches neither
    h.element(1, rec(16, 25), 25); // [25, 35) merges [18, 28) and [30, 40) into [18, 40): fires at once
    h.element(1, rec(32, 14), 14); // [14, 24) bridges [0, 15) and [18, 40) into [0, 40)
    expect(h.out.slice(2).map((o) => o.value)).toEqual([
      [1, 0, 15, 5, 2],
      [1, 18, 28, 8, 1],
      [1, 18, 40, 26, 3],
      [1, 0, 40, 63, 6],
    ]);
    // the replaced sessions' timers are gone: only the cleanup of [0, 40) remains (it already fired)
    expect([...h.timers.values()].map((t) => t.ts)).toEqual([139]);
    h.watermark(139); // cleanup time of [0, 40): 39 + 100
    expect(backend.entryCount()).toBe(0);
    expect(h.timers.size).toBe(0);
    h.element(1, rec(64, 20), 20);
    expect(h.late).toEqual([rec(64, 20)]);
    expect(h.out).toHaveLength(6);
  });

  it('processing-time windows fire when the clock reaches their end - 1, with every record that arrived before', () => {
    const backend = create(kind);
    const op = operator(TumblingProcessingTimeWindows.of(1_000), aggregatingContents(sumCount, Serializers.json), { windowFn: withWindow });
    const h = new Harness<Rec, Summary>(backend, op as KeyedProcessFunction<number, Rec, Summary>);
    const random = mulberry32(9);
    // model: per key the open window's start, sum and count; it closes once the clock reaches its end - 1
    const open = new Map<number, [number, number, number]>();
    const expected: string[] = [];
    const tick = (now: number) => {
      for (const [key, [start, s, n]] of open) {
        if (start + 999 <= now) {
          expected.push(`${key}|${start}|${s}|${n}`);
          open.delete(key);
        }
      }
    };
    for (let i = 0; i < 400; i++) {
      const now = h.now + Math.floor(random() * 40);
      h.advanceClock(now);
      tick(now);
      const rec = { key: i % 3, v: Math.floor(random() * 10), ts: 0 };
      h.element(rec.key, rec, undefined); // no event timestamps: processing time needs none
      const start = Math.floor(now / 1_000) * 1_000;
      const [, s, n] = open.get(rec.key) ?? [start, 0, 0];
      open.set(rec.key, [start, s + rec.v, n + 1]);
    }
    h.advanceClock(h.now + 1_000);
    tick(Infinity);
    expect(expected.length).toBeGreaterThan(10);
    expect(h.out.map((o) => `${o.value[0]}|${o.value[1]}|${o.value[3]}|${o.value[4]}`).sort()).toEqual(expected.sort());
    expect(backend.entryCount()).toBe(0);
  });

  it('processing-time sessions close after the gap of silence on the clock', () => {
    const backend = create(kind);
    const op = operator(ProcessingTimeSessionWindows.withGap(100), listingContents<Rec>(Serializers.json), { windowFn: summarizeAll });
    const h = new Harness<Rec, Summary>(backend, op as KeyedProcessFunction<number, Rec, Summary>);
    // at 149 the session [0, 150) is due and fires before the record of 149 arrives (as in Flink)
    for (const t of [0, 50, 149, 400, 450]) {
      h.advanceClock(t);
      h.element(1, { key: 1, v: t, ts: 0 }, undefined);
    }
    h.advanceClock(10_000);
    expect(h.out.map((o) => o.value)).toEqual([
      [1, 0, 150, 50, 2],
      [1, 149, 249, 149, 1],
      [1, 400, 550, 850, 2],
    ]);
    expect(backend.entryCount()).toBe(0);
    expect(h.timers.size).toBe(0);
  });

  it('an event-time window over records without timestamps fails with an explanation', () => {
    const h = new Harness<Rec, Summary>(create(kind), operator(TumblingEventTimeWindows.of(10), listingContents<Rec>(Serializers.json), { windowFn: summarizeAll }) as never);
    expect(() => h.element(1, { key: 1, v: 1, ts: 0 }, undefined)).toThrow(/no event timestamp.*TumblingEventTimeWindows\(10\).*watermarks/);
  });
});

/** `key|emittedTs|max v` of every firing the aligned model makes, for the reduce variant. */
function modelMax(events: readonly Event[], size: number, slide: number, lateness: number): string[] {
  // re-run the model with v replaced by a one-record marker: max over a window's records, recomputed
  const { fired } = modelAligned(events, size, slide, lateness);
  const out: string[] = [];
  // a firing's records are a prefix (in arrival order) of the window's accepted records of that key;
  // its count tells how long, so the max is recomputed from the accepted records in arrival order
  const accepted = new Map<string, Rec[]>();
  let wm = -Infinity;
  for (const e of events) {
    if ('wm' in e) {
      wm = Math.max(wm, e.wm);
      continue;
    }
    const r = e.rec;
    for (let start = (Math.floor(r.ts / slide) - Math.ceil(size / slide)) * slide; start <= r.ts; start += slide) {
      if (!(start <= r.ts && r.ts < start + size) || start + size - 1 + lateness <= wm) continue;
      const id = `${r.key}|${start}`;
      accepted.set(id, [...(accepted.get(id) ?? []), r]);
    }
  }
  for (const f of fired) {
    const [key, start, , , count] = f.s;
    const prefix = accepted.get(`${key}|${start}`)!.slice(0, count);
    out.push(`${key}|${f.ts}|${Math.max(...prefix.map((r) => r.v))}`);
  }
  return out;
}

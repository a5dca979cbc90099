import { describe, expect, it } from 'vitest';
import { GeneratorSource, zipfShare, type GeneratedRecord, type GeneratorOptions } from '../src/connectors/generator-source.js';
import { SourcePositionError } from '../src/connectors/source.js';

function drain(src: GeneratorSource, max = 7): GeneratedRecord[] {
  const out: GeneratedRecord[] = [];
  for (let b = src.pollBatch(max); b !== 'end'; b = src.pollBatch(max)) out.push(...b);
  return out;
}

function opened(options: GeneratorOptions, index = 0, parallelism = 1, pos?: Uint8Array): GeneratorSource {
  const s = new GeneratorSource(options);
  s.open(index, parallelism, pos);
  return s;
}

describe('GeneratorSource', () => {
  const base: GeneratorOptions = { count: 500, keys: 20, seed: 7 };

  it('same seed gives the same records, another seed different ones', () => {
    const a = drain(opened(base));
    expect(drain(opened(base))).toEqual(a);
    expect(a.map((r) => r.id)).toEqual([...Array(500).keys()]);
    const b = drain(opened({ ...base, seed: 8 }));
    expect(b.map((r) => r.key)).not.toEqual(a.map((r) => r.key));
    for (const r of a) {
      expect(r.key).toBeGreaterThanOrEqual(0);
      expect(r.key).toBeLessThan(20);
      expect(Number.isInteger(r.value) && r.value >= 0 && r.value < 1000).toBe(true);
    }
  });

  it('restore from a snapshot position continues exactly: no loss, no duplicate', () => {
    const full = drain(opened(base, 1, 3));
    const first = opened(base, 1, 3);
    const before = [...(first.pollBatch(10) as GeneratedRecord[]), ...(first.pollBatch(5) as GeneratedRecord[])];
    const pos = first.snapshotPosition();
    first.pollBatch(10); // emitted after the barrier, lost with the failure, must be replayed
    const after = drain(opened(base, 1, 3, pos));
    expect([...before, ...after]).toEqual(full);
  });

  it('splits across parallelism partition the id space', () => {
    for (const p of [1, 2, 3, 4, 7]) {
      const ids: number[] = [];
      for (let j = 0; j < p; j++) {
        const recs = drain(opened(base, j, p));
        for (const r of recs) expect(r.id % p).toBe(j);
        ids.push(...recs.map((r) => r.id));
      }
      expect(ids.sort((x, y) => x - y)).toEqual([...Array(500).keys()]);
    }
  });

  it('a split emits the same records as the whole stream for its ids', () => {
    const whole = drain(opened(base));
    for (const r of drain(opened(base, 2, 4))) expect(r).toEqual(whole[r.id]);
  });

  it('hotKey skew gives key 0 the configured share', () => {
    const recs = drain(opened({ count: 20_000, keys: 100, seed: 1, skew: { kind: 'hotKey', share: 0.3 } }), 1000);
    const hot = recs.filter((r) => r.key === 0).length / recs.length;
    expect(Math.abs(hot - 0.3)).toBeLessThan(0.02);
    expect(new Set(recs.map((r) => r.key)).size).toBe(100);
  });

  it('zipf skew matches the expected key frequencies', () => {
    const keys = 50;
    const recs = drain(opened({ count: 20_000, keys, seed: 3, skew: { kind: 'zipf', exponent: 1.2 } }), 1000);
    const counts = new Array<number>(keys).fill(0);
    for (const r of recs) counts[r.key]!++;
    for (const k of [0, 1, 4]) {
      expect(Math.abs(counts[k]! / recs.length - zipfShare(keys, 1.2, k))).toBeLessThan(0.02);
    }
    expect(counts[0]!).toBeGreaterThan(counts[10]! * 5);
  });

  it('uniform keys are roughly even', () => {
    const recs = drain(opened({ count: 20_000, keys: 4, seed: 5 }), 1000);
    for (let k = 0; k < 4; k++) {
      expect(Math.abs(recs.filter((r) => r.key === k).length / 20_000 - 0.25)).toBeLessThan(0.02);
    }
  });

  it('rate spaces event times and nextEmitTime without sleeping', () => {
    let now = 0;
    const s = new GeneratorSource({ ...base, ratePerSecond: 100, startTimestamp: 1000 }, () => now);
    s.open(1, 2);
    expect(s.nextEmitTime(5000)).toBe(5000 + 10); // id 1 at 100/s
    now = 30; // ids up to 3 are due
    const b = s.pollBatch(5) as GeneratedRecord[];
    expect(b.map((r) => r.ts)).toEqual([1010, 1030]);
    expect(s.nextEmitTime(0)).toBe(50); // id 5
    expect(s.pollBatch(5)).toEqual([]); // id 5 is not due before 50 ms: the source idles
    now = 1e9;
    drain(s);
    expect(s.nextEmitTime(0)).toBeUndefined();
  });

  it('a restored rate-limited split continues at the rate instead of catching up in a burst', () => {
    let now = 0;
    const first = new GeneratorSource({ ...base, ratePerSecond: 1000 }, () => now);
    first.open(0, 1);
    now = 99;
    expect((first.pollBatch(500) as GeneratedRecord[]).length).toBe(100);
    const pos = first.snapshotPosition();
    now = 10_000; // a restart much later
    const second = new GeneratorSource({ ...base, ratePerSecond: 1000 }, () => now);
    second.open(0, 1, pos);
    expect((second.pollBatch(500) as GeneratedRecord[]).map((r) => r.id)).toEqual([100]);
    now += 9;
    expect((second.pollBatch(500) as GeneratedRecord[]).map((r) => r.id)).toEqual([101, 102, 103, 104, 105, 106, 107, 108, 109]);
  });

  it('unbounded count never ends and ids beyond 2^32 do not repeat early records', () => {
    const s = opened({ count: Infinity, keys: 1000, seed: 9 });
    expect((s.pollBatch(3) as GeneratedRecord[]).length).toBe(3);
    const early = s.record(5);
    const far = s.record(5 + 2 ** 32);
    expect([far.key, far.value]).not.toEqual([early.key, early.value]);
  });

  it('rejects a position of another split or source kind', () => {
    const pos = opened(base, 0, 2).snapshotPosition();
    expect(() => opened(base, 1, 2, pos)).toThrow(SourcePositionError);
    expect(() => opened(base, 0, 3, pos)).toThrow(/restored only into the split it was taken from/);
    expect(() => opened(base, 0, 2, pos.subarray(0, pos.length - 1))).toThrow(SourcePositionError);
  });

  it('validates options', () => {
    expect(() => new GeneratorSource({ count: -1, keys: 1, seed: 0 })).toThrow(RangeError);
    expect(() => new GeneratorSource({ count: 1, keys: 0, seed: 0 })).toThrow(RangeError);
    expect(() => new GeneratorSource({ count: 1, keys: 2, seed: 0, skew: { kind: 'hotKey', share: 2 } })).toThrow(RangeError);
    expect(() => opened(base, 2, 2)).toThrow(RangeError);
  });
});

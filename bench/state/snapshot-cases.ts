/**
 * Snapshot and restore cases over a populated numeric counter (`value-counter-numeric` state):
 *
 * - `snapshot-full`: synchronous part (`snapshot()` returning) and total (until `bytes()` resolves).
 * - `snapshot-incremental-1pct`: after a full snapshot, update 1% of the keys, then an incremental
 *   snapshot: synchronous part and total.
 * - `restore-full`: the full snapshot's bytes into a fresh backend.
 *
 * Each is repeated (`snapshotRuns` times, fewer once the runs took `snapshotBudgetMs`) and the run
 * with the median total time is reported. The baseline "snapshot" is
 * the floor of any serialization: the Map's (key, value) pairs copied into a Float64Array, and its
 * restore the Map rebuilt from them; it has no incremental form.
 */
import type { BenchResult } from '../harness/suite.js';
import { collectGarbage } from '../harness/child-process.js';
import type { KeyedStateBackend, ValueState } from '../../src/state/types.js';
import { COUNTER_STATE, createBackend } from './workloads.js';
import type { StateBenchBackend, StatePlan } from './plan.js';

interface Timing {
  /** Undefined when the operation has no separate synchronous part. */
  readonly syncMs?: number;
  readonly ms: number;
  readonly bytes: number;
}

/** What the snapshot cases need from the state under test. */
export interface SnapshotSubject {
  readonly backend: StateBenchBackend;
  /** Counter read-modify-write on the given key indexes. */
  bump(keyIndexes: Uint32Array): void;
  full(): Promise<Timing & { data: Uint8Array }>;
  /** Undefined where there is no incremental snapshot (baseline). */
  readonly incremental: (() => Promise<Timing>) | undefined;
  /** Frees the live state (dispose, or clear the Map) so restores run without it. */
  release(): void;
  /** Restores `data` into fresh state; returns the restore time and the entries it holds. */
  restore(data: Uint8Array): { ms: number; entries: number };
}

export function backendSnapshotSubject(
  backend: Exclude<StateBenchBackend, 'baseline'>,
  live: KeyedStateBackend,
  counter: ValueState<number>,
): SnapshotSubject {
  let b: KeyedStateBackend | undefined = live;
  const take = async (incremental: boolean) => {
    const t0 = performance.now();
    const snap = b!.snapshot({ incremental });
    const t1 = performance.now();
    const data = await snap.bytes();
    const t2 = performance.now();
    return { syncMs: t1 - t0, ms: t2 - t0, bytes: data.length, data };
  };
  return {
    backend,
    bump(keyIndexes) {
      for (let i = 0; i < keyIndexes.length; i++) {
        b!.setCurrentKey(keyIndexes[i]!);
        counter.update((counter.value() ?? 0) + 1);
      }
    },
    full: () => take(false),
    incremental: async () => {
      const { syncMs, ms, bytes } = await take(true);
      return { syncMs, ms, bytes };
    },
    release() {
      b?.dispose();
      b = undefined;
    },
    restore(data) {
      const fresh = createBackend(backend);
      const t0 = performance.now();
      fresh.restore([data]);
      const ms = performance.now() - t0;
      const entries = fresh.entryCount();
      // a restored key must read back (its counter is at least the populated 1)
      const s = fresh.getState(COUNTER_STATE);
      fresh.setCurrentKey(0);
      if (!((s.value() ?? 0) >= 1)) throw new Error(`${backend}: restored state has no counter for key 0`);
      fresh.dispose();
      return { ms, entries };
    },
  };
}

export function baselineSnapshotSubject(live: Map<number | string, number>): SnapshotSubject {
  let m: Map<number | string, number> | undefined = live;
  return {
    backend: 'baseline',
    bump(keyIndexes) {
      for (let i = 0; i < keyIndexes.length; i++) {
        const k = keyIndexes[i]!;
        m!.set(k, (m!.get(k) ?? 0) + 1);
      }
    },
    async full() {
      const t0 = performance.now();
      const pairs = new Float64Array(m!.size * 2);
      let i = 0;
      for (const [k, v] of m!) {
        pairs[i++] = k as number;
        pairs[i++] = v;
      }
      const data = new Uint8Array(pairs.buffer);
      return { ms: performance.now() - t0, bytes: data.length, data };
    },
    incremental: undefined,
    release() {
      m!.clear();
      m = undefined;
    },
    restore(data) {
      const pairs = new Float64Array(data.buffer, data.byteOffset, data.byteLength / 8);
      const t0 = performance.now();
      const fresh = new Map<number, number>();
      for (let i = 0; i < pairs.length; i += 2) fresh.set(pairs[i]!, pairs[i + 1]!);
      return { ms: performance.now() - t0, entries: fresh.size };
    },
  };
}

function median<T>(runs: readonly T[], by: (t: T) => number): T {
  const sorted = [...runs].sort((a, b) => by(a) - by(b));
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Whether another repetition fits: always before the first, then while the runs total under budget. */
function withinBudget(runs: readonly { ms: number }[], plan: StatePlan): boolean {
  return runs.reduce((sum, t) => sum + t.ms, 0) < plan.snapshotBudgetMs;
}

function mbPerSec(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}

/** Distinct key indexes `offset, offset + step, …`: `share` of `keys`, spread over the key space. */
function spreadKeys(keys: number, share: number, offset: number): Uint32Array {
  const step = Math.round(1 / share);
  const count = Math.floor(keys / step);
  const out = new Uint32Array(count);
  for (let j = 0; j < count; j++) out[j] = (offset % step) + j * step;
  return out;
}

/** Runs the three snapshot cases on `subject`, which holds `keys` populated counters. */
export async function runSnapshotCases(
  subject: SnapshotSubject,
  keys: number,
  plan: StatePlan,
  log: (line: string) => void,
): Promise<BenchResult[]> {
  const backend = subject.backend;
  const base = { suite: 'state', backend, keys } as const;
  const results: BenchResult[] = [];

  const fulls: Timing[] = [];
  // the latest full snapshot: the base of the incremental ones, and what restore-full reads
  let fullData: Uint8Array | undefined;
  for (let r = 0; r < plan.snapshotRuns && withinBudget(fulls, plan); r++) {
    fullData = undefined;
    collectGarbage();
    const { data, ...t } = await subject.full();
    fullData = data;
    log(`snapshot-full run ${r + 1}: sync ${t.syncMs?.toFixed(0) ?? '-'} ms, total ${t.ms.toFixed(0)} ms, ${(t.bytes / 1e6).toFixed(1)} MB`);
    fulls.push(t);
  }
  if (!fullData) throw new Error('snapshotRuns must be at least 1');
  const full = median(fulls, (t) => t.ms);
  results.push({
    ...base,
    case: 'snapshot-full',
    ...(full.syncMs !== undefined ? { syncMs: full.syncMs } : {}),
    ms: full.ms,
    bytes: full.bytes,
    mbPerSec: mbPerSec(full.bytes, full.ms),
    runs: fulls.length,
  });

  if (subject.incremental) {
    const incs: Timing[] = [];
    for (let r = 0; r < plan.snapshotRuns && withinBudget(incs, plan); r++) {
      subject.bump(spreadKeys(keys, plan.incrementalShare, r));
      collectGarbage();
      const t = await subject.incremental();
      log(`snapshot-incremental run ${r + 1}: sync ${t.syncMs?.toFixed(1)} ms, total ${t.ms.toFixed(1)} ms, ${(t.bytes / 1e6).toFixed(2)} MB`);
      incs.push(t);
    }
    const inc = median(incs, (t) => t.ms);
    results.push({
      ...base,
      case: 'snapshot-incremental-1pct',
      ...(inc.syncMs !== undefined ? { syncMs: inc.syncMs } : {}),
      ms: inc.ms,
      bytes: inc.bytes,
      mbPerSec: mbPerSec(inc.bytes, inc.ms),
      runs: incs.length,
    });
  }

  subject.release();
  const restores: { ms: number }[] = [];
  for (let r = 0; r < plan.snapshotRuns && withinBudget(restores, plan); r++) {
    collectGarbage();
    const t = subject.restore(fullData);
    if (t.entries !== keys) throw new Error(`restore-full: ${backend} restored ${t.entries} entries, expected ${keys}`);
    log(`restore-full run ${r + 1}: ${t.ms.toFixed(0)} ms`);
    restores.push(t);
  }
  const restore = median(restores, (t) => t.ms);
  results.push({
    ...base,
    case: 'restore-full',
    ms: restore.ms,
    bytes: fullData.length,
    mbPerSec: mbPerSec(fullData.length, restore.ms),
    runs: restores.length,
  });
  return results;
}

/**
 * The `nexmark` suite: each Nexmark query as a weir job at parallelism 1, heap against wasm, with
 * exactly-once checkpoints every 10 s and every 1 s; events per second per core (CPU time of the
 * whole process), checkpoint sizes and durations, and the time to recover from a SIGKILL in the
 * middle. Read against Flink's published per-core figures. Every run is a fresh child process.
 *
 * Rows: case `<query>` or `<query>-large`, backend, `checkpointIntervalMs`, the run's measurement;
 * recovery rows have `mode: 'recover'`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runInChild } from '../harness/child-process.js';
import { machineLine } from '../harness/machine.js';
import { formatPlain, formatSi } from '../harness/side-by-side-table.js';
import type { BenchResult, Suite, SuiteContext, SuiteReport, SuiteRun } from '../harness/suite.js';
import type { NexmarkRunInput, NexmarkRunMeasurement } from './nexmark-run.js';
import {
  CHECKPOINT_INTERVALS_MS,
  FLINK_PER_CORE,
  FLINK_TARGET_QUERIES,
  MIN_OVER_FLINK,
  MIN_WASM_OVER_HEAP,
  NEXMARK_BACKENDS,
  nexmarkPlan,
  type NexmarkBackend,
  type NexmarkCase,
} from './plan.js';

const WORKER = 'bench/nexmark/nexmark-worker.ts';

export type NexmarkBenchResult = BenchResult &
  NexmarkRunMeasurement & {
    readonly query: string;
    readonly checkpointIntervalMs: number;
    readonly mode: 'throughput' | 'recover';
    readonly largeState: boolean;
    readonly loadAverage: number;
  };

function describe(m: NexmarkRunMeasurement): string {
  return (
    `${formatSi(m.eventsPerSecPerCore)} events/s/core (${formatSi(m.eventsPerSec)} wall, ${m.coresBusy.toFixed(2)} cores), ` +
    `${m.checkpoints} checkpoints (median ${formatPlain(m.checkpointMedianMs)} ms, last ${(m.checkpointFullBytes / 1e6).toFixed(1)} MB), ` +
    `peak RSS ${(m.peakRssBytes / 1e6).toFixed(0)} MB${m.recoveryMs === undefined ? '' : `, recovered in ${formatPlain(m.recoveryMs)} ms`}`
  );
}

function row(c: NexmarkCase, backend: NexmarkBackend, intervalMs: number, mode: 'throughput' | 'recover', m: NexmarkRunMeasurement): NexmarkBenchResult {
  return {
    suite: 'nexmark',
    case: c.name,
    backend,
    query: c.query,
    checkpointIntervalMs: intervalMs,
    mode,
    largeState: c.largeState,
    loadAverage: os.loadavg()[0]!,
    ...m,
  };
}

async function measureRecovery(c: NexmarkCase, backend: NexmarkBackend): Promise<NexmarkRunMeasurement> {
  const checkpointDir = await mkdtemp(path.join(os.tmpdir(), 'weir-bench-nexmark-recovery-'));
  try {
    const base = { case: c, backend, checkpointIntervalMs: 1000, checkpointDir };
    await runInChild<NexmarkRunMeasurement>(WORKER, { ...base, mode: 'kill' } satisfies NexmarkRunInput).then(
      () => {
        throw new Error('the run meant to be killed midway finished');
      },
      (e: Error) => {
        if (!/SIGKILL/.test(e.message)) throw e;
      },
    );
    return await runInChild<NexmarkRunMeasurement>(WORKER, { ...base, mode: 'recover' } satisfies NexmarkRunInput);
  } finally {
    await rm(checkpointDir, { recursive: true, force: true });
  }
}

async function run(ctx: SuiteContext): Promise<SuiteRun> {
  const plan = nexmarkPlan(ctx.scale);
  const only = process.env.WEIR_BENCH_QUERIES?.split(',').filter(Boolean);
  const cases = only === undefined ? plan.cases : plan.cases.filter((c) => only.includes(c.name));
  const results: NexmarkBenchResult[] = [];
  const errors: string[] = [];
  for (const c of cases) {
    for (const intervalMs of CHECKPOINT_INTERVALS_MS) {
      for (const backend of NEXMARK_BACKENDS) {
        const label = `${c.name} ${backend} checkpoints ${intervalMs / 1000} s`;
        try {
          const runs: NexmarkRunMeasurement[] = [];
          for (let i = 0; i < plan.runs; i++) {
            runs.push(await runInChild<NexmarkRunMeasurement>(WORKER, { case: c, backend, checkpointIntervalMs: intervalMs, mode: 'throughput' } satisfies NexmarkRunInput));
          }
          const m = [...runs].sort((a, b) => a.eventsPerSecPerCore - b.eventsPerSecPerCore)[Math.floor((runs.length - 1) / 2)]!;
          ctx.log(`${label}: ${describe(m)}`);
          results.push(row(c, backend, intervalMs, 'throughput', m));
        } catch (e) {
          errors.push(`${label}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
    if (!plan.recoveryCases.includes(c.name)) continue;
    for (const backend of NEXMARK_BACKENDS) {
      const label = `${c.name} ${backend} recovery`;
      try {
        const m = await measureRecovery(c, backend);
        ctx.log(`${label}: ${describe(m)}`);
        results.push(row(c, backend, 1000, 'recover', m));
      } catch (e) {
        errors.push(`${label}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  return { results, errors, ...(only === undefined ? {} : { partial: `WEIR_BENCH_QUERIES=${only.join(',')}` }) };
}

function isNexmarkResult(r: BenchResult): r is NexmarkBenchResult {
  return typeof (r as Partial<NexmarkBenchResult>).eventsPerSecPerCore === 'number';
}

const ratio = (v: number): string => `${v >= 10 ? v.toFixed(1) : v.toFixed(2)}×`;
const mb = (b: number): string => (b / 1e6 >= 10 ? (b / 1e6).toFixed(0) : (b / 1e6).toFixed(1));

function renderMarkdown(report: SuiteReport): string {
  const rows = report.results.filter(isNexmarkResult);
  const find = (name: string, backend: NexmarkBackend, intervalMs: number, mode: 'throughput' | 'recover' = 'throughput') =>
    rows.find((r) => r.case === name && r.backend === backend && r.checkpointIntervalMs === intervalMs && r.mode === mode);
  const names = [...new Set(rows.map((r) => r.case))];
  const plan = nexmarkPlan(report.scale);
  const events = plan.cases[0]?.generator.events ?? 0;
  const lines = [
    `**Nexmark** — \`npm run bench -- nexmark\`${report.scale === 'full' ? '' : ` (scale: ${report.scale})`}`,
    '',
    `${formatSi(events)} events per run, parallelism 1, exactly-once checkpoints, discarding sink. Events/s per core = events ÷ CPU seconds of the whole process (compression workers and GC included). Flink: nexmark/nexmark GUIDE_V1 per-core figures (RocksDB, incremental checkpoints).`,
    '',
    '| query | Flink /core | heap /core (10 s) | wasm /core (10 s) | heap /core (1 s) | wasm /core (1 s) | slowest ÷ Flink | wasm ÷ heap (10 s / 1 s) | largest checkpoint MB heap / wasm | checkpoint ms, median (1 s) heap / wasm | recovery ms heap / wasm |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const verdicts: string[] = [];
  for (const name of names) {
    const cells = CHECKPOINT_INTERVALS_MS.flatMap((ms) => NEXMARK_BACKENDS.map((b) => find(name, b, ms)));
    const fmt = (r: NexmarkBenchResult | undefined): string => (r === undefined ? 'failed' : formatSi(r.eventsPerSecPerCore));
    const query = rows.find((r) => r.case === name)!.query;
    const flink = name === query ? FLINK_PER_CORE[query] : undefined;
    const worst = Math.min(...cells.map((r) => r?.eventsPerSecPerCore ?? 0));
    const heap1 = find(name, 'heap', 1000);
    const wasm1 = find(name, 'wasm', 1000);
    const heap10 = find(name, 'heap', 10_000);
    const wasm10 = find(name, 'wasm', 10_000);
    const recH = find(name, 'heap', 1000, 'recover');
    const recW = find(name, 'wasm', 1000, 'recover');
    const wasmOverHeap1 = heap1 && wasm1 ? wasm1.eventsPerSecPerCore / heap1.eventsPerSecPerCore : undefined;
    const wasmOverHeap10 = heap10 && wasm10 ? wasm10.eventsPerSecPerCore / heap10.eventsPerSecPerCore : undefined;
    const wasmOverHeap = wasmOverHeap1 === undefined || wasmOverHeap10 === undefined ? undefined : Math.min(wasmOverHeap1, wasmOverHeap10);
    // the largest checkpoint any run of the case wrote (the final one is small: the windows emptied)
    const largest = (b: NexmarkBackend): number =>
      Math.max(0, ...rows.filter((r) => r.case === name && r.backend === b).map((r) => r.checkpointMaxFullBytes ?? r.checkpointFullBytes));
    lines.push(
      `| ${name} | ${flink === undefined ? '—' : formatSi(flink)} | ${cells.map(fmt).join(' | ')} | ${flink === undefined ? '—' : ratio(worst / flink)} | ${wasmOverHeap10 === undefined ? '—' : ratio(wasmOverHeap10)} / ${wasmOverHeap1 === undefined ? '—' : ratio(wasmOverHeap1)} | ${mb(largest('heap'))} / ${mb(largest('wasm'))} | ${heap1 && wasm1 ? `${formatPlain(heap1.checkpointMedianMs)} / ${formatPlain(wasm1.checkpointMedianMs)}` : '—'} | ${recH?.recoveryMs !== undefined && recW?.recoveryMs !== undefined ? `${formatPlain(recH.recoveryMs)} / ${formatPlain(recW.recoveryMs)}` : '—'} |`,
    );
    if (flink !== undefined && FLINK_TARGET_QUERIES.includes(query)) {
      verdicts.push(`${name} ≥ ${MIN_OVER_FLINK}× Flink (slowest cell ${ratio(worst / flink)}): ${worst >= MIN_OVER_FLINK * flink ? '✓ met' : '✗ missed'}`);
    }
    const large = rows.find((r) => r.case === name)!.largeState;
    if (wasmOverHeap !== undefined && query !== 'q0' && query !== 'q1' && query !== 'q2') {
      const need = large ? 1 : MIN_WASM_OVER_HEAP;
      verdicts.push(`${name} wasm ${large ? '>' : '≥'} ${need}× heap (lower of 10 s and 1 s: ${ratio(wasmOverHeap)}): ${(large ? wasmOverHeap > need : wasmOverHeap >= need) ? '✓ met' : '✗ missed'}`);
    }
  }
  lines.push('', 'Targets (per core, both intervals, both backends):', '', ...verdicts.map((v) => `- ${v}`), '', `Machine: ${machineLine(report.machine)}.`);
  return lines.join('\n');
}

export const nexmarkSuite: Suite = {
  name: 'nexmark',
  description: 'Nexmark queries per core, heap vs wasm, exactly-once checkpoints every 10 s and 1 s, recovery after a kill',
  run,
  renderMarkdown,
};

/**
 * The `savepoint` suite: how long a savepoint of a large keyed state takes and how long a job takes
 * to come back from it, heap against wasm, on a real job (see savepoint-job.ts).
 *
 * Per backend, two fresh child processes (savepoint-worker.ts) share a temporary directory: the first
 * writes `keys` distinct keys, takes an intermediate savepoint and stops the job with a second one;
 * the second starts a new executor from the stop savepoint. Rows (`bench-results/savepoint.json`):
 * `savepoint-<keys>-keys`, `stop-with-savepoint-<keys>-keys`, `restore-<keys>-keys` and its part
 * `restore-read-<keys>-keys`, each with `ms` and `bytes` (the savepoint's size).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { StateBackendKind } from '../../src/state/types.js';
import { childHeapLimitMb, runInChild } from '../harness/child-process.js';
import { machineLine } from '../harness/machine.js';
import { formatKeys, formatPlain, renderSideBySideTable } from '../harness/side-by-side-table.js';
import type { BenchResult, Suite, SuiteContext, SuiteReport, SuiteRun } from '../harness/suite.js';
import { SAVEPOINT_BENCH_BACKENDS, savepointCases, savepointPlan } from './plan.js';
import type { RestoreMeasurement, SavepointFigures, SavepointRunMeasurement } from './savepoint-job.js';
import type { SavepointWorkerInput } from './savepoint-worker.js';

const WORKER = 'bench/savepoint/savepoint-worker.ts';

/** A row of `bench-results/savepoint.json`: the common fields plus what only this suite measures. */
export type SavepointBenchResult = BenchResult & {
  /** Savepoints: from the client call to its promise resolving (`ms` is the coordinator's figure). */
  readonly wallMs?: number;
  readonly checkpointId?: number;
  /** Savepoint run: from `start()` until every key was written. */
  readonly loadMs?: number;
  /** Peak RSS of the process the row was measured in. */
  readonly peakRssBytes?: number;
  /** Restore: records processed after the restore, each checked against the savepoint. */
  readonly probes?: number;
  readonly loadAverage?: number;
};

const mb = (bytes: number): number => bytes / 1e6;
const mbPerSec = (bytes: number, ms: number): number => mb(bytes) / (ms / 1000);

function savepointRow(caseName: string, m: SavepointRunMeasurement, f: SavepointFigures): SavepointBenchResult {
  return {
    suite: 'savepoint',
    case: caseName,
    backend: m.backend,
    keys: m.keys,
    ms: f.ms,
    bytes: f.bytes,
    mbPerSec: mbPerSec(f.bytes, f.ms),
    wallMs: f.wallMs,
    checkpointId: f.checkpointId,
    loadMs: m.loadMs,
    peakRssBytes: m.peakRssBytes,
    loadAverage: m.loadAverage,
  };
}

/** Runs both phases of one backend; the savepoints live in a temporary directory removed after. */
async function runBackend(backend: StateBackendKind, ctx: SuiteContext): Promise<SavepointBenchResult[]> {
  const plan = savepointPlan(ctx.scale);
  const cases = savepointCases(plan);
  const root = await mkdtemp(path.join(os.tmpdir(), 'weir-bench-savepoint-'));
  try {
    const dir = async (name: string) => {
      const d = path.join(root, name);
      await mkdir(d);
      return d;
    };
    const savepointInput: SavepointWorkerInput = {
      phase: 'savepoint',
      backend,
      scale: ctx.scale,
      checkpointDir: await dir('checkpoints'),
      savepointDir: await dir('savepoints'),
    };
    const sp = await runInChild<SavepointRunMeasurement>(WORKER, savepointInput);
    ctx.log(
      `${backend}: ${formatKeys(plan.keys)} keys written in ${(sp.loadMs / 1000).toFixed(1)} s; ` +
        `savepoint ${formatPlain(sp.savepoint.ms)} ms (call ${formatPlain(sp.savepoint.wallMs)} ms), ${formatPlain(mb(sp.savepoint.bytes))} MB; ` +
        `stop-with-savepoint ${formatPlain(sp.stop.ms)} ms (call ${formatPlain(sp.stop.wallMs)} ms), ${formatPlain(mb(sp.stop.bytes))} MB; ` +
        `peak RSS ${formatPlain(mb(sp.peakRssBytes))} MB (load ${sp.loadAverage.toFixed(2)})`,
    );
    const restoreInput: SavepointWorkerInput = {
      phase: 'restore',
      backend,
      scale: ctx.scale,
      // a fresh job directory: nothing for the restore to supersede and delete
      checkpointDir: await dir('checkpoints-restored'),
      savepointPath: sp.stopPath,
      savepointId: sp.stop.checkpointId,
    };
    const r = await runInChild<RestoreMeasurement>(WORKER, restoreInput);
    ctx.log(
      `${backend}: restore ${formatPlain(r.ms)} ms to the first record (files read at ${formatPlain(r.readMs)} ms), ` +
        `${r.probes} probe keys checked; peak RSS ${formatPlain(mb(r.peakRssBytes))} MB (load ${r.loadAverage.toFixed(2)})`,
    );
    const restoreCommon = { suite: 'savepoint', backend, keys: r.keys, bytes: sp.stop.bytes, loadAverage: r.loadAverage } as const;
    return [
      savepointRow(cases.savepoint, sp, sp.savepoint),
      savepointRow(cases.stop, sp, sp.stop),
      { ...restoreCommon, case: cases.restoreRead, ms: r.readMs, mbPerSec: mbPerSec(sp.stop.bytes, r.readMs) },
      {
        ...restoreCommon,
        case: cases.restore,
        ms: r.ms,
        mbPerSec: mbPerSec(sp.stop.bytes, r.ms),
        peakRssBytes: r.peakRssBytes,
        probes: r.probes,
      },
    ];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function run(ctx: SuiteContext): Promise<SuiteRun> {
  const results: SavepointBenchResult[] = [];
  const errors: string[] = [];
  for (const backend of SAVEPOINT_BENCH_BACKENDS) {
    try {
      results.push(...(await runBackend(backend, ctx)));
    } catch (e) {
      errors.push(`${backend}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { results, errors };
}

function renderMarkdown(report: SuiteReport): string {
  const plan = savepointPlan(report.scale);
  const cases = savepointCases(plan);
  const rows = report.results as readonly SavepointBenchResult[];
  const backends = [...SAVEPOINT_BENCH_BACKENDS];
  const table = renderSideBySideTable(rows, {
    caseOrder: [cases.savepoint, cases.stop, cases.restoreRead, cases.restore],
    backends,
    metrics: [
      { field: 'ms', label: 'trigger → durable ms ↓', format: formatPlain, cases: [cases.savepoint, cases.stop] },
      { field: 'ms', label: 'start → files read ms ↓', format: formatPlain, cases: [cases.restoreRead] },
      { field: 'ms', label: 'start → first record ms ↓', format: formatPlain, cases: [cases.restore] },
      { field: 'bytes', label: 'size MB ↓', format: (v) => formatPlain(mb(v)), cases: [cases.savepoint, cases.stop] },
    ],
    ratios: [['wasm', 'heap']],
  });
  const find = (backend: string, c: string) => rows.find((r) => r.backend === backend && r.case === c);
  const cell = (v: number | undefined, f: (v: number) => string) => (v === undefined ? '—' : f(v));
  const k = formatKeys(plan.keys);
  const memory = [
    `| backend | write ${k} keys s | peak RSS, savepoint run MB | peak RSS, restore run MB |`,
    '| --- | ---: | ---: | ---: |',
    ...backends.map((b) => {
      const sp = find(b, cases.savepoint);
      const r = find(b, cases.restore);
      return `| ${b} | ${cell(sp?.loadMs, (v) => formatPlain(v / 1000))} | ${cell(sp?.peakRssBytes, (v) => formatPlain(mb(v)))} | ${cell(r?.peakRssBytes, (v) => formatPlain(mb(v)))} |`;
    }),
  ];
  const minutes = (report.durationMs / 60_000).toFixed(1);
  const maxLoad = rows.reduce((m, r) => Math.max(m, r.loadAverage ?? 0), 0);
  return [
    `**Savepoints and restore** — \`npm run bench -- savepoint\`${report.scale === 'full' ? '' : ` (scale: ${report.scale})`}`,
    '',
    table,
    '',
    ...memory,
    '',
    `- Job: a source writing ${k} distinct number keys once each (0 … ${k} − 1 through murmur3's 32-bit ` +
      `finaliser, a bijection: they look like hashed ids, not a run of integers that compresses to nothing) → keyBy → a keyed function keeping a ` +
      `\`ValueState<number>\` count per key → discarding sink; parallelism 1, 128 key groups, checkpointing on ` +
      `(\`checkpointDir\` and \`savepointDir\` in the OS temp directory, interval ${plan.checkpointIntervalMs / 3_600_000} h so no ` +
      `periodic checkpoint runs, otherwise defaults: incremental, brotli level 1). With every key in state and the ` +
      `source idling (the job still running), \`triggerSavepoint()\` takes an intermediate savepoint, then ` +
      `\`stopWithSavepoint()\` stops the job with a second one. Both are self-contained, so each writes the whole state. ` +
      `trigger → durable: \`SavepointInfo.durationMs\`; size: every file of the savepoint, \`_metadata\` included (MB = 10⁶ B).`,
    `- Restore: a new process runs \`LocalExecutor.start(env, { fromSavepoint })\` on the stop savepoint, into a fresh ` +
      `\`checkpointDir\`. start → first record: until the keyed function processed its first record after the ` +
      `restore; start → files read: until the listener's \`onRestored\` (the savepoint read, checked and decompressed; ` +
      `the rest is deploying the job and loading the state into the backend). ${plan.probes} records after the ` +
      `restore, keys picked evenly from the write order, each check that its key came back with its count.`,
    `- One run per backend, every phase in its own fresh process (\`--max-old-space-size=${childHeapLimitMb()}\`, the ` +
      `harness default for children); peak RSS is the process's \`maxRSS\`, including Node and the job's startup. ` +
      `write ${k} keys: from \`start()\` until the keyed function processed every key. Highest 1-minute load ` +
      `average at the start of a phase: ${maxLoad.toFixed(2)}. Ratios divide figures from this one run.`,
    '',
    `Machine: ${machineLine(report.machine)} · ${report.date.slice(0, 10)} · suite runtime ${minutes} min`,
  ].join('\n');
}

export const savepointSuite: Suite = {
  name: 'savepoint',
  description: 'savepoint and restore time of a large keyed state, heap vs wasm, on a real job',
  run,
  renderMarkdown,
};

/**
 * The `job` suite: end-to-end records per second of a keyed counting job (generator → keyBy →
 * counter → discarding sink) on the local executor, heap against wasm, checkpoints off and every
 * second, read against a hand-written loop doing the same work (see keyed-count.ts).
 *
 * Every run is a fresh child process (job-worker.ts). Runs are interleaved — one run of every cell,
 * then the next round — so a slow phase of the machine spreads over all cells instead of deciding a
 * comparison; each cell reports its median run. Rows: case `keyed-count-<keys>-keys`, one per
 * (backend, checkpointing), with `eventsPerSec` (whole run) and the checkpoint figures the
 * executor's listener reports.
 */
import { runInChild } from '../harness/child-process.js';
import { machineLine } from '../harness/machine.js';
import { formatKeys, formatPlain, formatSi } from '../harness/side-by-side-table.js';
import type { BenchResult, Suite, SuiteContext, SuiteReport, SuiteRun } from '../harness/suite.js';
import type { JobWorkerInput } from './job-worker.js';
import type { RunMeasurement } from './keyed-count.js';
import {
  BASELINE_POLL_BATCH,
  jobCaseName,
  jobPlan,
  MAX_CHECKPOINT_OVERHEAD,
  MIN_WASM_OVER_HEAP,
  type Checkpointing,
  type JobBenchBackend,
} from './plan.js';

const WORKER = 'bench/job/job-worker.ts';

/** One row of `bench-results/job.json`: the median run of a (backend, checkpointing) cell. */
export type JobBenchResult = BenchResult &
  Omit<RunMeasurement, 'backend'> & {
    readonly keys: number;
    /** Every run's `eventsPerSec`, in run order: the spread behind the median. */
    readonly eventsPerSecRuns: readonly number[];
    /** Highest 1-minute load average at the start of any of the cell's runs. */
    readonly maxLoadAverage: number;
    readonly runs: number;
  };

/** The cells, in table order; the baseline has no checkpoints. */
const CELLS: readonly { backend: JobBenchBackend; checkpointing: Checkpointing }[] = [
  { backend: 'baseline', checkpointing: 'off' },
  { backend: 'heap', checkpointing: 'off' },
  { backend: 'heap', checkpointing: '1s' },
  { backend: 'wasm', checkpointing: 'off' },
  { backend: 'wasm', checkpointing: '1s' },
];

const cellName = (c: { backend: string; checkpointing: string }): string => `${c.backend} checkpointing ${c.checkpointing}`;

/** A run that did not exercise what its cell claims measured something else. */
function checkRun(m: RunMeasurement): void {
  if (m.checkpointing === 'off') return;
  if (!m.checkpoints) throw new Error('no checkpoint completed: the run measured a job without checkpoints');
  if (m.failedCheckpoints) throw new Error(`${m.failedCheckpoints} checkpoints failed`);
}

function describeRun(m: RunMeasurement): string {
  const cp =
    m.checkpoints === undefined
      ? ''
      : `, ${m.checkpoints} checkpoints, last ${((m.checkpointBytes ?? 0) / 1e6).toFixed(1)} MB, max sync ${formatPlain(m.maxCheckpointSyncMs ?? 0)} ms`;
  const finish = m.finishMs === undefined ? '' : `, finish ${formatPlain(m.finishMs)} ms`;
  return `${formatSi(m.eventsPerSec)} events/s (steady ${formatSi(m.steadyEventsPerSec)}) in ${(m.ms / 1000).toFixed(1)} s${finish}${cp} (load ${m.loadAverage.toFixed(2)})`;
}

/** The run with the median `eventsPerSec` (the lower middle one for an even count). */
function medianRun(runs: readonly RunMeasurement[]): RunMeasurement {
  const sorted = [...runs].sort((a, b) => a.eventsPerSec - b.eventsPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

async function run(ctx: SuiteContext): Promise<SuiteRun> {
  const plan = jobPlan(ctx.scale);
  const caseName = jobCaseName(plan);
  ctx.log(`${caseName}: ${formatKeys(plan.events)} events per run, ${plan.runs} runs per cell`);
  const runsByCell = CELLS.map(() => [] as RunMeasurement[]);
  const errors: string[] = [];
  for (let round = 1; round <= plan.runs; round++) {
    for (const [i, cell] of CELLS.entries()) {
      const input: JobWorkerInput = { ...cell, scale: ctx.scale };
      try {
        const m = await runInChild<RunMeasurement>(WORKER, input);
        checkRun(m);
        runsByCell[i]!.push(m);
        ctx.log(`${cellName(cell)} run ${round}/${plan.runs}: ${describeRun(m)}`);
      } catch (e) {
        errors.push(`${cellName(cell)} run ${round}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  const results: JobBenchResult[] = [];
  for (const runs of runsByCell) {
    if (runs.length === 0) continue;
    const { backend, ...median } = medianRun(runs);
    results.push({
      suite: 'job',
      case: caseName,
      backend,
      keys: plan.keys,
      ...median,
      eventsPerSecRuns: runs.map((r) => r.eventsPerSec),
      maxLoadAverage: Math.max(...runs.map((r) => r.loadAverage)),
      runs: runs.length,
    });
  }
  return { results, errors };
}

function isJobResult(r: BenchResult): r is JobBenchResult {
  return typeof (r as Partial<JobBenchResult>).eventsPerSec === 'number';
}

const ratio = (v: number): string => `${v >= 10 ? v.toFixed(1) : v.toFixed(2)}×`;
const percent = (v: number): string => `${(v * 100).toFixed(1)} %`;
const verdict = (met: boolean): string => (met ? '✓ met' : '✗ missed');

function renderMarkdown(report: SuiteReport): string {
  const plan = jobPlan(report.scale);
  const rows = report.results.filter(isJobResult);
  const find = (backend: JobBenchBackend, checkpointing: Checkpointing) =>
    rows.find((r) => r.backend === backend && r.checkpointing === checkpointing);
  const baseline = find('baseline', 'off');

  const lines = [
    `**End-to-end job** — \`npm run bench -- job\`${report.scale === 'full' ? '' : ` (scale: ${report.scale})`}`,
    '',
    `Case \`${jobCaseName(plan)}\`: generator → keyBy → counter (\`ValueState<number>\`) → discarding sink.`,
    '',
    '| backend | checkpointing | events/s ↑ | runs min – max | ÷ baseline | steady events/s ↑ | finish ms ↓ | checkpoints | last checkpoint MB | max sync ms ↓ |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const cell of CELLS) {
    const r = find(cell.backend, cell.checkpointing);
    const cp = cell.backend === 'baseline' ? '—' : cell.checkpointing;
    if (r === undefined) {
      lines.push(`| ${cell.backend} | ${cp} | failed | — | — | — | — | — | — | — |`);
      continue;
    }
    const fraction = baseline === undefined ? '—' : ratio(r.eventsPerSec / baseline.eventsPerSec);
    const checkpoints = r.checkpoints === undefined ? '—' : String(r.checkpoints);
    const lastMb = r.checkpointBytes === undefined ? '—' : formatPlain(r.checkpointBytes / 1e6);
    const range = `${formatSi(Math.min(...r.eventsPerSecRuns))} – ${formatSi(Math.max(...r.eventsPerSecRuns))}`;
    const finishMs = r.finishMs === undefined ? '—' : formatPlain(r.finishMs);
    const syncMs = r.maxCheckpointSyncMs === undefined ? '—' : formatPlain(r.maxCheckpointSyncMs);
    lines.push(
      `| ${r.backend} | ${cp} | ${formatSi(r.eventsPerSec)} | ${range} | ${fraction} | ${formatSi(r.steadyEventsPerSec)} | ${finishMs} | ${checkpoints} | ${lastMb} | ${syncMs} |`,
    );
  }

  lines.push('', '| target | measured | verdict |', '| --- | ---: | --- |');
  const verdicts: boolean[] = [];
  for (const backend of ['heap', 'wasm'] as const) {
    const off = find(backend, 'off');
    const on = find(backend, '1s');
    const label = `${backend}: checkpointing overhead ≤ ${MAX_CHECKPOINT_OVERHEAD * 100} %`;
    if (off === undefined || on === undefined) {
      lines.push(`| ${label} | — | not measured |`);
      verdicts.push(false);
      continue;
    }
    const overhead = 1 - on.eventsPerSec / off.eventsPerSec;
    const met = overhead <= MAX_CHECKPOINT_OVERHEAD;
    verdicts.push(met);
    lines.push(`| ${label} | ${percent(overhead)} | ${verdict(met)} |`);
  }
  for (const checkpointing of ['off', '1s'] as const) {
    const heap = find('heap', checkpointing);
    const wasm = find('wasm', checkpointing);
    const label = `wasm ÷ heap ≥ ${MIN_WASM_OVER_HEAP}×, checkpointing ${checkpointing}`;
    if (heap === undefined || wasm === undefined) {
      lines.push(`| ${label} | — | not measured |`);
      verdicts.push(false);
      continue;
    }
    const r = wasm.eventsPerSec / heap.eventsPerSec;
    const met = r >= MIN_WASM_OVER_HEAP;
    verdicts.push(met);
    lines.push(`| ${label} | ${ratio(r)} | ${verdict(met)} |`);
  }
  const metCount = verdicts.filter(Boolean).length;
  const runs = rows[0]?.runs ?? plan.runs;
  const distinct = baseline?.distinctKeys;
  const minutes = (report.durationMs / 60_000).toFixed(1);
  const maxLoad = rows.reduce((m, r) => Math.max(m, r.maxLoadAverage), 0);
  lines.push(
    '',
    `Verdict: ${metCount === verdicts.length ? 'all targets met' : `${metCount} of ${verdicts.length} targets met`}.`,
    '',
    `- ${formatKeys(plan.events)} events per run, keys drawn uniformly from ${formatKeys(plan.keys)}` +
      `${distinct === undefined ? '' : ` (${distinct.toLocaleString('en-US')} distinct keys reached)`}; ` +
      `parallelism 1 (a source task and a counter → sink task, one channel between them), 128 key groups, ` +
      `the executor's default batch and channel sizes; the counter emits each new count, so every record reaches the sink.`,
    `- events/s: events over the wall time of the whole run — job build and deployment, JIT warm-up, the ` +
      `inserts of the keys (95 % of them are in by event ${formatKeys(3 * plan.keys)}), every checkpoint (the final ` +
      `one at end of input included), close. Median of ${runs} run${runs === 1 ? '' : 's'}, each in its own fresh ` +
      `process, runs of all cells interleaved ` +
      `(every run in the JSON, \`eventsPerSecRuns\`). steady events/s: the second half of the events over ` +
      `its time, timed at the source (keys populated, JIT warm). finish ms: from the source's last event to ` +
      `the end of the run (draining, the final checkpoint, close), a fixed cost inside events/s. Highest 1-minute load average at the start ` +
      `of a run: ${maxLoad.toFixed(2)} (the previous run alone leaves about 1; more means other processes competed ` +
      `for the ${report.machine.cores} cores).`,
    `- checkpointing 1s: \`checkpoint: { intervalMs: ${plan.checkpointIntervalMs} }\` and a fresh \`checkpointDir\` ` +
      `in the OS temp directory per run, other settings default (incremental, exactly-once, brotli level 1). ` +
      `Overhead = 1 − events/s with checkpoints ÷ events/s without. checkpoints: completed ones, the final one ` +
      `included; last checkpoint MB: bytes it wrote itself (MB = 10⁶ B); max sync ms: longest synchronous snapshot ` +
      `part of any checkpoint (records stood still).`,
    `- baseline (the ceiling): the same GeneratorSource records, polled ${BASELINE_POLL_BATCH} at a time, counted in a JS ` +
      `\`Map<number, number>\`, no framework and no checkpoints. Ratios divide figures from this one run.`,
    '',
    `Machine: ${machineLine(report.machine)} · ${report.date.slice(0, 10)} · suite runtime ${minutes} min`,
  );
  return lines.join('\n');
}

export const jobSuite: Suite = {
  name: 'job',
  description: 'end-to-end keyed counting job: events/s, heap vs wasm, checkpoints off and every second',
  run,
  renderMarkdown,
};

/**
 * The `state` suite: keyed-state operations, snapshots, restores and memory of the `heap` and `wasm`
 * backends, against a hand-written `baseline`. Every part runs in its own child process
 * (state-worker.ts, memory-probe.ts), one backend at a time.
 *
 * Development filters (a filtered run is partial: it leaves the README alone):
 * - `WEIR_BENCH_BACKENDS=heap,wasm` limits the backends;
 * - `WEIR_BENCH_CASES=map-put-get,value-counter-string@10M,memory` limits the cases, optionally to
 *   one key count (the snapshot cases run with `value-counter-numeric` at the largest key count).
 */
import { runInChild } from '../harness/child-process.js';
import { machineLine } from '../harness/machine.js';
import {
  formatKeys,
  formatPlain,
  formatSi,
  renderSideBySideTable,
  type MetricColumn,
} from '../harness/side-by-side-table.js';
import type { BenchResult, Suite, SuiteContext, SuiteReport, SuiteRun } from '../harness/suite.js';
import type { MemoryProbeInput } from './memory-probe.js';
import {
  keysFor,
  OPS_CASES,
  STATE_BENCH_BACKENDS,
  STATE_CASE_ORDER,
  statePlan,
  type StateBenchBackend,
  type StatePlan,
} from './plan.js';
import type { StateWorkerInput } from './state-worker.js';

const WORKER = 'bench/state/state-worker.ts';
const MEMORY_PROBE = 'bench/state/memory-probe.ts';
const BACKENDS_ENV = 'WEIR_BENCH_BACKENDS';
const CASES_ENV = 'WEIR_BENCH_CASES';

function selectedBackends(): readonly StateBenchBackend[] {
  const raw = process.env[BACKENDS_ENV];
  if (!raw) return STATE_BENCH_BACKENDS;
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(STATE_BENCH_BACKENDS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new Error(`${BACKENDS_ENV}: unknown backend ${unknown.join(', ')} (known: ${STATE_BENCH_BACKENDS.join(', ')})`);
  }
  return STATE_BENCH_BACKENDS.filter((b) => names.includes(b));
}

/** Parses `10M`, `100k` or `500000`. */
function parseKeys(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kM]?)$/.exec(text);
  if (!m) throw new Error(`${CASES_ENV}: '${text}' is not a key count (e.g. 100k, 10M)`);
  return Number(m[1]) * (m[2] === 'M' ? 1e6 : m[2] === 'k' ? 1e3 : 1);
}

/** Whether a job (an ops case or `memory`, at a key count) is selected by `WEIR_BENCH_CASES`. */
function caseFilter(): ((name: string, keys: number) => boolean) | undefined {
  const raw = process.env[CASES_ENV];
  if (!raw) return undefined;
  const known = [...OPS_CASES, 'memory'];
  const wanted = raw.split(',').map((token) => {
    const [name = '', keys] = token.trim().split('@');
    if (!known.includes(name)) throw new Error(`${CASES_ENV}: unknown case '${name}' (known: ${known.join(', ')})`);
    return { name, keys: keys === undefined ? undefined : parseKeys(keys) };
  });
  return (name, keys) => wanted.some((w) => w.name === name && (w.keys === undefined || w.keys === keys));
}

/** One child process, for one backend: an ops case at one key count (with the snapshot cases on the
 * largest numeric counter state), or the memory probe. */
interface Job {
  readonly name: string;
  readonly backend: StateBenchBackend;
  run(): Promise<BenchResult[]>;
}

function jobs(
  backends: readonly StateBenchBackend[],
  ctx: SuiteContext,
  plan: StatePlan,
  selected: (name: string, keys: number) => boolean,
): Job[] {
  const out: Job[] = [];
  // backend innermost: the figures of one row are measured close together in time
  for (const opsCase of OPS_CASES) {
    for (const keys of keysFor(plan, opsCase)) {
      if (!selected(opsCase, keys)) continue;
      const snapshots = opsCase === 'value-counter-numeric' && keys === plan.heavyKeys;
      for (const backend of backends) {
        const input: StateWorkerInput = { opsCase, backend, keys, snapshots, scale: ctx.scale };
        const name = `${opsCase} @ ${formatKeys(keys)}${snapshots ? ' + snapshots' : ''}`;
        out.push({ name, backend, run: () => runInChild<BenchResult[]>(WORKER, input) });
      }
    }
  }
  for (const backend of selected('memory', plan.heavyKeys) ? backends : []) {
    const input: MemoryProbeInput = { backend, keys: plan.heavyKeys };
    const name = `memory @ ${formatKeys(plan.heavyKeys)}`;
    out.push({ name, backend, run: async () => [await runInChild<BenchResult>(MEMORY_PROBE, input)] });
  }
  return out;
}

/** Merges rows of the same (case, backend, keys): the memory probe adds to the counter row. */
function mergeRows(rows: readonly BenchResult[]): BenchResult[] {
  const byId = new Map<string, BenchResult>();
  for (const r of rows) {
    const id = `${r.case}\u0000${r.backend}\u0000${r.keys ?? ''}`;
    byId.set(id, { ...byId.get(id), ...r });
  }
  return [...byId.values()];
}

async function run(ctx: SuiteContext): Promise<SuiteRun> {
  const backends = selectedBackends();
  const filter = caseFilter();
  const plan = statePlan(ctx.scale);
  const rows: BenchResult[] = [];
  const errors: string[] = [];
  for (const job of jobs(backends, ctx, plan, filter ?? (() => true))) {
    const t0 = performance.now();
    ctx.log(`${job.backend}: ${job.name} …`);
    try {
      rows.push(...(await job.run()));
      ctx.log(`${job.backend}: ${job.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } catch (e) {
      errors.push(`${job.backend} ${job.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const partial = [
    ...(backends.length < STATE_BENCH_BACKENDS.length ? [`${BACKENDS_ENV}=${backends.join(',')}`] : []),
    ...(filter ? [`${CASES_ENV}=${process.env[CASES_ENV]}`] : []),
  ].join(' ') || undefined;
  return { results: mergeRows(rows), errors, ...(partial ? { partial } : {}) };
}

const METRICS: readonly MetricColumn[] = [
  { field: 'opsPerSec', label: 'ops/s ↑', format: formatSi },
  { field: 'syncMs', label: 'sync ms ↓', format: formatPlain },
  { field: 'ms', label: 'total ms ↓', format: formatPlain },
  { field: 'mbPerSec', label: 'MB/s ↑', format: formatPlain },
  { field: 'bytes', label: 'size MB', format: (v) => formatPlain(v / 1e6), cases: ['snapshot-full', 'snapshot-incremental-1pct'] },
  { field: 'rssBytesPerEntry', label: 'RSS B/entry ↓', format: formatPlain },
  { field: 'dataBytesPerEntry', label: 'JS heap + external B/entry ↓', format: formatPlain },
];

function renderMarkdown(report: SuiteReport): string {
  const plan = statePlan(report.scale);
  const { batch, iterations, warmupIterations } = plan.throughput;
  const table = renderSideBySideTable(report.results, {
    caseOrder: STATE_CASE_ORDER,
    backends: STATE_BENCH_BACKENDS,
    metrics: METRICS,
    ratios: [
      ['heap', 'baseline'],
      ['wasm', 'baseline'],
      ['wasm', 'heap'],
    ],
  });
  const heavy = formatKeys(plan.heavyKeys);
  const minutes = (report.durationMs / 60_000).toFixed(1);
  return [
    `**State backends** — \`npm run bench -- state\`${report.scale === 'full' ? '' : ` (scale: ${report.scale})`}`,
    '',
    table,
    '',
    `- Ratios divide the two cells of the same row, from this one run. ↑ higher is better, ↓ lower is better.`,
    `- ops/s: one operation is one record: \`setCurrentKey\` on a key drawn uniformly at random, then the ` +
      `case's state calls — counters \`update((value() ?? 0) + 1)\`; \`map-put-get\` a \`put\` then a \`get\` ` +
      `of one of ${plan.userKeysPerKey} user keys per key; \`list-append\` one \`add\` (lists start with one ` +
      `element). State is populated first; mean of ${iterations} batches of ${formatKeys(batch)} operations ` +
      `after ${warmupIterations} warm-up batches, GC pauses included; every cell is measured in its own fresh process.`,
    `- Snapshots and restore: ${heavy} counter entries, median of up to ${plan.snapshotRuns} runs (fewer once ` +
      `they took ${plan.snapshotBudgetMs / 1000} s; \`runs\` in the JSON). sync = until ` +
      `\`snapshot()\` returns; total = until \`bytes()\` resolves; incremental = after updating ` +
      `${plan.incrementalShare * 100}% of the keys. MB = 10⁶ bytes.`,
    `- Memory: ${heavy} counter entries in a fresh process per backend; growth of RSS, and of the JS heap ` +
      `plus \`external\` memory (where WASM linear memory is counted), after GC, per entry.`,
    `- heap and wasm: 128 key groups. Ops are measured as a checkpointed job runs: one full snapshot is ` +
      `taken after populating, so both backends track changes for the next incremental snapshot. baseline: a plain JS ` +
      `\`Map\` doing the same work (no key groups, no serialization); its snapshot copies (key, value) pairs ` +
      `into a \`Float64Array\`, its restore rebuilds the Map.`,
    '',
    `Machine: ${machineLine(report.machine)} · ${report.date.slice(0, 10)} · suite runtime ${minutes} min`,
  ].join('\n');
}

export const stateSuite: Suite = {
  name: 'state',
  description: 'keyed-state backends: operations, snapshots, restore, memory',
  run,
  renderMarkdown,
};

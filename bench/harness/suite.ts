/**
 * What a benchmark suite is and what it produces. A suite runs its cases, returns flat result rows
 * (the `results` of `bench-results/<suite>.json`, see docs: DESIGN.md "Benchmark results") and
 * renders its README section from the finished report.
 */
import type { Machine } from './machine.js';
import type { BenchScale } from './scale.js';

/** One measured figure set: one case, one backend, one size. Fields that do not apply are omitted. */
export interface BenchResult {
  readonly suite: string;
  readonly case: string;
  /** `heap`, `wasm`, or `baseline` (the hand-written floor every figure is read against). */
  readonly backend: string;
  /** Distinct keys the case works over. */
  readonly keys?: number;
  /** Operations (records) per second, not batches per second. */
  readonly opsPerSec?: number;
  /** Relative margin of error of `opsPerSec` in percent (tinybench's rme). */
  readonly rmePct?: number;
  /** Total memory cost per entry: the RSS delta (see `rssBytesPerEntry`). */
  readonly bytesPerEntry?: number;
  readonly rssBytesPerEntry?: number;
  /** JS heap (`heapUsed`) delta per entry. */
  readonly heapBytesPerEntry?: number;
  /** `external` delta per entry (ArrayBuffers, WASM memory). */
  readonly externalBytesPerEntry?: number;
  /** JS heap plus external memory (WASM linear memory counts there), per entry. */
  readonly dataBytesPerEntry?: number;
  /** Uncompressed input size (storage suite), against `bytes`. */
  readonly rawBytes?: number;
  /** Synchronous part of a snapshot (what blocks record processing). */
  readonly syncMs?: number;
  /** Wall time of the whole operation. */
  readonly ms?: number;
  /** Size of the snapshot in bytes. */
  readonly bytes?: number;
  /** Bytes produced or consumed per second over `ms`, in MB (10^6 B). */
  readonly mbPerSec?: number;
  /** Repetitions a timed (ms) figure is the median of. */
  readonly runs?: number;
}

export interface SuiteContext {
  readonly scale: BenchScale;
  /** Progress lines (stderr), never results. */
  log(line: string): void;
}

/** A finished suite run: the content of `bench-results/<suite>.json`. */
export interface SuiteReport {
  readonly suite: string;
  readonly scale: BenchScale;
  /** ISO timestamp of the start of the run. */
  readonly date: string;
  readonly durationMs: number;
  readonly machine: Machine;
  readonly results: readonly BenchResult[];
  /** Parts of the suite that failed; a report with errors does not update the README. */
  readonly errors?: readonly string[];
  /** Why this run covers only part of the suite, if it does. */
  readonly partial?: string;
}

export interface SuiteRun {
  readonly results: BenchResult[];
  readonly errors: string[];
  /** Set when the run is valid but not the whole suite (e.g. a development filter): README stays as is. */
  readonly partial?: string;
}

export interface Suite {
  readonly name: string;
  readonly description: string;
  /** Runs every case. Failures of single parts go to `errors` so the other parts still report. */
  run(ctx: SuiteContext): Promise<SuiteRun>;
  /** The markdown placed between `<!-- bench:<name>:start -->` and `<!-- bench:<name>:end -->`. */
  renderMarkdown(report: SuiteReport): string;
}

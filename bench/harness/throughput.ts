/**
 * Steady-state throughput with tinybench. A task function runs one *batch* of operations; tinybench
 * times batches and this turns the mean batch time into operations per second. Iteration counts are
 * fixed (time budget 0), so every backend does exactly the same work in a case.
 */
import { Bench } from 'tinybench';

export interface ThroughputPlan {
  /** Operations per task call. */
  readonly batch: number;
  /** Measured batches. */
  readonly iterations: number;
  /** Unmeasured batches run first (JIT warm-up). */
  readonly warmupIterations: number;
}

export interface Throughput {
  readonly opsPerSec: number;
  /** tinybench's relative margin of error of the mean batch time, in percent. */
  readonly rmePct: number;
}

/**
 * Total operations a plan runs (for sizing pre-drawn key sequences): warm-up included, plus the
 * one call tinybench makes to detect whether the task is async.
 */
export function plannedOps(plan: ThroughputPlan): number {
  return plan.batch * (plan.iterations + plan.warmupIterations + 1);
}

/** Measures `runBatch` (which must do `plan.batch` operations per call). */
export async function measureThroughput(
  name: string,
  plan: ThroughputPlan,
  runBatch: () => void,
): Promise<Throughput> {
  const bench = new Bench({
    name,
    time: 0,
    iterations: plan.iterations,
    warmup: plan.warmupIterations > 0,
    warmupTime: 0,
    warmupIterations: plan.warmupIterations,
    throws: true,
  });
  bench.add(name, runBatch);
  const [task] = await bench.run();
  const result = task?.result;
  if (!result || (result.state !== 'completed' && result.state !== 'aborted-with-statistics')) {
    throw new Error(`${name}: tinybench did not complete (${result?.state ?? 'no task'})`);
  }
  // mean batch time, GC pauses included: they are part of what a backend costs
  return { opsPerSec: (plan.batch * 1000) / result.period, rmePct: result.latency.rme };
}

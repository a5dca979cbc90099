/**
 * Child process of the `state` suite: one ops case, one backend, one key count, in a fresh process,
 * so no measurement inherits another's heap, GC state or JIT feedback (each call site sees one
 * backend and one key type). With `snapshots`, the snapshot and restore cases then run on the same
 * populated `value-counter-numeric` state, which saves populating it again.
 */
import { childInput, collectGarbage, replyToParent } from '../harness/child-process.js';
import type { BenchScale } from '../harness/scale.js';
import type { BenchResult } from '../harness/suite.js';
import { measureThroughput, plannedOps } from '../harness/throughput.js';
import { drawKeyIndexes, stringKeys } from './key-draws.js';
import { OPS_CASES, statePlan, type OpsCase, type StateBenchBackend, type StatePlan } from './plan.js';
import { backendSnapshotSubject, baselineSnapshotSubject, runSnapshotCases } from './snapshot-cases.js';
import {
  backendCounter,
  baselineCounter,
  createBackend,
  COUNTER_STATE,
  prepareWorkload,
  type Workload,
  type WorkloadInput,
} from './workloads.js';

export interface StateWorkerInput {
  readonly opsCase: OpsCase;
  readonly backend: StateBenchBackend;
  readonly keys: number;
  /** Also run the snapshot cases on the populated state (value-counter-numeric only). */
  readonly snapshots: boolean;
  readonly scale: BenchScale;
}

function log(backend: string, line: string): void {
  process.stderr.write(`[state] ${backend}: ${line}\n`);
}

/** Seed per case and size, the same for every backend. */
function seedOf(opsCase: OpsCase, keys: number): number {
  return (OPS_CASES.indexOf(opsCase) + 1) * 1_000_003 + keys;
}

function workloadInput(opsCase: OpsCase, keys: number, plan: StatePlan): WorkloadInput {
  const { batch } = plan.throughput;
  return {
    keys,
    batch,
    draws: drawKeyIndexes(keys, plannedOps(plan.throughput), seedOf(opsCase, keys)),
    userKeysPerKey: plan.userKeysPerKey,
    ...(opsCase === 'value-counter-string' ? { stringKeys: stringKeys(keys) } : {}),
  };
}

async function measure(
  opsCase: OpsCase,
  backend: StateBenchBackend,
  keys: number,
  plan: StatePlan,
  workload: Workload,
): Promise<BenchResult> {
  await workload.settle?.();
  collectGarbage();
  const t = await measureThroughput(`${opsCase} ${backend} ${keys}`, plan.throughput, workload.runBatch);
  log(backend, `${opsCase} @ ${keys} keys: ${(t.opsPerSec / 1e6).toFixed(3)} M ops/s (±${t.rmePct.toFixed(1)}%)`);
  return { suite: 'state', case: opsCase, backend, keys, opsPerSec: t.opsPerSec, rmePct: t.rmePct };
}

/** Populates the case's state, measures its throughput and, if asked, the snapshot cases on it. */
async function runJob(input: StateWorkerInput, plan: StatePlan): Promise<BenchResult[]> {
  const { opsCase, backend, keys, snapshots } = input;
  if (snapshots && opsCase !== 'value-counter-numeric') {
    throw new Error(`snapshot cases run on value-counter-numeric state, not ${opsCase}`);
  }
  const workloadIn = workloadInput(opsCase, keys, plan);
  const t0 = performance.now();
  const populated = () =>
    log(backend, `${opsCase} @ ${keys} keys: populated in ${(performance.now() - t0).toFixed(0)} ms`);
  const snapshotLog = (line: string) => log(backend, line);
  if (!snapshots) {
    const workload = prepareWorkload(opsCase, backend, workloadIn);
    populated();
    return [await measure(opsCase, backend, keys, plan, workload)];
  }
  if (backend === 'baseline') {
    const map = new Map<number | string, number>();
    const workload = baselineCounter(map, workloadIn);
    populated();
    const ops = await measure(opsCase, backend, keys, plan, workload);
    return [ops, ...(await runSnapshotCases(baselineSnapshotSubject(map), keys, plan, snapshotLog))];
  }
  const b = createBackend(backend);
  const workload = backendCounter(b, workloadIn);
  populated();
  const ops = await measure(opsCase, backend, keys, plan, workload);
  const subject = backendSnapshotSubject(backend, b, b.getState(COUNTER_STATE));
  return [ops, ...(await runSnapshotCases(subject, keys, plan, snapshotLog))];
}

void replyToParent(async () => {
  const input = childInput<StateWorkerInput>();
  return runJob(input, statePlan(input.scale));
});

/**
 * Child process of the `job` suite: one run of one (backend, checkpointing) cell in a fresh process,
 * so every run pays its own JIT warm-up and no run inherits another's heap or type feedback.
 */
import { childInput, collectGarbage, replyToParent } from '../harness/child-process.js';
import type { BenchScale } from '../harness/scale.js';
import { runBaseline, runJob, type RunMeasurement } from './keyed-count.js';
import { jobPlan, type Checkpointing, type JobBenchBackend } from './plan.js';

export interface JobWorkerInput {
  readonly backend: JobBenchBackend;
  readonly checkpointing: Checkpointing;
  readonly scale: BenchScale;
}

void replyToParent(async (): Promise<RunMeasurement> => {
  const { backend, checkpointing, scale } = childInput<JobWorkerInput>();
  const plan = jobPlan(scale);
  collectGarbage();
  if (backend === 'baseline') {
    if (checkpointing !== 'off') throw new Error('the baseline has no checkpoints: run it with checkpointing off');
    return runBaseline(plan);
  }
  return runJob(backend, checkpointing, plan);
});

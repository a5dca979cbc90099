/**
 * Child process of the `savepoint` suite: one phase of one backend. The restore runs in a process of
 * its own, as after a real stop and redeploy: nothing of the savepoint run's heap, JIT state or
 * WASM memory is left to make it look cheaper.
 */
import { childInput, collectGarbage, replyToParent } from '../harness/child-process.js';
import type { BenchScale } from '../harness/scale.js';
import type { StateBackendKind } from '../../src/state/types.js';
import { savepointPlan } from './plan.js';
import { runRestore, runSavepoints, type RestoreMeasurement, type SavepointRunMeasurement } from './savepoint-job.js';

export type SavepointWorkerInput =
  | {
      readonly phase: 'savepoint';
      readonly backend: StateBackendKind;
      readonly scale: BenchScale;
      readonly checkpointDir: string;
      readonly savepointDir: string;
    }
  | {
      readonly phase: 'restore';
      readonly backend: StateBackendKind;
      readonly scale: BenchScale;
      readonly checkpointDir: string;
      readonly savepointPath: string;
      readonly savepointId: number;
    };

void replyToParent(async (): Promise<SavepointRunMeasurement | RestoreMeasurement> => {
  const input = childInput<SavepointWorkerInput>();
  const plan = savepointPlan(input.scale);
  collectGarbage();
  return input.phase === 'savepoint'
    ? runSavepoints(input.backend, plan, input)
    : runRestore(input.backend, plan, input);
});

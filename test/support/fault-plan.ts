/**
 * Fault injectors for the executor's `faults` hook: act once, at one named point of one checkpoint,
 * and remember whether they did, so a test can tell "survived the fault" from "never reached it".
 */
import type { FaultInjector, FaultPoint } from '../../src/runtime/subtask-snapshotter.js';

/** Where to act: the `occurrence`-th call (default 1st) at `point` for `checkpointId` (and `subtask`, if given). */
export interface FaultTarget {
  readonly point: FaultPoint;
  readonly checkpointId: number;
  /** Subtask index; several vertices share an index (a source subtask 0 and a keyed subtask 0). */
  readonly subtask?: number;
  /**
   * Which matching call: sources snapshot first (in vertex order) when the checkpoint is triggered,
   * then downstream subtasks as their barriers align, so `occurrence: 2` of `subtask: 0` at a
   * snapshot point in a source → keyed job is the keyed subtask 0.
   */
  readonly occurrence?: number;
}

/** One action at one fault point, once. */
export class FaultPlan {
  /** Every call the hook received, as `point:checkpointId:subtask`. */
  readonly calls: string[] = [];
  /** Whether the action ran. */
  fired = false;
  private matches = 0;

  constructor(
    readonly target: FaultTarget,
    private readonly action: () => void,
  ) {}

  /** Pass as the executor's `faults` option. */
  readonly inject: FaultInjector = (point, checkpointId, subtask) => {
    this.calls.push(`${point}:${checkpointId}:${subtask ?? '-'}`);
    const t = this.target;
    if (this.fired || point !== t.point || checkpointId !== t.checkpointId) return;
    if (t.subtask !== undefined && subtask !== t.subtask) return;
    if (++this.matches < (t.occurrence ?? 1)) return;
    this.fired = true;
    this.action();
  };
}

/** A plan that throws `error` once at `target`: the simulated failure. */
export function throwOnceAt(target: FaultTarget, error = new Error(`injected failure at ${target.point} of checkpoint ${target.checkpointId}`)): FaultPlan & { readonly error: Error } {
  const plan = new FaultPlan(target, () => {
    throw error;
  });
  return Object.assign(plan, { error });
}

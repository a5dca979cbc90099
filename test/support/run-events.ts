/** A job listener that keeps every report of a run, for assertions after it (or hooks during it). */
import type {
  CheckpointFailureSummary,
  CheckpointSummary,
  JobListener,
  RestartSummary,
  RestoreSummary,
} from '../../src/runtime/job-listener.js';

/**
 * Records what a run reported; `on*` hooks let a test act at a moment (abort, release a stall). The
 * callbacks are arrow properties: the executor calls them detached from the listener object.
 */
export class RunEvents implements JobListener {
  readonly restored: RestoreSummary[] = [];
  readonly completed: CheckpointSummary[] = [];
  readonly failed: CheckpointFailureSummary[] = [];
  readonly restarts: RestartSummary[] = [];
  /** Everything in order, as short strings, for a readable failure message. */
  readonly log: string[] = [];

  constructor(
    private readonly hooks: {
      readonly completed?: (info: CheckpointSummary, events: RunEvents) => void;
      readonly failed?: (info: CheckpointFailureSummary, events: RunEvents) => void;
      readonly restart?: (info: RestartSummary, events: RunEvents) => void;
    } = {},
  ) {}

  readonly onRestored = (info: RestoreSummary): void => {
    this.restored.push(info);
    this.log.push(`restored attempt=${info.attempt} from=${info.checkpointId ?? 'empty'} rejected=${info.rejected.map((r) => r.checkpointId).join(',')}`);
  };

  readonly onCheckpointCompleted = (info: CheckpointSummary): void => {
    this.completed.push(info);
    this.log.push(`completed ${info.checkpointId}${info.final ? ' (final)' : ''}`);
    this.hooks.completed?.(info, this);
  };

  readonly onCheckpointFailed = (info: CheckpointFailureSummary): void => {
    this.failed.push(info);
    this.log.push(`failed ${info.checkpointId} ${info.reason} consecutive=${info.consecutiveFailures}`);
    this.hooks.failed?.(info, this);
  };

  readonly onRestart = (info: RestartSummary): void => {
    this.restarts.push(info);
    this.log.push(`restart attempt=${info.attempt} delay=${info.delayMs}: ${String(info.error)}`);
    this.hooks.restart?.(info, this);
  };

  /**
   * For each restart, the newest checkpoint reported completed before it (undefined when none):
   * what that restart's attempt must restore.
   */
  latestCompletedAtEachRestart(): Array<number | undefined> {
    const out: Array<number | undefined> = [];
    let latest: number | undefined;
    for (const line of this.log) {
      const done = /^completed (\d+)/.exec(line);
      if (done !== null) latest = Math.max(latest ?? 0, Number(done[1]));
      else if (line.startsWith('restart ')) out.push(latest);
    }
    return out;
  }

  /** Ids of the completed checkpoints, in completion order. */
  get completedIds(): number[] {
    return this.completed.map((c) => c.checkpointId);
  }

  /** Failures other than the uncounted `task-failure` / `coordinator-shutdown` aborts of an attempt's end. */
  get countedFailures(): CheckpointFailureSummary[] {
    return this.failed.filter((f) => f.reason !== 'task-failure' && f.reason !== 'coordinator-shutdown' && f.reason !== 'subsumed');
  }
}

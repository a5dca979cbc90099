/**
 * The `weir run` console: one progress line per `onProgress` (records/s from the growth of
 * `sourceRecords` between two reports, the last completed checkpoint with its size and duration),
 * and one line per restore, restart, failed checkpoint and final checkpoint.
 */
import { inspect } from 'node:util';
import type {
  CheckpointSummary,
  JobListener,
  ProgressSummary,
  RestoreSummary,
} from '../runtime/job-listener.js';
import { formatBytes, formatCount, formatDuration } from './units.js';

/** A job listener that prints, plus what the final summary needs. */
export interface ProgressPrinter {
  readonly listener: JobListener;
  /** Source records over all attempts, as of the last report. */
  sourceRecords(): number;
  lastCheckpoint(): CheckpointSummary | undefined;
  /** The checkpoint the current attempt started from (undefined: empty state or not reported). */
  restoredFrom(): number | undefined;
}

/**
 * @example
 * const printer = createProgressPrinter((line) => console.log(line));
 * await new LocalExecutor().run(env, { listener: printer.listener, checkpointDir });
 */
export function createProgressPrinter(print: (line: string) => void, now: () => number = () => performance.now()): ProgressPrinter {
  /** Time and source records of the previous report (or of the attempt's start): the base of records/s. */
  let previous = { at: now(), sourceRecords: 0 };
  /** Source records of finished attempts (an attempt's count starts again at 0). */
  let earlierAttempts = 0;
  let current = 0;
  let last: CheckpointSummary | undefined;
  let restored: number | undefined;
  /** Messages of failures whose stack was printed already. */
  const failuresShown = new Set<string>();

  const onRestored = (info: RestoreSummary): void => {
    earlierAttempts += current;
    current = 0;
    previous = { at: now(), sourceRecords: 0 };
    restored = info.checkpointId;
    for (const r of info.rejected) {
      const reasons = r.reasons.map((x) => `${x.kind}: ${x.message}`).join('; ');
      const incomplete = r.reasons.every((x) => x.kind === 'incomplete');
      print(`${incomplete ? 'skipped' : 'WARNING: skipped damaged'} checkpoint ${r.checkpointId} (${reasons})`);
    }
    print(
      info.checkpointId === undefined
        ? `attempt ${info.attempt}: starting with empty state`
        : `attempt ${info.attempt}: restored checkpoint ${info.checkpointId}`,
    );
  };

  const onProgress = (p: ProgressSummary): void => {
    const t = now();
    // A smaller count than last time: a new attempt began without onRestored reaching us first.
    const base = p.sourceRecords < previous.sourceRecords ? { ...previous, sourceRecords: 0 } : previous;
    const rate = t > base.at ? ((p.sourceRecords - base.sourceRecords) * 1000) / (t - base.at) : 0;
    previous = { at: t, sourceRecords: p.sourceRecords };
    current = p.sourceRecords;
    if (p.lastCheckpoint !== undefined) last = p.lastCheckpoint;
    const cp =
      last !== undefined
        ? describeCheckpoint(last)
        : restored !== undefined
          ? `no checkpoint since checkpoint ${restored}`
          : 'no checkpoint yet';
    print(
      `up ${formatDuration(p.uptimeMs)} | ${formatCount(rate)} records/s | ${formatCount(earlierAttempts + current)} records | ` +
        `${cp} | queued ${formatCount(p.queuedRecords)}`,
    );
  };

  return {
    listener: {
      onRestored,
      onProgress,
      onCheckpointCompleted(info) {
        last = info;
        if (info.final) print(`final ${describeCheckpoint(info)}: output committed`);
      },
      onCheckpointFailed(info) {
        print(
          `checkpoint ${info.checkpointId} failed (${info.reason}): ${info.message} ` +
            `[${info.consecutiveFailures} in a row]`,
        );
      },
      onRestart(info) {
        const message = info.error instanceof Error ? info.error.message : String(info.error);
        print(`job failed: ${message}; restarting (attempt ${info.attempt}) in ${formatDuration(info.delayMs)}`);
        // The stack once per distinct failure: enough to debug, without repeating it every restart.
        if (!failuresShown.has(message)) {
          failuresShown.add(message);
          const cause = info.error instanceof Error && info.error.cause !== undefined ? info.error.cause : info.error;
          print(inspect(cause, { depth: 4 }));
        }
      },
    },
    sourceRecords: () => earlierAttempts + current,
    lastCheckpoint: () => last,
    restoredFrom: () => restored,
  };
}

/** `checkpoint 12: 1.2 MB (wrote 230 kB) in 35 ms`. */
export function describeCheckpoint(c: CheckpointSummary): string {
  const wrote = c.writtenBytes === c.fullSizeBytes ? '' : ` (wrote ${formatBytes(c.writtenBytes)})`;
  return `checkpoint ${c.checkpointId}: ${formatBytes(c.fullSizeBytes)}${wrote} in ${formatDuration(c.durationMs)}`;
}

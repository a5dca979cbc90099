import { describe, expect, it } from 'vitest';
import { createProgressPrinter } from '../src/cli/progress-printer.js';
import type { CheckpointSummary, ProgressSummary } from '../src/runtime/job-listener.js';

const checkpoint = (id: number, over: Partial<CheckpointSummary> = {}): CheckpointSummary => ({
  checkpointId: id,
  writtenBytes: 1500,
  fullSizeBytes: 4_200_000,
  durationMs: 35,
  maxAlignmentMs: 0,
  maxSyncMs: 1,
  final: false,
  ...over,
});
const progress = (sourceRecords: number, lastCheckpoint?: CheckpointSummary): ProgressSummary => ({
  uptimeMs: 1000,
  sourceRecords,
  sinkRecords: sourceRecords,
  queuedRecords: 64,
  lastCheckpoint,
});

function setup() {
  const lines: string[] = [];
  let t = 0;
  const printer = createProgressPrinter((l) => lines.push(l), () => t);
  return { lines, printer, l: printer.listener, tick: (ms: number) => (t += ms) };
}

describe('progress printer', () => {
  it('records/s is the growth of source records over the time between reports', () => {
    const { lines, l, tick } = setup();
    l.onRestored!({ attempt: 1, checkpointId: undefined, rejected: [] });
    tick(1000);
    l.onProgress!(progress(500_000));
    tick(500);
    l.onProgress!(progress(1_500_000, checkpoint(3)));
    expect(lines).toEqual([
      'attempt 1: starting with empty state',
      'up 1.0 s | 500.0 k records/s | 500.0 k records | no checkpoint yet | queued 64',
      'up 1.0 s | 2.00 M records/s | 1.50 M records | checkpoint 3: 4.2 MB (wrote 1.5 kB) in 35 ms | queued 64',
    ]);
  });

  it('a restart starts the attempt\'s count again without a negative rate, and totals all attempts', () => {
    const { lines, printer, l, tick } = setup();
    l.onRestored!({ attempt: 1, checkpointId: 4, rejected: [] });
    tick(1000);
    l.onProgress!(progress(1000));
    l.onRestart!({ attempt: 2, delayMs: 1200, error: new Error('task failed', { cause: new TypeError('user bug') }) });
    l.onRestart!({ attempt: 3, delayMs: 2400, error: new Error('task failed', { cause: new TypeError('user bug') }) });
    l.onRestored!({
      attempt: 3,
      checkpointId: 4,
      rejected: [{ checkpointId: 5, reasons: [{ kind: 'incomplete', path: 'chk-5/_metadata', message: 'no _metadata' }] }],
    });
    tick(1000);
    l.onProgress!(progress(300));
    expect(printer.sourceRecords()).toBe(1300);
    expect(lines[1]).toMatch(/no checkpoint since checkpoint 4/);
    expect(lines[2]).toBe('job failed: task failed; restarting (attempt 2) in 1.2 s');
    expect(lines[3]).toMatch(/^TypeError: user bug\n {4}at /); // the user's stack, once per distinct failure
    expect(lines[4]).toBe('job failed: task failed; restarting (attempt 3) in 2.4 s');
    expect(lines[5]).toBe('skipped checkpoint 5 (incomplete: no _metadata)');
    expect(lines[6]).toBe('attempt 3: restored checkpoint 4');
    expect(lines[7]).toMatch(/\| 300 records\/s \| 1\.3 k records \|/);
  });

  it('damaged checkpoints passed over are a warning; failed and final checkpoints get a line', () => {
    const { lines, printer, l } = setup();
    l.onRestored!({
      attempt: 1,
      checkpointId: 2,
      rejected: [{ checkpointId: 3, reasons: [{ kind: 'size-mismatch', path: 'shared/a.seg', message: 'a.seg has 10 bytes, expected 20' }] }],
    });
    l.onCheckpointFailed!({ checkpointId: 4, reason: 'expired', message: 'took longer than 600000 ms', consecutiveFailures: 1 });
    l.onCheckpointCompleted!(checkpoint(5, { final: true, writtenBytes: 4_200_000 }));
    expect(lines).toEqual([
      'WARNING: skipped damaged checkpoint 3 (size-mismatch: a.seg has 10 bytes, expected 20)',
      'attempt 1: restored checkpoint 2',
      'checkpoint 4 failed (expired): took longer than 600000 ms [1 in a row]',
      'final checkpoint 5: 4.2 MB in 35 ms: output committed',
    ]);
    expect(printer.lastCheckpoint()?.checkpointId).toBe(5);
    expect(printer.restoredFrom()).toBe(2);
  });
});

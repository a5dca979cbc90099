/**
 * Invalid checkpoint settings and locations fail the run before any record moves, with a message
 * naming the setting (as the issue asks: "negative interval, …, checkpoint dir not writable").
 */
import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckpointSettingsInput } from '../src/checkpoint/checkpoint-settings.js';
import type { RestartStrategyConfig } from '../src/checkpoint/restart-config.js';
import { CollectSink } from '../src/connectors/collect-sink.js';
import { LocalExecutor, type LocalExecutorOptions } from '../src/runtime/local-executor.js';
import type { CheckpointStorage } from '../src/storage/checkpoint-store.js';
import { countingJob } from './support/counting-job.js';
import { tempDirs } from './support/temp-dirs.js';

const SOURCE = { count: 200, keys: 5, seed: 1 };

/** Runs the counting job with `checkpoint` settings and executor options; resolves with the rejection. */
async function failureOf(
  o: { checkpoint?: CheckpointSettingsInput; restartStrategy?: RestartStrategyConfig } & LocalExecutorOptions,
): Promise<{ error: Error; out: CollectSink<string> }> {
  const out = new CollectSink<string>();
  const { checkpoint, restartStrategy, ...options } = o;
  const job = countingJob({
    backend: 'heap',
    source: SOURCE,
    sink: out.spec(),
    ...(checkpoint === undefined ? {} : { checkpoint }),
    ...(restartStrategy === undefined ? {} : { restartStrategy }),
  });
  const result = await new LocalExecutor().run(job, options).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (result === undefined) throw new Error('expected the run to fail');
  return { error: result, out };
}

describe('invalid checkpoint settings fail the run, naming the setting', () => {
  const tmp = tempDirs();

  it.each<[string, CheckpointSettingsInput, RegExp]>([
    ['negative interval', { intervalMs: -5 }, /intervalMs.*-5/],
    ['zero interval', { intervalMs: 0 }, /intervalMs/],
    ['zero timeout', { timeoutMs: 0 }, /timeoutMs/],
    ['negative min pause', { minPauseBetweenCheckpointsMs: -1 }, /minPauseBetweenCheckpointsMs/],
    ['zero max concurrent', { maxConcurrentCheckpoints: 0 }, /maxConcurrentCheckpoints/],
    ['negative tolerable failures', { tolerableFailedCheckpoints: -1 }, /tolerableFailedCheckpoints/],
    ['fractional tolerable failures', { tolerableFailedCheckpoints: 1.5 }, /tolerableFailedCheckpoints/],
    ['zero retained checkpoints', { retainedCheckpoints: 0 }, /retainedCheckpoints/],
    ['unknown mode', { mode: 'exactly_once' as 'exactly-once' }, /mode.*exactly-once, at-least-once/],
    ['misspelt setting', { intervalMS: 5 } as CheckpointSettingsInput, /intervalMS/],
  ])('%s', async (_name, checkpoint, message) => {
    const dir = tmp('bad-settings');
    const { error, out } = await failureOf({ checkpoint, checkpointDir: dir });
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^checkpoint: /);
    // Nothing ran and nothing was written.
    expect(out.values).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('an unknown compression codec names checkpoint.compression and the known codecs', async () => {
    const dir = tmp('bad-codec');
    const { error, out } = await failureOf({ checkpoint: { compression: { codec: 'zstd' } }, checkpointDir: dir });
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toMatch(/^checkpoint\.compression: /);
    expect(error.message).toContain('zstd');
    expect(error.message).toContain('brotli');
    expect(out.values).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a compression level outside the codec range names checkpoint.compression', async () => {
    const { error } = await failureOf({ checkpoint: { compression: { codec: 'deflate', level: 42 } }, checkpointDir: tmp('bad-level') });
    expect(error.message).toMatch(/^checkpoint\.compression: .*42/);
  });

  it('an invalid restart strategy names restartStrategy', async () => {
    const { error } = await failureOf({ restartStrategy: { type: 'fixed-delay', attempts: -1 }, checkpointDir: tmp('bad-restart') });
    expect(error.message).toMatch(/^restartStrategy: .*attempts/);
  });
});

describe('an unusable checkpoint location fails the run, naming checkpointDir', () => {
  const tmp = tempDirs();

  it('checkpointDir is a file', async () => {
    const file = join(tmp('file'), 'not-a-dir');
    writeFileSync(file, 'x');
    const { error, out } = await failureOf({ checkpointDir: file });
    expect(error.message).toMatch(/^checkpointDir: cannot write checkpoints to /);
    expect(error.message).toContain(file);
    expect(out.values).toEqual([]);
  });

  it('checkpointDir lies below a file', async () => {
    const file = join(tmp('file'), 'blocker');
    writeFileSync(file, 'x');
    const { error } = await failureOf({ checkpointDir: join(file, 'checkpoints') });
    expect(error.message).toMatch(/^checkpointDir: /);
  });

  it.skipIf(process.getuid?.() === 0)('checkpointDir is not writable (permissions)', async () => {
    const dir = tmp('ro');
    chmodSync(dir, 0o500);
    try {
      const { error } = await failureOf({ checkpointDir: dir });
      expect(error.message).toMatch(/^checkpointDir: /);
      expect(error.message).toContain(dir);
    } finally {
      chmodSync(dir, 0o700);
    }
  });

  it('a checkpoint storage that cannot be written fails the same way', async () => {
    const broken: CheckpointStorage = {
      list: async () => [],
      read: async (p) => {
        throw new Error(`ENOENT ${p}`);
      },
      writeAtomically: async () => {
        throw new Error('EROFS: read-only file system');
      },
      delete: async () => {},
    };
    const { error } = await failureOf({ checkpointStorage: broken });
    expect(error.message).toMatch(/^checkpointDir: .*EROFS/);
  });

  it('a job id that cannot be a directory name is rejected', async () => {
    const { error } = await failureOf({ checkpointDir: tmp('jobid'), jobId: 'a/b' });
    expect(error.message).toContain('job id "a/b"');
  });

  it('a checkpointDir that does not exist yet is created, and leaves no probe behind', async () => {
    const dir = join(tmp('new'), 'deep', 'checkpoints');
    const out = new CollectSink<string>();
    await new LocalExecutor().run(countingJob({ backend: 'heap', source: SOURCE, sink: out.spec() }), { checkpointDir: dir, jobId: 'fresh' });
    expect(out.values).toHaveLength(SOURCE.count);
    expect(existsSync(join(dir, 'fresh'))).toBe(true);
    expect(readdirSync(join(dir, 'fresh')).filter((n) => n.startsWith('.weir-write-probe'))).toEqual([]);
  });
});

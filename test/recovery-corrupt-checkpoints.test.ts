/**
 * Recovery when the newest checkpoint is damaged: a run is stopped with three checkpoints retained,
 * the newest one's files are damaged (a truncated or missing shared segment, flipped bytes in a
 * `.op` file or in `_metadata`, a deleted `_metadata`), and the next run falls back to the previous
 * checkpoint, reports why through `onRestored`, and resumes exactly from it. When every checkpoint is
 * damaged the run fails with a NoRestorableCheckpointError naming each problem and leaves the
 * evidence on disk, unless `allowEmptyRestore` lets it start empty.
 */
import { decodeStateList } from '../src/storage/operator-state-list.js';
import { decodeSplitEntry } from '../src/runtime/source-splits.js';
import { truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CollectSink } from '../src/connectors/collect-sink.js';
import { GeneratorSource, type GeneratorOptions } from '../src/connectors/generator-source.js';
import { readPositionCounter, readPositionHeader } from '../src/connectors/source.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import { jobDirectory } from '../src/storage/checkpoint-layout.js';
import { referencedFiles, type CheckpointMetadata } from '../src/storage/checkpoint-metadata.js';
import { NoRestorableCheckpointError, type RejectionKind } from '../src/storage/checkpoint-restore.js';
import { FsCheckpointStorage, MemoryCheckpointStorage, scanJobDirectory, type CheckpointStorage } from '../src/storage/checkpoint-store.js';
import { decodeFile, FILE_KIND } from '../src/storage/file-container.js';
import { countingJob, expectExactlyOnce, expectedCounts } from './support/counting-job.js';
import { gatedConnectors, holdFrom, type Gate } from './support/gated-generator.js';
import { inspectJobDirectory } from './support/job-directory.js';
import { RunEvents } from './support/run-events.js';
import { tempDirs } from './support/temp-dirs.js';

/** ~300 ms: the first run is stopped after its third checkpoint, long before its end. */
const SOURCE: GeneratorOptions = { count: 12_000, keys: 40, seed: 71, ratePerSecond: 40_000 };
const PARALLELISM = 2;
const RETAINED = 3;
const JOB_ID = 'damaged';
const tempDir = tempDirs();

function job(out: CollectSink<string>, gate?: Gate) {
  return countingJob({
    backend: 'wasm',
    parallelism: PARALLELISM,
    source: SOURCE,
    sink: out.spec(),
    jobName: JOB_ID,
    checkpoint: { retainedCheckpoints: RETAINED },
    ...(gate === undefined ? {} : { gate }),
  });
}

/** Runs the job until three checkpoints completed, stops it, and returns the completed checkpoints on disk, oldest first. */
async function stoppedWithThreeCheckpoints(storage: CheckpointStorage): Promise<CheckpointMetadata[]> {
  const ac = new AbortController();
  const stop = new Error('stop');
  const events = new RunEvents({ completed: (_c, ev) => ev.completed.length === RETAINED && ac.abort(stop) });
  // The end of the input waits for the stop, so the third checkpoint comes first on any machine.
  const gate = holdFrom(SOURCE.count - 500, () => ac.signal.aborted);
  const run = new LocalExecutor({ connectors: gatedConnectors() }).run(job(new CollectSink<string>(), gate), {
    checkpointStorage: storage,
    signal: ac.signal,
    listener: events,
  });
  await expect(run).rejects.toBe(stop);
  const dir = await inspectJobDirectory(storage, RETAINED);
  expect(dir.problems).toEqual([]);
  expect(dir.completed).toHaveLength(RETAINED);
  return [...dir.completed];
}

/**
 * What a run restored from `m` commits: per key, the counts after the ones checkpoint `m` holds,
 * computed from the generator positions recorded in `m` (records before them were counted in `m`).
 */
async function expectedAfter(storage: CheckpointStorage, m: CheckpointMetadata): Promise<string[]> {
  const src = m.operators.find((o) => o.uid === 'src')!;
  const gen = new GeneratorSource(SOURCE);
  const counted = new Map<number, number>();
  for (const st of src.subtasks) {
    const handle = st.handles.find((h) => h.kind === 'operator');
    if (handle?.kind !== 'operator') throw new Error('no source position');
    const raw = await decodeFile(await storage.read(handle.files[0]!.path), FILE_KIND.operatorState);
    const [entry] = decodeStateList(raw, 'src');
    const { position } = decodeSplitEntry(entry!, 'src');
    const next = readPositionCounter(readPositionHeader(position!, 'generator', { subtaskIndex: st.subtaskIndex, parallelism: PARALLELISM }), 'generator');
    for (let i = st.subtaskIndex; i < next; i += PARALLELISM) {
      const k = gen.record(i).key;
      counted.set(k, (counted.get(k) ?? 0) + 1);
    }
  }
  return expectedCounts(SOURCE).filter((s) => {
    const [k, n] = s.split(':').map(Number) as [number, number];
    return n > (counted.get(k) ?? 0);
  });
}

/** Files only checkpoint `m` references (none of the `others`), under `prefix`. */
function ownFiles(m: CheckpointMetadata, others: readonly CheckpointMetadata[], prefix: string): string[] {
  const shared = new Set(others.flatMap((o) => referencedFiles(o).map((f) => f.path)));
  return referencedFiles(m)
    .map((f) => f.path)
    .filter((p) => p.startsWith(prefix) && !shared.has(p));
}

const flipMiddleByte = (b: Uint8Array): Uint8Array => {
  const i = b.length >> 1;
  b[i] = (b[i] ?? 0) ^ 0xff;
  return b;
};

interface Damage {
  readonly name: string;
  readonly kind: RejectionKind;
  /** Damages checkpoint `newest` (the others are the older retained ones); returns the path it damaged. */
  readonly apply: (storage: MemoryCheckpointStorage, newest: CheckpointMetadata, older: readonly CheckpointMetadata[]) => Promise<string>;
}

const DAMAGES: readonly Damage[] = [
  {
    name: 'a truncated shared segment',
    kind: 'size-mismatch',
    apply: async (s, newest, older) => {
      const path = ownFiles(newest, older, 'shared/')[0]!;
      s.corrupt(path, (b) => b.slice(0, b.length - 9));
      return path;
    },
  },
  {
    name: 'a missing shared segment',
    kind: 'missing-file',
    apply: async (s, newest, older) => {
      const path = ownFiles(newest, older, 'shared/')[0]!;
      await s.delete(path);
      return path;
    },
  },
  {
    name: 'flipped bytes in a .op file',
    kind: 'state-unreadable',
    apply: async (s, newest, older) => {
      const path = ownFiles(newest, older, `chk-${newest.checkpointId}/`).find((p) => p.endsWith('.op'))!;
      s.corrupt(path, flipMiddleByte);
      return path;
    },
  },
  {
    name: 'flipped bytes in a shared segment (same size)',
    kind: 'state-unreadable',
    apply: async (s, newest, older) => {
      const path = ownFiles(newest, older, 'shared/')[0]!;
      s.corrupt(path, flipMiddleByte);
      return path;
    },
  },
  {
    name: 'flipped bytes in _metadata',
    kind: 'metadata-invalid',
    apply: async (s, newest) => {
      const path = `chk-${newest.checkpointId}/_metadata`;
      s.corrupt(path, flipMiddleByte);
      return path;
    },
  },
  {
    name: 'a deleted _metadata',
    kind: 'incomplete',
    apply: async (s, newest) => {
      const path = `chk-${newest.checkpointId}/_metadata`;
      await s.delete(path);
      return path;
    },
  },
];

describe('the newest checkpoint is damaged', () => {
  it.each(DAMAGES)('$name: the next run falls back to the previous checkpoint, says why, and resumes exactly from it', async (damage) => {
    const storage = new MemoryCheckpointStorage();
    const completed = await stoppedWithThreeCheckpoints(storage);
    const newest = completed.at(-1)!;
    const previous = completed.at(-2)!;
    const expected = await expectedAfter(storage, previous);
    const damaged = await damage.apply(storage, newest, completed.slice(0, -1));
    expect(damaged).toBeDefined();

    const out = new CollectSink<string>();
    const events = new RunEvents();
    const stats = await new LocalExecutor().run(job(out), { checkpointStorage: storage, listener: events });
    expect(stats.restoredCheckpointId).toBe(previous.checkpointId);
    expect(events.restored[0]!.checkpointId).toBe(previous.checkpointId);
    expect(events.restored[0]!.rejected).toEqual([
      { checkpointId: newest.checkpointId, reasons: [expect.objectContaining({ kind: damage.kind })] },
    ]);
    const reason = events.restored[0]!.rejected[0]!.reasons[0]!;
    if (damage.kind !== 'incomplete') expect(`${reason.path} ${reason.message}`).toContain(damaged);
    // Resumed from the previous checkpoint's state and positions: the counts after it, each once.
    expectExactlyOnce(out.values, expected);
    // New checkpoints take ids above the damaged one; the job ends with a clean directory.
    expect(Math.min(...events.completedIds)).toBeGreaterThan(newest.checkpointId);
    expect((await inspectJobDirectory(storage, RETAINED)).problems).toEqual([]);
  });

  it('the two newest damaged (one incomplete, one unreadable): falls back to the oldest retained, listing both', async () => {
    const storage = new MemoryCheckpointStorage();
    const [oldest, middle, newest] = (await stoppedWithThreeCheckpoints(storage)) as [CheckpointMetadata, CheckpointMetadata, CheckpointMetadata];
    await storage.delete(`chk-${newest.checkpointId}/_metadata`);
    const op = ownFiles(middle, [oldest, newest], `chk-${middle.checkpointId}/`).find((p) => p.endsWith('.op'))!;
    storage.corrupt(op, flipMiddleByte);
    const expected = await expectedAfter(storage, oldest);
    const out = new CollectSink<string>();
    const events = new RunEvents();
    await new LocalExecutor().run(job(out), { checkpointStorage: storage, listener: events });
    expect(events.restored[0]!.checkpointId).toBe(oldest.checkpointId);
    expect(events.restored[0]!.rejected.map((r) => [r.checkpointId, r.reasons.map((why) => why.kind)])).toEqual([
      [newest.checkpointId, ['incomplete']],
      [middle.checkpointId, ['state-unreadable']],
    ]);
    expectExactlyOnce(out.values, expected);
  });

  it('on disk: a truncated segment file makes the next run fall back', async () => {
    const checkpointDir = tempDir('corrupt-fs');
    const storage = new FsCheckpointStorage(jobDirectory(checkpointDir, JOB_ID));
    const completed = await stoppedWithThreeCheckpoints(storage);
    const newest = completed.at(-1)!;
    const segment = ownFiles(newest, completed.slice(0, -1), 'shared/')[0]!;
    truncateSync(join(jobDirectory(checkpointDir, JOB_ID), ...segment.split('/')), 10);
    const expected = await expectedAfter(storage, completed.at(-2)!);
    const out = new CollectSink<string>();
    const events = new RunEvents();
    await new LocalExecutor().run(job(out), { checkpointDir, jobId: JOB_ID, listener: events });
    expect(events.restored[0]!.checkpointId).toBe(completed.at(-2)!.checkpointId);
    expect(events.restored[0]!.rejected[0]!.reasons).toEqual([expect.objectContaining({ kind: 'size-mismatch', path: segment })]);
    expectExactlyOnce(out.values, expected);
  });
});

describe('every checkpoint is damaged', () => {
  /** Flips a byte in every checkpoint's own source-position file. */
  async function damageAll(storage: MemoryCheckpointStorage): Promise<CheckpointMetadata[]> {
    const completed = await stoppedWithThreeCheckpoints(storage);
    for (const m of completed) {
      const op = ownFiles(m, [], `chk-${m.checkpointId}/src-`)[0]!;
      storage.corrupt(op, flipMiddleByte);
    }
    return completed;
  }

  it('the run fails with a NoRestorableCheckpointError naming every problem, runs nothing and deletes nothing', async () => {
    const storage = new MemoryCheckpointStorage();
    const completed = await damageAll(storage);
    const before = await scanJobDirectory(storage);
    const out = new CollectSink<string>();
    const error = await new LocalExecutor().run(job(out), { checkpointStorage: storage }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NoRestorableCheckpointError);
    const e = error as NoRestorableCheckpointError;
    expect(e.rejected.map((r) => r.checkpointId)).toEqual(completed.map((m) => m.checkpointId).reverse());
    for (const m of completed) {
      expect(e.message).toContain(`chk-${m.checkpointId}: state-unreadable: chk-${m.checkpointId}/src-`);
    }
    expect(out.values).toEqual([]);
    // The evidence stays for a human to look at.
    expect(await scanJobDirectory(storage)).toEqual(before);
  });

  it('with allowEmptyRestore the run starts empty, says what it passed over, and produces the whole output', async () => {
    const storage = new MemoryCheckpointStorage();
    const completed = await damageAll(storage);
    const out = new CollectSink<string>();
    const events = new RunEvents();
    const stats = await new LocalExecutor().run(job(out), { checkpointStorage: storage, listener: events, allowEmptyRestore: true });
    expect(stats.restoredCheckpointId).toBeUndefined();
    expect(events.restored[0]!.checkpointId).toBeUndefined();
    expect(events.restored[0]!.rejected.map((r) => r.checkpointId)).toEqual(completed.map((m) => m.checkpointId).reverse());
    expectExactlyOnce(out.values, expectedCounts(SOURCE));
    expect(Math.min(...events.completedIds)).toBeGreaterThan(completed.at(-1)!.checkpointId);
    expect((await inspectJobDirectory(storage, RETAINED)).problems).toEqual([]);
  });

  it('checkpoints that never completed (no _metadata anywhere) start empty without an error: nothing was ever promised', async () => {
    const storage = new MemoryCheckpointStorage();
    const completed = await stoppedWithThreeCheckpoints(storage);
    for (const m of completed) await storage.delete(`chk-${m.checkpointId}/_metadata`);
    const out = new CollectSink<string>();
    const events = new RunEvents();
    await new LocalExecutor().run(job(out), { checkpointStorage: storage, listener: events });
    expect(events.restored[0]!.checkpointId).toBeUndefined();
    expect(events.restored[0]!.rejected.every((r) => r.reasons.every((why) => why.kind === 'incomplete'))).toBe(true);
    expectExactlyOnce(out.values, expectedCounts(SOURCE));
  });
});

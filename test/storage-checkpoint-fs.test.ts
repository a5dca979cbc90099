import { cp, mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readContainerFile } from '../src/storage/atomic-file.js';
import { createCodec } from '../src/storage/codec.js';
import { encodeFile, FILE_KIND } from '../src/storage/file-container.js';
import { jobDirectory, resolveInJobDirectory } from '../src/storage/checkpoint-layout.js';
import { referencedFiles, type CheckpointMetadata } from '../src/storage/checkpoint-metadata.js';
import { chooseRestoreCheckpoint } from '../src/storage/checkpoint-restore.js';
import { filesToDelete } from '../src/storage/checkpoint-retention.js';
import {
  applyDeletionPlan,
  FsCheckpointStorage,
  loadAllMetadata,
  scanJobDirectory,
  writeCheckpointMetadata,
  type CheckpointStorage,
} from '../src/storage/checkpoint-store.js';

const JOB = 'job-fs';
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'weir-chk-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A checkpoint with one real container segment in shared/ and one exclusive file. */
async function checkpoint(s: CheckpointStorage, id: number, chain: string[]): Promise<CheckpointMetadata> {
  const refs = [];
  for (const seg of chain) {
    const path = `shared/${seg}.seg`;
    const bytes = await encodeFile(FILE_KIND.stateSegment, new TextEncoder().encode(`segment ${seg}`), createCodec('deflate'));
    if (!(await s.list('shared')).some((e) => e.name === `${seg}.seg`)) await s.writeAtomically(path, bytes);
    refs.push({ path, size: bytes.length });
  }
  const own = `chk-${id}/src-0.offsets`;
  await s.writeAtomically(own, new Uint8Array(8).fill(id));
  const m: CheckpointMetadata = {
    checkpointId: id,
    jobId: JOB,
    triggerTimestamp: id,
    completionTimestamp: id + 1,
    settings: { mode: 'at-least-once', intervalMs: 500, retainCount: 1, incremental: true, codec: 'deflate', codecLevel: 1 },
    operators: [
      {
        uid: 'src',
        parallelism: 1,
        maxParallelism: 4,
        subtasks: [
          {
            subtaskIndex: 0,
            handles: [
              { kind: 'operator', files: [{ path: own, size: 8 }] },
              { kind: 'keyed-incremental', keyGroups: { start: 0, end: 4 }, chain: refs },
            ],
          },
        ],
      },
    ],
  };
  await writeCheckpointMetadata(s, m);
  return m;
}

async function restore(jobDir: string) {
  const s = new FsCheckpointStorage(jobDir);
  const listing = await scanJobDirectory(s);
  const loads = await loadAllMetadata(s, listing);
  return chooseRestoreCheckpoint(listing, (id) => loads.get(id), { jobId: JOB });
}

describe('checkpoint storage on a real filesystem', () => {
  it('writes _metadata atomically in the Flink layout and restores the latest', async () => {
    const jobDir = jobDirectory(root, JOB);
    const s = new FsCheckpointStorage(jobDir);
    await checkpoint(s, 1, ['b1']);
    await checkpoint(s, 2, ['b1', 'd2']);
    expect((await readdir(jobDir)).sort()).toEqual(['chk-1', 'chk-2', 'shared']);
    expect((await readdir(join(jobDir, 'chk-2'))).sort()).toEqual(['_metadata', 'src-0.offsets']);
    const d = await restore(jobDir);
    expect(d.checkpoint?.checkpointId).toBe(2);
  });

  it('falls back when the latest checkpoint has a truncated segment on disk', async () => {
    const jobDir = jobDirectory(root, JOB);
    const s = new FsCheckpointStorage(jobDir);
    await checkpoint(s, 1, ['b1']);
    await checkpoint(s, 2, ['b1', 'd2']);
    await truncate(join(jobDir, 'shared', 'd2.seg'), 10);
    const d = await restore(jobDir);
    expect(d.checkpoint?.checkpointId).toBe(1);
    expect(d.rejected[0]!.reasons[0]).toMatchObject({ kind: 'size-mismatch', path: 'shared/d2.seg' });
  });

  it('resolves every file of a job directory copied elsewhere', async () => {
    const jobDir = jobDirectory(root, JOB);
    const s = new FsCheckpointStorage(jobDir);
    await checkpoint(s, 1, ['b1']);
    await checkpoint(s, 2, ['b1', 'd2']);
    const moved = join(root, 'archive', 'moved-job');
    await mkdir(join(root, 'archive'));
    await cp(jobDir, moved, { recursive: true });
    await rm(jobDir, { recursive: true });
    const d = await restore(moved);
    expect(d.checkpoint?.checkpointId).toBe(2);
    const files = referencedFiles(d.checkpoint!.metadata);
    expect(files.map((f) => f.path)).toEqual(['chk-2/src-0.offsets', 'shared/b1.seg', 'shared/d2.seg']);
    const seg = await readContainerFile(resolveInJobDirectory(moved, 'shared/d2.seg'), FILE_KIND.stateSegment);
    expect(new TextDecoder().decode(seg)).toBe('segment d2');
    expect((await readFile(resolveInJobDirectory(moved, 'chk-2/src-0.offsets')))[0]).toBe(2);
  });

  it('cleans crash leftovers and retired checkpoints on start-up', async () => {
    const jobDir = jobDirectory(root, JOB);
    const s = new FsCheckpointStorage(jobDir);
    const m1 = await checkpoint(s, 1, ['b1']);
    const m2 = await checkpoint(s, 2, ['b2']);
    await mkdir(join(jobDir, 'chk-0')); // crashed before writing anything
    await writeFile(join(jobDir, 'chk-2', '_metadata.tmp-0123456789ab'), 'torn');
    await writeFile(join(jobDir, 'shared', 'orphan.seg'), 'never referenced');
    await mkdir(join(jobDir, 'chk-3'));
    await writeFile(join(jobDir, 'chk-3', 'src-0.offsets'), 'in flight at the crash');

    const listing = await scanJobDirectory(s);
    const plan = filesToDelete({ listing, completed: [m1, m2], retainCount: 1, writersActive: false });
    await applyDeletionPlan(s, plan);

    expect((await readdir(jobDir)).sort()).toEqual(['chk-2', 'chk-3', 'shared']);
    expect((await readdir(join(jobDir, 'chk-2'))).sort()).toEqual(['_metadata', 'src-0.offsets']);
    expect(await readdir(join(jobDir, 'shared'))).toEqual(['b2.seg']);
    expect((await restore(jobDir)).checkpoint?.checkpointId).toBe(2);
  });

  it('refuses paths that escape the job directory', async () => {
    const s = new FsCheckpointStorage(jobDirectory(root, JOB));
    await expect(s.read('../outside')).rejects.toThrow(RangeError);
    await expect(s.delete('/etc')).rejects.toThrow(RangeError);
    expect(() => jobDirectory(root, '..')).toThrow(RangeError);
  });
});

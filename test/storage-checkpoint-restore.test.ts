import { describe, expect, it } from 'vitest';
import { createCodec } from '../src/storage/codec.js';
import { encodeFile, FILE_KIND } from '../src/storage/file-container.js';
import { diskListing, nextCheckpointId } from '../src/storage/checkpoint-layout.js';
import type { CheckpointMetadata } from '../src/storage/checkpoint-metadata.js';
import {
  chooseRestoreCheckpoint,
  describeRejections,
  NoRestorableCheckpointError,
  type MetadataLoad,
} from '../src/storage/checkpoint-restore.js';
import {
  loadAllMetadata,
  MemoryCheckpointStorage,
  scanJobDirectory,
  writeCheckpointMetadata,
} from '../src/storage/checkpoint-store.js';

const JOB = 'job-r';

/** Writes checkpoint `id` the way a completed one looks: its files, then `_metadata` last. */
async function writeCheckpoint(s: MemoryCheckpointStorage, id: number, segments: string[]): Promise<CheckpointMetadata> {
  const own = `chk-${id}/op-0.state`;
  const ownBytes = await encodeFile(FILE_KIND.stateSegment, new Uint8Array(100 + id), createCodec('none'));
  await s.writeAtomically(own, ownBytes);
  const chain = [];
  for (const seg of segments) {
    const path = `shared/${seg}.seg`;
    const existing = (await s.list('shared')).find((e) => e.name === `${seg}.seg`);
    if (!existing) await s.writeAtomically(path, new Uint8Array(10 + seg.length));
    chain.push({ path, size: 10 + seg.length });
  }
  const m: CheckpointMetadata = {
    checkpointId: id,
    jobId: JOB,
    triggerTimestamp: id * 1000,
    completionTimestamp: id * 1000 + 5,
    settings: { mode: 'exactly-once', intervalMs: 1000, retainCount: 3, incremental: true, codec: 'none', codecLevel: 0 },
    operators: [
      {
        uid: 'op',
        parallelism: 2,
        maxParallelism: 128,
        subtasks: [
          { subtaskIndex: 0, handles: [{ kind: 'keyed-full', keyGroups: { start: 0, end: 64 }, files: [{ path: own, size: ownBytes.length }] }] },
          { subtaskIndex: 1, handles: [{ kind: 'keyed-incremental', keyGroups: { start: 64, end: 128 }, chain }] },
        ],
      },
    ],
  };
  await writeCheckpointMetadata(s, m);
  return m;
}

async function choose(s: MemoryCheckpointStorage, allowEmpty = false) {
  const listing = await scanJobDirectory(s);
  const loads = await loadAllMetadata(s, listing);
  return chooseRestoreCheckpoint(listing, (id) => loads.get(id), { jobId: JOB, allowEmpty });
}

async function threeCheckpoints(): Promise<MemoryCheckpointStorage> {
  const s = new MemoryCheckpointStorage();
  await writeCheckpoint(s, 1, ['b1']);
  await writeCheckpoint(s, 2, ['b1', 'd2']);
  await writeCheckpoint(s, 3, ['b1', 'd2', 'd3']);
  return s;
}

describe('chooseRestoreCheckpoint', () => {
  it('picks the latest completed checkpoint when all are intact', async () => {
    const d = await choose(await threeCheckpoints());
    expect(d.checkpoint?.checkpointId).toBe(3);
    expect(d.checkpoint?.metadata.jobId).toBe(JOB);
    expect(d.rejected).toEqual([]);
  });

  it('falls back past a corrupt _metadata and says why', async () => {
    const s = await threeCheckpoints();
    s.corrupt('chk-3/_metadata', (b) => ((b[30]! ^= 0xff), b));
    const d = await choose(s);
    expect(d.checkpoint?.checkpointId).toBe(2);
    expect(d.rejected).toHaveLength(1);
    const r = d.rejected[0]!;
    expect(r.checkpointId).toBe(3);
    expect(r.reasons[0]!.kind).toBe('metadata-invalid');
    expect(r.reasons[0]!.message).toContain('chk-3/_metadata');
    expect(r.reasons[0]!.message).toContain('checksum');
  });

  it('falls back past a missing segment and a truncated file, listing both', async () => {
    const s = await threeCheckpoints();
    await s.delete('shared/d3.seg');
    s.corrupt('chk-3/op-0.state', (b) => b.subarray(0, b.length - 7));
    const d = await choose(s);
    expect(d.checkpoint?.checkpointId).toBe(2);
    const kinds = d.rejected[0]!.reasons.map((r) => [r.kind, r.path]);
    expect(kinds).toEqual([
      ['size-mismatch', 'chk-3/op-0.state'],
      ['missing-file', 'shared/d3.seg'],
    ]);
    expect(describeRejections(d.rejected)).toContain('(truncated)');
  });

  it('falls back two levels when a segment shared by the newest two is gone', async () => {
    const s = await threeCheckpoints();
    await s.delete('shared/d2.seg');
    const d = await choose(s);
    expect(d.checkpoint?.checkpointId).toBe(1);
    expect(d.rejected.map((r) => r.checkpointId)).toEqual([3, 2]);
  });

  it('skips an incomplete newer checkpoint (crash mid-checkpoint) as incomplete, not damage', async () => {
    const s = await threeCheckpoints();
    s.mkdir('chk-4');
    await s.writeAtomically('chk-4/op-0.state', new Uint8Array(3));
    const d = await choose(s);
    expect(d.checkpoint?.checkpointId).toBe(3);
    expect(d.rejected).toEqual([
      { checkpointId: 4, reasons: [{ kind: 'incomplete', path: 'chk-4/_metadata', message: expect.any(String) }] },
    ]);
    expect(nextCheckpointId(await scanJobDirectory(s))).toBe(5);
  });

  it('rejects metadata of another job or another checkpoint id', () => {
    const m = { checkpointId: 9, jobId: 'other' } as CheckpointMetadata;
    const listing = diskListing({ 'chk-2/_metadata': 50, 'chk-1/_metadata': 50 });
    const loads = new Map<number, MetadataLoad>([
      [2, { ok: true, metadata: m }],
      [1, { ok: true, metadata: { ...m, checkpointId: 1, operators: [] } }],
    ]);
    const d = chooseRestoreCheckpoint(listing, (id) => loads.get(id), { jobId: 'mine', allowEmpty: true });
    expect(d.checkpoint).toBeUndefined();
    expect(d.rejected.map((r) => r.reasons[0]!.message)).toEqual([
      '_metadata is for checkpoint 9',
      '_metadata is for job "other", not "mine"',
    ]);
  });

  it('throws a clear error when nothing is usable, listing every reason', async () => {
    const s = await threeCheckpoints();
    await s.delete('shared/b1.seg');
    const err = await choose(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoRestorableCheckpointError);
    const e = err as NoRestorableCheckpointError;
    expect(e.rejected.map((r) => r.checkpointId)).toEqual([3, 2, 1]);
    expect(e.message).toContain('no restorable checkpoint among 3');
    expect(e.message).toContain('chk-1: missing-file: shared/b1.seg is missing');
  });

  it('throws on an empty directory unless starting empty is allowed', async () => {
    const s = new MemoryCheckpointStorage();
    await expect(choose(s)).rejects.toThrow(/holds no chk-<n> directories/);
    expect(await choose(s, true)).toEqual({ checkpoint: undefined, rejected: [] });
  });
});

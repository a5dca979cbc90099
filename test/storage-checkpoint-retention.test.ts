import { describe, expect, it } from 'vitest';
import { diskListing } from '../src/storage/checkpoint-layout.js';
import type { CheckpointMetadata } from '../src/storage/checkpoint-metadata.js';
import { chooseRestoreCheckpoint } from '../src/storage/checkpoint-restore.js';
import { filesToDelete } from '../src/storage/checkpoint-retention.js';
import {
  applyDeletionPlan,
  loadAllMetadata,
  MemoryCheckpointStorage,
  scanJobDirectory,
  writeCheckpointMetadata,
} from '../src/storage/checkpoint-store.js';

const SEG = 16;

function meta(id: number, chain: string[]): CheckpointMetadata {
  return {
    checkpointId: id,
    jobId: 'job-ret',
    triggerTimestamp: id,
    completionTimestamp: id,
    settings: { mode: 'exactly-once', intervalMs: 10, retainCount: 2, incremental: true, codec: 'none', codecLevel: 0 },
    operators: [
      {
        uid: 'agg',
        parallelism: 1,
        maxParallelism: 128,
        subtasks: [
          {
            subtaskIndex: 0,
            handles: [
              { kind: 'keyed-incremental', keyGroups: { start: 0, end: 128 }, chain: chain.map((c) => ({ path: `shared/${c}.seg`, size: SEG })) },
              { kind: 'operator', files: [{ path: `chk-${id}/agg-0.op`, size: 4 }] },
            ],
          },
        ],
      },
    ],
  };
}

/** Writes a checkpoint's new segments and exclusive file, then completes it. */
async function complete(s: MemoryCheckpointStorage, m: CheckpointMetadata): Promise<void> {
  for (const st of m.operators[0]!.subtasks) {
    for (const h of st.handles) {
      const files = h.kind === 'keyed-incremental' ? h.chain : h.files;
      for (const f of files) await s.writeAtomically(f.path, new Uint8Array(f.size));
    }
  }
  await writeCheckpointMetadata(s, m);
}

describe('filesToDelete', () => {
  it('keeps a shared segment while any retained checkpoint references it, then deletes it', async () => {
    const s = new MemoryCheckpointStorage();
    const chains: [number, string[]][] = [
      [1, ['b1']],
      [2, ['b1', 'd2']],
      [3, ['b1', 'd2', 'd3']],
      [4, ['b4']], // the chain grew too long: compacted into a new base
      [5, ['b4', 'd5']],
      [6, ['b4', 'd5', 'd6']],
    ];
    const completed: CheckpointMetadata[] = [];
    const shared: string[][] = [];
    const deleted: string[][] = [];
    for (const [id, chain] of chains) {
      const m = meta(id, chain);
      await complete(s, m);
      completed.push(m);
      const plan = filesToDelete({ listing: await scanJobDirectory(s), completed, retainCount: 2, writersActive: true });
      await applyDeletionPlan(s, plan);
      completed.splice(0, completed.length, ...completed.filter((c) => plan.retained.includes(c.checkpointId)));
      deleted.push(plan.deletions.map((d) => `${d.path}:${d.reason}`));
      shared.push((await s.list('shared')).map((e) => e.name));
      // Every retained checkpoint stays restorable after every round.
      const listing = await scanJobDirectory(s);
      const loads = await loadAllMetadata(s, listing);
      for (const r of plan.retained) {
        const only = { ...listing, directories: new Set([`chk-${r}`]) };
        expect(chooseRestoreCheckpoint(only, (i) => loads.get(i)).checkpoint?.checkpointId).toBe(r);
      }
    }
    expect(deleted).toEqual([
      [],
      [],
      ['chk-1:beyond-retention'], // b1 lives on: chk-2 and chk-3 use it
      ['chk-2:beyond-retention'], // b1, d2 live on in chk-3
      ['chk-3:beyond-retention', 'shared/b1.seg:unreferenced-segment', 'shared/d2.seg:unreferenced-segment', 'shared/d3.seg:unreferenced-segment'],
      ['chk-4:beyond-retention'],
    ]);
    expect(shared.at(-1)).toEqual(['b4.seg', 'd5.seg', 'd6.seg']);
    expect((await s.list('')).map((e) => e.name)).toEqual(['chk-5', 'chk-6', 'shared']);
  });

  it('while running, leaves segments no metadata mentions yet (an in-flight checkpoint wrote them)', () => {
    const listing = diskListing({
      'chk-1/_metadata': 90,
      'chk-1/agg-0.op': 4,
      'chk-2/_metadata': 90,
      'chk-2/agg-0.op': 4,
      'shared/b1.seg': SEG,
      'shared/new-3.seg': SEG, // written by in-flight chk-3
      'shared/new-3b.seg.tmp-0123456789ab': 5, // being written by in-flight chk-3
      'chk-3/agg-0.op': 4,
    });
    const plan = filesToDelete({
      listing,
      completed: [meta(1, ['b1']), meta(2, ['b1'])],
      retainCount: 1,
      writersActive: true,
    });
    expect(plan.retained).toEqual([2]);
    expect(plan.deletions.map((d) => d.path)).toEqual(['chk-1']);
  });

  it('never deletes protected paths or retained references', () => {
    const listing = diskListing({ 'chk-1/_metadata': 9, 'chk-2/_metadata': 9, 'shared/old.seg': SEG, 'shared/b.seg': SEG });
    const plan = filesToDelete({
      listing,
      completed: [meta(1, ['old']), meta(2, ['b'])],
      retainCount: 1,
      writersActive: true,
      protectedPaths: ['shared/old.seg'], // an in-flight checkpoint reuses it
    });
    expect(plan.deletions.map((d) => d.path)).toEqual(['chk-1']);
    expect(() => filesToDelete({ listing, completed: [], retainCount: 0, writersActive: false })).toThrow(RangeError);
  });

  it('at recovery, cleans what a crash left: temp files, incomplete older checkpoints, orphan segments', () => {
    const listing = diskListing(
      {
        'chk-3/agg-0.op': 4, // never completed, older than the latest completed: subsumed
        'chk-4/_metadata': 90,
        'chk-4/agg-0.op': 4,
        'chk-4/_metadata.tmp-aaaaaaaaaaaa': 50,
        'chk-5/_metadata': 90,
        'chk-5/agg-0.op': 4,
        'chk-6/agg-0.op': 4, // in flight at the crash; newer than the latest completed: kept
        'shared/b4.seg': SEG,
        'shared/orphan.seg': SEG, // written by chk-6, never referenced
        'shared/x.seg.tmp-bbbbbbbbbbbb': 3,
        'taskowned/sink-0.txn': 7,
        'taskowned/sink-0.txn.tmp-cccccccccccc': 2,
      },
      ['chk-2'], // an empty directory left by a crash right after mkdir
    );
    const plan = filesToDelete({ listing, completed: [meta(4, ['b4']), meta(5, ['b4'])], retainCount: 2, writersActive: false });
    expect(plan.retained).toEqual([5, 4]);
    expect(plan.deletions).toEqual([
      { path: 'chk-2', isDirectory: true, checkpointId: 2, reason: 'incomplete' },
      { path: 'chk-3', isDirectory: true, checkpointId: 3, reason: 'incomplete' },
      { path: 'shared/orphan.seg', isDirectory: false, reason: 'unreferenced-segment' },
      { path: 'chk-4/_metadata.tmp-aaaaaaaaaaaa', isDirectory: false, reason: 'temp-file' },
      { path: 'shared/x.seg.tmp-bbbbbbbbbbbb', isDirectory: false, reason: 'temp-file' },
      { path: 'taskowned/sink-0.txn.tmp-cccccccccccc', isDirectory: false, reason: 'temp-file' },
    ]);
  });

  it('keeps orphan segments while a newer checkpoint with unreadable metadata is on disk', () => {
    const listing = diskListing({
      'chk-1/_metadata': 90,
      'chk-2/_metadata': 13, // corrupt: recovery fell back to chk-1; it may reference any segment
      'shared/a.seg': SEG,
      'shared/b.seg': SEG,
    });
    const plan = filesToDelete({ listing, completed: [meta(1, ['a'])], retainCount: 1, writersActive: false });
    expect(plan.deletions).toEqual([]);
  });
});

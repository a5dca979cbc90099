import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  committedFileName,
  decodePendingTransactions,
  encodePendingTransactions,
  TransactionalFileSink,
} from '../src/connectors/transactional-file-sink.js';

const root = mkdtempSync(join(tmpdir(), 'weir-txn-sink-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(root, `d${n++}`);

/** Committed output: the records of every final file, in (subtask, checkpoint) order of the names. */
function committed(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith('part-'))
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').slice(0, -1));
}
const files = (dir: string, sub: string): string[] => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).sort() : []);

async function sink(dir: string, subtaskIndex = 0): Promise<TransactionalFileSink<string>> {
  const s = new TransactionalFileSink<string>({ dir, subtaskIndex });
  await s.recover([]);
  return s;
}

describe('TransactionalFileSink', () => {
  it('write / preCommit / commit produces exactly the records', async () => {
    const dir = freshDir();
    const s = await sink(dir);
    await s.write(['a', 'b']);
    await s.write(['c']);
    const d1 = await s.preCommit(1);
    expect(committed(dir)).toEqual([]); // nothing visible before the checkpoint completes
    await s.write(['d']); // after the barrier: next transaction
    await s.commit(d1);
    expect(committed(dir)).toEqual(['a', 'b', 'c']);
    expect(readFileSync(join(dir, committedFileName(0, 1)), 'utf8')).toBe('a\nb\nc\n');
    await s.preCommit(2);
    await s.notifyCheckpointComplete(2);
    expect(committed(dir)).toEqual(['a', 'b', 'c', 'd']);
    expect(s.pending()).toEqual([]);
    expect(files(dir, '.pending')).toEqual([]);
    expect(files(dir, '.inprogress')).toEqual([]);
    await s.close();
  });

  it('crash after preCommit, before commit: recover with restored descriptors → records once', async () => {
    const dir = freshDir();
    const s = await sink(dir);
    await s.write(['x', 'y']);
    await s.preCommit(5);
    const state = encodePendingTransactions(s.pending()); // what checkpoint 5 stored
    await s.write(['after-barrier']);
    await s.close(); // crash: notifyCheckpointComplete(5) never arrives

    const restarted = new TransactionalFileSink<string>({ dir, subtaskIndex: 0 });
    await restarted.recover(decodePendingTransactions(state));
    expect(committed(dir)).toEqual(['x', 'y']);
    expect(files(dir, '.inprogress')).toEqual([]); // post-barrier records discarded, to be replayed

    // A second failure during/after recovery: recovering again with the same state changes nothing.
    const again = new TransactionalFileSink<string>({ dir, subtaskIndex: 0 });
    await again.recover(decodePendingTransactions(state));
    expect(committed(dir)).toEqual(['x', 'y']);
  });

  it('crash before preCommit: recover discards those records', async () => {
    const dir = freshDir();
    const s = await sink(dir);
    await s.write(['lost']);
    await s.close();
    expect(files(dir, '.inprogress')).toHaveLength(1);
    await (await sink(dir)).close();
    expect(files(dir, '.inprogress')).toEqual([]);
    expect(committed(dir)).toEqual([]);
  });

  it('pending transactions not in the restored checkpoint are aborted by recover', async () => {
    const dir = freshDir();
    const s = await sink(dir);
    await s.write(['one']);
    const state1 = encodePendingTransactions([await s.preCommit(1)]);
    await s.write(['two']);
    await s.preCommit(2); // checkpoint 2 never completed
    await s.close();
    const r = new TransactionalFileSink<string>({ dir, subtaskIndex: 0 });
    await r.recover(decodePendingTransactions(state1));
    expect(committed(dir)).toEqual(['one']);
    expect(files(dir, '.pending')).toEqual([]);
  });

  it('double commit is a no-op; a lost transaction fails loudly', async () => {
    const dir = freshDir();
    const s = await sink(dir);
    await s.write(['r']);
    const d = await s.preCommit(3);
    await s.commit(d);
    await s.commit(d);
    expect(committed(dir)).toEqual(['r']);
    await expect(s.commit({ subtaskIndex: 0, checkpointId: 99, bytes: 2 })).rejects.toThrow(/cannot commit/);
  });

  it('abort removes the pending transaction', async () => {
    const dir = freshDir();
    const s = await sink(dir);
    await s.write(['gone']);
    const d = await s.preCommit(1);
    expect(files(dir, '.pending')).toEqual(['1-0.part']);
    await s.abort(d);
    await s.abort(d);
    expect(files(dir, '.pending')).toEqual([]);
    expect(s.pending()).toEqual([]);
    expect(committed(dir)).toEqual([]);
  });

  it('empty transactions create no files and commit trivially', async () => {
    const dir = freshDir();
    const s = await sink(dir);
    const d = await s.preCommit(1);
    expect(d.bytes).toBe(0);
    await s.commit(d);
    expect(committed(dir)).toEqual([]);
  });

  it('notifyCheckpointComplete commits every pending transaction up to that checkpoint', async () => {
    const dir = freshDir();
    const s = await sink(dir);
    for (const id of [1, 2, 3]) {
      await s.write([`c${id}`]);
      await s.preCommit(id);
    }
    await s.notifyCheckpointComplete(2);
    expect(committed(dir)).toEqual(['c1', 'c2']);
    expect(s.pending().map((t) => t.checkpointId)).toEqual([3]);
    await s.close();
  });

  it("recover leaves other subtasks' files untouched", async () => {
    const dir = freshDir();
    const s0 = await sink(dir, 0);
    const s1 = await sink(dir, 1);
    const s10 = await sink(dir, 10);
    await s1.write(['p1']);
    await s1.preCommit(1);
    await s1.write(['i1']);
    await s10.write(['p10']);
    await s10.preCommit(1);
    await s0.write(['p0']);
    await s0.preCommit(1);
    await s0.close();
    await (await sink(dir, 0)).close(); // subtask 0 restarts with no restored state
    expect(files(dir, '.pending')).toEqual(['1-1.part', '1-10.part']);
    expect(files(dir, '.inprogress')).toHaveLength(1);
    await s1.close();
    await s10.close();
  });

  it('descriptors roundtrip and malformed state is rejected', () => {
    const txns = [
      { subtaskIndex: 3, checkpointId: 7, bytes: 12, dir: '/data/out' },
      { subtaskIndex: 0, checkpointId: 2 ** 40, bytes: 0 },
    ];
    const bytes = encodePendingTransactions(txns);
    expect(decodePendingTransactions(bytes)).toEqual(txns);
    expect(() => decodePendingTransactions(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    expect(() => decodePendingTransactions(new Uint8Array([3, 0]))).toThrow(/version/);
    // layout 1 (no directory) still reads: the sink's own directory is meant
    const v1 = new Uint8Array([1, 1, 3, ...f64(7), ...f64(12)]);
    expect(decodePendingTransactions(v1)).toEqual([{ subtaskIndex: 3, checkpointId: 7, bytes: 12 }]);
  });
});

function f64(v: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return [...b];
}

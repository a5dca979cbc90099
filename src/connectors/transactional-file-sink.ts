/**
 * The core of a two-phase-commit file sink (DESIGN.md, "What the system must do" 6). Records of
 * one transaction go to an in-progress file; at the barrier of checkpoint n the file is fsynced and
 * moved to `.pending/` (pre-commit) and its descriptor goes into operator state; once checkpoint n
 * is complete the pending file is renamed to its final name (commit). Only final files are output,
 * so a consumer never sees records of a checkpoint that may still be rolled back.
 *
 * Layout under `dir`:
 * ```
 * .inprogress/<subtask>-<12 hex>.part   open transaction (random name: never reused after a restart)
 * .pending/<checkpointId>-<subtask>.part   pre-committed, waiting for checkpoint completion
 * part-<subtask>-<checkpointId>             committed output
 * ```
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ByteFormatError, ByteReader } from '../state/byte-reader.js';
import { ByteWriter } from '../state/byte-writer.js';
import { durableRename, fsyncDirectory } from '../storage/atomic-file.js';

/**
 * What operator state keeps of one pre-committed transaction: enough to commit or abort it after a
 * restart, without the sink's memory. `bytes` = 0 means the transaction was empty and has no file.
 */
export interface PendingTransaction {
  readonly subtaskIndex: number;
  readonly checkpointId: number;
  readonly bytes: number;
  /**
   * The sink directory it was written in (absolute). A job started from a savepoint with another
   * output directory (an A/B test) still commits the savepoint's transactions where they are.
   * Absent in descriptors of layout version 1: the sink's own directory.
   */
  readonly dir?: string;
}

/** Options of {@link TransactionalFileSink}. */
export interface TransactionalFileSinkOptions<T> {
  /** Output directory, shared by all subtasks of the sink. */
  readonly dir: string;
  readonly subtaskIndex: number;
  /**
   * Subtasks of the sink. After a rescale to fewer subtasks, subtask i also cleans up the leftovers
   * of the old subtasks i + parallelism, i + 2·parallelism, … which no longer run. Default: no such cleanup.
   */
  readonly parallelism?: number;
  /** One record → one line (a newline is appended). Default `String(record)`. */
  readonly encode?: (record: T) => string;
}

const INPROGRESS = '.inprogress';
const PENDING = '.pending';
const DESCRIPTOR_VERSION = 2;

/** Final file of a committed transaction; exported so readers and tests agree on the name. */
export function committedFileName(subtaskIndex: number, checkpointId: number): string {
  return `part-${subtaskIndex}-${checkpointId}`;
}

function pendingFileName(t: PendingTransaction): string {
  return `${t.checkpointId}-${t.subtaskIndex}.part`;
}

/**
 * Two-phase-commit sink core for one subtask. The runtime calls `write` per batch, `preCommit` at
 * the barrier (storing {@link pending} in state), `notifyCheckpointComplete` (or `commit`) when the
 * checkpoint completes, and `recover` once at start with the restored descriptors (or `[]`).
 *
 * @example
 * const sink = new TransactionalFileSink<string>({ dir: 'out', subtaskIndex: 0 });
 * await sink.recover([]);
 * await sink.write(['a', 'b']);
 * const d = await sink.preCommit(1); // → state
 * await sink.commit(d);              // on notifyCheckpointComplete(1)
 */
export class TransactionalFileSink<T> {
  private readonly dir: string;
  private readonly subtaskIndex: number;
  private readonly parallelism: number | undefined;
  private readonly encode: (record: T) => string;
  /** The open transaction's file; undefined until its first non-empty write (empty transactions make no file). */
  private current: { path: string; fh: FileHandle; bytes: number } | undefined;
  /** Pre-committed, not yet committed or aborted, in checkpoint order. */
  private readonly pendingTxns: PendingTransaction[] = [];

  constructor(options: TransactionalFileSinkOptions<T>) {
    if (!Number.isInteger(options.subtaskIndex) || options.subtaskIndex < 0) {
      throw new RangeError(`subtaskIndex must be an integer >= 0, got ${options.subtaskIndex}`);
    }
    this.dir = options.dir;
    this.subtaskIndex = options.subtaskIndex;
    this.parallelism = options.parallelism;
    this.encode = options.encode ?? String;
  }

  /** Appends the batch to the open transaction. One write per batch, not per record. */
  async write(batch: readonly T[]): Promise<void> {
    if (batch.length === 0) return;
    let text = '';
    for (const r of batch) text += this.encode(r) + '\n';
    const bytes = Buffer.from(text, 'utf8');
    if (this.current === undefined) {
      await mkdir(join(this.dir, INPROGRESS), { recursive: true });
      const path = join(this.dir, INPROGRESS, `${this.subtaskIndex}-${randomBytes(6).toString('hex')}.part`);
      this.current = { path, fh: await open(path, 'wx'), bytes: 0 };
    }
    await this.current.fh.write(bytes);
    this.current.bytes += bytes.length;
  }

  /**
   * At the barrier of `checkpointId`: makes the open transaction durable and pending, and starts a
   * new one for the records after the barrier. Returns the descriptor for operator state (also kept
   * in {@link pending} until committed or aborted).
   */
  async preCommit(checkpointId: number): Promise<PendingTransaction> {
    if (!Number.isSafeInteger(checkpointId) || checkpointId < 0) {
      throw new RangeError(`checkpointId must be a non-negative integer, got ${checkpointId}`);
    }
    const cur = this.current;
    this.current = undefined;
    const txn: PendingTransaction = { subtaskIndex: this.subtaskIndex, checkpointId, bytes: cur?.bytes ?? 0, dir: resolve(this.dir) };
    if (cur !== undefined) {
      try {
        await cur.fh.sync();
      } finally {
        await cur.fh.close();
      }
      await mkdir(join(this.dir, PENDING), { recursive: true });
      await durableRename(cur.path, join(this.dir, PENDING, pendingFileName(txn)));
    }
    this.pendingTxns.push(txn);
    return txn;
  }

  /** Descriptors pre-committed but not yet committed: what operator state must hold at each checkpoint. */
  pending(): readonly PendingTransaction[] {
    return this.pendingTxns;
  }

  /**
   * Commits every pending transaction up to `checkpointId`: a completed checkpoint implies that the
   * earlier ones' output is also safe, even when their own notification was lost or they were
   * subsumed (Flink's rule).
   */
  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    while (this.pendingTxns.length > 0 && this.pendingTxns[0]!.checkpointId <= checkpointId) {
      await this.commit(this.pendingTxns[0]!);
    }
  }

  /**
   * Publishes a pending transaction under its final name. Idempotent: a descriptor whose final file
   * already exists (committed before a crash) is a no-op, as recovery requires. Throws if neither
   * the pending nor the final file exists: the output was lost, which must not pass silently.
   */
  async commit(txn: PendingTransaction): Promise<void> {
    this.forget(txn);
    if (txn.bytes === 0) return;
    const dir = txn.dir ?? this.dir;
    const pendingPath = join(dir, PENDING, pendingFileName(txn));
    const finalPath = join(dir, committedFileName(txn.subtaskIndex, txn.checkpointId));
    try {
      await durableRename(pendingPath, finalPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const done = await stat(finalPath).catch(() => undefined);
      if (done === undefined) {
        throw new Error(`cannot commit checkpoint ${txn.checkpointId} of subtask ${txn.subtaskIndex}: neither ${pendingPath} nor ${finalPath} exists`);
      }
    }
  }

  /** Discards a pending transaction's output; a file already gone is not an error (abort is idempotent too). */
  async abort(txn: PendingTransaction): Promise<void> {
    this.forget(txn);
    if (txn.bytes === 0) return;
    await unlinkIfExists(join(txn.dir ?? this.dir, PENDING, pendingFileName(txn)));
  }

  /**
   * Call once before the first write, with the pending descriptors of the restored checkpoint (`[]`
   * on a fresh start): commits them (idempotently), then deletes every other in-progress and pending
   * file of this subtask, i.e. output written after the restored checkpoint, which will be replayed.
   * Descriptors of other subtasks (state redistributed after a rescale) are committed too, but only
   * this subtask's leftovers are deleted: other subtasks may be running.
   */
  async recover(restored: readonly PendingTransaction[]): Promise<void> {
    for (const txn of restored) await this.commit(txn);
    const p = this.parallelism;
    const mine = (subtask: number): boolean =>
      subtask === this.subtaskIndex || (p !== undefined && subtask >= p && subtask % p === this.subtaskIndex);
    const own = (name: string, inprogress: boolean): boolean => {
      const m = inprogress ? /^(\d+)-/.exec(name) : /-(\d+)\.part$/.exec(name);
      return m !== null && mine(Number(m[1]));
    };
    const keep = new Set(this.pendingTxns.filter((t) => t.bytes > 0).map(pendingFileName));
    for (const [sub, inprogress] of [[INPROGRESS, true], [PENDING, false]] as const) {
      const d = join(this.dir, sub);
      const names = await readdir(d).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return [] as string[];
        throw e;
      });
      let removed = false;
      for (const name of names) {
        if (!own(name, inprogress) || keep.has(name) || (this.current !== undefined && join(d, name) === this.current.path)) continue;
        await unlinkIfExists(join(d, name));
        removed = true;
      }
      if (removed) await fsyncDirectory(d);
    }
  }

  /**
   * Closes the open transaction's file without committing it: on shutdown or after a failure. Its
   * records stay in `.inprogress/` until the next {@link recover} deletes them.
   */
  async close(): Promise<void> {
    const cur = this.current;
    this.current = undefined;
    if (cur !== undefined) await cur.fh.close();
  }

  private forget(txn: PendingTransaction): void {
    const i = this.pendingTxns.findIndex((t) => t.subtaskIndex === txn.subtaskIndex && t.checkpointId === txn.checkpointId);
    if (i >= 0) this.pendingTxns.splice(i, 1);
  }
}

/** Serializes descriptors for operator state (version, count, then per descriptor subtask, checkpoint, bytes, directory). */
export function encodePendingTransactions(txns: readonly PendingTransaction[]): Uint8Array {
  const w = new ByteWriter(16 + txns.length * 20);
  w.u8(DESCRIPTOR_VERSION);
  w.varint(txns.length);
  for (const t of txns) {
    w.varint(t.subtaskIndex);
    w.f64(t.checkpointId);
    w.f64(t.bytes);
    w.string(t.dir ?? '');
  }
  return w.bytes().slice();
}

/** Inverse of {@link encodePendingTransactions}; a malformed buffer throws a ByteFormatError naming the offset. */
export function decodePendingTransactions(bytes: Uint8Array): PendingTransaction[] {
  const r = new ByteReader(bytes, 0, bytes.length, 'pending transactions');
  const version = r.u8();
  if (version !== 1 && version !== DESCRIPTOR_VERSION) throw new ByteFormatError(`pending transactions: unsupported version ${version}`);
  const n = r.varint();
  const out: PendingTransaction[] = [];
  for (let i = 0; i < n; i++) {
    const subtaskIndex = r.varint();
    const checkpointId = r.f64();
    const txnBytes = r.f64();
    const dir = version === 1 ? '' : r.string();
    if (!Number.isSafeInteger(checkpointId) || checkpointId < 0 || !Number.isSafeInteger(txnBytes) || txnBytes < 0) {
      throw new ByteFormatError(`pending transactions: bad descriptor ${i}`);
    }
    out.push({ subtaskIndex, checkpointId, bytes: txnBytes, ...(dir === '' ? {} : { dir }) });
  }
  if (r.remaining() !== 0) throw new ByteFormatError(`pending transactions: ${r.remaining()} trailing bytes`);
  return out;
}

async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

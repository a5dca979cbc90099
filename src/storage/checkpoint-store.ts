/**
 * The I/O edge of checkpoint storage: a tiny interface over a job directory, a filesystem and an
 * in-memory implementation, and the few async steps (scan, load metadata, write metadata, apply a
 * deletion plan) around the pure decisions in checkpoint-restore.ts and checkpoint-retention.ts.
 */
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomically } from './atomic-file.js';
import { defaultCodecs, type Codec, type CodecRegistry } from './codec.js';
import {
  assertRelativePath,
  checkpointIdsOnDisk,
  METADATA_FILE,
  metadataPath,
  resolveInJobDirectory,
  type DiskListing,
} from './checkpoint-layout.js';
import { decodeCheckpointMetadata, encodeCheckpointMetadata, type CheckpointMetadata } from './checkpoint-metadata.js';
import type { MetadataLoad } from './checkpoint-restore.js';
import type { DeletionPlan } from './checkpoint-retention.js';

/** One directory entry. */
export interface StorageEntry {
  readonly name: string;
  readonly isDirectory: boolean;
  /** Bytes for a file, 0 for a directory. */
  readonly size: number;
}

/**
 * A job directory. Paths are job-relative and '/'-separated ('' is the root for {@link list}), so
 * the same code runs over a disk, memory, or later an object store.
 */
export interface CheckpointStorage {
  /** Entries of a directory, sorted by name; a missing directory lists as empty. */
  list(dir: string): Promise<StorageEntry[]>;
  /** Whole file; rejects (ENOENT-style) when it does not exist. */
  read(path: string): Promise<Uint8Array>;
  /** All-or-nothing write (temp + fsync + rename on disk), creating parent directories. */
  writeAtomically(path: string, bytes: Uint8Array): Promise<void>;
  /** Removes a file or a whole directory; already gone is not an error (cleaners may race). */
  delete(path: string): Promise<void>;
}

/** A job directory on the local filesystem. */
export class FsCheckpointStorage implements CheckpointStorage {
  constructor(readonly jobDir: string) {}

  async list(dir: string): Promise<StorageEntry[]> {
    const abs = dir === '' ? this.jobDir : resolveInJobDirectory(this.jobDir, dir);
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: StorageEntry[] = [];
    for (const e of entries) {
      if (e.isDirectory()) {
        out.push({ name: e.name, isDirectory: true, size: 0 });
      } else if (e.isFile()) {
        const st = await stat(`${abs}/${e.name}`).catch(() => undefined);
        if (st) out.push({ name: e.name, isDirectory: false, size: st.size });
      }
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async read(path: string): Promise<Uint8Array> {
    return readFile(resolveInJobDirectory(this.jobDir, path));
  }

  async writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
    const abs = resolveInJobDirectory(this.jobDir, path);
    await mkdir(dirname(abs), { recursive: true });
    await writeFileAtomically(abs, bytes);
  }

  async delete(path: string): Promise<void> {
    await rm(resolveInJobDirectory(this.jobDir, path), { recursive: true, force: true });
  }
}

/** A job directory in memory, for tests; `mkdir` and `corrupt` let a test stage what a crash leaves. */
export class MemoryCheckpointStorage implements CheckpointStorage {
  /** Invariant: every parent directory of a file key is in `dirs`. */
  private readonly files = new Map<string, Uint8Array>();
  private readonly dirs = new Set<string>();

  async list(dir: string): Promise<StorageEntry[]> {
    if (dir !== '') assertRelativePath(dir);
    const prefix = dir === '' ? '' : `${dir}/`;
    const out = new Map<string, StorageEntry>();
    for (const [p, bytes] of this.files) {
      if (!p.startsWith(prefix) || p.slice(prefix.length).includes('/')) continue;
      const name = p.slice(prefix.length);
      out.set(name, { name, isDirectory: false, size: bytes.length });
    }
    for (const d of this.dirs) {
      if (!d.startsWith(prefix) || d.slice(prefix.length).includes('/')) continue;
      const name = d.slice(prefix.length);
      out.set(name, { name, isDirectory: true, size: 0 });
    }
    return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async read(path: string): Promise<Uint8Array> {
    assertRelativePath(path);
    const bytes = this.files.get(path);
    if (!bytes) throw Object.assign(new Error(`ENOENT: no such file "${path}"`), { code: 'ENOENT' });
    return bytes.slice();
  }

  async writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
    assertRelativePath(path);
    this.mkdir(path.slice(0, Math.max(0, path.lastIndexOf('/'))));
    this.files.set(path, bytes.slice());
  }

  async delete(path: string): Promise<void> {
    assertRelativePath(path);
    this.files.delete(path);
    this.dirs.delete(path);
    const prefix = `${path}/`;
    for (const p of [...this.files.keys()]) if (p.startsWith(prefix)) this.files.delete(p);
    for (const d of [...this.dirs]) if (d.startsWith(prefix)) this.dirs.delete(d);
  }

  /** Creates a directory and its parents ('' is a no-op), as a crashed writer can leave them empty. */
  mkdir(dir: string): void {
    if (dir === '') return;
    assertRelativePath(dir);
    const parts = dir.split('/');
    for (let i = 1; i <= parts.length; i++) this.dirs.add(parts.slice(0, i).join('/'));
  }

  /** Replaces a file's bytes in place (no atomicity): how tests model bit rot and torn writes. */
  corrupt(path: string, edit: (bytes: Uint8Array) => Uint8Array): void {
    const bytes = this.files.get(path);
    if (!bytes) throw new Error(`corrupt: no file "${path}"`);
    this.files.set(path, edit(bytes.slice()));
  }
}

/** Recursively lists a job directory into the plain data the pure decisions take. */
export async function scanJobDirectory(storage: CheckpointStorage): Promise<DiskListing> {
  const files = new Map<string, number>();
  const directories = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await storage.list(dir)) {
      const p = dir === '' ? e.name : `${dir}/${e.name}`;
      if (e.isDirectory) {
        directories.add(p);
        await walk(p);
      } else {
        files.set(p, e.size);
      }
    }
  };
  await walk('');
  return { files, directories };
}

/**
 * Reads and decodes `_metadata` of every checkpoint directory that has one. Never throws for a bad
 * file: a failure becomes a `MetadataLoad` the restore decision reports.
 */
export async function loadAllMetadata(
  storage: CheckpointStorage,
  listing: DiskListing,
  codecs: CodecRegistry = defaultCodecs,
): Promise<Map<number, MetadataLoad>> {
  const out = new Map<number, MetadataLoad>();
  for (const id of checkpointIdsOnDisk(listing)) {
    const path = metadataPath(id);
    if (!listing.files.has(path)) continue;
    try {
      out.set(id, { ok: true, metadata: await decodeCheckpointMetadata(await storage.read(path), path, codecs) });
    } catch (e) {
      out.set(id, { ok: false, error: (e as Error).message });
    }
  }
  return out;
}

/**
 * Completes a checkpoint: writes its `_metadata` atomically. Call only after every file it references
 * is durably written, since the rename is the commit point.
 */
export async function writeCheckpointMetadata(
  storage: CheckpointStorage,
  metadata: CheckpointMetadata,
  codec?: Codec,
): Promise<string> {
  const path = metadataPath(metadata.checkpointId);
  await storage.writeAtomically(path, await encodeCheckpointMetadata(metadata, codec));
  return path;
}

/**
 * Carries out a {@link DeletionPlan}. Checkpoint directories go `_metadata` first, so a crash half
 * way leaves a directory recovery sees as incomplete, never a "completed" one with files missing.
 */
export async function applyDeletionPlan(storage: CheckpointStorage, plan: DeletionPlan): Promise<void> {
  for (const d of plan.deletions) {
    if (d.isDirectory && d.checkpointId !== undefined) await storage.delete(`${d.path}/${METADATA_FILE}`);
    await storage.delete(d.path);
  }
}

/**
 * Durable, all-or-nothing file writes and container reads. A checkpoint is completed by its
 * `_metadata` appearing (DESIGN.md, "What the system must do" 1), so a crash must leave either the
 * old file or the whole new one at the final path, never a prefix.
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { defaultCodecs, type CodecRegistry } from './codec.js';
import { decodeFile, type FileKind } from './file-container.js';
import { StorageFormatError } from './storage-error.js';

/** `<name>.tmp-<12 hex>`: what {@link writeFileAtomically} writes before the rename. */
const TEMP_NAME = /\.tmp-[0-9a-f]{12}$/;

/** Whether a directory entry is a temp file of {@link writeFileAtomically}; pure, for cleanup decisions. */
export function isTempFileName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/**
 * Writes `bytes` to `path` so that a crash leaves either the previous content or all of `bytes`:
 * write a uniquely named sibling temp file, fsync it, rename it over `path`, fsync the directory
 * (so the rename itself survives power loss). On failure the temp file is removed and the error
 * rethrown; `path` is untouched.
 */
export async function writeFileAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDirectory(dirname(path));
}

/** Renames `from` to `to` durably: fsyncs the target directory (and the source's, when it differs). */
export async function durableRename(from: string, to: string): Promise<void> {
  await rename(from, to);
  await fsyncDirectory(dirname(to));
  if (dirname(from) !== dirname(to)) await fsyncDirectory(dirname(from));
}

/** Makes a rename durable. Some platforms (Windows) cannot open a directory for fsync; that is not an error there. */
export async function fsyncDirectory(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
  } catch (e) {
    if (process.platform === 'win32') return;
    throw e;
  }
  try {
    await fh.sync();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw e;
  } finally {
    await fh.close();
  }
}

/**
 * Reads and validates a container file, returning its raw payload. Format errors carry `path`; I/O
 * errors (e.g. ENOENT) are Node's own, which already name the path and keep their `code`.
 */
export async function readContainerFile(
  path: string,
  kind: FileKind,
  codecs: CodecRegistry = defaultCodecs,
): Promise<Uint8Array> {
  const bytes = await readFile(path);
  try {
    return await decodeFile(bytes, kind, codecs);
  } catch (e) {
    if (e instanceof StorageFormatError) throw e.withPath(path);
    throw e;
  }
}

/**
 * Temp files in `dir` that a crashed {@link writeFileAtomically} left behind (full paths, sorted).
 * Only meaningful when no writer is active in `dir`: an in-flight write's temp file looks the same.
 */
export async function listLeftoverTempFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter(isTempFileName).sort().map((n) => join(dir, n));
}

/**
 * Deletes the leftovers {@link listLeftoverTempFiles} finds and returns their paths. Call at start-up
 * or recovery, before any writer runs in `dir`. A file already gone (another cleaner) is not an error.
 */
export async function removeLeftoverTempFiles(dir: string): Promise<string[]> {
  const leftovers = await listLeftoverTempFiles(dir);
  const removed: string[] = [];
  for (const p of leftovers) {
    try {
      await unlink(p);
      removed.push(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return removed;
}

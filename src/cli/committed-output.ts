/**
 * Reads what a transactional file sink has committed: the final `part-<subtask>-<checkpoint>` files
 * of its directory (see {@link committedFileName}), never `.inprogress/` or `.pending/`, which may
 * still be rolled back.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { committedFileName } from '../connectors/transactional-file-sink.js';

/** A committed file's name split into its parts. */
export interface CommittedFile {
  readonly name: string;
  readonly subtaskIndex: number;
  readonly checkpointId: number;
}

/** Parses a committed file's name; undefined for anything else. */
export function parseCommittedFileName(name: string): CommittedFile | undefined {
  const m = /^part-(\d+)-(\d+)$/.exec(name);
  if (m === null) return undefined;
  const subtaskIndex = Number(m[1]);
  const checkpointId = Number(m[2]);
  // The sink owns the format: accept only names it would produce.
  if (committedFileName(subtaskIndex, checkpointId) !== name) return undefined;
  return { name, subtaskIndex, checkpointId };
}

/** The committed files of `dir`, by subtask then checkpoint; `[]` when `dir` does not exist. */
export async function listCommittedFiles(dir: string): Promise<CommittedFile[]> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  return names
    .flatMap((n) => parseCommittedFileName(n) ?? [])
    .sort((a, b) => a.subtaskIndex - b.subtaskIndex || a.checkpointId - b.checkpointId);
}

/** Every line of every committed file of `dir` (one record per line, as the sink writes them). */
export async function readCommittedLines(dir: string): Promise<{ files: number; lines: string[] }> {
  const files = await listCommittedFiles(dir);
  const lines: string[] = [];
  for (const f of files) {
    const text = await readFile(join(dir, f.name), 'utf8');
    const parts = text.split('\n');
    if (parts[parts.length - 1] === '') parts.pop();
    for (const line of parts) lines.push(line);
  }
  return { files: files.length, lines };
}

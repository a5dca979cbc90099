/** Finding the checkpoints a finished test job left on disk, to inspect or damage them. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseCheckpointDirName } from '../../src/storage/checkpoint-layout.js';

/** The newest `chk-<n>` directory of a job directory (a finished bounded job's final checkpoint). */
export function latestCheckpointDir(jobDir: string): string {
  const ids = readdirSync(jobDir)
    .map((name) => parseCheckpointDirName(name))
    .filter((id): id is number => id !== undefined)
    .sort((a, b) => a - b);
  if (ids.length === 0) throw new Error(`no chk-<n> directory in ${jobDir}`);
  return join(jobDir, `chk-${ids[ids.length - 1]}`);
}

/** Flips every bit of the byte at `offset` (negative: from the end) of a file, keeping its size. */
export function flipByte(bytes: Uint8Array, offset: number): Uint8Array {
  const out = bytes.slice();
  const at = offset < 0 ? out.length + offset : offset;
  out[at] = out[at]! ^ 0xff;
  return out;
}

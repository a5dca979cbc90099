/** Error codes of assembly/restore.ts, as sentences. */
import { SnapshotFormatError } from '../snapshot-format.js';

const MESSAGES: Readonly<Record<number, string>> = {
  1: 'truncated: an entry runs past the end of its key-group section',
  2: 'key-group index offsets out of order or out of bounds',
  3: 'an entry belongs to a different key group than its section',
  4: 'malformed composite key (shorter than its header, or key length beyond it)',
  5: 'stray bytes after the last entry of a key-group section',
  6: 'entries out of canonical order in a full snapshot',
  7: 'malformed varint',
};

export function restoreError(code: number, at: number, which: number): SnapshotFormatError {
  const what = MESSAGES[code] ?? `error code ${code}`;
  return new SnapshotFormatError(`snapshot ${which} of the restore chain is corrupt: ${what} (at byte ${at})`);
}

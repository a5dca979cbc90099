/**
 * `weir verify <savepoint-or-checkpoint>`: checks every file (`_metadata`, then each file it
 * references: presence, size, container checksums, and the keyed snapshots inside) and prints one
 * line per file. Exit 0 when every file is good, 1 otherwise or when the path is not a savepoint or
 * checkpoint.
 */
import { RestorePointError } from '../storage/restore-point.js';
import { verifyRestorePoint } from '../storage/restore-point-verify.js';
import { formatCommandHelp, parseCommandArgs, type CommandSpec } from './args.js';
import type { CliOutput } from './output.js';

export const VERIFY_COMMAND: CommandSpec = {
  name: 'verify',
  summary: 'check every file of a savepoint or checkpoint (sizes, checksums, snapshot structure)',
  description: [
    'Checks _metadata and every file it references: present with the recorded size, the container\'s',
    'magic, kind, version and CRC32s, and for keyed state the snapshot inside (its CRC, index and every',
    'entry, and that its key groups match the metadata). Prints OK or the problem for each file, never',
    'stopping at the first bad one. Exit status 0 when all files are good, 1 otherwise.',
  ].join('\n'),
  positionals: [{ name: 'path', description: 'a savepoint directory, a chk-<n> directory, or its _metadata file' }],
  options: [],
};

/** Runs `weir verify` with the words after `verify`; resolves with the exit status. */
export async function verifyCommand(argv: readonly string[], io: CliOutput): Promise<number> {
  const parsed = parseCommandArgs(VERIFY_COMMAND, argv);
  if (parsed.help) {
    io.out(formatCommandHelp(VERIFY_COMMAND));
    return 0;
  }
  let report;
  try {
    report = await verifyRestorePoint(parsed.positionals[0]!);
  } catch (e) {
    if (e instanceof RestorePointError) {
      io.err(`weir verify: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const m = report.metadata;
  io.out(m === undefined ? `verifying ${report.path}` : `verifying ${m.type ?? 'checkpoint'} ${m.checkpointId} of job "${m.jobId}": ${report.path}`);
  for (const f of report.files) {
    if (f.error === undefined) io.out(`OK   ${f.path}`);
    else io.out(`BAD  ${f.path}: ${f.error}`);
  }
  const bad = report.files.filter((f) => f.error !== undefined).length;
  const total = report.files.length;
  if (m === undefined) {
    io.err(`weir verify: _metadata is unreadable, so the files it references could not be checked`);
    return 1;
  }
  if (bad === 0) {
    io.out(`all ${total} files OK`);
    return 0;
  }
  io.err(`weir verify: ${bad} of ${total} files bad`);
  return 1;
}

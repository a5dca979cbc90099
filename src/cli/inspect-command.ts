/**
 * `weir inspect <savepoint-or-checkpoint>`: what a savepoint or retained checkpoint holds, per
 * operator uid and subtask (key groups, files, sizes, entries per state), as a table or `--json`;
 * `--dump <uid>` writes that operator's keyed state as JSON lines, one entry per line, for debugging
 * and migrating state. Exit 1 when the path is not a readable savepoint or checkpoint or the uid (or
 * state) is not in it.
 */
import { InspectionError, dumpKeyedState, summarizeRestorePoint } from '../storage/snapshot-inspection.js';
import { openRestorePoint, RestorePointError } from '../storage/restore-point.js';
import { RestorePointReadError } from '../storage/restore-point-state.js';
import { formatCommandHelp, optionValues, parseCommandArgs, UsageError, type CommandSpec } from './args.js';
import { formatInspection } from './inspect-report.js';
import type { CliOutput } from './output.js';

export const INSPECT_COMMAND: CommandSpec = {
  name: 'inspect',
  summary: 'show what a savepoint or checkpoint holds; dump an operator\'s keyed state as JSON lines',
  description: [
    'Reads a savepoint directory or a retained checkpoint (<checkpoint-dir>/<job-id>/chk-<n>) and prints',
    'its operators by uid: parallelism, key groups per subtask, entries per keyed state (incremental',
    'chains applied), operator-state entries, files and sizes on disk and uncompressed. --dump <uid>',
    'writes that operator\'s keyed state instead, one JSON object per line: subtask, keyGroup, state,',
    'kind, key, userKey (map state), value, ttlTimestamp (TTL state). Values of serializers weir does',
    'not know come out as {"base64": …}; bigints as strings.',
  ].join('\n'),
  positionals: [{ name: 'path', description: 'a savepoint directory, a chk-<n> directory, or its _metadata file' }],
  options: [
    { name: 'json', kind: 'flag', description: 'print the summary as JSON' },
    { name: 'dump', kind: 'string', valueName: '<uid>', description: 'write the keyed state of this operator as JSON lines' },
    { name: 'state', kind: 'string', valueName: '<name>', description: 'with --dump: only this state' },
  ],
};

/** Runs `weir inspect` with the words after `inspect`; resolves with the exit status. */
export async function inspectCommand(argv: readonly string[], io: CliOutput): Promise<number> {
  const parsed = parseCommandArgs(INSPECT_COMMAND, argv);
  if (parsed.help) {
    io.out(formatCommandHelp(INSPECT_COMMAND));
    return 0;
  }
  const dump = optionValues.string(parsed, 'dump');
  const state = optionValues.string(parsed, 'state');
  const json = optionValues.flag(parsed, 'json');
  if (state !== undefined && dump === undefined) throw new UsageError('weir inspect: --state needs --dump <uid>', 'inspect');
  if (json && dump !== undefined) throw new UsageError('weir inspect: --dump already writes JSON lines; leave out --json', 'inspect');
  try {
    const rp = await openRestorePoint(parsed.positionals[0]!);
    if (dump !== undefined) {
      for await (const entry of dumpKeyedState(rp, dump, state === undefined ? {} : { state })) io.out(JSON.stringify(entry));
      return 0;
    }
    const summary = await summarizeRestorePoint(rp);
    if (json) io.out(JSON.stringify(summary, null, 2));
    else for (const line of formatInspection(summary)) io.out(line);
    return 0;
  } catch (e) {
    // Expected outcomes of pointing at the wrong thing: the message says it all, no stack.
    if (e instanceof RestorePointError || e instanceof RestorePointReadError || e instanceof InspectionError) {
      io.err(`weir inspect: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

/**
 * `weir savepoint <job-id>`: takes a savepoint of a job that `weir run` runs on this machine, through
 * its control channel (src/ops/control-server.ts), waits for it and prints its path. The job keeps
 * running. Exit 0 with the path, 1 when the job is not running or the savepoint failed. The shared
 * part of `weir savepoint` and `weir stop` lives here too.
 */
import { resolve } from 'node:path';
import { ControlClient, ControlRequestError, JobNotRunningError, SavepointFailedError } from '../ops/control-client.js';
import type { SavepointLocation, SavepointRequest } from '../ops/control-protocol.js';
import { runtimeDirectory } from '../ops/runtime-dir.js';
import { formatCommandHelp, optionValues, parseCommandArgs, type CommandSpec, type OptionSpec } from './args.js';
import type { CliOutput } from './output.js';
import { formatBytes, formatDuration } from './units.js';

/** The positional both commands take. */
export const JOB_ID_POSITIONAL = { name: 'job-id', description: 'the job id of a running weir run (weir list shows them)' };

export const SAVEPOINT_DIR_OPTION: OptionSpec = {
  name: 'savepoint-dir',
  kind: 'string',
  valueName: '<dir>',
  description: 'create the savepoint in this directory',
  defaultText: "the run's --savepoint-dir",
};

export const SAVEPOINT_COMMAND: CommandSpec = {
  name: 'savepoint',
  summary: 'take a savepoint of a running job; it keeps running',
  description: [
    'Asks the running job <job-id> (a weir run of this user on this machine) for a savepoint, waits until',
    'it is complete and prints its directory: self-contained, never deleted by weir, and a starting point',
    'for weir run --from-savepoint <path> (also with another parallelism or backend). The job keeps',
    'running. Exit status 0 when the savepoint is complete, 1 when the job is not running or the',
    'savepoint failed, 2 for a bad command line.',
  ].join('\n'),
  positionals: [JOB_ID_POSITIONAL],
  options: [SAVEPOINT_DIR_OPTION],
};

/** What `weir savepoint` and `weir stop` ask the job for. */
export interface SavepointCommandKind {
  readonly spec: CommandSpec;
  /** Starts the operation; resolves with its request id. */
  trigger(client: ControlClient, request: SavepointRequest): Promise<string>;
  /** Prints the outcome. */
  report(io: CliOutput, client: ControlClient, savepoint: SavepointLocation): void;
}

/** Runs `weir savepoint` with the words after `savepoint`; resolves with the exit status. */
export function savepointCommand(argv: readonly string[], io: CliOutput): Promise<number> {
  return runSavepointCommand(
    {
      spec: SAVEPOINT_COMMAND,
      trigger: (client, request) => client.triggerSavepoint(request),
      report(io, client, savepoint) {
        io.out(`savepoint of job '${client.registration.jobId}' completed (${describeSavepoint(savepoint)}):`);
        io.out(savepoint.location);
      },
    },
    argv,
    io,
  );
}

/**
 * The common run of `weir savepoint` and `weir stop`: find the job, trigger, poll to the end, report.
 * The errors a user can cause or fix (job not running, savepoint failed) are one line, exit 1.
 */
export async function runSavepointCommand(kind: SavepointCommandKind, argv: readonly string[], io: CliOutput): Promise<number> {
  const parsed = parseCommandArgs(kind.spec, argv);
  if (parsed.help) {
    io.out(formatCommandHelp(kind.spec));
    return 0;
  }
  const jobId = parsed.positionals[0]!;
  const dir = optionValues.string(parsed, 'savepoint-dir');
  try {
    const client = await ControlClient.forJob(jobId, runtimeDirectory());
    // The job runs in another working directory: send it an absolute path.
    const requestId = await kind.trigger(client, dir === undefined ? {} : { targetDirectory: resolve(dir) });
    kind.report(io, client, await client.awaitSavepoint(requestId));
    return 0;
  } catch (e) {
    if (e instanceof JobNotRunningError || e instanceof ControlRequestError || e instanceof SavepointFailedError) {
      io.err(`weir ${kind.spec.name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

/** `checkpoint 7, 1.2 MB in 35 ms`. */
export function describeSavepoint(savepoint: SavepointLocation): string {
  return `checkpoint ${savepoint.checkpointId}, ${formatBytes(savepoint.sizeBytes)} in ${formatDuration(savepoint.durationMs)}`;
}

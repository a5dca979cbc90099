/**
 * `weir stop <job-id>`: stop-with-savepoint of a job that `weir run` runs on this machine (Flink's
 * `flink stop`): the sources stop, a final savepoint is taken, the sinks commit, and the job ends;
 * prints the savepoint's path and the `weir run … --from-savepoint` line that resumes the job.
 */
import { resumeCommandLine } from '../ops/resume-command.js';
import type { CommandSpec } from './args.js';
import type { CliOutput } from './output.js';
import { describeSavepoint, JOB_ID_POSITIONAL, runSavepointCommand, SAVEPOINT_DIR_OPTION } from './savepoint-command.js';

export const STOP_COMMAND: CommandSpec = {
  name: 'stop',
  summary: 'stop a running job with a savepoint, and print how to resume it',
  description: [
    'Stops the running job <job-id> (a weir run of this user on this machine) with a savepoint: its',
    'sources stop, a final savepoint is taken and the sinks commit their output, then the job ends',
    '(its weir run exits with status 0). Prints the savepoint\'s directory and the weir run command that',
    'resumes the job from it. Exit status 0 when the job stopped, 1 when it is not running or the',
    'savepoint failed (the job then keeps running), 2 for a bad command line.',
  ].join('\n'),
  positionals: [JOB_ID_POSITIONAL],
  options: [SAVEPOINT_DIR_OPTION],
};

/** Runs `weir stop` with the words after `stop`; resolves with the exit status. */
export function stopCommand(argv: readonly string[], io: CliOutput): Promise<number> {
  return runSavepointCommand(
    {
      spec: STOP_COMMAND,
      trigger: (client, request) => client.stopWithSavepoint(request),
      report(io, client, savepoint) {
        io.out(`job '${client.registration.jobId}' stopped with a savepoint (${describeSavepoint(savepoint)}):`);
        io.out(savepoint.location);
        io.out(`resume with: ${resumeCommandLine(client.registration, savepoint.location, process.cwd())}`);
      },
    },
    argv,
    io,
  );
}

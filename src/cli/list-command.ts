/**
 * `weir list`: the jobs `weir run` runs for this user on this machine, from the runtime directory
 * (src/ops/job-registration.ts), each asked for its status through its control channel.
 */
import { ControlClient } from '../ops/control-client.js';
import { listRunningJobs, type JobRegistration } from '../ops/job-registration.js';
import { runtimeDirectory } from '../ops/runtime-dir.js';
import { formatCommandHelp, parseCommandArgs, type CommandSpec } from './args.js';
import type { CliOutput } from './output.js';
import { formatDuration } from './units.js';

export const LIST_COMMAND: CommandSpec = {
  name: 'list',
  summary: 'list the running jobs (of weir run, this user, this machine)',
  description: [
    'Lists the jobs that weir run is running for you on this machine, as registered in the runtime',
    'directory ($WEIR_RUNTIME_DIR, else $XDG_RUNTIME_DIR/weir, else <tmpdir>/weir-<uid>): job id, process',
    'id, status, uptime and control address. These are the ids weir savepoint and weir stop take.',
  ].join('\n'),
  positionals: [],
  options: [],
};

/** Runs `weir list`; resolves with the exit status (0, also when no job runs). */
export async function listCommand(argv: readonly string[], io: CliOutput): Promise<number> {
  const parsed = parseCommandArgs(LIST_COMMAND, argv);
  if (parsed.help) {
    io.out(formatCommandHelp(LIST_COMMAND));
    return 0;
  }
  const dir = runtimeDirectory();
  const jobs = await listRunningJobs(dir);
  if (jobs.length === 0) {
    io.out(`no running jobs (runtime directory ${dir})`);
    return 0;
  }
  const rows = await Promise.all(jobs.map(describeJob));
  const header = ['JOB', 'PID', 'STATUS', 'UPTIME', 'CONTROL'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) io.out(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  return 0;
}

/** One table row; a job that does not answer is listed as such rather than failing the list. */
async function describeJob(registration: JobRegistration): Promise<string[]> {
  const client = new ControlClient(registration);
  const answer = await client.job().catch(() => undefined);
  const uptime = answer?.uptimeMs ?? Date.now() - Date.parse(registration.startedAt);
  return [registration.jobId, String(registration.pid), answer?.status ?? 'NOT ANSWERING', formatDuration(uptime), client.url];
}

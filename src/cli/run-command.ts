/**
 * `weir run <job-file>`: builds the job from the file, runs it with checkpoints in
 * `<checkpoint-dir>/<job-id>/` (resuming from the latest completed one found there, or from
 * `--from-savepoint`), prints progress once a second, and stops cleanly on SIGINT/SIGTERM (exit 0:
 * the last completed checkpoint is where the next run resumes). While it runs, `weir savepoint` and
 * `weir stop` control it through its control channel (src/ops/). Exit 1 when the job fails, 2 on a
 * bad command line.
 */
import { rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { inspect } from 'node:util';
import { JobBuildError } from '../api/job-build-error.js';
import type { LogicalGraph } from '../api/logical-graph.js';
import { openControlSession, type ControlSession } from '../ops/job-control-session.js';
import { JobAlreadyRunningError } from '../ops/job-registration.js';
import { resumeCommandLine, runArgsForResume, shellQuote } from '../ops/resume-command.js';
import { runtimeDirectory } from '../ops/runtime-dir.js';
import type { JobClient, SavepointInfo } from '../runtime/job-client.js';
import type { RestoreSummary } from '../runtime/job-listener.js';
import { LocalExecutor, type RunStats } from '../runtime/local-executor.js';
import { NoRestorableCheckpointError } from '../storage/checkpoint-restore.js';
import { formatCommandHelp, optionValues, parseCommandArgs, UsageError, type CommandSpec, type ParsedArgs } from './args.js';
import { listCommittedFiles } from './committed-output.js';
import { createJobContext } from './job-context.js';
import { JobFileError, loadJob } from './job-file.js';
import { JOB_OPTIONS, jobContextOptions } from './job-options.js';
import type { CliOutput } from './output.js';
import { createProgressPrinter, describeCheckpoint } from './progress-printer.js';
import { formatBytes, formatCount, formatDuration } from './units.js';

export const DEFAULT_CHECKPOINT_DIR = './checkpoints';
export const DEFAULT_OUTPUT_DIR = './output';
export const DEFAULT_SAVEPOINT_DIR = './savepoints';

export const RUN_COMMAND: CommandSpec = {
  name: 'run',
  summary: 'run a job file; checkpoints periodically and resumes from the latest checkpoint',
  description: [
    'Builds the job with the job file\'s default export, build(ctx: JobContext), and runs it. Checkpoints',
    'go to <checkpoint-dir>/<job-id>/; when one is there already, the job resumes from the latest',
    'completed checkpoint, or from --from-savepoint. Ctrl-C (SIGINT) or SIGTERM stops the job (exit',
    'status 0); run the same command again to resume. While it runs, weir savepoint <job-id> takes a',
    'savepoint and weir stop <job-id> stops it with one (exit status 0, printing how to resume). Exit',
    'status 1 when the job fails or runs already, 2 for a bad command line.',
  ].join('\n'),
  positionals: [{ name: 'job-file', description: 'a .ts or .js file: export default function build(ctx: JobContext)' }],
  options: [
    { name: 'checkpoint-dir', kind: 'string', valueName: '<dir>', description: 'where checkpoints go', defaultText: DEFAULT_CHECKPOINT_DIR },
    { name: 'job-id', kind: 'string', valueName: '<id>', description: 'names the job\'s checkpoint directory', defaultText: 'the job name' },
    { name: 'output-dir', kind: 'string', valueName: '<dir>', description: 'ctx.outputDir, where the job writes', defaultText: DEFAULT_OUTPUT_DIR },
    ...JOB_OPTIONS,
    {
      name: 'fresh',
      kind: 'flag',
      description: 'delete <checkpoint-dir>/<job-id> and <output-dir> first (no confirmation), so the job starts over',
    },
    {
      name: 'allow-empty-restore',
      kind: 'flag',
      description: 'when checkpoints exist but none can be restored, start with empty state instead of failing',
    },
    {
      name: 'from-savepoint',
      kind: 'string',
      valueName: '<path>',
      description: 'start from this savepoint (or retained chk-<n> checkpoint directory) instead of the latest checkpoint',
    },
    {
      name: 'allow-non-restored-state',
      kind: 'flag',
      description: 'drop restored state of operators (uids) the job no longer has, instead of failing',
    },
    {
      name: 'savepoint-dir',
      kind: 'string',
      valueName: '<dir>',
      description: 'where weir savepoint / weir stop put savepoints unless they name another directory',
      defaultText: DEFAULT_SAVEPOINT_DIR,
    },
  ],
};

/** Exit status of a job stopped by SIGINT/SIGTERM: a deliberate stop, not a failure. */
const STOPPED_EXIT_STATUS = 0;

/** Runs `weir run` with the words after `run`; resolves with the exit status. */
export async function runCommand(argv: readonly string[], io: CliOutput): Promise<number> {
  const parsed = parseCommandArgs(RUN_COMMAND, argv);
  if (parsed.help) {
    io.out(formatCommandHelp(RUN_COMMAND));
    return 0;
  }
  const jobFile = parsed.positionals[0]!;
  const checkpointDir = optionValues.string(parsed, 'checkpoint-dir') ?? DEFAULT_CHECKPOINT_DIR;
  const outputDir = optionValues.string(parsed, 'output-dir') ?? DEFAULT_OUTPUT_DIR;

  const ctx = createJobContext(jobContextOptions(parsed, outputDir));
  let graph: LogicalGraph;
  try {
    graph = (await loadJob(jobFile, ctx)).build();
  } catch (e) {
    reportFailure(io, e instanceof JobBuildError ? `job file ${jobFile} builds an invalid job` : 'cannot start the job', e);
    return 1;
  }
  const unused = ctx.unusedArgs();
  if (unused.length > 0) io.err(`warning: the job did not read --arg ${unused.join(', ')} (a typo?)`);

  const { settings } = graph;
  const jobId = optionValues.string(parsed, 'job-id') ?? settings.jobName;
  const jobDir = join(checkpointDir, jobId);
  // Before --fresh: a run of this job that is going on must not lose its directories under it.
  const runArgs = runArgsForResume(argv);
  let control: ControlSession;
  try {
    control = await openControlSession({ jobId, runtimeDir: runtimeDirectory(), cwd: process.cwd(), runArgs });
  } catch (e) {
    const message = (e as Error).message;
    io.err(`weir run: ${e instanceof JobAlreadyRunningError ? message : `cannot open the control channel: ${message}`}`);
    return 1;
  }
  try {
    return await runUnderControl(io, { parsed, graph, runArgs, jobId, jobDir, checkpointDir, outputDir }, control);
  } finally {
    await control.close();
  }
}

interface RunPlan {
  readonly parsed: ParsedArgs;
  readonly graph: LogicalGraph;
  /** The command line to run the job again (see runArgsForResume). */
  readonly runArgs: readonly string[];
  readonly jobId: string;
  readonly jobDir: string;
  readonly checkpointDir: string;
  readonly outputDir: string;
}

/** The run itself, once the control channel is open: resolves with the exit status. */
async function runUnderControl(io: CliOutput, plan: RunPlan, control: ControlSession): Promise<number> {
  const { parsed, graph, jobId, jobDir, checkpointDir, outputDir } = plan;
  const { settings } = graph;
  const fromSavepoint = optionValues.string(parsed, 'from-savepoint');
  if (optionValues.flag(parsed, 'fresh')) {
    for (const d of [jobDir, outputDir]) {
      if (!relative(resolve(d), process.cwd()).startsWith('..')) {
        throw new UsageError(`weir run: --fresh would delete ${d}, which holds the working directory`, 'run');
      }
    }
    await rm(jobDir, { recursive: true, force: true });
    await rm(outputDir, { recursive: true, force: true });
    io.out(`--fresh: deleted ${jobDir} and ${outputDir}`);
  }
  io.out(
    `job '${settings.jobName}': backend ${settings.stateBackend}, parallelism ${settings.parallelism}; ` +
      `checkpoints every ${formatDuration(settings.checkpoint.intervalMs)} into ${resolve(jobDir)}; output in ${resolve(outputDir)}`,
  );
  if (fromSavepoint !== undefined) io.out(`starting from savepoint ${resolve(fromSavepoint)}`);

  const printer = createProgressPrinter(io.out);
  const controller = new AbortController();
  let stoppedBy: string | undefined;
  const onSignal = (name: NodeJS.Signals): void => {
    if (stoppedBy !== undefined) {
      io.err(`${name} again: exiting at once`);
      process.exit(130);
    }
    stoppedBy = name;
    io.out(`${name}: stopping (again to exit at once)`);
    controller.abort(new Error(`stopped by ${name}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const listener = {
    ...printer.listener,
    onRestored: (info: RestoreSummary) => {
      printer.listener.onRestored?.(info);
      if (info.attempt === 1 && info.checkpointId === undefined) void warnAboutStaleOutput(outputDir, io);
    },
  };
  const started = performance.now();
  let stats: RunStats;
  let stopping: Promise<SavepointInfo> | undefined;
  try {
    const client = new LocalExecutor().start(graph, {
      checkpointDir,
      jobId,
      allowEmptyRestore: optionValues.flag(parsed, 'allow-empty-restore'),
      savepointDir: optionValues.string(parsed, 'savepoint-dir') ?? DEFAULT_SAVEPOINT_DIR,
      ...(fromSavepoint === undefined ? {} : { fromSavepoint }),
      allowNonRestoredState: optionValues.flag(parsed, 'allow-non-restored-state'),
      listener,
      signal: controller.signal,
    });
    control.attach(watchStops(client, (stop) => (stopping = stop)));
    const id = shellQuote(jobId);
    io.out(`control: weir savepoint ${id} | weir stop ${id}  (${control.server.url}, registered in ${control.registrationFile})`);
    stats = await client.result;
  } catch (e) {
    if (controller.signal.aborted) {
      const last = printer.lastCheckpoint();
      const restored = printer.restoredFrom();
      io.out(
        `stopped after ${formatDuration(performance.now() - started)}, ${formatCount(printer.sourceRecords())} records; ` +
          (last !== undefined
            ? `the next run resumes from ${describeCheckpoint(last)}`
            : restored !== undefined
              ? `no new checkpoint: the next run resumes from checkpoint ${restored} again`
              : 'no checkpoint completed: the next run starts over'),
      );
      return STOPPED_EXIT_STATUS;
    }
    reportFailure(io, 'job failed', e);
    if (e instanceof NoRestorableCheckpointError) {
      io.err(`(--allow-empty-restore starts with empty state instead; --fresh also deletes the checkpoints and output)`);
    }
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const stoppedWith = await stopping?.catch(() => undefined);
  if (stoppedWith !== undefined) {
    io.out(
      `stopped with savepoint ${stoppedWith.path} (checkpoint ${stoppedWith.checkpointId}, ${formatBytes(stoppedWith.sizeBytes)}) ` +
        `after ${formatDuration(stats.durationMs)}, ${formatCount(sumRecords(stats, 'source'))} records in`,
    );
    io.out(`resume with: ${resumeCommandLine({ cwd: process.cwd(), runArgs: plan.runArgs }, stoppedWith.path, process.cwd())}`);
    return 0;
  }
  const sources = sumRecords(stats, 'source');
  const sinks = sumRecords(stats, 'sink');
  const last = printer.lastCheckpoint();
  io.out(
    `finished in ${formatDuration(stats.durationMs)}: ${formatCount(sources)} records in, ${formatCount(sinks)} records to sinks` +
      (last === undefined ? '' : `; last ${describeCheckpoint(last)}`),
  );
  return 0;
}

/**
 * `client` as the control server sees it, telling `onStop` about a stop-with-savepoint (the run then
 * ends by itself, and its last lines say where the savepoint is and how to resume).
 */
function watchStops(client: JobClient, onStop: (stop: Promise<SavepointInfo>) => void): JobClient {
  return {
    get jobId() {
      return client.jobId;
    },
    get status() {
      return client.status;
    },
    result: client.result,
    triggerSavepoint: (options) => client.triggerSavepoint(options),
    stopWithSavepoint(options) {
      const stop = client.stopWithSavepoint(options);
      onStop(stop);
      return stop;
    },
  };
}

function sumRecords(stats: RunStats, kind: 'source' | 'sink'): number {
  return stats.operators.filter((o) => o.kind === kind).reduce((n, o) => n + o.records, 0);
}

/** A first run into an output directory that already holds committed files would mix two runs' output. */
async function warnAboutStaleOutput(outputDir: string, io: CliOutput): Promise<void> {
  const files = await listCommittedFiles(outputDir).catch(() => []);
  if (files.length > 0) {
    io.err(
      `warning: starting without a checkpoint, but ${outputDir} already holds ${files.length} committed file(s) ` +
        `of an earlier run; use --fresh to start over cleanly`,
    );
  }
}

/**
 * Prints `weir: <what>: <message>`, then the error with its stack: the user's error when it was
 * wrapped (a throw in a job function or in the job file), else the error itself unless it is one of
 * weir's own reports whose message says it all.
 */
export function reportFailure(io: CliOutput, what: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  io.err(`weir: ${what}: ${message}`);
  if (error instanceof Error && error.cause !== undefined) io.err(inspect(error.cause, { depth: 4 }));
  else if (!(error instanceof JobFileError || error instanceof JobBuildError || error instanceof NoRestorableCheckpointError)) {
    io.err(inspect(error, { depth: 4 }));
  }
}

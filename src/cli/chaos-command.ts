/**
 * `weir chaos <job-file> --kills N`: the process-level crash test. Runs the (bounded) job once
 * without failures (the reference), then again while SIGKILLing the process at random moments N
 * times and restarting it with the same checkpoint and output directories, and compares the
 * committed sink output of the two runs line by line. Exit 0 only when nothing was lost,
 * duplicated or made up; 1 on any difference, a run failing by itself, or the time limit; 130
 * when stopped by SIGINT/SIGTERM.
 *
 * Each run is `weir run` in a child process, as a user would start it; its output goes to
 * `<work-dir>/<reference|chaos>.log`.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatCommandHelp, optionValues, parseCommandArgs, UsageError, type CommandSpec, type ParsedArgs } from './args.js';
import { runWeirChild, tailOfFile, type ChildOutcome } from './child-run.js';
import { readCommittedLines } from './committed-output.js';
import { JOB_OPTIONS, jobOptionWords } from './job-options.js';
import { planKillDelays } from './kill-plan.js';
import type { CliOutput } from './output.js';
import { diffLineMultisets, outputsMatch, type LineDiff, type LineDifference } from './output-diff.js';
import { formatDuration } from './units.js';

/** About the time `weir run` takes to start (tsx, modules, WASM) on a small machine: earlier kills test little. */
const DEFAULT_MIN_UPTIME_MS = 1000;
const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

export const CHAOS_COMMAND: CommandSpec = {
  name: 'chaos',
  summary: 'crash test: run a bounded job cleanly, then again under SIGKILLs, and compare the output',
  description: [
    'Runs the job to completion once (the reference), then again while SIGKILLing the process N times',
    'at random moments (seeded) and restarting it with the same checkpoint and output directories,',
    'then compares the committed output (the part-* files of the job\'s --output-dir) of the two runs',
    'as multisets of lines. Exit status 0 when they are equal; 1 when records were lost, duplicated or',
    'made up, when a run fails by itself, or on timeout; 130 when interrupted. The job must be bounded',
    'and its output a deterministic function of its input.',
  ].join('\n'),
  positionals: [{ name: 'job-file', description: 'a job file, as for weir run' }],
  options: [
    { name: 'kills', kind: 'integer', min: 0, valueName: '<n>', description: 'how many times to SIGKILL the chaos run (required)' },
    { name: 'seed', kind: 'integer', valueName: '<s>', description: 'seeds the kill moments; printed, so a run can be repeated', defaultText: 'random' },
    {
      name: 'work-dir',
      kind: 'string',
      valueName: '<dir>',
      description: 'holds both runs\' checkpoints, output and logs; its reference/ and chaos/ are emptied first and kept',
      defaultText: 'a temporary directory, deleted when the test passes',
    },
    ...JOB_OPTIONS,
    { name: 'min-uptime-ms', kind: 'integer', min: 0, valueName: '<ms>', description: 'least time a run lives before it is killed', defaultText: String(DEFAULT_MIN_UPTIME_MS) },
    { name: 'timeout-ms', kind: 'integer', min: 1, valueName: '<ms>', description: 'limit for the whole test', defaultText: String(DEFAULT_TIMEOUT_MS) },
  ],
};

/** Runs `weir chaos` with the words after `chaos`; resolves with the exit status. */
export async function chaosCommand(argv: readonly string[], io: CliOutput): Promise<number> {
  const parsed = parseCommandArgs(CHAOS_COMMAND, argv);
  if (parsed.help) {
    io.out(formatCommandHelp(CHAOS_COMMAND));
    return 0;
  }
  const kills = optionValues.integer(parsed, 'kills');
  if (kills === undefined) throw new UsageError('weir chaos: --kills <n> is required', 'chaos');
  const seed = optionValues.integer(parsed, 'seed') ?? Math.floor(Math.random() * 2 ** 31);
  const minUptimeMs = optionValues.integer(parsed, 'min-uptime-ms') ?? DEFAULT_MIN_UPTIME_MS;
  const deadline = performance.now() + (optionValues.integer(parsed, 'timeout-ms') ?? DEFAULT_TIMEOUT_MS);
  const givenWorkDir = optionValues.string(parsed, 'work-dir');
  const workDir = givenWorkDir === undefined ? await mkdtemp(join(tmpdir(), 'weir-chaos-')) : resolve(givenWorkDir);

  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => controller.abort(new Error(`stopped by ${name}`));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const passed = await chaosTest({ parsed, kills, seed, minUptimeMs, deadline, workDir, signal: controller.signal }, io);
    if (passed && givenWorkDir === undefined) await rm(workDir, { recursive: true, force: true });
    else io.out(`work dir kept: ${workDir}`);
    if (controller.signal.aborted) {
      io.err(`weir chaos: ${(controller.signal.reason as Error).message}`);
      return 130;
    }
    return passed ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

interface ChaosPlan {
  readonly parsed: ParsedArgs;
  readonly kills: number;
  readonly seed: number;
  readonly minUptimeMs: number;
  /** `performance.now()` by which everything must be done. */
  readonly deadline: number;
  readonly workDir: string;
  readonly signal: AbortSignal;
}

/** One of the two runs: its directories, its log, and the `weir run` words that start it. */
interface RunSetup {
  readonly name: 'reference' | 'chaos';
  readonly outputDir: string;
  readonly logFile: string;
  readonly args: readonly string[];
}

async function chaosTest(plan: ChaosPlan, io: CliOutput): Promise<boolean> {
  const jobFile = plan.parsed.positionals[0]!;
  const setup = async (name: RunSetup['name']): Promise<RunSetup> => {
    const dir = join(plan.workDir, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const logFile = join(plan.workDir, `${name}.log`);
    await rm(logFile, { force: true });
    const outputDir = join(dir, 'output');
    const args = ['run', jobFile, '--checkpoint-dir', join(dir, 'checkpoints'), '--output-dir', outputDir, ...jobOptionWords(plan.parsed)];
    return { name, outputDir, logFile, args };
  };
  const [reference, chaos] = [await setup('reference'), await setup('chaos')];
  io.out(`weir chaos: ${jobFile}, ${plan.kills} kill(s), seed ${plan.seed} (repeat with --seed ${plan.seed}); work dir ${plan.workDir}`);

  const run = (s: RunSetup, title: string, killAfterMs?: number): Promise<ChildOutcome> =>
    runWeirChild({
      args: s.args,
      logFile: s.logFile,
      title,
      timeoutMs: Math.max(1, plan.deadline - performance.now()),
      signal: plan.signal,
      ...(killAfterMs === undefined ? {} : { killAfterMs }),
    });
  /** Reports a run that ended other than expected; false = the test failed. */
  const expected = (s: RunSetup, title: string, r: ChildOutcome): boolean => {
    if (r.kind === 'completed' || r.kind === 'killed') return true;
    if (r.kind === 'aborted') return false; // the user stopped the test: nothing to report
    const how =
      r.kind === 'timed-out'
        ? 'did not finish within --timeout-ms (is the job bounded?)'
        : `failed with ${r.exitSignal ?? `exit status ${r.exitCode}`}`;
    io.err(`FAILED: ${s.name} ${title} ${how} after ${formatDuration(r.durationMs)}; last lines of ${s.logFile}:`);
    io.err(tailOfFile(s.logFile));
    return false;
  };

  const ref = await run(reference, 'reference run');
  if (!expected(reference, 'run', ref)) return false;
  const refOutput = await readCommittedLines(reference.outputDir);
  io.out(`reference: finished in ${formatDuration(ref.durationMs)}, ${refOutput.lines.length} lines in ${refOutput.files} committed file(s)`);
  if (refOutput.lines.length === 0) {
    io.err(`FAILED: the reference run committed no output in ${reference.outputDir}: nothing to compare (does the job write to ctx.outputDir?)`);
    return false;
  }

  const delays = planKillDelays({ seed: plan.seed, kills: plan.kills, minUptimeMs: plan.minUptimeMs, windowMs: ref.durationMs });
  let killsDone = 0;
  let attempts = 0;
  let finished = false;
  const chaosStart = performance.now();
  for (const delay of delays) {
    attempts++;
    const r = await run(chaos, `attempt ${attempts}`, delay);
    if (!expected(chaos, `attempt ${attempts}`, r)) return false;
    if (r.kind === 'completed') {
      io.out(`attempt ${attempts}: finished before its kill at ${formatDuration(delay)}`);
      finished = true;
      break;
    }
    killsDone++;
    io.out(`attempt ${attempts}: SIGKILL after ${formatDuration(delay)}`);
  }
  if (!finished) {
    attempts++;
    const r = await run(chaos, `attempt ${attempts} (no kill)`);
    if (!expected(chaos, `attempt ${attempts}`, r)) return false;
    io.out(`attempt ${attempts}: finished after ${formatDuration(r.durationMs)}`);
  }
  const chaosOutput = await readCommittedLines(chaos.outputDir);
  io.out(
    `chaos: ${killsDone} kill(s), ${attempts - 1} restart(s), ${formatDuration(performance.now() - chaosStart)} in all, ` +
      `${chaosOutput.lines.length} lines in ${chaosOutput.files} committed file(s)`,
  );
  if (killsDone < plan.kills) {
    io.out(`note: the job finished after ${killsDone} of ${plan.kills} kills (a run was faster than the reference)`);
  }

  const diff = diffLineMultisets(refOutput.lines, chaosOutput.lines);
  printDiff(diff, io);
  if (outputsMatch(diff)) {
    io.out('OK: the committed output of the chaos run equals the reference run\'s');
    return true;
  }
  io.err(`FAILED: the outputs differ; logs: ${reference.logFile}, ${chaos.logFile}`);
  return false;
}

function printDiff(diff: LineDiff, io: CliOutput): void {
  io.out(`lost: ${diff.lost}, duplicated: ${diff.duplicated}, unexpected: ${diff.unexpected}`);
  const show = (label: string, list: readonly LineDifference[]): void => {
    for (const d of list) io.out(`  ${label} ×${d.count}: ${JSON.stringify(d.line)}`);
  };
  show('lost', diff.examples.lost);
  show('duplicated', diff.examples.duplicated);
  show('unexpected', diff.examples.unexpected);
}

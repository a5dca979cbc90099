/**
 * The options every command that runs a job file shares (`--backend`, `--parallelism`,
 * `--checkpoint-interval-ms`, `--arg`), so
 * `weir run` and `weir chaos` spell and check them alike and chaos can pass them on to its runs.
 */
import { STATE_BACKEND_KINDS } from '../state/backend-factory.js';
import type { StateBackendKind } from '../state/types.js';
import { optionValues, type OptionSpec, type ParsedArgs } from './args.js';
import type { JobContextOptions } from './job-context.js';

export const JOB_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'backend',
    kind: 'choice',
    choices: STATE_BACKEND_KINDS,
    description: "keyed-state backend; overrides the job's own choice",
  },
  {
    name: 'parallelism',
    kind: 'integer',
    min: 1,
    valueName: '<n>',
    description: "default operator parallelism; overrides the job's own",
  },
  {
    name: 'checkpoint-interval-ms',
    kind: 'integer',
    min: 1,
    valueName: '<ms>',
    description: "time between checkpoints; overrides the job's own",
  },
  {
    name: 'arg',
    kind: 'key-value',
    valueName: '<key=value>',
    description: 'an argument for the job file (ctx.args); repeatable',
  },
];

/** The job-context part of the command line (everything but the output directory). */
export function jobContextOptions(parsed: ParsedArgs, outputDir: string): JobContextOptions {
  const backend = optionValues.string(parsed, 'backend') as StateBackendKind | undefined;
  const parallelism = optionValues.integer(parsed, 'parallelism');
  const checkpointIntervalMs = optionValues.integer(parsed, 'checkpoint-interval-ms');
  return {
    outputDir,
    args: optionValues.keyValues(parsed, 'arg'),
    ...(backend === undefined ? {} : { stateBackend: backend }),
    ...(parallelism === undefined ? {} : { parallelism }),
    ...(checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs }),
  };
}

/** The same options as words again, for a child `weir run`. */
export function jobOptionWords(parsed: ParsedArgs): string[] {
  const words: string[] = [];
  for (const name of ['backend', 'parallelism', 'checkpoint-interval-ms']) {
    const value = parsed.values.get(name);
    if (value !== undefined) words.push(`--${name}`, String(value));
  }
  for (const [k, v] of Object.entries(optionValues.keyValues(parsed, 'arg'))) words.push('--arg', `${k}=${v}`);
  return words;
}

/**
 * What a job file's `build` function receives from `weir run` / `weir chaos`: the environment to
 * build on (with the command line's backend and parallelism applied), where to write output, and
 * the `--arg key=value` pairs.
 *
 * @example
 * // my-job.ts — run with: weir run my-job.ts --arg events=1000 (examples/ holds complete ones)
 * import type { JobContext } from '../src/cli/job-context.js';
 * export default function build(ctx: JobContext) {
 *   const env = ctx.env({ jobName: 'my-job' });
 *   env.source({ kind: 'generator', payload: { count: ctx.numberArg('events', Infinity), keys: 10, seed: 1 } }, { uid: 'in' })
 *     .map((r) => `${r.key},${r.value}`)
 *     .sink({ kind: 'transactional-file', payload: { dir: ctx.outputDir } }, { uid: 'out' });
 *   return env;
 * }
 */
import { StreamEnvironment, type StreamEnvironmentOptions } from '../api/environment.js';
import type { StateBackendKind } from '../state/types.js';

/** The argument of a job file's default export; see the module comment. */
export interface JobContext {
  /**
   * A new environment with `options`, except that `--backend`, `--parallelism` and
   * `--checkpoint-interval-ms` given on the command line override `stateBackend`, `parallelism`
   * and `checkpoint.intervalMs`.
   */
  env(options?: StreamEnvironmentOptions): StreamEnvironment;
  /** Where the job should write its output (`--output-dir`, default `./output`). */
  readonly outputDir: string;
  /** `--arg key=value` pairs, as given. */
  readonly args: Readonly<Record<string, string>>;
  /**
   * `--arg name=…` as a number, or `fallback` when not given. `Infinity` is accepted as a value.
   * Throws an error naming the argument when the value is not a number.
   */
  numberArg(name: string, fallback: number): number;
}

/** What the command line decided, for {@link createJobContext}. */
export interface JobContextOptions {
  readonly outputDir: string;
  readonly args: Readonly<Record<string, string>>;
  readonly stateBackend?: StateBackendKind;
  readonly parallelism?: number;
  readonly checkpointIntervalMs?: number;
}

/** A {@link JobContext} plus what the CLI wants to know after `build` ran. */
export interface TrackedJobContext extends JobContext {
  /** `--arg` names the job never read (likely typos), sorted. */
  unusedArgs(): string[];
}

/** Builds the context handed to a job file. */
export function createJobContext(options: JobContextOptions): TrackedJobContext {
  const read = new Set<string>();
  const given = Object.freeze({ ...options.args });
  const args = new Proxy(given, {
    get(target, prop, receiver) {
      if (typeof prop === 'string') read.add(prop);
      return Reflect.get(target, prop, receiver) as unknown;
    },
    has(target, prop) {
      if (typeof prop === 'string') read.add(prop);
      return Reflect.has(target, prop);
    },
  });
  const overrides: StreamEnvironmentOptions = {
    ...(options.stateBackend === undefined ? {} : { stateBackend: options.stateBackend }),
    ...(options.parallelism === undefined ? {} : { parallelism: options.parallelism }),
  };
  const interval = options.checkpointIntervalMs;
  return {
    env: (envOptions = {}) =>
      new StreamEnvironment({
        ...envOptions,
        ...overrides,
        ...(interval === undefined ? {} : { checkpoint: { ...envOptions.checkpoint, intervalMs: interval } }),
      }),
    outputDir: options.outputDir,
    args,
    numberArg(name, fallback) {
      read.add(name);
      const raw = given[name];
      if (raw === undefined) return fallback;
      const value = /^\s*$/.test(raw) ? NaN : Number(raw);
      if (Number.isNaN(value)) throw new TypeError(`--arg ${name}=${raw}: not a number`);
      return value;
    },
    unusedArgs: () => Object.keys(given).filter((k) => !read.has(k)).sort(),
  };
}

/**
 * Loads a job file and calls its default export. The contract:
 *
 * ```ts
 * export default function build(ctx: JobContext): StreamEnvironment   // or a Promise of one
 * ```
 *
 * Every way a file can miss the contract (no file, a load error, no default export, not a function,
 * a wrong return value) is a {@link JobFileError} saying which, and the user's own error (a throw in
 * the file or in `build`) is kept as `cause` with its stack.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StreamEnvironment } from '../api/environment.js';
import type { JobContext } from './job-context.js';

/** A job file that cannot be loaded or does not follow the contract. */
export class JobFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobFileError';
  }
}

const CONTRACT = 'export default function build(ctx: JobContext): StreamEnvironment';

/** Imports `path` (relative to the working directory; TypeScript works under bin/weir.js) and returns its default export, checked to be a function. */
export async function importJobFile(path: string): Promise<(ctx: JobContext) => unknown> {
  const file = resolve(path);
  if (!existsSync(file)) throw new JobFileError(`job file ${path} not found (looked at ${file})`);
  if (!statSync(file).isFile()) throw new JobFileError(`job file ${path} is not a file`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new JobFileError(`cannot load job file ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (!('default' in module) || module.default === undefined) {
    const named = Object.keys(module).filter((k) => k !== 'default');
    const hint = named.length > 0 ? ` (it exports ${named.map((n) => `'${n}'`).join(', ')})` : '';
    throw new JobFileError(`job file ${path} has no default export${hint}; it must: ${CONTRACT}`);
  }
  const build = module.default;
  if (typeof build !== 'function') {
    throw new JobFileError(`the default export of job file ${path} is ${describe(build)}, not a function; it must: ${CONTRACT}`);
  }
  return build as (ctx: JobContext) => unknown;
}

/**
 * Loads `path` and calls its `build(ctx)`; resolves with the environment it returned.
 *
 * @example
 * const env = await loadJob('examples/demo-job.ts', createJobContext({ outputDir: 'out', args: { events: '100' } }));
 * await new LocalExecutor().run(env);
 */
export async function loadJob(path: string, ctx: JobContext): Promise<StreamEnvironment> {
  const build = await importJobFile(path);
  let result: unknown;
  try {
    result = await build(ctx);
  } catch (e) {
    throw new JobFileError(`build() of job file ${path} threw: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (!isStreamEnvironment(result)) {
    throw new JobFileError(
      `build() of job file ${path} returned ${describe(result)}; it must return the StreamEnvironment it built (from ctx.env())`,
    );
  }
  return result;
}

/**
 * A StreamEnvironment, possibly of another copy of weir's modules: a TypeScript job file outside a
 * `"type": "module"` package loads as CommonJS and gets its own copy when it imports weir itself.
 * The CLI only calls `build()`, whose result (a plain graph) does not depend on the copy.
 */
function isStreamEnvironment(value: unknown): value is StreamEnvironment {
  if (value instanceof StreamEnvironment) return true;
  return (
    typeof value === 'object' &&
    value !== null &&
    value.constructor?.name === StreamEnvironment.name &&
    typeof (value as { build?: unknown }).build === 'function'
  );
}

/** A short description of a value for error messages. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name !== undefined && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return `a ${typeof value} (${String(value).slice(0, 40)})`;
}

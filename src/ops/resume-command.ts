/**
 * The `weir run … --from-savepoint <path>` line printed after a stop-with-savepoint, so the user can
 * resume the job by pasting it: the stopped run's own words, minus the options that chose where it
 * started from (they would be wrong for the resumed run), plus the savepoint.
 */

/** Options of the stopped run that must not be repeated: the old restore source, and --fresh (it would delete the output). */
const DROPPED_FLAGS = new Set(['--fresh', '--allow-non-restored-state']);
const DROPPED_WITH_VALUE = new Set(['--from-savepoint']);

/** `argv` of `weir run` (after `run`) without the options that chose its starting point. */
export function runArgsForResume(argv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      kept.push(...argv.slice(i));
      break;
    }
    const name = word.split('=', 1)[0]!;
    if (DROPPED_FLAGS.has(word)) continue;
    if (DROPPED_WITH_VALUE.has(name)) {
      if (word === name) i++;
      continue;
    }
    kept.push(word);
  }
  return kept;
}

/** Quotes `word` for a POSIX shell when it needs it. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * `weir run <runArgs> --from-savepoint <path>`, prefixed with `cd <runCwd> && ` when the stopped run
 * had another working directory than `cwd` (its relative paths are relative to that one).
 */
export function resumeCommandLine(run: { readonly cwd: string; readonly runArgs: readonly string[] }, savepointPath: string, cwd: string): string {
  const words = ['weir', 'run', ...run.runArgs, '--from-savepoint', savepointPath].map(shellQuote).join(' ');
  return run.cwd === cwd ? words : `cd ${shellQuote(run.cwd)} && ${words}`;
}

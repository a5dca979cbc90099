/**
 * Runs `weir <args>` in a child process exactly as a user would (`node bin/weir.js …`), with its
 * output appended to a log file, and optionally SIGKILLs it after a delay: the process-level crash
 * `weir chaos` needs. I/O only; what to run and when to kill is decided by the caller.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The CLI entry point, run with `process.execPath`. */
export const WEIR_BIN = fileURLToPath(new URL('../../bin/weir.js', import.meta.url));

/** What {@link runWeirChild} runs. */
export interface ChildRunOptions {
  /** Words after `weir`. */
  readonly args: readonly string[];
  /** stdout and stderr are appended here, after a header line naming the attempt. */
  readonly logFile: string;
  /** Header line written to the log before the run. */
  readonly title: string;
  /** SIGKILL the child this long after it was spawned. */
  readonly killAfterMs?: number;
  /** SIGKILL the child and report `timed-out` after this long. */
  readonly timeoutMs: number;
  /** Aborting SIGKILLs the child and reports `aborted`. */
  readonly signal?: AbortSignal;
}

/** How one child run ended. `failed` = it exited by itself with a non-zero status or another signal. */
export interface ChildOutcome {
  readonly kind: 'completed' | 'killed' | 'failed' | 'timed-out' | 'aborted';
  readonly exitCode: number | null;
  readonly exitSignal: NodeJS.Signals | null;
  /** Spawn to exit, ms. */
  readonly durationMs: number;
}

/**
 * Spawns the child and resolves when it has exited (never rejects for how it exited; spawn errors
 * reject).
 *
 * @example
 * const r = await runWeirChild({ args: ['run', 'job.ts'], logFile: 'run.log', title: 'run 1', killAfterMs: 800, timeoutMs: 60_000 });
 * r.kind; // 'killed' (or 'completed' if it finished first)
 */
export function runWeirChild(options: ChildRunOptions): Promise<ChildOutcome> {
  if (options.signal?.aborted === true) {
    return Promise.resolve({ kind: 'aborted', exitCode: null, exitSignal: null, durationMs: 0 });
  }
  appendFileSync(options.logFile, `\n=== ${options.title}: weir ${options.args.join(' ')}\n`);
  const fd = openSync(options.logFile, 'a');
  const started = performance.now();
  let child;
  try {
    child = spawn(process.execPath, [WEIR_BIN, ...options.args], { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  return new Promise((resolve, reject) => {
    let reason: 'killed' | 'timed-out' | 'aborted' | undefined;
    const killFor = (why: 'killed' | 'timed-out' | 'aborted') => () => {
      reason ??= why;
      child.kill('SIGKILL');
    };
    const timers = [setTimeout(killFor('timed-out'), options.timeoutMs)];
    if (options.killAfterMs !== undefined) timers.push(setTimeout(killFor('killed'), options.killAfterMs));
    const onAbort = killFor('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => {
      for (const t of timers) clearTimeout(t);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (e) => {
      cleanup();
      reject(e);
    });
    child.once('exit', (exitCode, exitSignal) => {
      cleanup();
      const durationMs = performance.now() - started;
      // A Ctrl-C reaches the child too (same process group), which then stops cleanly with status 0.
      const kind =
        options.signal?.aborted === true
          ? 'aborted'
          : exitCode === 0
            ? 'completed'
            : reason !== undefined && exitSignal === 'SIGKILL'
              ? reason
              : 'failed';
      appendFileSync(options.logFile, `=== ${options.title}: ${kind} (${exitSignal ?? `exit ${exitCode}`}) after ${Math.round(durationMs)} ms\n`);
      resolve({ kind, exitCode, exitSignal, durationMs });
    });
  });
}

/** The last `lines` lines of a log file, for an error report. */
export function tailOfFile(path: string, lines = 30): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

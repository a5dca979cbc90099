/**
 * Runs part of a benchmark in a fresh Node process, so one measurement's heap, GC state and RSS do
 * not pollute the next. The child is `node --expose-gc --max-old-space-size=… --import tsx <script>`
 * and answers with exactly one IPC message via {@link replyToParent}. Child stdout and stderr pass
 * through to the parent's.
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/harness/../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Old-space limit for children: 3/4 of the machine's memory, at most 16 GiB. */
export function childHeapLimitMb(): number {
  return Math.min(16384, Math.floor((os.totalmem() / 2 ** 20) * 0.75));
}

interface ChildMessage<T> {
  readonly ok: boolean;
  readonly value?: T;
  readonly error?: string;
}

/**
 * Runs `script` (a path relative to the repo root) with `input` as its single JSON argument and
 * resolves with the value the child replied.
 */
export function runInChild<T>(script: string, input: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [JSON.stringify(input)], {
      cwd: REPO_ROOT,
      execArgv: ['--expose-gc', `--max-old-space-size=${childHeapLimitMb()}`, '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    // stderr passes through; its tail explains a child that died without replying
    let stderrTail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk.toString()).slice(-4000);
    });
    let reply: ChildMessage<T> | undefined;
    child.on('message', (m) => {
      reply = m as ChildMessage<T>;
    });
    child.on('error', reject);
    // 'close', not 'exit': stderr is fully read by then
    child.on('close', (code, signal) => {
      if (reply?.ok) resolve(reply.value as T);
      // the child's stack went to its stderr already: message and top frame are enough here
      else if (reply) reject(new Error(reply.error?.split('\n').slice(0, 2).join(' ')));
      else {
        const lines = stderrTail.split('\n').map((l) => l.trim()).filter(Boolean);
        const why = [...lines].reverse().find((l) => /\w*Error\b/.test(l)) ?? lines.slice(-3).join(' | ');
        reject(new Error(`${script} ${JSON.stringify(input)} exited (${signal ?? `code ${code}`}) without a result: ${why}`));
      }
    });
  });
}

/** The child's input, as passed by {@link runInChild}. */
export function childInput<T>(): T {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('this script is run by the benchmark harness (bench/run.ts), with a JSON argument');
  return JSON.parse(raw) as T;
}

/** Runs `main` in the child and sends its value (or its error) to the parent, then exits. */
export async function replyToParent<T>(main: () => Promise<T> | T): Promise<void> {
  if (!process.send) throw new Error('this script is run by the benchmark harness (bench/run.ts) over IPC');
  let message: ChildMessage<T>;
  try {
    message = { ok: true, value: await main() };
  } catch (e) {
    const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
    process.stderr.write(`${error}\n`);
    message = { ok: false, error };
  }
  process.send(message, () => process.exit(message.ok ? 0 : 1));
}

/** Full garbage collection (needs `--expose-gc`, which {@link runInChild} sets). */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('gc is not exposed: run under node --expose-gc (runInChild does)');
  // twice: the first pass may only make weakly held objects collectable
  gc();
  gc();
}

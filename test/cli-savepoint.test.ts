/**
 * `weir savepoint`, `weir stop` and `weir list` against a real `weir run` child process, found through
 * the runtime directory, and `weir run --from-savepoint` resuming where the stop left off: the two
 * runs together commit every line exactly once.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WEIR_BIN } from '../src/cli/child-run.js';
import { readCommittedLines } from '../src/cli/committed-output.js';

const dir = mkdtempSync(join(tmpdir(), 'weir-cli-savepoint-'));
const runtimeDir = join(dir, 'runtime');
const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
const DEMO = join(import.meta.dirname, '..', 'examples', 'demo-job.ts');
const ENV = { ...process.env, WEIR_RUNTIME_DIR: runtimeDir };

interface Finished {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A `weir` child running in `dir`, its output collected as it comes. */
function startWeir(args: readonly string[], env = ENV): { child: ChildProcessWithoutNullStreams; output: () => string; finished: Promise<Finished> } {
  const child = spawn(process.execPath, [WEIR_BIN, ...args], { cwd: dir, env });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const finished = new Promise<Finished>((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
  return { child, output: () => stdout + stderr, finished };
}

/** Runs `weir <args>` to its end (asynchronously: a blocked test process would stall the job's pipes). */
function weir(...args: string[]): Promise<Finished> {
  return startWeir(args).finished;
}

async function waitFor(what: string, output: () => string, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(output());
    if (m !== null) return m;
    if (performance.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; output so far:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('weir savepoint / stop / list', () => {
  it('a job not running is a one-line error with exit status 1', async () => {
    for (const command of ['savepoint', 'stop']) {
      const r = await weir(command, 'nothing-here');
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(
        `weir ${command}: job 'nothing-here' is not running (no live registration in ${runtimeDir}; weir list shows the running jobs)`,
      );
    }
    const list = await weir('list');
    expect(list.status).toBe(0);
    expect(list.stdout.trim()).toBe(`no running jobs (runtime directory ${runtimeDir})`);
    const usage = await weir('savepoint');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/weir savepoint: missing <job-id>/);
  });

  it('a run registers for its lifetime: removed on SIGTERM, left stale by SIGKILL and then replaced', async () => {
    const args = ['run', DEMO, '--arg', 'keys=10', '--arg', 'rate=1000', '--checkpoint-dir', 'cp-life', '--output-dir', 'out-life', '--job-id', 'life'];
    const file = join(runtimeDir, 'life.json');
    const killed = startWeir(args);
    await waitFor('control line', killed.output, /^control: weir savepoint life \| weir stop life {2}\(http:\/\/127\.0\.0\.1:\d+, registered in (.+)\)$/m);
    expect(statSync(runtimeDir).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    killed.child.kill('SIGKILL');
    await killed.finished;
    expect(existsSync(file)).toBe(true); // stale
    expect((await weir('list')).stdout.trim()).toBe(`no running jobs (runtime directory ${runtimeDir})`);
    expect((await weir('savepoint', 'life')).stderr).toMatch(/job 'life' is not running/);

    const again = startWeir(args);
    await waitFor('control line', again.output, /^control: weir savepoint life/m);
    expect((await weir('list')).stdout).toMatch(new RegExp(`^life +${again.child.pid} +RUNNING`, 'm'));
    again.child.kill('SIGTERM');
    const ended = await again.finished;
    expect(ended.status).toBe(0);
    expect(ended.stdout).toMatch(/SIGTERM: stopping/);
    expect(existsSync(file)).toBe(false);
  });

  it('a runtime directory that cannot be used stops weir run before the job starts', async () => {
    const notADir = join(dir, 'not-a-dir');
    writeFileSync(notADir, '');
    const r = await startWeir(['run', DEMO, '--arg', 'events=10', '--checkpoint-dir', 'cp-bad'], { ...ENV, WEIR_RUNTIME_DIR: notADir }).finished;
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(new RegExp(`^weir run: cannot open the control channel: runtime directory ${notADir} cannot be created: .*\\(set WEIR_RUNTIME_DIR to another place\\)$`));
    expect(existsSync(join(dir, 'cp-bad'))).toBe(false);
  });

  it('savepoint while it runs, stop with a savepoint, resume from it: every line committed exactly once', async () => {
    // 20 k events at 2 k/s: the job is still running when the commands below reach it.
    const jobArgs = ['--arg', 'events=20000', '--arg', 'keys=100', '--arg', 'rate=2000', '--checkpoint-interval-ms', '200'];
    const dirArgs = ['--checkpoint-dir', 'cp', '--output-dir', 'out', '--savepoint-dir', 'sp', '--job-id', 'cli-sp'];
    const run = startWeir(['run', DEMO, ...jobArgs, ...dirArgs]);
    await waitFor('control line', run.output, /^control: weir savepoint cli-sp \| weir stop cli-sp/m);
    await waitFor('first checkpoint', run.output, /\| checkpoint \d+:/);

    const list = await weir('list');
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^JOB +PID +STATUS +UPTIME +CONTROL\\ncli-sp +${run.child.pid} +RUNNING +\\S+ \\S+ +http://127\\.0\\.0\\.1:\\d+$`, 'm'));

    const twice = await weir('run', DEMO, ...jobArgs, ...dirArgs, '--fresh');
    expect(twice.status).toBe(1);
    expect(twice.stderr).toMatch(new RegExp(`weir run: job 'cli-sp' is running already \\(pid ${run.child.pid}, `));
    expect(existsSync(join(dir, 'cp', 'cli-sp'))).toBe(true); // --fresh deleted nothing

    const manual = await weir('savepoint', 'cli-sp', '--savepoint-dir', 'manual');
    expect(manual.stderr).toBe('');
    expect(manual.status).toBe(0);
    expect(manual.stdout).toMatch(/^savepoint of job 'cli-sp' completed \(checkpoint \d+, .* in .*\):$/m);
    const manualPath = manual.stdout.trim().split('\n').at(-1)!;
    expect(manualPath.startsWith(join(dir, 'manual') + '/')).toBe(true);
    expect(existsSync(join(manualPath, '_metadata'))).toBe(true);

    const stop = await weir('stop', 'cli-sp');
    expect(stop.stderr).toBe('');
    expect(stop.status).toBe(0);
    const [, stopPath, resumeLine] = /^job 'cli-sp' stopped with a savepoint \(.*\):\n(.+)\nresume with: (.+)$/m.exec(stop.stdout) ?? [];
    expect(stopPath!.startsWith(join(dir, 'sp') + '/')).toBe(true);
    expect(existsSync(join(stopPath!, '_metadata'))).toBe(true);
    expect(resumeLine).toBe(['weir', 'run', DEMO, ...jobArgs, ...dirArgs, '--from-savepoint', stopPath].join(' '));

    const ended = await run.finished;
    expect(ended.status).toBe(0);
    expect(ended.stdout).toMatch(new RegExp(`^stopped with savepoint ${stopPath} \\(checkpoint \\d+, .*\\) after .*$`, 'm'));
    expect(ended.stdout).toMatch(new RegExp(`^resume with: .* --from-savepoint ${stopPath}$`, 'm'));
    expect(readdirSync(runtimeDir)).toEqual([]); // unregistered
    const before = await readCommittedLines(join(dir, 'out'));
    expect(before.lines.length).toBeGreaterThan(0);
    expect(before.lines.length).toBeLessThan(20_000);

    // The printed resume command, word for word (none of its words needs quoting here).
    const resumed = await weir(...resumeLine!.split(' ').slice(1));
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toMatch(/finished in .*: .* records in/);
    const { lines } = await readCommittedLines(join(dir, 'out'));
    expect(lines).toHaveLength(20_000);
    // Per key the counts run 1..n without a gap or a repeat: nothing lost or duplicated across the stop.
    const counts = new Map<string, number[]>();
    for (const l of lines) {
      const [key, count] = l.split(',');
      counts.set(key!, [...(counts.get(key!) ?? []), Number(count)]);
    }
    for (const cs of counts.values()) expect(cs.sort((a, b) => a - b)).toEqual(cs.map((_, i) => i + 1));
  });
});

/**
 * `weir run` as a user runs it: `node bin/weir.js run …` in a child process, checking exit statuses,
 * messages and the committed output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WEIR_BIN } from '../src/cli/child-run.js';
import { readCommittedLines } from '../src/cli/committed-output.js';

const dir = mkdtempSync(join(tmpdir(), 'weir-cli-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DEMO = join(import.meta.dirname, '..', 'examples', 'demo-job.ts');

function weir(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [WEIR_BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('weir run', () => {
  it('runs a bounded job to the end and commits all of its output', async () => {
    const out = join(dir, 'bounded-out');
    const r = weir('run', DEMO, '--arg', 'events=5000', '--arg', 'keys=50', '--checkpoint-dir', join(dir, 'cp1'), '--output-dir', out, '--backend', 'heap', '--parallelism', '2');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/job 'demo': backend heap, parallelism 2/);
    expect(r.stdout).toMatch(/finished in .*: 5\.0 k records in/);
    const { lines } = await readCommittedLines(out);
    expect(lines).toHaveLength(5000);
    // Per key the counts run 1..n without a gap: each event's line is there exactly once.
    const counts = new Map<string, number[]>();
    for (const l of lines) {
      const [key, count] = l.split(',');
      counts.set(key!, [...(counts.get(key!) ?? []), Number(count)]);
    }
    for (const cs of counts.values()) expect(cs.sort((a, b) => a - b)).toEqual(cs.map((_, i) => i + 1));
  });

  it('a failing job (no restarts) exits 1 and shows the user error with its stack', () => {
    const job = join(dir, 'failing-job.ts');
    writeFileSync(
      job,
      `import type { JobContext } from '${join(import.meta.dirname, '..', 'src', 'cli', 'job-context.js')}';
export default function build(ctx: JobContext) {
  const env = ctx.env({ jobName: 'failing', restartStrategy: { type: 'none' } });
  env.source({ kind: 'generator', payload: { count: 100, keys: 3, seed: 1 } }, { uid: 'in' })
    .map((r: { id: number }) => { if (r.id === 42) throw new Error('user function broke on 42'); return String(r.id); })
    .sink({ kind: 'discard' }, { uid: 'out' });
  return env;
}
`,
    );
    const r = weir('run', job, '--checkpoint-dir', join(dir, 'cp2'), '--arg', 'unused=1');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/warning: the job did not read --arg unused/);
    expect(r.stderr).toMatch(/weir: job failed: .*user function broke on 42/);
    expect(r.stderr).toMatch(/failing-job\.ts:5/);
  });

  it('a bad command line exits 2 naming the problem', () => {
    const r = weir('run', DEMO, '--parallelism', 'two');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("weir run: --parallelism must be an integer >= 1, got 'two'");
    const unknown = weir('frobnicate');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate' \(commands: run, chaos/);
  });

  it('a job file without a default export exits 1 with the contract', () => {
    const job = join(dir, 'no-default.mjs');
    writeFileSync(job, 'export const build = () => null;\n');
    const r = weir('run', job);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/has no default export \(it exports 'build'\); it must: export default function build/);
  });

  it('SIGINT stops an unbounded job with status 0, and the next run resumes from its checkpoint', async () => {
    const args = [WEIR_BIN, 'run', DEMO, '--arg', 'keys=100', '--checkpoint-dir', join(dir, 'cp3'), '--output-dir', join(dir, 'out3')];
    const child = spawn(process.execPath, args, { cwd: dir });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    // Interrupt once a checkpoint completed (the progress line names it).
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no checkpoint reported:\n${stdout}`)), 30_000);
      child.stdout.on('data', () => {
        if (/\| checkpoint \d+:/.test(stdout)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    const status = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    expect(status).toBe(0);
    expect(stdout).toMatch(/SIGINT: stopping/);
    const resumeFrom = /the next run resumes from checkpoint (\d+)/.exec(stdout)?.[1];
    expect(resumeFrom).toBeDefined();

    const again = weir('run', DEMO, '--arg', 'keys=100', '--arg', 'events=1', '--checkpoint-dir', join(dir, 'cp3'), '--output-dir', join(dir, 'out3'));
    // events=1 is fewer than already done: the resumed source is past its end and the job finishes at once.
    expect(again.stdout).toMatch(new RegExp(`restored checkpoint ${resumeFrom}`));
    expect(again.status).toBe(0);
  });

  it('--fresh deletes the job\'s checkpoints and the output directory first', () => {
    const cp = join(dir, 'cp4');
    const out = join(dir, 'out4');
    expect(weir('run', DEMO, '--arg', 'events=100', '--checkpoint-dir', cp, '--output-dir', out).status).toBe(0);
    expect(existsSync(join(cp, 'demo'))).toBe(true);
    const r = weir('run', DEMO, '--arg', 'events=100', '--checkpoint-dir', cp, '--output-dir', out, '--fresh');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--fresh: deleted/);
    expect(r.stdout).toMatch(/starting with empty state/);
  });
});

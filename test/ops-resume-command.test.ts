/** The resume line printed after a stop-with-savepoint (src/ops/resume-command.ts). */
import { describe, expect, it } from 'vitest';
import { resumeCommandLine, runArgsForResume, shellQuote } from '../src/ops/resume-command.js';

describe('resume command', () => {
  it('drops the options that chose where the stopped run started from', () => {
    expect(runArgsForResume(['job.ts', '--from-savepoint', '/sp/1', '--arg', 'k=v', '--fresh', '--allow-non-restored-state', '--job-id=x'])).toEqual([
      'job.ts',
      '--arg',
      'k=v',
      '--job-id=x',
    ]);
    expect(runArgsForResume(['job.ts', '--from-savepoint=/sp/1', '--allow-empty-restore'])).toEqual(['job.ts', '--allow-empty-restore']);
    expect(runArgsForResume(['--backend', 'heap', '--', '--fresh'])).toEqual(['--backend', 'heap', '--', '--fresh']);
  });

  it('quotes words for a POSIX shell only when needed', () => {
    expect(shellQuote('examples/demo-job.ts')).toBe('examples/demo-job.ts');
    expect(shellQuote('keys=100')).toBe('keys=100');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('$HOME')).toBe("'$HOME'");
    expect(shellQuote('')).toBe("''");
  });

  it('is the run command plus --from-savepoint, with a cd when the run had another working directory', () => {
    const run = { cwd: '/work dir', runArgs: ['job.ts', '--arg', 'keys=100'] };
    expect(resumeCommandLine(run, '/sp/savepoint-demo-7', '/work dir')).toBe('weir run job.ts --arg keys=100 --from-savepoint /sp/savepoint-demo-7');
    expect(resumeCommandLine(run, '/sp/savepoint-demo-7', '/elsewhere')).toBe(
      "cd '/work dir' && weir run job.ts --arg keys=100 --from-savepoint /sp/savepoint-demo-7",
    );
  });
});

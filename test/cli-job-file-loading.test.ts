import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import { createJobContext } from '../src/cli/job-context.js';
import { JobFileError, loadJob } from '../src/cli/job-file.js';

const dir = mkdtempSync(join(tmpdir(), 'weir-job-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
/** Writes a job file (ESM JavaScript) and returns its path. */
function jobFile(source: string, ext = 'mjs'): string {
  const path = join(dir, `job${n++}.${ext}`);
  writeFileSync(path, source);
  return path;
}

const ctx = () => createJobContext({ outputDir: join(dir, 'out'), args: {} });
const BUILD_OK = `export default (ctx) => {
  const env = ctx.env({ jobName: 'ok' });
  env.source({ kind: 'generator', payload: { count: 1, keys: 1, seed: 1 } }, { uid: 'in' }).sink({ kind: 'discard' }, { uid: 'out' });
  return env;
};`;

async function loadError(path: string): Promise<JobFileError> {
  const e = await loadJob(path, ctx()).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(JobFileError);
  return e as JobFileError;
}

describe('loadJob', () => {
  it('returns the environment the default export built', async () => {
    const env = await loadJob(jobFile(BUILD_OK), ctx());
    expect(env).toBeInstanceOf(StreamEnvironment);
    expect(env.build().settings.jobName).toBe('ok');
  });

  it('accepts an async build function', async () => {
    const env = await loadJob(jobFile(BUILD_OK.replace('export default (ctx) =>', 'export default async (ctx) =>')), ctx());
    expect(env.build().settings.jobName).toBe('ok');
  });

  it('loads TypeScript', async () => {
    const env = await loadJob(jobFile(BUILD_OK.replace('(ctx)', '(ctx: { env(o: object): any })'), 'ts'), ctx());
    expect(env.build().settings.jobName).toBe('ok');
  });

  it('a missing file or a directory says so', async () => {
    expect((await loadError(join(dir, 'nope.ts'))).message).toMatch(/^job file .*nope\.ts not found \(looked at /);
    const sub = join(dir, 'a-dir');
    mkdirSync(sub);
    expect((await loadError(sub)).message).toMatch(/is not a file$/);
  });

  it('a file that fails to load keeps the error as cause', async () => {
    const e = await loadError(jobFile(`throw new Error('boom at load');\nexport default () => 1;`));
    expect(e.message).toMatch(/^cannot load job file .*: boom at load$/);
    expect((e.cause as Error).message).toBe('boom at load');
  });

  it('no default export: names the exports it has and the contract', async () => {
    const e = await loadError(jobFile(`export function build() {}\nexport const other = 1;`));
    expect(e.message).toMatch(/has no default export \(it exports 'build', 'other'\); it must: export default function build\(ctx: JobContext\): StreamEnvironment$/);
    expect((await loadError(jobFile(`const x = 1;`))).message).toMatch(/has no default export; it must/);
  });

  it('a default export that is not a function says what it is', async () => {
    expect((await loadError(jobFile(`export default { env: 1 };`))).message).toMatch(/the default export of job file .* is an object, not a function/);
    expect((await loadError(jobFile(`export default 42;`))).message).toMatch(/is a number \(42\), not a function/);
  });

  it('a throwing build keeps the user error, with its stack, as cause', async () => {
    const e = await loadError(jobFile(`export default function build() { throw new RangeError('bad arg'); }`));
    expect(e.message).toMatch(/^build\(\) of job file .* threw: bad arg$/);
    expect(e.cause).toBeInstanceOf(RangeError);
    expect((e.cause as Error).stack).toMatch(/job\d+\.mjs/);
  });

  it('build returning something else says what it returned', async () => {
    expect((await loadError(jobFile(`export default () => undefined;`))).message).toMatch(
      /returned undefined; it must return the StreamEnvironment it built \(from ctx\.env\(\)\)$/,
    );
    expect((await loadError(jobFile(`export default () => new Map();`))).message).toMatch(/returned a Map;/);
  });
});

describe('createJobContext', () => {
  it('the command line overrides the backend and parallelism the job asks for', () => {
    const c = createJobContext({ outputDir: 'o', args: {}, stateBackend: 'heap', parallelism: 3, checkpointIntervalMs: 250 });
    const env = c.env({ jobName: 'j', stateBackend: 'wasm', parallelism: 1, maxParallelism: 64, checkpoint: { intervalMs: 5000, retainedCheckpoints: 2 } });
    env.source({ kind: 'generator' }, { uid: 'in' }).sink({ kind: 'discard' }, { uid: 'out' });
    const s = env.build().settings;
    expect([s.stateBackend, s.parallelism, s.maxParallelism, s.jobName]).toEqual(['heap', 3, 64, 'j']);
    expect([s.checkpoint.intervalMs, s.checkpoint.retainedCheckpoints]).toEqual([250, 2]);
  });

  it('without overrides the job decides', () => {
    const env = createJobContext({ outputDir: 'o', args: {} }).env({ stateBackend: 'heap', parallelism: 2 });
    env.source({ kind: 'generator' }, { uid: 'in' }).sink({ kind: 'discard' }, { uid: 'out' });
    expect(env.build().settings.stateBackend).toBe('heap');
    expect(env.build().settings.parallelism).toBe(2);
  });

  it('numberArg parses numbers, Infinity and the fallback, and names a bad value', () => {
    const c = createJobContext({ outputDir: 'o', args: { a: '12', b: 'Infinity', c: 'x', d: '' } });
    expect(c.numberArg('a', 0)).toBe(12);
    expect(c.numberArg('b', 0)).toBe(Infinity);
    expect(c.numberArg('zz', 5)).toBe(5);
    expect(() => c.numberArg('c', 0)).toThrow('--arg c=x: not a number');
    expect(() => c.numberArg('d', 0)).toThrow('--arg d=: not a number');
  });

  it('reports the --arg names the job never read', () => {
    const c = createJobContext({ outputDir: 'o', args: { used: '1', read: 'x', typo: '2' } });
    c.numberArg('used', 0);
    void c.args.read;
    expect(c.unusedArgs()).toEqual(['typo']);
    expect(Object.isFrozen(c.args)).toBe(true);
  });
});

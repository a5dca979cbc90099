/**
 * `weir inspect` and `weir verify` on a real checkpoint of the counting job: the table, `--json`,
 * `--dump` as JSON lines, the errors a user meets (unknown uid, a path that is no checkpoint, bad
 * options), and verify's per-file lines and exit statuses. In process through `main`, plus one run
 * of the real `bin/weir.js` for the exit status a shell sees.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEIR_BIN } from '../src/cli/child-run.js';
import { main } from '../src/cli/main.js';
import type { CliOutput } from '../src/cli/output.js';
import { GeneratorSource, type GeneratorOptions } from '../src/connectors/generator-source.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import { jobDirectory } from '../src/storage/checkpoint-layout.js';
import { countingJob } from './support/counting-job.js';
import { flipByte, latestCheckpointDir } from './support/restore-points.js';
import { tempDirs } from './support/temp-dirs.js';

const SOURCE: GeneratorOptions = { count: 2000, keys: 30, seed: 5, ratePerSecond: 40_000 };

/** Per key, how many records carry it: the counter's final value. */
function finalCounts(): Map<number, number> {
  const gen = new GeneratorSource(SOURCE);
  const counts = new Map<number, number>();
  for (let i = 0; i < SOURCE.count; i++) counts.set(gen.record(i).key, (counts.get(gen.record(i).key) ?? 0) + 1);
  return counts;
}

async function weir(...args: string[]): Promise<{ status: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliOutput = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const status = await main(args, io);
  return { status, out, err };
}

describe('weir inspect and weir verify', () => {
  const tmp = tempDirs();
  let chk: string;

  // One checkpoint for every test (tempDirs' directories go after each test, so this one is made here).
  const dir = mkdtempSync(join(tmpdir(), 'weir-cli-inspect-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    await new LocalExecutor().run(countingJob({ backend: 'wasm', source: SOURCE, sink: { kind: 'discard' }, checkpoint: { incremental: true } }), {
      checkpointDir: dir,
      jobId: 'cli',
    });
    chk = latestCheckpointDir(jobDirectory(dir, 'cli'));
  });

  it('the commands are listed next to the others', async () => {
    const r = await weir('--help');
    expect(r.status).toBe(0);
    for (const name of ['run', 'chaos', 'inspect', 'verify']) expect(r.out.join('\n')).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it('inspect prints operators, key groups per subtask, entries per state and sizes', async () => {
    const r = await weir('inspect', chk);
    expect(r.err).toEqual([]);
    expect(r.status).toBe(0);
    const text = r.out.join('\n');
    expect(text).toMatch(/^checkpoint \d+ of job "cli"/);
    expect(text).toMatch(/incremental, codec brotli level 1/);
    expect(text).toMatch(/operator "count": parallelism 2, maxParallelism 128, \d+ files, [\d.]+ k?B on disk, [\d.]+ k?B raw/);
    expect(text).toMatch(new RegExp(`^  count +value +number@1 +no +${finalCounts().size}$`, 'm'));
    expect(text).toMatch(/^ +0 +0-63 +keyed-incremental\(\d+\) /m);
    expect(text).toMatch(/^ +1 +64-127 +keyed-incremental\(\d+\) /m);
    expect(text).toMatch(/operator "src"/);
  });

  it('inspect --json prints the summary as JSON', async () => {
    const r = await weir('inspect', chk, '--json');
    expect(r.status).toBe(0);
    const s = JSON.parse(r.out.join('\n'));
    expect(s).toMatchObject({ type: 'checkpoint', jobId: 'cli', path: chk });
    const count = s.operators.find((o: { uid: string }) => o.uid === 'count');
    expect(count.states).toEqual([{ name: 'count', kind: 'value', ttl: false, serializerId: 'number@1', entries: finalCounts().size }]);
    expect(count.subtasks.map((x: { keyedEntries: { count: number } }) => x.keyedEntries.count).reduce((a: number, b: number) => a + b)).toBe(finalCounts().size);
  });

  it('inspect --dump writes the keyed state as JSON lines, equal to the counts', async () => {
    const r = await weir('inspect', chk, '--dump', 'count', '--state', 'count');
    expect(r.status).toBe(0);
    const entries = r.out.map((l) => JSON.parse(l) as { subtask: number; keyGroup: number; state: string; key: number; value: number });
    expect(new Map(entries.map((e) => [e.key, e.value]))).toEqual(finalCounts());
    expect(entries.every((e) => e.state === 'count' && (e.subtask === 0 ? e.keyGroup < 64 : e.keyGroup >= 64))).toBe(true);
  });

  it('inspect --dump of an unknown uid exits 1 listing the uids; bad option combinations exit 2', async () => {
    const r = await weir('inspect', chk, '--dump', 'counter');
    expect(r.status).toBe(1);
    expect(r.out).toEqual([]);
    expect(r.err.join('\n')).toMatch(/weir inspect: checkpoint .* has no operator with uid "counter" \(uids: "src", "count", "out"\)/);
    expect((await weir('inspect', chk, '--state', 'count')).status).toBe(2);
    expect((await weir('inspect', chk, '--dump', 'count', '--json')).status).toBe(2);
  });

  it('a path that is no savepoint or checkpoint exits 1 with a clear message', async () => {
    const dir = tmp('not-a-checkpoint');
    for (const command of ['inspect', 'verify']) {
      const r = await weir(command, dir);
      expect(r.status).toBe(1);
      expect(r.err.join('\n')).toBe(`weir ${command}: ${dir} has no _metadata: not a completed savepoint or checkpoint`);
    }
  });

  it('verify prints OK per file and exits 0; after damage it names the bad file and exits 1', async () => {
    const good = await weir('verify', chk);
    expect(good.status).toBe(0);
    expect(good.out[0]).toMatch(/^verifying checkpoint \d+ of job "cli": /);
    expect(good.out[1]).toBe('OK   _metadata');
    const fileLines = good.out.slice(1, -1);
    expect(fileLines.every((l) => l.startsWith('OK   '))).toBe(true);
    expect(good.out.at(-1)).toBe(`all ${fileLines.length} files OK`);

    const victim = fileLines.map((l) => l.slice(5)).find((p) => p.endsWith('.seg'))!;
    const path = join(chk, '..', victim);
    const original = readFileSync(path);
    try {
      writeFileSync(path, flipByte(original, -3));
      const bad = await weir('verify', chk);
      expect(bad.status).toBe(1);
      expect(bad.out.filter((l) => !l.startsWith('OK   ')).slice(1)).toEqual([expect.stringMatching(new RegExp(`^BAD  ${victim}: .*checksum mismatch`))]);
      expect(bad.err).toEqual([`weir verify: 1 of ${fileLines.length} files bad`]);
      // The real command line: what a shell script sees.
      const shell = spawnSync(process.execPath, [WEIR_BIN, 'verify', chk], { encoding: 'utf8', timeout: 60_000 });
      expect(shell.status).toBe(1);
      expect(shell.stdout).toContain(`BAD  ${victim}`);
    } finally {
      writeFileSync(path, original);
    }
  });
});

/**
 * The process-level crash test (`npm run test:chaos`): `weir chaos` on the example jobs, run as a
 * user runs it, for both state backends. Each run SIGKILLs the job several times at seeded random
 * moments and must commit exactly the reference run's output: nothing lost, nothing duplicated.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WEIR_BIN } from '../../src/cli/child-run.js';
import { mulberry32 } from '../../src/random/mulberry32.js';
import type { StateBackendKind } from '../../src/state/types.js';

const KILLS = 4;
const examples = join(import.meta.dirname, '..', '..', 'examples');
const dir = mkdtempSync(join(tmpdir(), 'weir-chaos-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic text with a skewed vocabulary: hot words get long running counts, rare ones appear once. */
function writeWords(path: string, lines: number, seed: number): void {
  const rnd = mulberry32(seed);
  const out: string[] = [];
  for (let l = 0; l < lines; l++) {
    const words: string[] = [];
    for (let n = Math.floor(rnd() * 16); n > 0; n--) words.push(`w${Math.floor(rnd() * rnd() * 20_000)}`);
    out.push(words.join(' '));
  }
  writeFileSync(path, out.join('\n') + '\n');
}

const input = join(dir, 'words.txt');
writeWords(input, 350_000, 7);

/**
 * Sized so the reference run takes several seconds on a 2-core machine (the demo by its rate, so
 * by the clock rather than the CPU): with checkpoints every 250 ms, a run between two kills
 * completes a few checkpoints and sink commits, and the kills hit every phase of them.
 */
const JOBS = [
  {
    name: 'demo-job (generator → keyed count and sum → transactional files)',
    file: join(examples, 'demo-job.ts'),
    args: ['--arg', 'events=800000', '--arg', 'rate=100000', '--arg', 'keys=2000'],
  },
  {
    name: 'file-count-job (file lines → words → keyed count → transactional files)',
    file: join(examples, 'file-count-job.ts'),
    args: ['--arg', `input=${input}`],
  },
];

function weirChaos(args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WEIR_BIN, 'chaos', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.once('error', reject);
    child.once('exit', (status) => resolve({ status, output }));
  });
}

describe('weir chaos on the example jobs', () => {
  let seed = 0;
  for (const job of JOBS) {
    for (const backend of ['heap', 'wasm'] as const satisfies readonly StateBackendKind[]) {
      const runSeed = ++seed;
      it(`${job.name}, ${backend}: ${KILLS} SIGKILLs lose and duplicate nothing`, async () => {
        const { status, output } = await weirChaos([
          job.file,
          '--kills', String(KILLS),
          '--seed', String(runSeed),
          '--backend', backend,
          '--parallelism', '2',
          '--checkpoint-interval-ms', '250',
          '--timeout-ms', '150000',
          ...job.args,
        ]);
        console.log(output);
        expect(status, output).toBe(0);
        expect(output).toMatch(/^lost: 0, duplicated: 0, unexpected: 0$/m);
        const kills = Number(/^chaos: (\d+) kill\(s\)/m.exec(output)?.[1]);
        expect(kills, output).toBeGreaterThanOrEqual(KILLS - 1);
      });
    }
  }
});

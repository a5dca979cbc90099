/**
 * The crash test must fail a job that is not exactly-once: here a counter kept in a closure (not
 * in keyed state) starts again from zero after a restore, so the resumed run re-emits low counts
 * (duplicated lines) and never reaches the high ones (lost lines).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { WEIR_BIN } from '../../src/cli/child-run.js';

const dir = mkdtempSync(join(tmpdir(), 'weir-chaos-negative-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('weir chaos reports lost and duplicated lines, and exits 1, for state kept outside keyed state', () => {
  const job = join(dir, 'closure-counter-job.mjs');
  writeFileSync(
    job,
    `export default function build(ctx) {
  const counts = new Map(); // not checkpointed: the bug under test
  const env = ctx.env({ jobName: 'closure-counter' });
  env.source({ kind: 'generator', payload: { count: 400000, keys: 100, seed: 5, ratePerSecond: 100000 } }, { uid: 'in', parallelism: 1 })
    .map((e) => { const n = (counts.get(e.key) ?? 0) + 1; counts.set(e.key, n); return e.key + ',' + n; })
    .sink({ kind: 'transactional-file', payload: { dir: ctx.outputDir } }, { uid: 'out' });
  return env;
}
`,
  );
  // Kills late enough that a checkpoint has completed, so a restart resumes mid-stream.
  const r = spawnSync(
    process.execPath,
    [WEIR_BIN, 'chaos', job, '--kills', '2', '--seed', '11', '--min-uptime-ms', '2000', '--checkpoint-interval-ms', '200', '--work-dir', join(dir, 'work')],
    { encoding: 'utf8', timeout: 120_000 },
  );
  const output = r.stdout + r.stderr;
  console.log(output);
  expect(r.status, output).toBe(1);
  const m = /^lost: (\d+), duplicated: (\d+), unexpected: (\d+)$/m.exec(output);
  expect(m, output).not.toBeNull();
  expect(Number(m![1])).toBeGreaterThan(0);
  expect(Number(m![2])).toBeGreaterThan(0);
  expect(output).toMatch(/FAILED: the outputs differ/);
  expect(output).toMatch(/^ {2}lost ×1: "\d+,\d+"$/m);
}, 150_000);

/**
 * Upgrading a job from a savepoint (DESIGN.md point 7): state is matched by uid. A savepoint with
 * state for a uid the new job lacks is refused, naming it, unless allowNonRestoredState; an operator
 * the savepoint does not know starts empty. Two jobs may start from one savepoint (an A/B test).
 */
import { describe, expect, it } from 'vitest';
import { readCommittedLines } from '../src/cli/committed-output.js';
import type { GeneratorOptions } from '../src/connectors/generator-source.js';
import { StreamEnvironment } from '../src/api/environment.js';
import { IncompatibleCheckpointError } from '../src/runtime/state-assignment.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import { countingJob, expectExactlyOnce, expectedCounts, keyedCounter, QUICK_RESTARTS } from './support/counting-job.js';
import { gatedConnectors, gatedGeneratorSpec, holdFrom } from './support/gated-generator.js';
import { RunEvents } from './support/run-events.js';
import { tempDirs } from './support/temp-dirs.js';

const SOURCE: GeneratorOptions = { count: 4_000, keys: 20, seed: 11 };
const HOLD_AT = 1_500;

describe('upgrading from a savepoint', () => {
  const tmp = tempDirs();

  async function stoppedSavepoint(outDir: string): Promise<string> {
    let running!: () => void;
    const ready = new Promise<void>((r) => (running = r));
    const client = new LocalExecutor().start(
      countingJob({ backend: 'wasm', source: SOURCE, gate: holdFrom(HOLD_AT, () => false), sink: { kind: 'transactional-file', payload: { dir: outDir } } }),
      { checkpointDir: tmp('chk'), savepointDir: tmp('sp'), connectors: gatedConnectors(), listener: new RunEvents({ completed: () => running() }) },
    );
    await Promise.race([ready, client.result]);
    const { path } = await client.stopWithSavepoint();
    await client.result;
    return path;
  }

  /** v2 of the job: the counter got a new uid (a rewrite whose state is not compatible). */
  function renamedCounter(outDir: string): StreamEnvironment {
    const env = new StreamEnvironment({ jobName: 'counting', parallelism: 2, stateBackend: 'heap', checkpoint: { intervalMs: 5 }, restartStrategy: QUICK_RESTARTS });
    env
      .source(gatedGeneratorSpec(SOURCE, () => true), { uid: 'src' })
      .keyBy((r) => r.key)
      .process(keyedCounter(), { uid: 'count-v2' })
      .sink({ kind: 'transactional-file', payload: { dir: outDir } }, { uid: 'out' });
    return env;
  }

  it('state of a uid the job no longer has is refused before anything runs, naming the uid', async () => {
    const outDir = tmp('out');
    const savepoint = await stoppedSavepoint(outDir);
    const before = (await readCommittedLines(outDir)).lines;
    const run = new LocalExecutor().run(renamedCounter(outDir), { checkpointDir: tmp('chk'), connectors: gatedConnectors(), fromSavepoint: savepoint });
    await expect(run).rejects.toThrow(IncompatibleCheckpointError);
    await expect(run).rejects.toThrow(/uid "count", which this job does not have.*allowNonRestoredState/s);
    expect((await readCommittedLines(outDir)).lines).toEqual(before);
  });

  it('with allowNonRestoredState the state is dropped, the new operator starts empty and the source resumes', async () => {
    const outDir = tmp('out');
    const savepoint = await stoppedSavepoint(outDir);
    const before = (await readCommittedLines(outDir)).lines;
    await new LocalExecutor().run(renamedCounter(outDir), {
      checkpointDir: tmp('chk'),
      connectors: gatedConnectors(),
      fromSavepoint: savepoint,
      allowNonRestoredState: true,
    });
    const added = subtract((await readCommittedLines(outDir)).lines, before);
    // the counter restarted from zero over the records after the savepoint: per key 1..(records after it)
    const countsBefore = new Map<string, number>();
    for (const l of before) {
      const [k, n] = l.split(':');
      countsBefore.set(k!, Math.max(countsBefore.get(k!) ?? 0, Number(n)));
    }
    const total = new Map<string, number>();
    for (const l of expectedCounts(SOURCE)) {
      const [k, n] = l.split(':');
      total.set(k!, Math.max(total.get(k!) ?? 0, Number(n)));
    }
    const expectedNew: string[] = [];
    for (const [k, n] of total) for (let i = 1; i <= n - (countsBefore.get(k) ?? 0); i++) expectedNew.push(`${k}:${i}`);
    expect(added.length).toBeGreaterThan(0);
    expectExactlyOnce(added, expectedNew);
  });

  it('two jobs started from one savepoint (A/B) each produce the rest of the output in their own directory', async () => {
    const outA = tmp('out');
    const savepoint = await stoppedSavepoint(outA);
    const head = (await readCommittedLines(outA)).lines;
    const outB = tmp('out');
    for (const [dir, backend] of [[outA, 'heap'], [outB, 'wasm']] as const) {
      await new LocalExecutor().run(countingJob({ backend, source: SOURCE, gate: () => true, sink: { kind: 'transactional-file', payload: { dir } } }), {
        checkpointDir: tmp('chk'),
        connectors: gatedConnectors(),
        fromSavepoint: savepoint,
      });
    }
    expectExactlyOnce((await readCommittedLines(outA)).lines, expectedCounts(SOURCE));
    expectExactlyOnce([...head, ...(await readCommittedLines(outB)).lines], expectedCounts(SOURCE));
  });
});

/** `all` minus one occurrence of each line of `some` (multisets). */
function subtract(all: readonly string[], some: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const l of some) left.set(l, (left.get(l) ?? 0) + 1);
  const out: string[] = [];
  for (const l of all) {
    const n = left.get(l) ?? 0;
    if (n > 0) left.set(l, n - 1);
    else out.push(l);
  }
  return out;
}

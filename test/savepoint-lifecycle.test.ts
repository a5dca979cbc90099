/**
 * Savepoints end to end (DESIGN.md point 7) on the counting job: triggered while the job runs, taken
 * by stop-with-savepoint, restored by a new run — moved to another folder, into the other backend,
 * from a retained checkpoint — and rejected, naming the file, when damaged. Output goes through the
 * transactional file sink, so "identical to an uninterrupted run" is checked on committed files.
 */
import { appendFileSync, cpSync, existsSync, readdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listCommittedFiles, readCommittedLines } from '../src/cli/committed-output.js';
import type { GeneratorOptions } from '../src/connectors/generator-source.js';
import { SavepointError, type JobClient, type SavepointInfo } from '../src/runtime/job-client.js';
import { LocalExecutor, type LocalExecutorOptions } from '../src/runtime/local-executor.js';
import { decodeCheckpointMetadata } from '../src/storage/checkpoint-metadata.js';
import { RestorePointError } from '../src/storage/restore-point.js';
import type { StateBackendKind } from '../src/state/types.js';
import { countingJob, expectExactlyOnce, expectedCounts } from './support/counting-job.js';
import { gatedConnectors, holdFrom } from './support/gated-generator.js';
import { RunEvents } from './support/run-events.js';
import { tempDirs } from './support/temp-dirs.js';
import { uncommittedFiles } from './support/transactional-output.js';

const SOURCE: GeneratorOptions = { count: 6_000, keys: 30, seed: 7 };
const EXPECTED = expectedCounts(SOURCE);
/** Records from this id on wait for the gate: the job is mid-input when the savepoint is taken. */
const HOLD_AT = 2_500;

interface Setup {
  readonly checkpointDir: string;
  readonly outDir: string;
  readonly savepointDir: string;
}

function job(backend: StateBackendKind, s: Setup, released: () => boolean, parallelism = 2) {
  return countingJob({
    backend,
    parallelism,
    source: SOURCE,
    gate: holdFrom(HOLD_AT, released),
    sink: { kind: 'transactional-file', payload: { dir: s.outDir } },
  });
}

/** Starts the job and resolves once a checkpoint completed (so it is running and mid-input). */
async function startRunning(backend: StateBackendKind, s: Setup, released: () => boolean, extra: LocalExecutorOptions = {}): Promise<JobClient> {
  let running!: () => void;
  const ready = new Promise<void>((r) => (running = r));
  const events = new RunEvents({ completed: () => running() });
  const client = new LocalExecutor().start(job(backend, s, released, (extra as { parallelism?: number }).parallelism), {
    checkpointDir: s.checkpointDir,
    connectors: gatedConnectors(),
    listener: events,
    savepointDir: s.savepointDir,
    ...extra,
  });
  await Promise.race([ready, client.result]);
  return client;
}

async function committed(dir: string): Promise<string[]> {
  return (await readCommittedLines(dir)).lines;
}

describe('savepoints of a running job', () => {
  const tmp = tempDirs();
  const setup = (): Setup => ({ checkpointDir: tmp('chk'), outDir: tmp('out'), savepointDir: tmp('sp') });

  it.each(['heap', 'wasm'] as const)('%s: triggerSavepoint writes a self-contained savepoint and the job carries on', async (backend) => {
    const s = setup();
    let released = false;
    const client = await startRunning(backend, s, () => released);
    const info = await client.triggerSavepoint();
    expect(info.path.startsWith(s.savepointDir)).toBe(true);
    expect(info.checkpointId).toBeGreaterThan(0);
    const files = readdirSync(info.path).sort();
    expect(files).toContain('_metadata');
    const metadata = await decodeCheckpointMetadata(readFileSync(join(info.path, '_metadata')), '_metadata');
    expect(metadata.type).toBe('savepoint');
    expect(metadata.stateBackend).toBe(backend);
    // every referenced file sits beside _metadata, and nothing else does
    const referenced = metadata.operators.flatMap((o) => o.subtasks.flatMap((st) => st.handles.flatMap((h) => (h.kind === 'keyed-incremental' ? h.chain : h.files))));
    expect(referenced.every((f) => !f.path.includes('/'))).toBe(true);
    expect(new Set(referenced.map((f) => f.path))).toEqual(new Set(files.filter((f) => f !== '_metadata')));
    expect(info.sizeBytes).toBe(files.reduce((n, f) => n + readFileSync(join(info.path, f)).length, 0));
    expect(metadata.operators.map((o) => o.uid).sort()).toEqual(['count', 'out', 'src']);
    // an intermediate savepoint does not commit: nothing is published under its id
    expect(readdirSync(s.outDir).filter((f) => f.endsWith(`-${info.checkpointId}`))).toEqual([]);
    released = true;
    await client.result;
    expect(client.status).toBe('finished');
    expectExactlyOnce(await committed(s.outDir), EXPECTED);
    expect(existsSync(join(info.path, '_metadata'))).toBe(true); // never deleted by weir
  });

  it('stop-with-savepoint ends the job; resuming from it (in the other backend) gives the uninterrupted output', async () => {
    const reference = setup();
    await new LocalExecutor().run(job('heap', reference, () => true), { checkpointDir: reference.checkpointDir, connectors: gatedConnectors() });
    const uninterrupted = (await committed(reference.outDir)).sort();
    expectExactlyOnce(uninterrupted, EXPECTED);

    const s = setup();
    const client = await startRunning('heap', s, () => false);
    const info = await client.stopWithSavepoint();
    const stats = await client.result;
    expect(stats.jobName).toBe('counting');
    const before = await committed(s.outDir);
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(EXPECTED.length);
    expect(uncommittedFiles(s.outDir)).toEqual([]); // the stop savepoint's completion committed everything
    expect(readdirSync(s.savepointDir)).toEqual([basename(info.path)]); // one final savepoint, not one per tick while it completes

    const events = new RunEvents();
    await new LocalExecutor().run(job('wasm', s, () => true), {
      checkpointDir: s.checkpointDir,
      connectors: gatedConnectors(),
      fromSavepoint: info.path,
      listener: events,
    });
    expect(events.restored[0]).toMatchObject({ checkpointId: info.checkpointId, savepointPath: info.path });
    expect((await committed(s.outDir)).sort()).toEqual(uninterrupted);
  });

  it('a savepoint moved to another folder restores', async () => {
    const s = setup();
    const client = await startRunning('wasm', s, () => false);
    const info = await client.stopWithSavepoint();
    await client.result;
    const moved = join(tmp('elsewhere'), 'renamed-savepoint');
    renameSync(info.path, moved);
    await new LocalExecutor().run(job('wasm', s, () => true), { checkpointDir: s.checkpointDir, connectors: gatedConnectors(), fromSavepoint: moved });
    expectExactlyOnce(await committed(s.outDir), EXPECTED);
  });

  it('running again without naming the savepoint resumes from the one the job was stopped with', async () => {
    const s = setup();
    const client = await startRunning('heap', s, () => false);
    const info = await client.stopWithSavepoint();
    await client.result;
    const events = new RunEvents();
    await new LocalExecutor().run(job('heap', s, () => true), { checkpointDir: s.checkpointDir, connectors: gatedConnectors(), listener: events });
    expect(events.restored[0]).toMatchObject({ checkpointId: info.checkpointId, savepointPath: info.path });
    expectExactlyOnce(await committed(s.outDir), EXPECTED);
  });

  it('restores from a retained checkpoint the user points at, in another job directory', async () => {
    const s = setup();
    const client = await startRunning('heap', s, () => false);
    const info = await client.stopWithSavepoint();
    await client.result;
    // the newest retained checkpoint of the first run, copied elsewhere with its job directory
    const copy = join(tmp('copy'), 'counting');
    cpSync(join(s.checkpointDir, 'counting'), copy, { recursive: true });
    const n = Math.max(...readdirSync(copy).filter((d) => /^chk-\d+$/.test(d)).map((d) => Number(d.slice(4))));
    expect(n).toBeLessThan(info.checkpointId);
    const other = setup();
    const events = new RunEvents();
    await new LocalExecutor().run(job('wasm', other, () => true), {
      checkpointDir: other.checkpointDir,
      connectors: gatedConnectors(),
      fromSavepoint: join(copy, `chk-${n}`),
      listener: events,
    });
    expect(events.restored[0]!.checkpointId).toBe(n);
    // checkpoint n holds what the first run committed up to n; the second run produced the rest
    const upToN: string[] = [];
    for (const f of await listCommittedFiles(s.outDir)) {
      if (f.checkpointId > n) continue;
      upToN.push(...readFileSync(join(s.outDir, f.name), 'utf8').split('\n').filter((l) => l !== ''));
    }
    expectExactlyOnce([...upToN, ...(await committed(other.outDir))], EXPECTED);
  });

  it('savepoints need checkpointing, a target directory and a running job', async () => {
    const s = setup();
    const noCheckpoints = new LocalExecutor().start(job('heap', s, () => true), { connectors: gatedConnectors(), savepointDir: s.savepointDir });
    await expect(noCheckpoints.triggerSavepoint()).rejects.toThrow(SavepointError);
    await noCheckpoints.result.catch(() => undefined);
    const client = await startRunning('heap', s, () => false, { savepointDir: undefined });
    await expect(client.triggerSavepoint()).rejects.toThrow(/no savepoint directory/);
    await client.stopWithSavepoint({ targetDirectory: s.savepointDir });
    await client.result;
    await expect(client.triggerSavepoint()).rejects.toThrow(/is finished/);
  });

  it('a savepoint asked for while the job is still starting waits for it', async () => {
    const s = setup();
    let released = false;
    const client = new LocalExecutor().start(job('heap', s, () => released), {
      checkpointDir: s.checkpointDir,
      connectors: gatedConnectors(),
      savepointDir: s.savepointDir,
    });
    const info = await client.triggerSavepoint();
    expect(existsSync(join(info.path, '_metadata'))).toBe(true);
    released = true;
    await client.result;
    expectExactlyOnce(await committed(s.outDir), EXPECTED);
  });

  it('a failed savepoint is reported, its directory removed, and the job carries on', async () => {
    const s = setup();
    let failNext = false;
    let released = false;
    const client = await startRunning('wasm', s, () => released, {
      faults: (point) => {
        if (point === 'async-write' && failNext) {
          failNext = false;
          throw new Error('disk full (injected)');
        }
      },
    });
    failNext = true;
    await expect(client.triggerSavepoint()).rejects.toThrow(/savepoint \d+ failed: .*disk full/);
    // removal is asynchronous with the job; give it a moment
    await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(s.savepointDir)).toEqual([]);
    const ok: SavepointInfo = await client.triggerSavepoint();
    expect(existsSync(join(ok.path, '_metadata'))).toBe(true);
    released = true;
    await client.result;
    expectExactlyOnce(await committed(s.outDir), EXPECTED);
  });
});

describe('damaged savepoints are rejected before anything runs, naming the file', () => {
  const tmp = tempDirs();

  async function stoppedSavepoint(): Promise<{ s: Setup; info: SavepointInfo }> {
    const s = { checkpointDir: tmp('chk'), outDir: tmp('out'), savepointDir: tmp('sp') };
    const client = await startRunning('heap', s, () => false);
    const info = await client.stopWithSavepoint();
    await client.result;
    return { s, info };
  }

  async function restoreFails(s: Setup, path: string): Promise<Error> {
    const before = await committed(s.outDir);
    const error = await new LocalExecutor()
      .run(job('heap', s, () => true), { checkpointDir: s.checkpointDir, connectors: gatedConnectors(), fromSavepoint: path })
      .then(() => undefined, (e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect(await committed(s.outDir)).toEqual(before); // nothing ran
    return error!;
  }

  it('a flipped byte in a state file', async () => {
    const { s, info } = await stoppedSavepoint();
    const file = readdirSync(info.path).find((f) => f.endsWith('.state'))!;
    const bytes = readFileSync(join(info.path, file));
    bytes[bytes.length - 10]! ^= 0xff;
    writeFileSync(join(info.path, file), bytes);
    const e = await restoreFails(s, info.path);
    expect(e.message).toContain(join(info.path, file));
    expect(e.message).toMatch(/checksum|CRC/i);
  });

  it('a truncated file, a missing file, and a corrupt _metadata', async () => {
    const { s, info } = await stoppedSavepoint();
    const [a, b] = readdirSync(info.path).filter((f) => f !== '_metadata');
    truncateSync(join(info.path, a!), 10);
    let e = await restoreFails(s, info.path);
    expect(e).toBeInstanceOf(RestorePointError);
    expect(e.message).toContain(`${join(info.path, a!)} has 10 bytes`);
    renameSync(join(info.path, b!), join(info.path, `${b}.gone`));
    e = await restoreFails(s, info.path);
    expect(e.message).toContain(`${join(info.path, b!)} is missing`);
    appendFileSync(join(info.path, '_metadata'), 'x');
    e = await restoreFails(s, info.path);
    expect(e.message).toContain(join(info.path, '_metadata'));
  });

  it('a path that is not a savepoint', async () => {
    const s = { checkpointDir: tmp('chk'), outDir: tmp('out'), savepointDir: tmp('sp') };
    const e = await restoreFails(s, s.savepointDir);
    expect(e.message).toMatch(/has no _metadata/);
  });
});

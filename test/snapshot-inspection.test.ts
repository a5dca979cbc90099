/**
 * Inspecting real checkpoints (the state processor behind `weir inspect` and `weir verify`): a job
 * with every kind of keyed state runs to its end on both backends, with and without incremental
 * checkpoints; its final checkpoint is summarized, dumped and verified, and the results are checked
 * against what the job put in state, computed independently from the generator's records. Then the
 * checkpoint is damaged in the ways disks and people damage files, and verify must name each file.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { KeyedProcessFunction } from '../src/api/functions.js';
import { GeneratorSource, type GeneratedRecord, type GeneratorOptions } from '../src/connectors/generator-source.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import { ByteWriter } from '../src/state/byte-writer.js';
import { listState, mapState, reducingState, valueState } from '../src/state/descriptors.js';
import { recordSerializer } from '../src/state/record-serializer.js';
import { Serializers, type Serializer } from '../src/state/serializers.js';
import { decodeStateEntry } from '../src/state/state-entry-decoder.js';
import { compositeKey } from '../src/state/snapshot-format.js';
import { keyBytes } from '../src/state/key-codec.js';
import type { ListState, MapState, ReducingState, StateBackendKind, ValueState } from '../src/state/types.js';
import { jobDirectory } from '../src/storage/checkpoint-layout.js';
import { handleFiles } from '../src/storage/checkpoint-metadata.js';
import { createCodec } from '../src/storage/codec.js';
import { decodeFile, encodeFile, FILE_KIND } from '../src/storage/file-container.js';
import { openRestorePoint, RestorePointError } from '../src/storage/restore-point.js';
import { RestorePointReadError } from '../src/storage/restore-point-state.js';
import { verifyRestorePoint } from '../src/storage/restore-point-verify.js';
import { dumpKeyedState, InspectionError, summarizeRestorePoint, type KeyedStateRecord } from '../src/storage/snapshot-inspection.js';
import { BACKEND_KINDS } from './support/backends.js';
import { countingJob, QUICK_RESTARTS } from './support/counting-job.js';
import { gatedConnectors, holdFrom } from './support/gated-generator.js';
import { flipByte, latestCheckpointDir } from './support/restore-points.js';
import { tempDirs } from './support/temp-dirs.js';

/** ~100 ms at the rate: a few dozen checkpoints at 5 ms, so incremental chains have deltas. */
const SOURCE: GeneratorOptions = { count: 3000, keys: 25, seed: 7, ratePerSecond: 30_000 };
const JOB_ID = 'inspected';
const UID = 'stateful';
const DAY_MS = 86_400_000;

/** A serializer weir does not know: the dump must show its bytes as base64. */
const minMaxSerializer: Serializer<{ min: number; max: number }> = {
  id: 'minmax@1',
  write: (v, out) => {
    out.f64(v.min);
    out.f64(v.max);
  },
  read: (buf, off) => {
    const d = new DataView(buf.buffer, buf.byteOffset + off, 16);
    return { min: d.getFloat64(0, true), max: d.getFloat64(8, true) };
  },
};

interface Handles {
  count?: ValueState<number>;
  sevenths?: ListState<{ id: number; v: number }>;
  parity?: MapState<string, number>;
  latest?: ValueState<{ id: number; value: number }>;
  total?: ReducingState<bigint>;
  range?: ValueState<{ min: number; max: number }>;
}

/** One state of every kind, TTL on one, a user serializer on another. */
function everyKindOfState(): KeyedProcessFunction<number, GeneratedRecord, string> & Handles {
  return {
    open(rt) {
      this.count = rt.getState(valueState('count', Serializers.number));
      this.sevenths = rt.getListState(listState('sevenths', Serializers.json));
      this.parity = rt.getMapState(mapState('parity', Serializers.string, Serializers.number));
      this.latest = rt.getState(valueState('latest', Serializers.json, { ttl: { ttlMs: DAY_MS } }));
      this.total = rt.getReducingState(reducingState('total', (a: bigint, b: bigint) => a + b, Serializers.bigint));
      this.range = rt.getState(valueState('range', minMaxSerializer));
    },
    processElement(r, _ctx, out) {
      this.count!.update((this.count!.value() ?? 0) + 1);
      if (r.id % 7 === 0) this.sevenths!.add({ id: r.id, v: r.value });
      const p = r.value % 2 === 0 ? 'even' : 'odd';
      this.parity!.put(p, (this.parity!.get(p) ?? 0) + 1);
      const latest = this.latest!.value();
      if (latest === undefined || r.id > latest.id) this.latest!.update({ id: r.id, value: r.value });
      this.total!.add(BigInt(r.value));
      const range = this.range!.value();
      this.range!.update({ min: Math.min(range?.min ?? r.value, r.value), max: Math.max(range?.max ?? r.value, r.value) });
      out.collect(String(r.id));
    },
  };
}

/** What the job holds per key after all records, computed from the generator alone. */
interface KeyModel {
  count: number;
  sevenths: Array<{ id: number; v: number }>;
  parity: Map<string, number>;
  latest: { id: number; value: number };
  total: bigint;
  min: number;
  max: number;
}

function model(source: GeneratorOptions): Map<number, KeyModel> {
  const gen = new GeneratorSource(source);
  const out = new Map<number, KeyModel>();
  for (let i = 0; i < source.count; i++) {
    const r = gen.record(i);
    let m = out.get(r.key);
    if (m === undefined) {
      m = { count: 0, sevenths: [], parity: new Map(), latest: { id: r.id, value: r.value }, total: 0n, min: r.value, max: r.value };
      out.set(r.key, m);
    }
    m.count++;
    if (r.id % 7 === 0) m.sevenths.push({ id: r.id, v: r.value });
    const p = r.value % 2 === 0 ? 'even' : 'odd';
    m.parity.set(p, (m.parity.get(p) ?? 0) + 1);
    if (r.id > m.latest.id) m.latest = { id: r.id, value: r.value };
    m.total += BigInt(r.value);
    m.min = Math.min(m.min, r.value);
    m.max = Math.max(m.max, r.value);
  }
  return out;
}

const MODEL = model(SOURCE);

/** Expected live entries per state name. */
function expectedEntryCounts(m: Map<number, KeyModel>): Record<string, number> {
  const keys = [...m.values()];
  return {
    count: keys.length,
    sevenths: keys.filter((k) => k.sevenths.length > 0).length,
    parity: keys.reduce((n, k) => n + k.parity.size, 0),
    latest: keys.length,
    total: keys.length,
    range: keys.length,
  };
}

/** Runs the job to its end (its final checkpoint holds every record); returns the newest chk-<n> directory. */
async function runToEnd(dir: string, backend: StateBackendKind, incremental: boolean, codec: string): Promise<string> {
  const env = new StreamEnvironment({
    jobName: 'inspection',
    parallelism: 2,
    stateBackend: backend,
    checkpoint: { intervalMs: 5, incremental, compression: { codec } },
    restartStrategy: QUICK_RESTARTS,
  });
  env
    .source<GeneratedRecord>({ kind: 'generator', payload: SOURCE }, { uid: 'src' })
    .keyBy((r) => r.key)
    .process(everyKindOfState(), { uid: UID })
    .sink({ kind: 'discard' }, { uid: 'out' });
  await new LocalExecutor().run(env, { checkpointDir: dir, jobId: JOB_ID });
  // Run again on the same directory: it restores the final checkpoint and, its input being at the
  // end, takes one more final checkpoint at once, a delta on the restored chain. So the newest
  // checkpoint holds the final state as a base plus deltas, however the first run's chain compacted.
  if (incremental) await new LocalExecutor().run(env, { checkpointDir: dir, jobId: JOB_ID });
  return latestCheckpointDir(jobDirectory(dir, JOB_ID));
}

async function collect(records: AsyncIterable<KeyedStateRecord>): Promise<KeyedStateRecord[]> {
  const out: KeyedStateRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

const CASES = BACKEND_KINDS.flatMap((backend) => [
  { backend, incremental: true, codec: 'brotli' },
  { backend, incremental: false, codec: 'none' },
]);

describe('inspecting a real checkpoint', () => {
  const tmp = tempDirs();

  it.each(CASES)('$backend, incremental $incremental: summary counts and the dump equal what the job put in state', async ({ backend, incremental, codec }) => {
    const startedAt = Date.now();
    const chk = await runToEnd(tmp('inspect'), backend, incremental, codec);
    const rp = await openRestorePoint(chk);
    const summary = await summarizeRestorePoint(rp);

    expect(summary).toMatchObject({ type: 'checkpoint', jobId: JOB_ID, checkpointId: rp.metadata.checkpointId, path: chk });
    expect(summary.settings.incremental).toBe(incremental);
    if (summary.stateBackend !== undefined) expect(summary.stateBackend).toBe(backend);
    expect(summary.operators.map((o) => o.uid).sort()).toEqual(['out', 'src', UID].sort());
    const op = summary.operators.find((o) => o.uid === UID)!;
    expect(op).toMatchObject({ parallelism: 2, maxParallelism: 128 });
    expect(op.subtasks.map((s) => s.keyGroups)).toEqual([{ start: 0, end: 64 }, { start: 64, end: 128 }]);
    expect(Object.fromEntries(op.states.map((s) => [s.name, s.entries]))).toEqual(expectedEntryCounts(MODEL));
    expect(op.states.find((s) => s.name === 'parity')).toMatchObject({ kind: 'map', serializerId: 'string@1->number@1', ttl: false });
    expect(op.states.find((s) => s.name === 'latest')).toMatchObject({ kind: 'value', ttl: true });
    expect(op.states.find((s) => s.name === 'total')).toMatchObject({ kind: 'reducing', serializerId: 'bigint@1' });

    // Sizes: on-disk bytes are the files' real sizes; raw bytes are what the containers decompress to.
    let onDisk = 0;
    let raw = 0;
    for (const o of rp.metadata.operators) {
      for (const st of o.subtasks) {
        for (const h of st.handles) {
          for (const f of handleFiles(h)) {
            onDisk += statSync(rp.osPath(f)).size;
            raw += (await decodeFile(readFileSync(rp.osPath(f)), h.kind === 'operator' ? FILE_KIND.operatorState : FILE_KIND.stateSegment)).length;
          }
        }
      }
    }
    expect({ bytes: summary.bytes, rawBytes: summary.rawBytes }).toEqual({ bytes: onDisk, rawBytes: raw });
    const handleKinds = new Set(op.subtasks.flatMap((s) => s.handles.map((h) => h.replace(/\(\d+\)$/, ''))));
    expect([...handleKinds]).toEqual([incremental ? 'keyed-incremental' : 'keyed-full']);
    if (incremental) expect(op.subtasks.some((s) => s.files > 1), 'some chain has deltas').toBe(true);

    const dump = await collect(dumpKeyedState(rp, UID));
    const endedAt = Date.now();
    // Every entry sits in its subtask's key groups, in canonical (key group) order.
    for (const [i, e] of dump.entries()) {
      const range = op.subtasks[e.subtask]!.keyGroups!;
      expect(e.keyGroup).toBeGreaterThanOrEqual(range.start);
      expect(e.keyGroup).toBeLessThan(range.end);
      const prev = dump[i - 1];
      if (prev !== undefined && prev.subtask === e.subtask) expect(e.keyGroup).toBeGreaterThanOrEqual(prev.keyGroup);
    }
    const byState = (name: string) => dump.filter((e) => e.state === name);
    expect(new Map(byState('count').map((e) => [e.key, e.value]))).toEqual(new Map([...MODEL].map(([k, m]) => [k, m.count])));
    expect(new Map(byState('total').map((e) => [e.key, e.value]))).toEqual(new Map([...MODEL].map(([k, m]) => [k, m.total.toString()])));
    const sortById = (l: Array<{ id: number; v: number }>) => [...l].sort((a, b) => a.id - b.id);
    expect(new Map(byState('sevenths').map((e) => [e.key, sortById(e.value as Array<{ id: number; v: number }>)]))).toEqual(
      new Map([...MODEL].filter(([, m]) => m.sevenths.length > 0).map(([k, m]) => [k, sortById(m.sevenths)])),
    );
    const parity = byState('parity').map((e) => [e.key, e.userKey, e.value]);
    expect(parity.sort()).toEqual([...MODEL].flatMap(([k, m]) => [...m.parity].map(([p, n]) => [k, p, n])).sort());
    for (const e of byState('latest')) {
      expect(e.value).toEqual(MODEL.get(e.key as number)!.latest);
      expect(e.ttlTimestamp).toBeGreaterThanOrEqual(startedAt);
      expect(e.ttlTimestamp).toBeLessThanOrEqual(endedAt);
    }
    expect(byState('latest')).toHaveLength(MODEL.size);
    // The user's serializer is unknown to weir: base64 of its bytes, which decode to the expected range.
    const ranges = byState('range');
    expect(ranges).toHaveLength(MODEL.size);
    for (const e of ranges) {
      const bytes = Buffer.from((e.value as { base64: string }).base64, 'base64');
      expect(minMaxSerializer.read(bytes, 0, bytes.length)).toEqual({ min: MODEL.get(e.key as number)!.min, max: MODEL.get(e.key as number)!.max });
    }
    expect(dump.every((e) => e.ttlTimestamp === undefined || e.state === 'latest')).toBe(true);
    expect(JSON.parse(JSON.stringify(dump))).toEqual(dump); // plain, JSON-ready objects

    const filtered = await collect(dumpKeyedState(rp, UID, { state: 'parity' }));
    expect(filtered).toEqual(byState('parity'));

    const report = await verifyRestorePoint(chk);
    expect(report.files.filter((f) => f.error !== undefined)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.files.map((f) => f.path)).toEqual(['_metadata', ...new Set(rp.metadata.operators.flatMap((o) => o.subtasks.flatMap((s) => s.handles.flatMap((h) => handleFiles(h).map((f) => f.path)))))]);
  });

  it('an unknown uid or state name is an error listing what is there', async () => {
    const rp = await openRestorePoint(await runToEnd(tmp('unknown'), 'heap', true, 'none'));
    expect(() => dumpKeyedState(rp, 'nope')).toThrow(InspectionError);
    expect(() => dumpKeyedState(rp, 'nope')).toThrow(/no operator with uid "nope" \(uids: "src", "stateful", "out"\)/);
    await expect(collect(dumpKeyedState(rp, UID, { state: 'cnt' }))).rejects.toThrow(
      /operator "stateful" has no keyed state named "cnt" \(states: "count", "sevenths", "parity", "latest", "total", "range"\)/,
    );
    // An operator without keyed state dumps nothing.
    expect(await collect(dumpKeyedState(rp, 'src'))).toEqual([]);
  });
});

describe('verifying a damaged checkpoint', () => {
  const tmp = tempDirs();

  /** A full (non-incremental) uncompressed checkpoint, and its keyed-state and operator-state files. */
  async function damaged(): Promise<{ chk: string; stateFiles: string[]; operatorFiles: string[] }> {
    const chk = await runToEnd(tmp('damaged'), 'wasm', false, 'none');
    const rp = await openRestorePoint(chk);
    const files = (kind: 'keyed' | 'operator') =>
      rp.metadata.operators.flatMap((o) =>
        o.subtasks.flatMap((s) => s.handles.filter((h) => (h.kind === 'operator') === (kind === 'operator')).flatMap((h) => handleFiles(h).map((f) => f.path))),
      );
    return { chk, stateFiles: files('keyed'), operatorFiles: files('operator') };
  }

  const bad = (report: Awaited<ReturnType<typeof verifyRestorePoint>>) => report.files.filter((f) => f.error !== undefined);

  it('names a state file with a flipped byte, a truncated file and a missing one, and checks all the others', async () => {
    const { chk, stateFiles, operatorFiles } = await damaged();
    const jobDir = join(chk, '..');
    const [flipped, truncated] = stateFiles;
    writeFileSync(join(jobDir, flipped!), flipByte(readFileSync(join(jobDir, flipped!)), 100));
    const t = readFileSync(join(jobDir, truncated!));
    writeFileSync(join(jobDir, truncated!), t.subarray(0, t.length - 10));
    rmSync(join(jobDir, operatorFiles[0]!));

    const report = await verifyRestorePoint(chk);
    expect(report.ok).toBe(false);
    expect(report.files).toHaveLength(1 + stateFiles.length + operatorFiles.length);
    expect(bad(report).map((f) => [f.path, f.error])).toEqual([
      [operatorFiles[0], 'missing'],
      [flipped, expect.stringMatching(/checksum mismatch/)],
      [truncated, expect.stringMatching(/has \d+ bytes, _metadata records \d+ \(truncated\)/)],
    ]);
    // Inspect refuses the damaged checkpoint, naming the files.
    await expect(openRestorePoint(chk)).rejects.toThrow(RestorePointError);
  });

  it('finds damage inside a snapshot whose container is intact', async () => {
    const { chk, stateFiles } = await damaged();
    const path = join(chk, '..', stateFiles[0]!);
    const snapshot = await decodeFile(readFileSync(path), FILE_KIND.stateSegment);
    // Rewrapped with correct container CRCs: only the snapshot's own CRC can tell.
    writeFileSync(path, await encodeFile(FILE_KIND.stateSegment, flipByte(snapshot, 40), createCodec('none')));
    const report = await verifyRestorePoint(chk);
    expect(bad(report).map((f) => [f.path, f.error])).toEqual([[stateFiles[0], expect.stringMatching(/snapshot checksum mismatch/)]]);
    const rp = await openRestorePoint(chk); // sizes are right: opening works, reading does not
    await expect(summarizeRestorePoint(rp)).rejects.toThrow(RestorePointReadError);
    await expect(summarizeRestorePoint(rp)).rejects.toThrow(stateFiles[0]!.split('/').pop()!);
  });

  it('reports a corrupt _metadata, and refuses a path that is no savepoint or checkpoint', async () => {
    const { chk } = await damaged();
    writeFileSync(join(chk, '_metadata'), flipByte(readFileSync(join(chk, '_metadata')), 30));
    const report = await verifyRestorePoint(join(chk, '_metadata'));
    expect(report.ok).toBe(false);
    expect(report.metadata).toBeUndefined();
    expect(report.files.map((f) => [f.path, f.error])).toEqual([['_metadata', expect.stringMatching(/_metadata.*checksum mismatch/)]]);

    await expect(verifyRestorePoint(join(chk, '..'))).rejects.toThrow(/has no _metadata: not a completed savepoint or checkpoint/);
    await expect(verifyRestorePoint(join(chk, 'nowhere'))).rejects.toThrow(/does not exist/);
  });
});

describe('inspecting a real savepoint', () => {
  const tmp = tempDirs();

  it.each(BACKEND_KINDS)('%s: a savepoint taken while the job waits mid-input holds exactly what was counted, and verifies', async (backend) => {
    const source: GeneratorOptions = { count: 4000, keys: 20, seed: 3 };
    const holdAt = 1500;
    let processed = 0;
    let released = false;
    const client = new LocalExecutor().start(
      countingJob({ backend, source, sink: { kind: 'discard' }, gate: holdFrom(holdAt, () => released), onElement: () => void processed++ }),
      { checkpointDir: tmp('sp-chk'), connectors: gatedConnectors() },
    );
    // Every record before the gate counted: a savepoint taken now holds the counts of ids < holdAt.
    const deadline = Date.now() + 20_000;
    while (processed < holdAt && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(processed).toBe(holdAt);
    const info = await client.triggerSavepoint({ targetDirectory: tmp('savepoints') });
    released = true;
    await client.result;

    const gen = new GeneratorSource(source);
    const counts = new Map<number, number>();
    for (let i = 0; i < holdAt; i++) counts.set(gen.record(i).key, (counts.get(gen.record(i).key) ?? 0) + 1);

    const rp = await openRestorePoint(info.path);
    expect(rp.type).toBe('savepoint');
    const summary = await summarizeRestorePoint(rp);
    expect(summary).toMatchObject({ type: 'savepoint', checkpointId: info.checkpointId, path: info.path });
    expect(summary.operators.find((o) => o.uid === 'count')!.states).toEqual([
      { name: 'count', kind: 'value', ttl: false, serializerId: 'number@1', entries: counts.size },
    ]);
    const dump = await collect(dumpKeyedState(rp, 'count'));
    expect(new Map(dump.map((e) => [e.key, e.value]))).toEqual(counts);

    const report = await verifyRestorePoint(info.path);
    expect(report.files.filter((f) => f.error !== undefined)).toEqual([]);
    expect(report.files.length).toBeGreaterThan(1);
    // Savepoint files sit beside _metadata: damage one and verify names it.
    const victim = report.files.find((f) => f.path !== '_metadata')!;
    writeFileSync(victim.osPath, flipByte(readFileSync(victim.osPath), -1));
    const damaged = await verifyRestorePoint(info.path);
    expect(damaged.files.filter((f) => f.error !== undefined).map((f) => f.path)).toEqual([victim.path]);
  });
});

describe('decoding entries without the job', () => {
  it('rebuilds record serializers from the recorded schema and keeps undecodable bytes as base64', () => {
    const rec = recordSerializer<{ n: number; tag: string }>({ name: 'stats', version: 2, fields: { n: {}, tag: {} } });
    const w = new ByteWriter(64);
    rec.write({ n: 3, tag: 'x' }, w);
    const composite = compositeKey(0, keyBytes('k1'));
    const info = { id: 0, kind: 'value' as const, ttl: false, name: 's', serializerId: rec.id, schema: rec.schema };
    expect(decodeStateEntry(info, composite, w.bytes().slice())).toEqual({ state: 's', kind: 'value', key: 'k1', value: { n: 3, tag: 'x' } });
    // Without the schema the record cannot be read; a known serializer failing keeps the bytes and says why.
    const { schema: _unused, ...noSchema } = info;
    expect(decodeStateEntry(noSchema, composite, new Uint8Array([1, 2])).value).toEqual({ base64: 'AQI=' });
    const numberInfo = { ...noSchema, serializerId: 'number@1' };
    expect(decodeStateEntry(numberInfo, composite, new Uint8Array([1, 2])).value).toEqual({ base64: 'AQI=', error: expect.stringMatching(/number@1/) });
  });
});

/**
 * State evolution in a job: version 1 of a keyed function runs to completion with checkpoints;
 * version 2 (its record state gained a defaulted field) resumes from the same checkpoint directory
 * and sees the old values with the default filled in; version 3 (a new field without a default)
 * fails with StateMigrationError while opening, before any record reaches the sink.
 */
import { describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { KeyedProcessFunction } from '../src/api/functions.js';
import type { SourceSpec } from '../src/api/specs.js';
import { CollectSink } from '../src/connectors/collect-sink.js';
import type { GeneratedRecord, GeneratorOptions } from '../src/connectors/generator-source.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import { valueState } from '../src/state/descriptors.js';
import { recordSerializer } from '../src/state/record-serializer.js';
import type { Serializer } from '../src/state/serializers.js';
import { StateMigrationError } from '../src/state/state-migration.js';
import type { StateBackendKind, ValueState } from '../src/state/types.js';
import { tempDirs } from './support/temp-dirs.js';

interface Profile {
  visits: number;
  tag?: string;
  score?: number;
}

const V1 = recordSerializer<Profile>({ name: 'user-profile', version: 1, fields: { visits: {} } });
const V2 = recordSerializer<Profile>({ name: 'user-profile', version: 2, fields: { visits: {}, tag: { default: 'none' } } });
/** Incompatible: `score` is new and has no default. */
const V3 = recordSerializer<Profile>({ name: 'user-profile', version: 3, fields: { visits: {}, tag: {}, score: {} } });

/** Per record: the key and its profile as the function found it, then the profile is updated. */
interface Seen {
  readonly key: number;
  readonly before: Profile | undefined;
}

function profileCounter(ser: Serializer<Profile>): KeyedProcessFunction<number, GeneratedRecord, Seen> & { profile?: ValueState<Profile> } {
  return {
    open(rt) {
      this.profile = rt.getState(valueState('profile', ser));
    },
    processElement(_record, ctx, out) {
      const before = this.profile!.value();
      out.collect({ key: ctx.key, before });
      this.profile!.update({ ...before, visits: (before?.visits ?? 0) + 1 });
    },
  };
}

/** The generator continues from its checkpointed position, so each version reads `count` more records. */
function job(backend: StateBackendKind, ser: Serializer<Profile>, count: number, sink: CollectSink<Seen>): StreamEnvironment {
  const payload: GeneratorOptions = { count, keys: 12, seed: 5 };
  const source: SourceSpec<GeneratedRecord> = { kind: 'generator', payload };
  const env = new StreamEnvironment({
    jobName: `profiles-v${ser.id.slice(-1)}`,
    parallelism: 2,
    stateBackend: backend,
    checkpoint: { intervalMs: 5 },
    restartStrategy: { type: 'none' },
  });
  env
    .source(source, { uid: 'src' })
    .keyBy((r) => r.key)
    .process(profileCounter(ser), { uid: 'profiles' })
    .sink(sink.spec(), { uid: 'out' });
  return env;
}

function causes(e: unknown): unknown[] {
  const out: unknown[] = [];
  for (let c = e; c !== undefined && c !== null; c = (c as { cause?: unknown }).cause) out.push(c);
  return out;
}

describe('state evolution across job versions', () => {
  const tmp = tempDirs();
  const N = 600;

  it('v2 reads v1 state with the new default; v3 with an undefaulted field fails before any record', async () => {
    const checkpointDir = tmp('evolve');
    const run = (env: StreamEnvironment) => new LocalExecutor().run(env, { checkpointDir, jobId: 'profiles' });

    const out1 = new CollectSink<Seen>();
    await run(job('heap', V1, N, out1));
    expect(out1.values).toHaveLength(N);
    const visits = new Map<number, number>();
    for (const s of out1.values) visits.set(s.key, Math.max(visits.get(s.key) ?? 0, (s.before?.visits ?? 0) + 1));

    // the other backend, to show migration works on a restore across backends too
    const out2 = new CollectSink<Seen>();
    const stats2 = await run(job('wasm', V2, 2 * N, out2));
    expect(stats2.restoredCheckpointId).toBeDefined();
    expect(out2.values).toHaveLength(N);
    const firstSeen = new Map<number, Profile | undefined>();
    for (const s of out2.values) if (!firstSeen.has(s.key)) firstSeen.set(s.key, s.before);
    for (const [key, before] of firstSeen) {
      expect(before, `key ${key}`).toEqual(visits.has(key) ? { visits: visits.get(key), tag: 'none' } : undefined);
    }
    expect([...firstSeen.keys()].filter((k) => visits.has(k)).length).toBeGreaterThan(0);

    const out3 = new CollectSink<Seen>();
    const error = await run(job('heap', V3, 3 * N, out3)).then(
      () => undefined,
      (e: unknown) => e,
    );
    const migration = causes(error).find((c) => c instanceof StateMigrationError) as StateMigrationError | undefined;
    expect(migration, `expected a StateMigrationError, got ${String(error)}`).toBeDefined();
    expect(migration!.stateName).toBe('profile');
    expect(migration!.message).toMatch(/field 'score' new since version 2 without a default/);
    expect(out3.values).toHaveLength(0);
  });
});

import { describe, expect, it } from 'vitest';
import { StreamEnvironment, type StreamEnvironmentOptions } from '../src/api/environment.js';
import type { StatefulOperatorOptions } from '../src/api/data-stream.js';
import { JobBuildError, type JobBuildErrorReason } from '../src/api/job-build-error.js';
import type { SourceSpec } from '../src/api/specs.js';
import type { StateBackendKind } from '../src/state/types.js';

const numbers: SourceSpec<number> = { kind: 'numbers' };
const noUid = {} as StatefulOperatorOptions;

function simpleJob(options: StreamEnvironmentOptions = {}): StreamEnvironment {
  const env = new StreamEnvironment(options);
  env.source(numbers, { uid: 's' }).sink({ kind: 'discard' }, { uid: 'k' });
  return env;
}

function buildError(env: StreamEnvironment): JobBuildError {
  try {
    env.build();
  } catch (err) {
    if (err instanceof JobBuildError) return err;
    throw err;
  }
  throw new Error('build() did not throw');
}

function expectError(env: StreamEnvironment, reason: JobBuildErrorReason, subject: string, message: RegExp): void {
  const err = buildError(env);
  expect(err.reason).toBe(reason);
  expect(err.subject).toBe(subject);
  expect(err.message).toMatch(message);
}

describe('StreamEnvironment.build validation', () => {
  it.each([0, -1, 1.5, 129])('rejects environment parallelism %s', (p) => {
    expectError(
      simpleJob({ parallelism: p }),
      'invalid-parallelism',
      'parallelism',
      new RegExp(`^parallelism must be an integer in \\[1, maxParallelism=128\\], got ${p}$`),
    );
  });

  it('accepts parallelism equal to maxParallelism', () => {
    expect(simpleJob({ parallelism: 16, maxParallelism: 16 }).build().settings.parallelism).toBe(16);
  });

  it('rejects an operator parallelism above maxParallelism, naming the operator', () => {
    const env = new StreamEnvironment({ maxParallelism: 8 });
    env.source(numbers, { uid: 's' }).map((n) => n * 2).setParallelism(9).sink({ kind: 'discard' }, { uid: 'k' });
    expectError(env, 'invalid-parallelism', 'Map#1', /^operator "Map" \(#1\) parallelism must be an integer in \[1, maxParallelism=8\], got 9$/);
  });

  it('rejects an operator parallelism of 0 given as an option', () => {
    const env = new StreamEnvironment();
    env.source(numbers, { uid: 's', parallelism: 0, name: 'nums' }).sink({ kind: 'discard' }, { uid: 'k' });
    expectError(env, 'invalid-parallelism', 'nums#0', /operator "nums" \(#0\) parallelism .* got 0/);
  });

  it.each([0, 32769, 2.5])('rejects maxParallelism %s', (m) => {
    expectError(simpleJob({ maxParallelism: m }), 'invalid-max-parallelism', 'maxParallelism', /^maxParallelism must be an integer in \[1, 32768\]/);
  });

  it('rejects an unknown backend, listing the valid ones', () => {
    expectError(
      simpleJob({ stateBackend: 'rocksdb' as StateBackendKind }),
      'unknown-backend',
      'stateBackend',
      /^stateBackend: unknown state backend "rocksdb" \(valid: heap, wasm\)$/,
    );
  });

  it('wraps checkpoint-setting errors, keeping the validator message and cause', () => {
    const err = buildError(simpleJob({ checkpoint: { intervalMs: 0 } }));
    expect(err.reason).toBe('invalid-checkpoint-settings');
    expect(err.subject).toBe('checkpoint');
    expect(err.message).toMatch(/^checkpoint: intervalMs must be a finite number of milliseconds > 0, got 0$/);
    expect(err.cause).toBeInstanceOf(RangeError);
  });

  it('wraps restart-strategy errors', () => {
    const err = buildError(simpleJob({ restartStrategy: { type: 'fixed-delay', attempts: -1 } }));
    expect(err.reason).toBe('invalid-restart-strategy');
    expect(err.subject).toBe('restartStrategy');
    expect(err.message).toMatch(/^restartStrategy: .*attempts/);
  });

  it('requires a uid on a source', () => {
    const env = new StreamEnvironment();
    env.source(numbers, noUid).sink({ kind: 'discard' }, { uid: 'k' });
    expectError(env, 'missing-uid', 'Source: numbers#0', /^operator "Source: numbers" \(#0\) is stateful \(source\) and needs a uid/);
  });

  it('requires a uid on a keyed process function', () => {
    const env = new StreamEnvironment();
    env
      .source(numbers, { uid: 's' })
      .keyBy((n) => n % 3)
      .process({ processElement: (n, _ctx, out) => out.collect(n) }, noUid)
      .sink({ kind: 'discard' }, { uid: 'k' });
    expectError(env, 'missing-uid', 'KeyedProcess#1', /\(keyedProcess\) and needs a uid/);
  });

  it('requires a uid on a sink', () => {
    const env = new StreamEnvironment();
    env.source(numbers, { uid: 's' }).sink({ kind: 'discard' }, noUid);
    expectError(env, 'missing-uid', 'Sink: discard#1', /\(sink\) and needs a uid/);
  });

  it('does not require a uid on stateless operators', () => {
    const env = new StreamEnvironment();
    env.source(numbers, { uid: 's' }).map((n) => n).filter(() => true).flatMap((n) => [n, n]).sink({ kind: 'd' }, { uid: 'k' });
    expect(env.build().nodes).toHaveLength(5);
  });

  it('rejects an empty uid', () => {
    const env = new StreamEnvironment();
    env.source(numbers, { uid: '' }).sink({ kind: 'discard' }, { uid: 'k' });
    expectError(env, 'invalid-uid', 'Source: numbers#0', /uid must be a non-empty string/);
  });

  it('rejects duplicate uids, naming both operators', () => {
    const env = new StreamEnvironment();
    env.source(numbers, { uid: 'x' }).map((n) => n).uid('x').sink({ kind: 'discard' }, { uid: 'k' });
    expectError(
      env,
      'duplicate-uid',
      'Map#1',
      /^uid "x" is used by operator "Source: numbers" \(#0\) and operator "Map" \(#1\); uids must be unique$/,
    );
  });

  it('rejects a job without a sink', () => {
    const env = new StreamEnvironment({ jobName: 'j' });
    env.source(numbers, { uid: 's' }).map((n) => n);
    expectError(env, 'no-sink', 'job', /^job "j" has no sink/);
  });

  it('rejects an empty job as having no sink', () => {
    expectError(new StreamEnvironment(), 'no-sink', 'job', /has no sink/);
  });

  it('rejects union with a stream of another environment at the call', () => {
    const a = new StreamEnvironment().source(numbers, { uid: 'a' });
    const b = new StreamEnvironment().source(numbers, { uid: 'b' });
    let err: unknown;
    try {
      a.union(b);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JobBuildError);
    expect((err as JobBuildError).reason).toBe('foreign-stream');
    expect((err as JobBuildError).message).toMatch(/^union: cannot union streams of different environments/);
  });

  it('reports a fixed mistake no more: build can be called again', () => {
    const env = new StreamEnvironment();
    const m = env.source(numbers, { uid: 's' }).map((n) => n).setParallelism(0);
    m.sink({ kind: 'discard' }, { uid: 'k' });
    expect(() => env.build()).toThrow(JobBuildError);
    m.setParallelism(1);
    expect(env.build().nodes[1]?.parallelism).toBe(1);
  });
});

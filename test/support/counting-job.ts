/**
 * The exactly-once oracle of the checkpointing tests: generator → keyBy(key) → a keyed counter that
 * emits `${key}:${n}` (the running count of its key) → a sink. Whatever failed in between, an
 * exactly-once run commits exactly the set {key:1..count_k}, each string once, because both the
 * counter's state and the sink's transactions must agree with the sources' rewound positions.
 */
import { expect } from 'vitest';
import { StreamEnvironment } from '../../src/api/environment.js';
import type { KeyedProcessFunction } from '../../src/api/functions.js';
import type { SinkSpec, SourceSpec } from '../../src/api/specs.js';
import type { CheckpointSettingsInput } from '../../src/checkpoint/checkpoint-settings.js';
import type { RestartStrategyConfig } from '../../src/checkpoint/restart-config.js';
import { diffLineMultisets } from '../../src/cli/output-diff.js';
import { GeneratorSource, type GeneratedRecord, type GeneratorOptions } from '../../src/connectors/generator-source.js';
import { valueState } from '../../src/state/descriptors.js';
import { Serializers } from '../../src/state/serializers.js';
import type { StateBackendKind, ValueState } from '../../src/state/types.js';
import { gatedGeneratorSpec, type Gate } from './gated-generator.js';

/** Options of {@link countingJob}. */
export interface CountingJobOptions {
  readonly backend: StateBackendKind;
  /** Of every operator. Default 2, so keyed subtasks have two input channels to align. */
  readonly parallelism?: number;
  readonly source: GeneratorOptions;
  readonly sink: SinkSpec<string>;
  /** Default: a checkpoint every 5 ms (everything else Flink's defaults). */
  readonly checkpoint?: CheckpointSettingsInput;
  /** Default: fixed-delay, 3 attempts, no delay. */
  readonly restartStrategy?: RestartStrategyConfig;
  readonly jobName?: string;
  /** Called for every record before it is counted; throw here to fail the task (a user-function error). */
  readonly onElement?: (record: GeneratedRecord) => void;
  /**
   * Emit a record only when this allows it (see gated-generator.ts); the executor then needs
   * `connectors: gatedConnectors()`.
   */
  readonly gate?: Gate;
}

/** Fast restarts: tests are about what is restored, not how long it waits. */
export const QUICK_RESTARTS: RestartStrategyConfig = { type: 'fixed-delay', attempts: 3, delayMs: 0 };

/** The generator spec of {@link countingJob}'s source. */
export function generatorSpec(options: GeneratorOptions): SourceSpec<GeneratedRecord> {
  return { kind: 'generator', payload: options };
}

/** The keyed counter: `${key}:${n}` per record, n the key's running count in keyed state. */
export function keyedCounter(
  onElement?: (record: GeneratedRecord) => void,
): KeyedProcessFunction<number, GeneratedRecord, string> & { count?: ValueState<number> } {
  return {
    open(rt) {
      this.count = rt.getState(valueState('count', Serializers.number));
    },
    processElement(record, ctx, out) {
      onElement?.(record);
      const n = (this.count!.value() ?? 0) + 1;
      this.count!.update(n);
      out.collect(`${ctx.key}:${n}`);
    },
  };
}

/** See the module comment. Stateful operators' uids: 'src', 'count', 'out' (the same with or without a gate). */
export function countingJob(o: CountingJobOptions): StreamEnvironment {
  const env = new StreamEnvironment({
    jobName: o.jobName ?? 'counting',
    parallelism: o.parallelism ?? 2,
    stateBackend: o.backend,
    checkpoint: { intervalMs: 5, ...o.checkpoint },
    restartStrategy: o.restartStrategy ?? QUICK_RESTARTS,
  });
  env
    .source(o.gate === undefined ? generatorSpec(o.source) : gatedGeneratorSpec(o.source, o.gate), { uid: 'src' })
    .keyBy((r) => r.key)
    .process(keyedCounter(o.onElement), { uid: 'count' })
    .sink(o.sink, { uid: 'out' });
  return env;
}

/** Per key, how many of the generator's `count` records carry it. */
function keyCounts(source: GeneratorOptions): Map<number, number> {
  const gen = new GeneratorSource(source);
  const counts = new Map<number, number>();
  for (let i = 0; i < source.count; i++) {
    const k = gen.record(i).key;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/** What {@link countingJob} commits when every record is counted exactly once, sorted. */
export function expectedCounts(source: GeneratorOptions): string[] {
  const out: string[] = [];
  for (const [k, n] of keyCounts(source)) for (let i = 1; i <= n; i++) out.push(`${k}:${i}`);
  return out.sort();
}

/**
 * Asserts `actual` holds every expected line exactly as often as `expected` does, and nothing else
 * (as multisets: subtasks interleave). A failure shows counts and a few examples of each difference.
 */
export function expectExactlyOnce(actual: readonly string[], expected: readonly string[]): void {
  const d = diffLineMultisets(expected, actual);
  const none = { lost: [], duplicated: [], unexpected: [] };
  expect({ lost: d.lost, duplicated: d.duplicated, unexpected: d.unexpected, examples: d.examples }).toEqual({ lost: 0, duplicated: 0, unexpected: 0, examples: none });
}

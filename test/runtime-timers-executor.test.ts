/**
 * Processing-time timers end to end through the {@link LocalExecutor} with an injected clock: the
 * scheduler fires due timers at the start of each subtask step, each with its key and that key's state.
 */
import { describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { KeyedProcessFunction } from '../src/api/functions.js';
import type { SourceSpec } from '../src/api/specs.js';
import { CollectSink } from '../src/connectors/collect-sink.js';
import type { GeneratedRecord } from '../src/connectors/generator-source.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import { valueState } from '../src/state/descriptors.js';
import { Serializers } from '../src/state/serializers.js';
import type { StateBackendKind, ValueState } from '../src/state/types.js';
import { BACKEND_KINDS } from './support/backends.js';

/** Records that register timers; the rest pad the input so several steps run after the last registration. */
const TIMED = 300;
const PADDING = 200;
const KEYS = 17;

describe.each(BACKEND_KINDS)('timers through the LocalExecutor on the %s backend', (kind: StateBackendKind) => {
  it('fires every registered timer once, with its key and that key state', async () => {
    // A clock that ticks on every read: a timer registered at the time read in processElement is due
    // at the next read, which the scheduler makes at the start of the subtask's next step.
    let ticks = 0;
    const clock = (): number => ++ticks;
    const registered = new Set<string>();
    const fn: KeyedProcessFunction<number, GeneratedRecord, [number, number, string | undefined]> & {
      tag?: ValueState<string>;
    } = {
      open(rt) {
        this.tag = rt.getState(valueState('tag', Serializers.string));
      },
      processElement(r, ctx) {
        this.tag!.update(`tag-${ctx.key}`);
        if (r.id >= TIMED) return;
        const at = ctx.timerService.currentProcessingTime();
        ctx.timerService.registerProcessingTimeTimer(at);
        registered.add(`${ctx.key}@${at}`);
      },
      onTimer(ts, ctx, out) {
        out.collect([ctx.key, ts, this.tag!.value()]);
      },
    };
    const env = new StreamEnvironment({ parallelism: 2, stateBackend: kind });
    const out = new CollectSink<[number, number, string | undefined]>();
    const source: SourceSpec<GeneratedRecord> = { kind: 'generator', payload: { count: TIMED + PADDING, keys: KEYS, seed: 7 } };
    env
      .source(source, { uid: 'gen' })
      .keyBy((r) => r.key)
      .process(fn, { uid: 'timers' })
      .sink(out.spec(), { uid: 'out' });

    // small steps and batches: many steps after the last timer is registered, each firing due timers
    await new LocalExecutor().run(env, { clock, stepBudget: 4, batchSize: 2, channelCapacity: 8 });

    expect(registered.size).toBeGreaterThan(KEYS);
    expect(out.values).toHaveLength(registered.size);
    expect(new Set(out.values.map(([k, ts]) => `${k}@${ts}`))).toEqual(registered);
    for (const [key, , tag] of out.values) expect(tag).toBe(`tag-${key}`);
  });
});

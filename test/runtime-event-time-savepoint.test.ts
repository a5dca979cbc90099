/**
 * Event-time timers across stop-with-savepoint and resume, switching backends: the stop sends no
 * final watermark (so no timer fires after the savepoint), the savepoint carries the pending timers,
 * and the resumed run fires each of them once. Committed output equals the independent expectation.
 */
import { describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { KeyedProcessFunction } from '../src/api/functions.js';
import { WatermarkStrategy } from '../src/api/watermark-strategy.js';
import { readCommittedLines } from '../src/cli/committed-output.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import { mulberry32 } from '../src/random/mulberry32.js';
import type { StateBackendKind } from '../src/state/types.js';
import { arrayConnectors, arraySource } from './support/array-source.js';
import { expectExactlyOnce } from './support/counting-job.js';
import { RunEvents } from './support/run-events.js';
import { tempDirs } from './support/temp-dirs.js';

interface Ev {
  readonly key: number;
  readonly ts: number;
}

const rnd = mulberry32(11);
const EVENTS: Ev[] = Array.from({ length: 3000 }, (_, i) => ({ key: Math.floor(rnd() * 9), ts: 10_000 + i * 3 - Math.floor(rnd() * 30) }));
/** A timer per key per 100 ms bucket, at the bucket's end. */
const bucketEnd = (ts: number): number => Math.floor(ts / 100) * 100 + 99;
const EXPECTED = [...new Set(EVENTS.map((e) => `${e.key}@${bucketEnd(e.ts)}`))];

/** onTimer calls of the running job, whether or not a checkpoint later commits their output. */
let fired = 0;

const timers: KeyedProcessFunction<number, Ev, string> = {
  processElement(e, ctx) {
    ctx.timerService.registerEventTimeTimer(bucketEnd(e.ts));
  },
  onTimer(ts, ctx, out) {
    fired++;
    out.collect(`${ctx.key}@${ts}`);
  },
};

function job(backend: StateBackendKind, outDir: string, endlessAfter?: number[]): StreamEnvironment {
  const env = new StreamEnvironment({ jobName: 'et-savepoint', parallelism: 2, stateBackend: backend, checkpoint: { intervalMs: 10 } });
  env
    .source(arraySource({ records: EVENTS, batch: 10, ...(endlessAfter === undefined ? {} : { endlessAfter }) }), {
      uid: 'src',
      watermarks: WatermarkStrategy.forBoundedOutOfOrderness<Ev>(40).withTimestampAssigner((e) => e.ts),
    })
    .keyBy((e) => e.key)
    .process(timers, { uid: 'timers' })
    .sink({ kind: 'transactional-file', payload: { dir: outDir } }, { uid: 'out' });
  return env;
}

describe('event-time timers and savepoints', () => {
  const tmp = tempDirs();

  it.each([
    ['heap', 'wasm'],
    ['wasm', 'heap'],
  ] as const)('stop-with-savepoint on %s, resume on %s: every timer fires once', async (first, second) => {
    const dirs = { chk: tmp('chk'), out: tmp('out'), sp: tmp('sp') };
    fired = 0;
    let running!: () => void;
    const ready = new Promise<void>((r) => (running = r));
    // each split stops reading after 600 of its 1500 records and waits, unended
    const client = new LocalExecutor().start(job(first, dirs.out, [600, 600]), {
      checkpointDir: dirs.chk,
      savepointDir: dirs.sp,
      connectors: arrayConnectors(),
      listener: new RunEvents({ completed: () => running() }),
    });
    await Promise.race([ready, client.result]);
    const info = await client.stopWithSavepoint();
    await client.result;
    const before = (await readCommittedLines(dirs.out)).lines;
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(EXPECTED.length);
    // nothing fired after the savepoint: a sink without transactions would have emitted it twice
    expect(fired).toBe(before.length);

    await new LocalExecutor().run(job(second, dirs.out), { checkpointDir: dirs.chk, fromSavepoint: info.path, connectors: arrayConnectors() });
    expectExactlyOnce((await readCommittedLines(dirs.out)).lines, EXPECTED);
  });
});

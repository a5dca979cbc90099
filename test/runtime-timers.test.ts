/**
 * Processing-time timers of keyed process functions, driven through `buildOperatorChain` with a
 * manual clock on both backends: firing order, dedup, delete, timers registering timers, the key in
 * `onTimer`, timers surviving snapshot → restore (also across backends, incrementally and rescaled),
 * and the errors for a reserved state name or a function without `onTimer`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KeyedProcessFunction, OnTimerContext } from '../src/api/functions.js';
import type { KeyedProcessNode } from '../src/api/logical-graph.js';
import { buildOperatorChain, type OperatorChain } from '../src/runtime/operator-chain.js';
import { recordTimestamp } from '../src/runtime/record-timestamp.js';
import { PROCESSING_TIMERS_STATE } from '../src/runtime/timer-queue.js';
import { mapState, valueState } from '../src/state/descriptors.js';
import { keyGroupOf } from '../src/state/key-codec.js';
import { keyGroupRange, keyGroupRangeForSubtask, rangeContains, type KeyGroupRange } from '../src/state/key-groups.js';
import { mulberry32 } from '../src/random/mulberry32.js';
import { Serializers } from '../src/state/serializers.js';
import type { Key, StateBackendKind, ValueState } from '../src/state/types.js';
import { BACKEND_KINDS, ManualClock, otherKind } from './support/backends.js';

const UID = 'timers';
const MAX_PARALLELISM = 128;

/** What the test function does with one element (all optional). */
interface Command {
  readonly register?: readonly number[];
  readonly delete?: readonly number[];
  /** Stored in the key's value state, which `onTimer` reports. */
  readonly value?: string;
}

/** One `onTimer` call as the test function reports it. */
interface Fired {
  readonly key: Key;
  readonly ts: number;
  readonly ctxTs: number;
  readonly value: string | undefined;
}

/** Runs after a timer's output; `last` is the subtask instance's value state. */
type TimerHook = (ts: number, ctx: OnTimerContext<Key>, last: ValueState<string>) => void;

/** A function driven by {@link Command}s whose `onTimer` emits a {@link Fired} and then runs `hook`. */
function commandFunction(hook?: TimerHook): KeyedProcessFunction<Key, Command, Fired> & { last?: ValueState<string> } {
  return {
    open(rt) {
      this.last = rt.getState(valueState('last', Serializers.string));
    },
    processElement(cmd, ctx) {
      for (const ts of cmd.register ?? []) ctx.timerService.registerProcessingTimeTimer(ts);
      for (const ts of cmd.delete ?? []) ctx.timerService.deleteProcessingTimeTimer(ts);
      if (cmd.value !== undefined) this.last!.update(cmd.value);
    },
    onTimer(ts, ctx, out) {
      out.collect({ key: ctx.key, ts, ctxTs: ctx.timestampMs, value: this.last!.value() });
      hook?.(ts, ctx, this.last!);
    },
  };
}

function nodeOf(fn: KeyedProcessFunction<any, any, unknown>): KeyedProcessNode {
  return { id: 1, kind: 'keyedProcess', name: 'timers', uid: UID, parallelism: 1, chainable: true, deadLetters: false, fn };
}

interface Harness {
  readonly chain: OperatorChain;
  readonly out: Fired[];
  /** Feeds one command for `key`. */
  send(key: Key, cmd: Command): void;
}

interface BuildOptions {
  readonly restored?: readonly Uint8Array[];
  readonly range?: KeyGroupRange;
  readonly incremental?: boolean;
}

describe.each(BACKEND_KINDS)('processing-time timers on the %s backend', (kind: StateBackendKind) => {
  const live: OperatorChain[] = [];
  afterEach(() => {
    for (const c of live.splice(0)) c.close();
  });
  const clock = new ManualClock(0);

  function build(fn: KeyedProcessFunction<any, any, unknown>, options: BuildOptions = {}, backend = kind): Harness {
    const out: Fired[] = [];
    const chain = buildOperatorChain([nodeOf(fn)], (r) => out.push(r as Fired), {
      subtaskIndex: 0,
      parallelism: 1,
      maxParallelism: MAX_PARALLELISM,
      stateBackend: backend,
      keyGroupRange: options.range ?? keyGroupRange(0, MAX_PARALLELISM),
      clock: clock.read,
      incremental: options.incremental ?? false,
      sideOutputs: new Map(),
      time: recordTimestamp(),
      ...(options.restored ? { restoredKeyedState: new Map([[UID, options.restored]]) } : {}),
    });
    live.push(chain);
    return { chain, out, send: (key, cmd) => chain.head(cmd, key) };
  }

  async function fullSnapshot(chain: OperatorChain): Promise<Uint8Array> {
    return chain.keyed[0]!.backend.snapshot({ incremental: false }).bytes();
  }

  const firedAs = (out: readonly Fired[]): Array<[Key, number]> => out.map((f) => [f.key, f.ts]);

  it('fires due timers in (timestamp, registration) order, each with its timestamp', () => {
    const h = build(commandFunction());
    h.send('a', { register: [30, 10] });
    h.send('b', { register: [10] });
    h.send('c', { register: [20] });
    expect(h.chain.nextTimerAt()).toBe(10);
    expect(h.chain.fireTimers(9)).toBe(0);
    expect(h.chain.fireTimers(15)).toBe(2);
    expect(firedAs(h.out)).toEqual([
      ['a', 10],
      ['b', 10],
    ]);
    expect(h.out.every((f) => f.ctxTs === f.ts)).toBe(true);
    expect(h.chain.nextTimerAt()).toBe(20);
    expect(h.chain.fireTimers(30)).toBe(2);
    expect(firedAs(h.out).slice(2)).toEqual([
      ['c', 20],
      ['a', 30],
    ]);
    expect(h.chain.nextTimerAt()).toBeUndefined();
    expect(h.chain.fireTimers(1_000)).toBe(0);
  });

  it('keeps order over many timers (heap property under interleaved register and fire)', () => {
    const h = build(commandFunction());
    const expected: Array<[Key, number]> = [];
    for (let i = 0; i < 500; i++) {
      const ts = (i * 7919) % 251; // a permutation-ish spread with many equal timestamps
      h.send(i, { register: [ts] });
      expected.push([i, ts]);
    }
    // stable sort = (timestamp, registration order)
    expected.sort((x, y) => x[1] - y[1]);
    for (let now = 0; now <= 260; now += 13) h.chain.fireTimers(now);
    expect(firedAs(h.out)).toEqual(expected);
  });

  it('matches a sorted-list model under random register, delete and fire (heap removal from the middle)', () => {
    const h = build(commandFunction());
    const random = mulberry32(42);
    /** Pending timers in registration order; a re-registration after a delete goes to the end. */
    const model: Array<{ key: number; ts: number }> = [];
    const expected: Array<[Key, number]> = [];
    let now = 0;
    for (let step = 0; step < 3_000; step++) {
      const key = Math.floor(random() * 20);
      const ts = now + Math.floor(random() * 200);
      const r = random();
      if (r < 0.55) {
        h.send(key, { register: [ts] });
        if (!model.some((t) => t.key === key && t.ts === ts)) model.push({ key, ts });
      } else if (r < 0.9) {
        // delete an existing timer of this key when there is one, so deletions hit the heap's middle
        const own = model.find((t) => t.key === key);
        const target = own?.ts ?? ts;
        h.send(key, { delete: [target] });
        const i = model.findIndex((t) => t.key === key && t.ts === target);
        if (i >= 0) model.splice(i, 1);
      } else {
        now += Math.floor(random() * 60);
        const due = model.filter((t) => t.ts <= now).sort((x, y) => x.ts - y.ts); // stable: registration order
        for (const t of due) {
          expected.push([t.key, t.ts]);
          model.splice(model.indexOf(t), 1);
        }
        expect(h.chain.fireTimers(now)).toBe(due.length);
        expect(h.chain.nextTimerAt()).toBe(model.length === 0 ? undefined : Math.min(...model.map((t) => t.ts)));
      }
    }
    expect(firedAs(h.out)).toEqual(expected);
  });

  it('registering the same (key, timestamp) twice fires once; other keys at that time fire too', () => {
    const h = build(commandFunction());
    h.send('a', { register: [10, 10] });
    h.send('a', { register: [10] });
    h.send('b', { register: [10] });
    expect(h.chain.fireTimers(10)).toBe(2);
    expect(firedAs(h.out)).toEqual([
      ['a', 10],
      ['b', 10],
    ]);
  });

  it('JSON keys that serialize alike share timers, and mutating the key object later changes nothing', () => {
    const h = build(commandFunction());
    const key = { user: 'u1', region: 3 };
    h.send(key, { register: [10] });
    h.send({ user: 'u1', region: 3 }, { register: [10] });
    h.send({ user: 'u1', region: 3 }, { register: [20], delete: [20] });
    key.user = 'mutated';
    expect(h.chain.fireTimers(100)).toBe(1);
    expect(firedAs(h.out)).toEqual([[{ user: 'u1', region: 3 }, 10]]);
  });

  it('delete removes a timer; deleting an absent one is a no-op; re-registering orders it anew', () => {
    const h = build(commandFunction());
    h.send('a', { register: [10, 20, 30] });
    h.send('b', { register: [10, 30] });
    h.send('a', { delete: [10, 99] });
    h.send('b', { delete: [20] }); // b has no timer at 20
    h.send('a', { delete: [30] });
    h.send('a', { register: [30] }); // now after b's 30
    expect(h.chain.nextTimerAt()).toBe(10);
    expect(h.chain.fireTimers(100)).toBe(4);
    expect(firedAs(h.out)).toEqual([
      ['b', 10],
      ['a', 20],
      ['b', 30],
      ['a', 30],
    ]);
  });

  it('deleting the only timer makes nextTimerAt undefined', () => {
    const h = build(commandFunction());
    h.send('a', { register: [10] });
    h.send('a', { delete: [10] });
    expect(h.chain.nextTimerAt()).toBeUndefined();
    expect(h.chain.fireTimers(100)).toBe(0);
  });

  it('a timer may register timers: already-due ones fire at the next call, so a self-renewing timer cannot loop', () => {
    const h = build(
      commandFunction((ts, ctx) => {
        // renews itself at its own (due) time and sets a later one
        ctx.timerService.registerProcessingTimeTimer(ts);
        ctx.timerService.registerProcessingTimeTimer(ts + 100);
      }),
    );
    h.send('a', { register: [10] });
    expect(h.chain.fireTimers(50)).toBe(1);
    expect(h.chain.nextTimerAt()).toBe(10);
    expect(h.chain.fireTimers(50)).toBe(1); // the renewed one; renews again
    expect(firedAs(h.out)).toEqual([
      ['a', 10],
      ['a', 10],
    ]);
    h.send('a', { delete: [10] });
    expect(h.chain.nextTimerAt()).toBe(110);
    expect(h.chain.fireTimers(110)).toBe(1);
  });

  it('a timer may delete a later timer due in the same call, which then does not fire', () => {
    const h = build(
      commandFunction((ts, ctx) => {
        if (ts === 10) ctx.timerService.deleteProcessingTimeTimer(12);
      }),
    );
    h.send('a', { register: [10, 12, 14] });
    expect(h.chain.fireTimers(20)).toBe(2);
    expect(firedAs(h.out)).toEqual([
      ['a', 10],
      ['a', 14],
    ]);
  });

  it('registering a due timer that is already pending in the running call does not fire it twice', () => {
    const h = build(
      commandFunction((ts, ctx) => {
        if (ts === 10) ctx.timerService.registerProcessingTimeTimer(12);
      }),
    );
    h.send('a', { register: [10, 12] });
    expect(h.chain.fireTimers(20)).toBe(2);
    expect(h.chain.nextTimerAt()).toBeUndefined();
  });

  it("onTimer runs with the timer's key: state reads and writes apply to that key", () => {
    const h = build(
      commandFunction((_ts, ctx, last) => {
        last.update(`fired:${String(ctx.key)}`);
      }),
    );
    h.send('a', { value: 'A', register: [10] });
    h.send('b', { value: 'B', register: [10] });
    h.send(7, { value: 'seven', register: [5] });
    h.send('c', { value: 'C' }); // the current key when timers fire is the last element's
    h.chain.fireTimers(10);
    expect(h.out.map((f) => [f.key, f.value])).toEqual([
      [7, 'seven'],
      ['a', 'A'],
      ['b', 'B'],
    ]);
    const backend = h.chain.keyed[0]!.backend;
    const last = backend.getState(valueState('last', Serializers.string));
    const valueOf = (k: Key): string | undefined => {
      backend.setCurrentKey(k);
      return last.value();
    };
    expect(['a', 'b', 7, 'c'].map(valueOf)).toEqual(['fired:a', 'fired:b', 'fired:7', 'C']);
  });

  it('currentProcessingTime reads the chain clock', () => {
    const seen: number[] = [];
    const h = build({
      processElement(_v, ctx) {
        seen.push(ctx.timerService.currentProcessingTime());
      },
    });
    clock.now = 1234;
    h.send('a', {});
    clock.now = 5678;
    h.send('a', {});
    expect(seen).toEqual([1234, 5678]);
  });

  it('timers live in the backend as keyed state under the reserved name', () => {
    const h = build(commandFunction());
    const backend = h.chain.keyed[0]!.backend;
    expect(backend.keys(PROCESSING_TIMERS_STATE)).toEqual([]);
    h.send('a', { register: [10, 20] });
    h.send('b', { register: [30] });
    expect(new Set(backend.keys(PROCESSING_TIMERS_STATE))).toEqual(new Set(['a', 'b']));
    h.chain.fireTimers(25);
    const timers = backend.getMapState(mapState(PROCESSING_TIMERS_STATE, Serializers.number, Serializers.boolean));
    expect(backend.keys(PROCESSING_TIMERS_STATE)).toEqual(['b']);
    backend.setCurrentKey('b');
    expect(timers.keys()).toEqual([30]);
  });

  describe('snapshot and restore', () => {
    it('pending timers survive a full snapshot into a fresh chain; fired and deleted ones do not come back', async () => {
      const first = build(commandFunction());
      first.send('a', { value: 'A', register: [10, 40] });
      first.send('b', { value: 'B', register: [30, 20] });
      first.send({ k: 1 }, { value: 'obj', register: [35] });
      first.send('b', { delete: [30] });
      first.chain.fireTimers(10);
      const bytes = await fullSnapshot(first.chain);

      const second = build(commandFunction(), { restored: [bytes] });
      expect(second.chain.nextTimerAt()).toBe(20);
      expect(second.chain.fireTimers(1_000)).toBe(3);
      expect(second.out.map((f) => [f.key, f.ts, f.value])).toEqual([
        ['b', 20, 'B'],
        [{ k: 1 }, 35, 'obj'],
        ['a', 40, 'A'],
      ]);
    });

    it('timers already due at restore fire at the first fireTimers call', async () => {
      const first = build(commandFunction());
      first.send('a', { register: [10] });
      first.send('b', { register: [5] });
      const bytes = await fullSnapshot(first.chain);
      const second = build(commandFunction(), { restored: [bytes] });
      expect(second.chain.fireTimers(100)).toBe(2);
      expect(firedAs(second.out)).toEqual([
        ['b', 5],
        ['a', 10],
      ]);
    });

    it('restored timers keep dedup and delete working', async () => {
      const first = build(commandFunction());
      first.send('a', { register: [10, 20] });
      const bytes = await fullSnapshot(first.chain);
      const second = build(commandFunction(), { restored: [bytes] });
      second.send('a', { register: [10], delete: [20] });
      expect(second.chain.fireTimers(100)).toBe(1);
      expect(firedAs(second.out)).toEqual([['a', 10]]);
    });

    it('a snapshot taken on this backend restores on the other one', async () => {
      const first = build(commandFunction());
      first.send('a', { value: 'A', register: [10] });
      const bytes = await fullSnapshot(first.chain);
      const second = build(commandFunction(), { restored: [bytes] }, otherKind(kind));
      expect(second.chain.fireTimers(10)).toBe(1);
      expect(second.out.map((f) => [f.key, f.value])).toEqual([['a', 'A']]);
    });

    it('timers registered after a full snapshot are carried by the incremental one', async () => {
      const first = build(commandFunction(), { incremental: true });
      first.send('a', { value: 'A' });
      first.send('b', { register: [50] });
      const backend = first.chain.keyed[0]!.backend;
      const base = await backend.snapshot({ incremental: false }).bytes();
      first.send('a', { register: [10] });
      first.send('b', { delete: [50] });
      const delta = await backend.snapshot({ incremental: true }).bytes();

      const second = build(commandFunction(), { restored: [base, delta] });
      expect(second.chain.fireTimers(1_000)).toBe(1);
      expect(second.out.map((f) => [f.key, f.ts, f.value])).toEqual([['a', 10, 'A']]);
    });

    it('rescaled to two subtasks, each timer fires in the subtask owning its key group', async () => {
      const first = build(commandFunction());
      const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
      keys.forEach((k, i) => first.send(k, { register: [i] }));
      const bytes = await fullSnapshot(first.chain);

      const fired: Array<[Key, number]> = [];
      for (let index = 0; index < 2; index++) {
        const range = keyGroupRangeForSubtask(MAX_PARALLELISM, 2, index);
        const part = build(commandFunction(), { restored: [bytes], range });
        part.chain.fireTimers(1_000);
        for (const f of part.out) expect(rangeContains(range, keyGroupOf(f.key, MAX_PARALLELISM))).toBe(true);
        fired.push(...firedAs(part.out));
      }
      expect(fired.sort((x, y) => x[1] - y[1])).toEqual(keys.map((k, i) => [k, i]));
    });

    it('restoring timers into a function without onTimer fails clearly', async () => {
      const first = build(commandFunction());
      first.send('a', { register: [10] });
      const bytes = await fullSnapshot(first.chain);
      expect(() => build({ processElement() {} }, { restored: [bytes] })).toThrow(/processing-time timers, but its function has no onTimer/);
    });
  });

  describe('errors', () => {
    it('rejects a user state whose name starts with __weir.', () => {
      const reserved = (register: (rt: Parameters<NonNullable<KeyedProcessFunction<Key, unknown, unknown>['open']>>[0]) => void) =>
        build({ open: register, processElement() {} });
      expect(() => reserved((rt) => rt.getState(valueState('__weir.mine', Serializers.number)))).toThrow(
        /state name '__weir\.mine' is reserved/,
      );
      expect(() =>
        reserved((rt) => rt.getMapState(mapState(PROCESSING_TIMERS_STATE, Serializers.number, Serializers.boolean))),
      ).toThrow(/reserved/);
      // a name merely containing the prefix is the user's
      expect(() => reserved((rt) => rt.getState(valueState('x__weir.', Serializers.number)))).not.toThrow();
    });

    it('a function without onTimer fails at registration', () => {
      const h = build({
        processElement(_v, ctx) {
          ctx.timerService.registerProcessingTimeTimer(10);
        },
      });
      expect(() => h.send('a', {})).toThrow(/operator 'timers' registers a processing-time timer, but its function has no onTimer/);
      expect(h.chain.nextTimerAt()).toBeUndefined();
    });

    it('rejects a timestamp that is not a finite number', () => {
      const h = build(commandFunction());
      expect(() => h.send('a', { register: [Number.NaN] })).toThrow(RangeError);
      expect(() => h.send('a', { register: [Number.POSITIVE_INFINITY] })).toThrow(RangeError);
    });

    it('after a failing onTimer, timers not reached yet stay pending', () => {
      const h = build(
        commandFunction((ts) => {
          if (ts === 10) throw new Error('boom');
        }),
      );
      h.send('a', { register: [10, 11] });
      h.send('b', { register: [12] });
      expect(() => h.chain.fireTimers(20)).toThrow('boom');
      expect(h.chain.nextTimerAt()).toBe(11);
      expect(h.chain.fireTimers(20)).toBe(2);
      expect(firedAs(h.out)).toEqual([
        ['a', 10],
        ['a', 11],
        ['b', 12],
      ]);
    });

    it('a closed chain fires nothing', () => {
      const h = build(commandFunction());
      h.send('a', { register: [10] });
      h.chain.close();
      expect(h.chain.fireTimers(100)).toBe(0);
      expect(h.chain.nextTimerAt()).toBeUndefined();
    });
  });
});

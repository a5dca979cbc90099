/**
 * The byte contract between the backends: the same operations on a heap and a WASM backend give
 * byte-identical snapshots (full and incremental), and a snapshot from either restores into the
 * other with identical state.
 */
import { describe, expect, it } from 'vitest';
import { keyGroupRange, keyGroupRangeForSubtask } from '../src/state/key-groups.js';
import { keyGroupOf } from '../src/state/key-codec.js';
import { listState, valueState } from '../src/state/descriptors.js';
import { Serializers } from '../src/state/serializers.js';
import type { KeyedStateBackend, KeyedStateBackendOptions, StateBackendKind } from '../src/state/types.js';
import { backendPool, ManualClock, otherKind } from './support/backends.js';
import { observe, openAll, type Handles } from './support/observe.js';
import type { StateSpec } from './support/observe.js';
import { FULL_SCHEMA, PLAIN_SCHEMA, runStep, WORKLOAD_KEYS } from './support/workload.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Shows the first differing byte instead of two long hex strings. */
function expectSameBytes(heap: Uint8Array, wasm: Uint8Array, what: string): void {
  if (heap.length === wasm.length && heap.every((x, i) => x === wasm[i])) return;
  let i = 0;
  while (i < heap.length && heap[i] === wasm[i]) i++;
  expect.fail(
    `${what}: heap and wasm snapshots differ (lengths ${heap.length} / ${wasm.length}), first at byte ${i}: ` +
      `heap …${hex(heap.subarray(Math.max(0, i - 8), i + 8))}… wasm …${hex(wasm.subarray(Math.max(0, i - 8), i + 8))}…`,
  );
}

describe('heap and wasm backends', () => {
  const create = backendPool();

  interface Side {
    readonly kind: StateBackendKind;
    readonly clock: ManualClock;
    readonly b: KeyedStateBackend;
    readonly handles: Handles;
    readonly chain: Uint8Array[];
  }

  function pair(schema: readonly StateSpec[], options: KeyedStateBackendOptions = {}): Side[] {
    return (['heap', 'wasm'] as const).map((kind) => {
      const clock = new ManualClock();
      const b = create(kind, { ...options, clock: clock.read });
      return { kind, clock, b, handles: openAll(b, schema), chain: [] };
    });
  }

  /** Runs the same steps on both sides, snapshotting after each; checks the bytes are equal. */
  async function lockstep(sides: Side[], from: number, to: number, fullAt: (step: number) => boolean, keys = WORKLOAD_KEYS) {
    for (let step = from; step < to; step++) {
      for (const s of sides) runStep(s.b, s.handles, step, { clock: s.clock, keys });
      const isFull = fullAt(step);
      const snaps = sides.map((s) => s.b.snapshot({ incremental: !isFull }));
      const bytes = await Promise.all(snaps.map((s) => s.bytes()));
      expectSameBytes(bytes[0]!, bytes[1]!, `step ${step} (${isFull ? 'full' : 'incremental'})`);
      sides.forEach((s, i) => {
        if (isFull) s.chain.length = 0;
        s.chain.push(bytes[i]!);
      });
      expect(sides[0]!.b.entryCount(), `entryCount at step ${step}`).toBe(sides[1]!.b.entryCount());
    }
  }

  it('write identical full and incremental snapshots for the same operations (every kind, TTL, many steps)', async () => {
    const sides = pair(FULL_SCHEMA);
    await lockstep(sides, 0, 16, (step) => step === 0 || step === 9);
  });

  it('write identical snapshots of sub-range backends', async () => {
    const range = keyGroupRangeForSubtask(128, 3, 1);
    const keys = Array.from({ length: 300 }, (_, i) => `k${i}`).filter((k) => {
      const kg = keyGroupOf(k, 128);
      return kg >= range.start && kg < range.end;
    });
    const sides = pair(FULL_SCHEMA, { keyGroupRange: range });
    await lockstep(sides, 0, 6, (step) => step === 0, keys);
  });

  it.each([1, 7, 32768])('write identical snapshots with maxParallelism %i', async (maxParallelism) => {
    const sides = pair(PLAIN_SCHEMA, { maxParallelism });
    await lockstep(sides, 0, 4, (step) => step === 0);
  });

  it('order states with ids above 255 by composite bytes (u16 little-endian id) the same way', async () => {
    // 300 states: ids 256.. sort before id 1 in byte order, within each key
    const many: StateSpec[] = Array.from({ length: 300 }, (_, n) => ({ name: `s${n}`, driver: PLAIN_SCHEMA[n % PLAIN_SCHEMA.length]!.driver }));
    const sides = pair(many);
    const keys = WORKLOAD_KEYS.slice(0, 4);
    await lockstep(sides, 0, 3, (step) => step === 0, keys);
    const r = create('wasm');
    r.restore(sides[0]!.chain);
    expect(observe(r, openAll(r, many))).toEqual(observe(sides[0]!.b, sides[0]!.handles));
  });

  it('restore each other’s chains (full + incrementals) to identical state', async () => {
    const sides = pair(FULL_SCHEMA);
    await lockstep(sides, 0, 8, (step) => step === 0);
    const now = sides[0]!.clock.now;
    // restore both chains into both kinds, then compare everything they show and write
    const views: unknown[] = [];
    const fulls: Uint8Array[] = [];
    for (const from of sides) {
      for (const into of ['heap', 'wasm'] as const) {
        const clock = new ManualClock(now);
        const r = create(into, { clock: clock.read });
        r.restore(from.chain);
        fulls.push(await r.snapshot({ incremental: false }).bytes());
        views.push(observe(r, openAll(r, FULL_SCHEMA)));
      }
    }
    for (let i = 1; i < 4; i++) {
      expectSameBytes(fulls[0]!, fulls[i]!, `restored copy ${i}`);
      expect(views[i], `restored copy ${i}`).toEqual(views[0]);
    }
  });

  it('a snapshot from one restores into the other, which then keeps going identically', async () => {
    const sides = pair(PLAIN_SCHEMA);
    await lockstep(sides, 0, 4, (step) => step === 0);
    // heap continues from the wasm snapshot and wasm from the heap one
    const swapped: Side[] = sides
      .map((s) => {
        const kind = otherKind(s.kind);
        const clock = new ManualClock(s.clock.now);
        const b = create(kind, { clock: clock.read });
        b.restore(s.chain);
        return { kind, clock, b, handles: openAll(b, PLAIN_SCHEMA), chain: [] };
      })
      .reverse();
    expect(observe(swapped[0]!.b, swapped[0]!.handles)).toEqual(observe(sides[0]!.b, sides[0]!.handles));
    // incrementals after a restore build on the restored state
    await lockstep(swapped, 4, 7, () => false);
    await lockstep(sides, 4, 7, () => false);
    for (let i = 0; i < 3; i++) {
      expectSameBytes(sides[0]!.chain[4 + i]!, swapped[0]!.chain[i]!, `incremental ${i} after the swap`);
    }
    const fulls = await Promise.all([...sides, ...swapped].map((s) => s.b.snapshot({ incremental: false }).bytes()));
    for (let i = 1; i < 4; i++) expectSameBytes(fulls[0]!, fulls[i]!, `full after the swap, side ${i}`);
  });

  it('restore a sub-range of the other’s snapshot to the same groups', async () => {
    const sides = pair(PLAIN_SCHEMA);
    await lockstep(sides, 0, 3, (step) => step === 0);
    const range = keyGroupRange(30, 77);
    const parts = await Promise.all(
      sides.map(async (s) => {
        const r = create(otherKind(s.kind), { keyGroupRange: range });
        r.restore(s.chain);
        return r.snapshot({ incremental: false }).bytes();
      }),
    );
    expectSameBytes(parts[1]!, parts[0]!, 'sub-range restore');
  });

  it('encode a JSON object mutated and written back the same way', async () => {
    const sides = pair([]);
    for (const s of sides) {
      const v = s.b.getState(valueState('v', Serializers.json));
      const l = s.b.getListState(listState('l', Serializers.json));
      s.b.setCurrentKey('k');
      v.update({ n: 1 });
      l.add({ n: 1 });
      const got = v.value() as { n: number };
      got.n = 2;
      v.update(got);
      l.add({ n: 3 });
    }
    const [h, w] = await Promise.all(sides.map((s) => s.b.snapshot({ incremental: false }).bytes()));
    expectSameBytes(h!, w!, 'mutated object');
  });
});

/**
 * Rescaling (DESIGN.md point 7): state written at one parallelism restores at another with no key
 * lost or duplicated. Property-based at the state level — random key sets, random old and new
 * parallelism, full and incremental chains, both backends and across them — through the real
 * assignment code (key-group re-cut, chain merge); and end to end on the counting job, stopped with
 * a savepoint and resumed at 4 → 3 → 8 → 1, where source splits and sink transactions move too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCommittedLines } from '../src/cli/committed-output.js';
import type { GeneratorOptions } from '../src/connectors/generator-source.js';
import { LocalExecutor } from '../src/runtime/local-executor.js';
import { encodeStateList } from '../src/storage/operator-state-list.js';
import { assignState, type WrittenSubtaskState } from '../src/runtime/state-assignment.js';
import { mapState, valueState } from '../src/state/descriptors.js';
import { keyGroupOf } from '../src/state/key-codec.js';
import { keyGroupRangeForSubtask, subtaskForKeyGroup } from '../src/state/key-groups.js';
import { Serializers } from '../src/state/serializers.js';
import type { KeyedStateBackend, StateBackendKind } from '../src/state/types.js';
import type { CheckpointMetadata } from '../src/storage/checkpoint-metadata.js';
import { createBackend } from './support/backends.js';
import { countingJob, expectExactlyOnce, expectedCounts } from './support/counting-job.js';
import { gatedConnectors, holdFrom } from './support/gated-generator.js';
import { RunEvents } from './support/run-events.js';
import { tempDirs } from './support/temp-dirs.js';
import { uncommittedFiles } from './support/transactional-output.js';

const MAX_P = 32;
const COUNT = valueState('count', Serializers.number);
const TAGS = mapState('tags', Serializers.string, Serializers.number);

const ownerOf = (key: number, p: number): number => subtaskForKeyGroup(MAX_P, p, keyGroupOf(key, MAX_P));

function register(b: KeyedStateBackend, order: number) {
  // a different registration order per subtask gives one state name different ids in different
  // snapshots: the merge must renumber by name
  if (order % 2 === 0) {
    const count = b.getState(COUNT);
    return { count, tags: b.getMapState(TAGS) };
  }
  const tags = b.getMapState(TAGS);
  return { count: b.getState(COUNT), tags };
}

/**
 * Old subtask i of `p` (owning its key-group range) holds `values` minus `deleted`. Incremental:
 * a base with stale values for every key, then a delta with the real values and the deletes.
 */
async function writeOld(kind: StateBackendKind, p: number, values: Map<number, number>, deleted: Set<number>, incremental: boolean): Promise<WrittenSubtaskState[]> {
  const out: WrittenSubtaskState[] = [];
  for (let i = 0; i < p; i++) {
    const keyGroups = keyGroupRangeForSubtask(MAX_P, p, i);
    const b = createBackend(kind, { maxParallelism: MAX_P, keyGroupRange: keyGroups });
    try {
      const { count, tags } = register(b, i);
      const mine = [...values.keys()].filter((k) => ownerOf(k, p) === i);
      const put = (k: number, v: number): void => {
        b.setCurrentKey(k);
        count.update(v);
        tags.put(`t${k % 3}`, v * 2);
      };
      const chain: Uint8Array[] = [];
      if (incremental) {
        for (const k of mine) put(k, -1);
        chain.push(await b.snapshot({ incremental: false }).bytes());
        for (const k of mine) {
          if (!deleted.has(k)) put(k, values.get(k)!);
          else {
            b.setCurrentKey(k);
            count.clear();
            tags.clear();
          }
        }
        chain.push(await b.snapshot({ incremental: true }).bytes());
      } else {
        for (const k of mine) if (!deleted.has(k)) put(k, values.get(k)!);
        chain.push(await b.snapshot({ incremental: false }).bytes());
      }
      // as read from disk: Node Buffers, whose slice() is a view (a copy must really copy)
      out.push({ keyed: [{ keyGroups, chain: chain.map((c) => Buffer.from(c)), shared: [] }], operatorFiles: [encodeStateList([new Uint8Array([i])])] });
    } finally {
      b.dispose();
    }
  }
  return out;
}

function metadataFor(p: number): CheckpointMetadata {
  return {
    checkpointId: 1,
    jobId: 'rescale',
    triggerTimestamp: 0,
    completionTimestamp: 0,
    settings: { mode: 'exactly-once', intervalMs: 1, retainCount: 1, incremental: true, codec: 'none', codecLevel: 0 },
    operators: [{ uid: 'count', parallelism: p, maxParallelism: MAX_P, subtasks: [] }],
  };
}

describe('rescaling keyed and operator state (property-based)', () => {
  it.each([
    ['heap', 'heap'],
    ['wasm', 'wasm'],
    ['heap', 'wasm'],
    ['wasm', 'heap'],
  ] as const)('%s → %s: every key restored exactly once, in the subtask owning its key group', async (from, to) => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: -1e6, max: 1e6 }), { maxLength: 120 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 4 }),
        async (keys, oldP, newP, incremental, deleteEvery) => {
          const values = new Map(keys.map((k, i) => [k, i + 1]));
          const deleted = new Set(deleteEvery === 0 ? [] : keys.filter((_, i) => i % (deleteEvery + 1) === 0));
          const olds = await writeOld(from, oldP, values, deleted, incremental);
          const assigned = assignState(metadataFor(oldP), (_uid, i) => olds[i], {
            operators: [{ uid: 'count', parallelism: newP, keyed: true }],
            maxParallelism: MAX_P,
            allowNonRestoredState: false,
            describe: 'test snapshot',
          });
          const seen = new Map<number, number>();
          const entries: number[] = [];
          const perSubtask: number[] = [];
          for (let j = 0; j < newP; j++) {
            const st = assigned.get(`count#${j}`)!;
            entries.push(...st.operatorState.map((e) => e[0]!));
            perSubtask.push(st.operatorState.length);
            const b = createBackend(to, { maxParallelism: MAX_P, keyGroupRange: keyGroupRangeForSubtask(MAX_P, newP, j) });
            try {
              if (st.keyedChain.length > 0) b.restore(st.keyedChain);
              const count = b.getState(COUNT);
              const tags = b.getMapState(TAGS);
              for (const k of b.keys('count') as number[]) {
                expect(ownerOf(k, newP)).toBe(j);
                b.setCurrentKey(k);
                expect(seen.has(k)).toBe(false);
                seen.set(k, count.value()!);
                expect(tags.entries()).toEqual([[`t${k % 3}`, count.value()! * 2]]);
              }
              expect(b.keys('tags').length).toBe(b.keys('count').length);
            } finally {
              b.dispose();
            }
          }
          const expected = new Map([...values].filter(([k]) => !deleted.has(k)));
          expect(seen).toEqual(expected);
          // operator state: each old subtask's entry lands exactly once
          expect(entries.sort((a, b) => a - b)).toEqual(Array.from({ length: oldP }, (_, i) => i));
          // ... and evenly: no subtask has two more than another
          expect(Math.max(...perSubtask) - Math.min(...perSubtask)).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('a changed maxParallelism or state for a missing uid is refused, naming the uid', async () => {
    const olds = await writeOld('heap', 2, new Map([[1, 1]]), new Set(), false);
    const base = { operators: [{ uid: 'count', parallelism: 2, keyed: true }], allowNonRestoredState: false, describe: 'savepoint X' };
    expect(() => assignState(metadataFor(2), (_u, i) => olds[i], { ...base, maxParallelism: 64 })).toThrow(/maxParallelism 32 for uid "count", the job has 64/);
    const renamed = { ...base, maxParallelism: MAX_P, operators: [{ uid: 'counter-v2', parallelism: 2, keyed: true }] };
    expect(() => assignState(metadataFor(2), (_u, i) => olds[i], renamed)).toThrow(/savepoint X holds state of operator uid "count", which this job does not have/);
    const dropped = assignState(metadataFor(2), (_u, i) => olds[i], { ...renamed, allowNonRestoredState: true });
    expect(dropped.size).toBe(0);
  });
});

describe('rescaling a running job through savepoints: 4 → 3 → 8 → 1', () => {
  const tmp = tempDirs();
  const SOURCE: GeneratorOptions = { count: 8_000, keys: 50, seed: 3 };

  it.each(['heap', 'wasm'] as const)('%s: exactly-once output across every rescale', async (backend) => {
    const checkpointDir = tmp('chk');
    const outDir = tmp('out');
    const savepointDir = tmp('sp');
    const stages = [4, 3, 8, 1];
    let from: string | undefined;
    for (const [n, parallelism] of stages.entries()) {
      const last = n === stages.length - 1;
      const env = countingJob({
        backend,
        parallelism,
        source: SOURCE,
        // each stage gets a little further into the input before it is stopped
        gate: holdFrom(((n + 1) * SOURCE.count) / (stages.length + 1), () => last),
        sink: { kind: 'transactional-file', payload: { dir: outDir } },
      });
      let running!: () => void;
      const ready = new Promise<void>((r) => (running = r));
      const client = new LocalExecutor().start(env, {
        checkpointDir,
        savepointDir,
        connectors: gatedConnectors(),
        listener: new RunEvents({ completed: () => running() }),
        ...(from === undefined ? {} : { fromSavepoint: from }),
      });
      if (last) {
        await client.result;
        break;
      }
      await Promise.race([ready, client.result]);
      from = (await client.stopWithSavepoint()).path;
      await client.result;
    }
    expectExactlyOnce((await readCommittedLines(outDir)).lines, expectedCounts(SOURCE));
    expect(uncommittedFiles(outDir)).toEqual([]);
  });
});

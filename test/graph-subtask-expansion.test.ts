import { describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { SinkSpec, SourceSpec } from '../src/api/specs.js';
import { toJobGraph } from '../src/graph/job-graph.js';
import { createRouter, hashTarget } from '../src/graph/partitioners.js';
import { expandSubtasks, type ExecutionPlan } from '../src/graph/subtasks.js';
import { keyGroupOf } from '../src/state/key-codec.js';
import { rangeContains } from '../src/state/key-groups.js';

const words: SourceSpec<string> = { kind: 'words' };
const discard: SinkSpec<unknown> = { kind: 'discard' };

function keyedPlan(sourceParallelism: number, keyedParallelism: number, maxParallelism = 128): ExecutionPlan {
  const env = new StreamEnvironment({ parallelism: sourceParallelism, maxParallelism });
  env
    .source(words, { uid: 's' })
    .keyBy((w) => w)
    .process({ processElement: (w, _ctx, out) => out.collect(w) }, { uid: 'p', parallelism: keyedParallelism })
    .sink(discard, { uid: 'k' });
  return expandSubtasks(toJobGraph(env.build()));
}

describe('expandSubtasks', () => {
  it('gives each vertex parallelism-many subtasks; only keyed ones get key-group ranges', () => {
    const plan = keyedPlan(2, 3);
    expect(plan.subtasks.map((s) => [s.id, s.vertexId, s.index, s.parallelism, s.keyGroupRange])).toEqual([
      ['0.0', 0, 0, 2, undefined],
      ['0.1', 0, 1, 2, undefined],
      ['1.0', 1, 0, 3, { start: 0, end: 43 }],
      ['1.1', 1, 1, 3, { start: 43, end: 86 }],
      ['1.2', 1, 2, 3, { start: 86, end: 128 }],
      ['2.0', 2, 0, 2, undefined],
      ['2.1', 2, 1, 2, undefined],
    ]);
  });

  it.each([
    [1, 128],
    [2, 128],
    [3, 128],
    [7, 128],
    [128, 128],
    [5, 16],
    [1, 1],
  ])('key-group ranges of %i keyed subtasks cover [0, %i) exactly once', (parallelism, maxParallelism) => {
    const plan = keyedPlan(1, parallelism, maxParallelism);
    const keyed = plan.subtasks.filter((s) => s.keyGroupRange !== undefined);
    expect(keyed).toHaveLength(parallelism);
    const owners = new Array<number>(maxParallelism).fill(0);
    for (const s of keyed) {
      const r = s.keyGroupRange!;
      for (let g = r.start; g < r.end; g++) owners[g] = (owners[g] ?? 0) + 1;
    }
    expect(owners.every((n) => n === 1)).toBe(true);
  });

  it('forward edges are one-to-one, every other partitioner all-to-all, ordered by from then to', () => {
    const env = new StreamEnvironment({ parallelism: 2 });
    env
      .source(words, { uid: 's' })
      .map((w) => w)
      .disableChaining()
      .keyBy((w) => w)
      .process({ processElement: (w, _c, out) => out.collect(w) }, { uid: 'p', parallelism: 3 })
      .sink(discard, { uid: 'k' });
    const plan = expandSubtasks(toJobGraph(env.build()));
    const [fwd, hash, rebalance] = plan.edges;
    expect(fwd?.partitioner).toBe('forward');
    expect(fwd?.channels).toEqual([
      { from: 0, to: 0 },
      { from: 1, to: 1 },
    ]);
    expect(hash?.partitioner).toBe('hash');
    expect(hash?.channels).toEqual([
      { from: 0, to: 0 },
      { from: 0, to: 1 },
      { from: 0, to: 2 },
      { from: 1, to: 0 },
      { from: 1, to: 1 },
      { from: 1, to: 2 },
    ]);
    expect(rebalance?.partitioner).toBe('rebalance');
    expect(rebalance?.channels).toHaveLength(6);
  });

  it('the plan is plain data: it survives a JSON round trip unchanged', () => {
    const plan = keyedPlan(2, 4);
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });
});

describe('partitioners', () => {
  const keys = Array.from({ length: 500 }, (_, i) => `user-${i}`);

  it.each([1, 2, 3, 7, 128])('hash sends a key to the subtask whose key-group range holds it (parallelism %i)', (p) => {
    const plan = keyedPlan(2, p);
    const keyed = plan.subtasks.filter((s) => s.vertexId === 1);
    const route = createRouter({
      partitioner: 'hash',
      upstreamIndex: 0,
      downstreamParallelism: p,
      maxParallelism: 128,
      keySelector: (w: string) => w,
    });
    for (const key of keys) {
      const targets = route(key);
      expect(targets).toHaveLength(1);
      const owner = keyed[targets[0]!];
      expect(rangeContains(owner!.keyGroupRange!, keyGroupOf(key, 128))).toBe(true);
      expect(hashTarget(key, 128, p)).toBe(targets[0]);
    }
  });

  it('hash routing does not depend on the upstream subtask', () => {
    const routers = [0, 1, 2].map((upstreamIndex) =>
      createRouter({ partitioner: 'hash', upstreamIndex, downstreamParallelism: 4, maxParallelism: 128, keySelector: (k: number) => k }),
    );
    for (let k = 0; k < 200; k++) {
      const [a, b, c] = routers.map((r) => r(k)[0]);
      expect(a).toBe(b);
      expect(b).toBe(c);
    }
  });

  it('rebalance is round robin starting at the upstream index', () => {
    const route = createRouter({ partitioner: 'rebalance', upstreamIndex: 1, downstreamParallelism: 3, maxParallelism: 128 });
    expect(Array.from({ length: 7 }, () => route(null)[0])).toEqual([1, 2, 0, 1, 2, 0, 1]);
  });

  it('broadcast reaches every downstream subtask; forward keeps the index', () => {
    const all = createRouter({ partitioner: 'broadcast', upstreamIndex: 0, downstreamParallelism: 4, maxParallelism: 128 });
    expect(all('x')).toEqual([0, 1, 2, 3]);
    const fwd = createRouter({ partitioner: 'forward', upstreamIndex: 2, downstreamParallelism: 4, maxParallelism: 128 });
    expect(fwd('x')).toEqual([2]);
  });

  it('rejects a hash router without a key selector and a forward router without a peer', () => {
    expect(() => createRouter({ partitioner: 'hash', upstreamIndex: 0, downstreamParallelism: 2, maxParallelism: 128 })).toThrow(
      /needs a keySelector/,
    );
    expect(() => createRouter({ partitioner: 'forward', upstreamIndex: 2, downstreamParallelism: 2, maxParallelism: 128 })).toThrow(
      /no downstream peer/,
    );
  });
});

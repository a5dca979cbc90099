import { describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { KeyedProcessFunction } from '../src/api/functions.js';
import type { SinkSpec, SourceSpec } from '../src/api/specs.js';
import { DEFAULT_CHECKPOINT_SETTINGS } from '../src/checkpoint/checkpoint-settings.js';

interface Click {
  readonly user: string;
  readonly valid: boolean;
}
const clicks: SourceSpec<Click> = { kind: 'generator', payload: { count: 10 } };
const out: SinkSpec<[string, number]> = { kind: 'collect' };
const counter: KeyedProcessFunction<string, Click, [string, number]> = {
  processElement(click, ctx, collector) {
    collector.collect([ctx.key, click.valid ? 1 : 0]);
  },
};

describe('StreamEnvironment building a typical pipeline', () => {
  it('source → map → filter → keyBy → process → sink gives one node per operator and the expected edges', () => {
    const env = new StreamEnvironment({ parallelism: 2 });
    const selector = (c: Click): string => c.user;
    env
      .source(clicks, { uid: 'clicks' })
      .map((c) => ({ ...c, user: c.user.toLowerCase() }))
      .filter((c) => c.valid)
      .keyBy(selector)
      .process(counter, { uid: 'count' })
      .sink(out, { uid: 'out', name: 'results' });

    const graph = env.build();
    expect(graph.nodes.map((n) => [n.id, n.kind, n.name, n.uid, n.parallelism])).toEqual([
      [0, 'source', 'Source: generator', 'clicks', 2],
      [1, 'map', 'Map', undefined, 2],
      [2, 'filter', 'Filter', undefined, 2],
      [3, 'keyedProcess', 'KeyedProcess', 'count', 2],
      [4, 'sink', 'results', 'out', 2],
    ]);
    expect(graph.edges.map((e) => [e.source, e.target, e.partitioning])).toEqual([
      [0, 1, 'default'],
      [1, 2, 'default'],
      [2, 3, 'hash'],
      [3, 4, 'default'],
    ]);
    expect(graph.edges[2]?.keySelector).toBe(selector);
    expect(graph.edges[0]?.keySelector).toBeUndefined();
    const processNode = graph.nodes[3];
    expect(processNode?.kind === 'keyedProcess' && processNode.fn).toBe(counter);
  });

  it('applies defaults: parallelism 1, maxParallelism 128, wasm backend, default checkpoint settings, exponential-delay restarts', () => {
    const env = new StreamEnvironment();
    env.source(clicks, { uid: 's' }).sink({ kind: 'discard' }, { uid: 'k' });
    const { settings } = env.build();
    expect(settings.parallelism).toBe(1);
    expect(settings.maxParallelism).toBe(128);
    expect(settings.stateBackend).toBe('wasm');
    expect(settings.checkpoint).toEqual(DEFAULT_CHECKPOINT_SETTINGS);
    expect(settings.restartStrategy.type).toBe('exponential-delay');
  });

  it('resolves given settings through the checkpoint and restart validators', () => {
    const env = new StreamEnvironment({
      jobName: 'clicks',
      stateBackend: 'heap',
      maxParallelism: 64,
      checkpoint: { intervalMs: 5000 },
      restartStrategy: { type: 'fixed-delay', attempts: 3 },
    });
    env.source(clicks, { uid: 's' }).sink({ kind: 'discard' }, { uid: 'k' });
    const { settings } = env.build();
    expect(settings).toMatchObject({ jobName: 'clicks', stateBackend: 'heap', maxParallelism: 64 });
    expect(settings.checkpoint.intervalMs).toBe(5000);
    expect(settings.checkpoint.timeoutMs).toBe(DEFAULT_CHECKPOINT_SETTINGS.timeoutMs);
    expect(settings.restartStrategy).toEqual({ type: 'fixed-delay', attempts: 3, delayMs: 1000 });
  });

  it('operator setters and options override the environment', () => {
    const env = new StreamEnvironment({ parallelism: 4 });
    const s = env.source(clicks, { uid: 's', parallelism: 1 });
    const m = s.map((c) => c.user).setParallelism(3).uid('lower').name('to-user').disableChaining();
    const k = m.sink({ kind: 'discard' }, { uid: 'k' }).setParallelism(2).name('drop');
    expect(k.nodeId).toBe(2);
    const g = env.build();
    expect(g.nodes.map((n) => [n.name, n.uid, n.parallelism, n.chainable])).toEqual([
      ['Source: generator', 's', 1, true],
      ['to-user', 'lower', 3, false],
      ['drop', 'k', 2, true],
    ]);
  });

  it('union feeds the next operator from every stream, in order; rebalance and broadcast mark the edge', () => {
    const env = new StreamEnvironment();
    const a = env.source(clicks, { uid: 'a' });
    const b = env.source(clicks, { uid: 'b' });
    const c = env.source(clicks, { uid: 'c' });
    a.union(b.rebalance(), c.broadcast()).map((x) => x.user).sink({ kind: 'discard' }, { uid: 'k' });
    const g = env.build();
    expect(g.edges.map((e) => [e.source, e.target, e.partitioning])).toEqual([
      [0, 3, 'default'],
      [1, 3, 'rebalance'],
      [2, 3, 'broadcast'],
      [3, 4, 'default'],
    ]);
  });

  it('a union then keyBy hash-partitions every input', () => {
    const env = new StreamEnvironment();
    const a = env.source(clicks, { uid: 'a' });
    const b = env.source(clicks, { uid: 'b' });
    a.union(b).keyBy((x) => x.user).process(counter, { uid: 'p' }).sink(out, { uid: 'k' });
    const g = env.build();
    expect(g.edges.filter((e) => e.target === 2).map((e) => e.partitioning)).toEqual(['hash', 'hash']);
  });

  it('a keyBy not followed by a keyed operation adds nothing and builds', () => {
    const env = new StreamEnvironment();
    const s = env.source(clicks, { uid: 's' });
    s.keyBy((x) => x.user);
    s.sink({ kind: 'discard' }, { uid: 'k' });
    const g = env.build();
    expect(g.nodes).toHaveLength(2);
    expect(g.edges.map((e) => e.partitioning)).toEqual(['default']);
  });

  it('the logical graph is frozen, so the job graph built from it cannot drift', () => {
    const env = new StreamEnvironment();
    env.source(clicks, { uid: 's' }).sink({ kind: 'discard' }, { uid: 'k' });
    const g = env.build();
    expect(Object.isFrozen(g.nodes)).toBe(true);
    expect(Object.isFrozen(g.nodes[0])).toBe(true);
    expect(Object.isFrozen(g.edges[0])).toBe(true);
  });
});

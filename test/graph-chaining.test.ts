import { describe, expect, it } from 'vitest';
import { StreamEnvironment } from '../src/api/environment.js';
import type { SinkSpec, SourceSpec } from '../src/api/specs.js';
import { toJobGraph, type JobGraph } from '../src/graph/job-graph.js';

const numbers: SourceSpec<number> = { kind: 'numbers' };
const discard: SinkSpec<unknown> = { kind: 'discard' };
const echo = { processElement: (n: number, _c: unknown, out: { collect(v: number): void }) => out.collect(n) };

/** Vertex contents as operator-name lists, and edges as [from vertex, to vertex, partitioner]. */
function shape(g: JobGraph): { chains: string[]; edges: Array<[number, number, string]> } {
  return {
    chains: g.vertices.map((v) => v.name),
    edges: g.edges.map((e) => [e.sourceVertex, e.targetVertex, e.partitioner]),
  };
}

describe('toJobGraph chaining', () => {
  it('chains source → map → filter, breaks at keyBy, chains the sink to the keyed process', () => {
    const env = new StreamEnvironment({ parallelism: 2 });
    env
      .source(numbers, { uid: 's' })
      .map((n) => n + 1)
      .filter((n) => n > 0)
      .keyBy((n) => n % 10)
      .process(echo, { uid: 'p' })
      .sink(discard, { uid: 'k' });
    const g = toJobGraph(env.build());
    expect(shape(g)).toEqual({
      chains: ['Source: numbers -> Map -> Filter', 'KeyedProcess -> Sink: discard'],
      edges: [[0, 1, 'hash']],
    });
    expect(g.vertices.map((v) => [v.operatorIds, v.parallelism, v.keyed])).toEqual([
      [[0, 1, 2], 2, false],
      [[3, 4], 2, true],
    ]);
    expect(g.chainedLogicalEdgeIds).toEqual([0, 1, 3]);
    expect(g.edges[0]?.logicalEdgeId).toBe(2);
  });

  it('a parallelism change breaks the chain and rebalances', () => {
    const env = new StreamEnvironment({ parallelism: 2 });
    env.source(numbers, { uid: 's' }).map((n) => n).setParallelism(3).filter(() => true).setParallelism(3).sink(discard, { uid: 'k' });
    expect(shape(toJobGraph(env.build()))).toEqual({
      chains: ['Source: numbers', 'Map -> Filter', 'Sink: discard'],
      edges: [
        [0, 1, 'rebalance'],
        [1, 2, 'rebalance'],
      ],
    });
  });

  it('disableChaining isolates the operator on both sides', () => {
    const env = new StreamEnvironment();
    env.source(numbers, { uid: 's' }).map((n) => n).filter(() => true).disableChaining().map((n) => n).sink(discard, { uid: 'k' });
    expect(shape(toJobGraph(env.build()))).toEqual({
      chains: ['Source: numbers -> Map', 'Filter', 'Map -> Sink: discard'],
      edges: [
        [0, 1, 'forward'],
        [1, 2, 'forward'],
      ],
    });
  });

  it('disableChaining on the upstream side breaks the chain too', () => {
    const env = new StreamEnvironment();
    env.source(numbers, { uid: 's', disableChaining: true }).map((n) => n).sink(discard, { uid: 'k' });
    expect(shape(toJobGraph(env.build())).chains).toEqual(['Source: numbers', 'Map -> Sink: discard']);
  });

  it('union inputs do not chain: the target has more than one input', () => {
    const env = new StreamEnvironment();
    const a = env.source(numbers, { uid: 'a', name: 'A' });
    const b = env.source(numbers, { uid: 'b', name: 'B' });
    a.union(b).map((n) => n).sink(discard, { uid: 'k' });
    expect(shape(toJobGraph(env.build()))).toEqual({
      chains: ['A', 'B', 'Map -> Sink: discard'],
      edges: [
        [0, 2, 'forward'],
        [1, 2, 'forward'],
      ],
    });
  });

  it('an operator with two outputs does not chain to either', () => {
    const env = new StreamEnvironment();
    const m = env.source(numbers, { uid: 's' }).map((n) => n);
    m.sink(discard, { uid: 'k1' });
    m.sink(discard, { uid: 'k2' });
    expect(shape(toJobGraph(env.build()))).toEqual({
      chains: ['Source: numbers -> Map', 'Sink: discard', 'Sink: discard'],
      edges: [
        [0, 1, 'forward'],
        [0, 2, 'forward'],
      ],
    });
  });

  it('explicit rebalance and broadcast break the chain even at equal parallelism', () => {
    const env = new StreamEnvironment({ parallelism: 2 });
    env.source(numbers, { uid: 's' }).rebalance().map((n) => n).broadcast().sink(discard, { uid: 'k' });
    expect(shape(toJobGraph(env.build()))).toEqual({
      chains: ['Source: numbers', 'Map', 'Sink: discard'],
      edges: [
        [0, 1, 'rebalance'],
        [1, 2, 'broadcast'],
      ],
    });
  });

  it('keyBy to a keyed operator of another parallelism is still hash, not rebalance', () => {
    const env = new StreamEnvironment({ parallelism: 2 });
    env.source(numbers, { uid: 's' }).keyBy((n) => n).process(echo, { uid: 'p', parallelism: 5 }).sink(discard, { uid: 'k' });
    expect(shape(toJobGraph(env.build())).edges).toEqual([
      [0, 1, 'hash'],
      [1, 2, 'rebalance'],
    ]);
  });

  it('the job graph is plain data: it survives a JSON round trip unchanged', () => {
    const env = new StreamEnvironment({ parallelism: 2 });
    env.source(numbers, { uid: 's' }).keyBy((n) => n).process(echo, { uid: 'p' }).sink(discard, { uid: 'k' });
    const g = toJobGraph(env.build());
    expect(JSON.parse(JSON.stringify(g))).toEqual(g);
  });
});

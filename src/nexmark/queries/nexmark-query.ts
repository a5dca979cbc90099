/**
 * What a Nexmark query is to its callers (the benchmark, tests, the CLI): a builder that adds the
 * query to an environment and returns its result stream, plus a formatter for that stream's records.
 * The query itself never formats: a benchmark sinks the typed records into a discard sink.
 */
import type { DataStream } from '../../api/data-stream.js';
import type { StreamEnvironment } from '../../api/environment.js';
import type { NexmarkSourceSetup } from '../source-setup.js';

/** Options of {@link NexmarkQuery.build}: how to set up the shared Nexmark source. */
export type NexmarkQueryOptions = NexmarkSourceSetup;

/**
 * One Nexmark query as a weir job fragment.
 *
 * @example
 * const q = NEXMARK_QUERIES['q4']!;
 * const env = new StreamEnvironment({ parallelism: 2 });
 * q.build(env, { source: { events: 1_000_000 } }).sink({ kind: 'discard', payload: undefined }, { uid: 'out' });
 */
// `R = any`: a `DataStream` is invariant in its type (key selectors take `T`), so the erased form a
// registry holds must be `any`; a caller passes `build`'s records only to the same query's `format`.
export interface NexmarkQuery<R = any> {
  /** 'q0', 'q1', ...: the key in NEXMARK_QUERIES. */
  readonly name: string;
  /** One line: what the query computes, and how this implementation departs from nexmark-flink's SQL. */
  readonly description: string;
  /** Whether the query keeps keyed state (joins, aggregations, windows). */
  readonly stateful: boolean;
  /**
   * Adds the Nexmark source and the query to `env`; returns the result stream for the caller's sink.
   * Every stateful operator has a fixed uid starting with the query's name (`q4-winning`).
   */
  build(env: StreamEnvironment, options: NexmarkQueryOptions): DataStream<R>;
  /** One result record as one line (comma-separated fields); for tests, files and people. */
  format(result: R): string;
}
